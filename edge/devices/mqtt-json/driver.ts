import type { MqttClient } from 'mqtt';
import { decodeMqttJsonDetailed } from '../../../protocols/mqtt-json/decode.ts';
import type { DeviceDriver, DriverStatus } from '../../../protocols/driver.ts';
import { isSpError } from '../../../protocols/errors.ts';
import { cleanText } from '../../../protocols/text.ts';
import { MAX_DEVICE_FRAME_BYTES, frameTooLarge } from '../../../protocols/mqtt-json/limits.ts';
import type { Reading } from '../../../protocols/reading.ts';
import type { MqttJsonDeviceConfig } from '../../config.schema.ts';
import type { DeadLetterStore } from '../../dead-letters.ts';
import { ackWhenKept } from '../deferred-ack.ts';

// MQTT JSON sensors: one subscription per device topic on the device broker (QoS 1 on a
// persistent session, so the broker keeps a QoS 1 device's frames while the gateway is down).
// The PUBACK goes out once onReadings' promise says the frame is on disk (the outbox's group
// commit), without holding the frames behind it (pipelined: edge/devices/deferred-ack.ts), so a
// device's frame is acknowledged only once it is kept. A frame that
// cannot be decoded is dead-lettered and counted against its device; the device keeps its
// subscription and the other devices are untouched. mqtt.js restores subscriptions after a
// reconnect by itself (resubscribe: true).

export class MqttJsonDriver implements DeviceDriver {
  readonly id = 'mqtt-json';
  private readonly byTopic = new Map<string, MqttJsonDeviceConfig>();
  private readonly statuses = new Map<string, DriverStatus>();
  private listener: ((topic: string, payload: Buffer, packet?: object) => void) | undefined;
  private state: DriverStatus['state'] = 'stopped';

  constructor(
    private readonly client: MqttClient,
    devices: readonly MqttJsonDeviceConfig[],
    /** called once per frame; the frame is acknowledged when the returned promise resolves (kept on disk) */
    private readonly onReadings: (rs: Reading[], deviceId: string) => Promise<void> | void,
    private readonly deadLetters: DeadLetterStore,
  ) {
    for (const d of devices) {
      this.byTopic.set(d.topic, d);
      this.statuses.set(d.id, { state: 'starting', failures: 0, reconnects: 0 });
    }
    // Listen from the moment the driver exists: on a persistent session the broker delivers the
    // frames it queued while we were away right after CONNACK, before any later hook-up would
    // run, and mqtt.js acknowledges a frame nobody listened to (it would be lost).
    this.listener = (topic, payload, packet?: object) => {
      const kept = this.handle(topic, payload);
      // PUBACK waits for the commit (deferred-ack.ts); a refusal cuts the connection the frame came on
      if (kept && packet) ackWhenKept(this.client, packet, kept, this.refuseKept);
    };
    this.client.on('message', this.listener);
    this.client.on('connect', this.subscribe);
  }

  async start(): Promise<void> {
    this.state = 'starting';
    if (this.client.connected) await this.subscribe();
    this.state = 'running';
  }

  /** on every connect: a gateway may start before its device broker is up */
  private readonly subscribe = async (): Promise<void> => {
    if (!this.byTopic.size) return;
    await this.client.subscribeAsync([...this.byTopic.keys()], { qos: 1 }).catch(() => {});
  };

  async stop(): Promise<void> {
    this.client.off('connect', this.subscribe);
    if (this.listener) this.client.off('message', this.listener);
    if (this.byTopic.size && this.client.connected) await this.client.unsubscribeAsync([...this.byTopic.keys()]).catch(() => {});
    this.state = 'stopped';
  }

  status(): DriverStatus {
    const all = [...this.statuses.values()];
    return {
      state: this.state,
      failures: all.reduce((n, s) => n + s.failures, 0),
      reconnects: 0,
      ...(all.some((s) => s.lastOkAt) ? { lastOkAt: Math.max(...all.map((s) => s.lastOkAt ?? 0)) } : {}),
    };
  }

  /** the live status object of one device (no copy: read on every reading by device health) */
  deviceStatus(id: string): DriverStatus | undefined {
    return this.statuses.get(id);
  }

  deviceStatuses(): Record<string, DriverStatus> {
    return Object.fromEntries([...this.statuses].map(([id, s]) => [id, { ...s }]));
  }

  private handle(topic: string, payload: Buffer): Promise<void> | undefined {
    const device = this.byTopic.get(topic);
    if (!device) return undefined;
    const st = this.statuses.get(device.id)!;
    const now = Date.now();
    try {
      // over the frame cap: refused before decoding, kept as a dead letter with its head only
      const tooLarge = frameTooLarge(payload);
      if (tooLarge) throw tooLarge;
      const { readings, problems } = decodeMqttJsonDetailed(payload, device.points, now);
      if (readings.length === 0 && problems.length > 0) {
        throw Object.assign(new Error(problems.map((p) => `${p.field}: ${p.reason}`).join('; ')), { code: 'SP_ERR_DECODE' });
      }
      const bad = problems.length ? problems.filter((p) => !p.missing) : problems;
      if (bad.length) {
        this.deadLetters.add({ source: device.id, topic, code: 'SP_ERR_DECODE', reason: cleanText(bad.map((p) => `${p.field}: ${p.reason}`).join('; ')), payload: payload.toString('utf8') });
      }
      st.state = 'running';
      st.lastOkAt = now;
      st.failures = 0;
      try {
        return this.onReadings(readings, device.id) ?? undefined;
      } catch (storeError) {
        this.refuseFrame(storeError);
        return undefined;
      }
    } catch (e) {
      const code = isSpError(e) ? e.code : ((e as { code?: string }).code ?? 'SP_ERR_DECODE');
      // the reason quotes the device's bytes (JSON.parse echoes them): storable text only
      const reason = cleanText(isSpError(e) ? e.details.map((d) => `${d.field}: ${d.reason}`).join('; ') : (e as Error).message);
      st.failures++;
      st.lastError = { code, message: reason };
      st.lastErrorAt = now;
      this.deadLetters.add({ source: device.id, topic, code, reason, payload: payload.subarray(0, MAX_DEVICE_FRAME_BYTES).toString('utf8') });
    }
    return undefined;
  }

  /**
   * The frame could not be stored (disk full, database locked): it must not be acknowledged.
   * Its PUBACK is never sent: the connection is cut now (mqtt.js starts a fresh packet pump on
   * reconnect); the broker
   * keeps the frame for our persistent session and delivers it again after the reconnect.
   */
  private readonly refuseKept = (e: unknown, stream: MqttClient['stream']): void => this.refuseFrame(e, stream);

  private refuseFrame(e: unknown, stream = this.client.stream): void {
    this.storeFailures++;
    stream?.destroy(e instanceof Error ? e : new Error(String(e)));
  }

  /** frames refused because they could not be stored (each one is redelivered by the broker) */
  storeFailures = 0;
}
