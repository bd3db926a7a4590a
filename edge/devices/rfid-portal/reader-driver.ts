import type { MqttClient } from 'mqtt';
import { Subject } from 'rxjs';
import type { DeviceDriver, DriverStatus } from '../../../protocols/driver.ts';
import { isSpError } from '../../../protocols/errors.ts';
import { decodeReaderMessage } from '../../../protocols/rfid/reader-events.ts';
import type { TagRead } from '../../../protocols/rfid/tag-read.ts';
import type { DeadLetterStore } from '../../dead-letters.ts';
import { ackWhenKept } from '../deferred-ack.ts';
import type { RfidPortalDeviceConfig } from '../device-config.schema.ts';

// RFID readers on the device broker: one subscription per reader topic, each message decoded in
// the reader's dialect into TagReads (keyed by the configured device id). A message that does
// not decode is dead-lettered and counted against its reader; the others carry on.
//
// Lossless: with `keep`, a message's reads are journaled (edge store, group commit) before its
// PUBACK goes out, on a QoS 1 subscription of a persistent session. The listener is attached
// when the driver is made — before the connection's CONNACK, after which the broker delivers
// what it queued while the gateway was down — and reads are passed on only once start() says
// the pipeline is ready (start first replays the journal, which holds the earlier ones).

export class RfidReaderDriver implements DeviceDriver {
  readonly id = 'rfid';
  readonly reads = new Subject<TagRead>();
  private readonly byTopic = new Map<string, RfidPortalDeviceConfig>();
  private readonly statuses = new Map<string, DriverStatus>();
  private listener: ((topic: string, payload: Buffer, packet?: object) => void) | undefined;
  private state: DriverStatus['state'] = 'stopped';

  /** reads go to `reads` only from start() on (before, they are journaled and replayed by the owner) */
  private live = false;
  /** messages refused because their reads could not be journaled (each one is redelivered) */
  storeFailures = 0;

  constructor(
    private readonly client: MqttClient,
    devices: readonly RfidPortalDeviceConfig[],
    private readonly deadLetters: DeadLetterStore,
    private readonly onSeen?: (deviceId: string) => void,
    /** journals a message's reads; its PUBACK waits for the returned promise */
    private readonly keep?: (deviceId: string, reads: TagRead[]) => Promise<void>,
  ) {
    for (const d of devices) {
      this.byTopic.set(d.topic, d);
      this.statuses.set(d.id, { state: 'starting', failures: 0, reconnects: 0 });
    }
    this.listener = (topic, payload, packet) => this.handle(topic, payload, packet);
    this.client.on('message', this.listener);
    this.client.on('connect', this.subscribe);
  }

  private readonly subscribe = async (): Promise<void> => {
    if (this.byTopic.size) await this.client.subscribeAsync([...this.byTopic.keys()], { qos: this.keep ? 1 : 0 }).catch(() => {});
  };

  async start(): Promise<void> {
    this.live = true;
    this.state = 'running';
    if (this.client.connected) await this.subscribe();
  }

  async stop(): Promise<void> {
    this.client.off('connect', this.subscribe);
    if (this.listener) this.client.off('message', this.listener);
    if (this.byTopic.size && this.client.connected) await this.client.unsubscribeAsync([...this.byTopic.keys()]).catch(() => {});
    this.reads.complete();
    this.state = 'stopped';
  }

  status(): DriverStatus {
    const all = [...this.statuses.values()];
    return { state: this.state, failures: all.reduce((n, s) => n + s.failures, 0), reconnects: 0 };
  }

  deviceStatuses(): Record<string, DriverStatus> {
    return Object.fromEntries([...this.statuses].map(([id, s]) => [id, { ...s }]));
  }

  private handle(topic: string, payload: Buffer, packet?: object): void {
    const device = this.byTopic.get(topic);
    if (!device) return;
    const st = this.statuses.get(device.id)!;
    const now = Date.now();
    let reads: TagRead[];
    try {
      reads = decodeReaderMessage(device.format, payload, device.id, now);
    } catch (e) {
      const code = isSpError(e) ? e.code : 'SP_ERR_DECODE';
      const reason = isSpError(e) ? e.details.map((d) => `${d.field}: ${d.reason}`).join('; ') : String(e);
      st.failures++;
      st.lastError = { code, message: reason };
      st.lastErrorAt = now;
      this.deadLetters.add({ source: device.id, topic, code, reason, payload: payload.toString('utf8').slice(0, 4096) });
      return;
    }
    Object.assign(st, { state: 'running', lastOkAt: now, failures: 0 });
    this.onSeen?.(device.id);
    if (this.keep && reads.length) {
      const kept = this.keep(device.id, reads);
      // a refusal cuts the connection the frame came on (not a later one)
      if (packet) ackWhenKept(this.client, packet, kept, (e, stream) => { this.storeFailures++; stream?.destroy(e instanceof Error ? e : new Error(String(e))); });
      else kept.catch(() => {});
    }
    if (this.live) for (const r of reads) this.reads.next(r);
  }
}
