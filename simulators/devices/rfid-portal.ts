import type { MqttClient } from 'mqtt';
import type { Clock } from '../clock.ts';
import type { Rng } from '../random.ts';
import type { DeviceFault } from '../faults.ts';
import { connectDevice, disconnectDevice } from './mqtt-connection.ts';
import { DeviceFaults, type SimDevice, type SimDeviceStatus } from './device.ts';
import { crossingReads, lyingTagReads, neighbourReads, strayReads, type ModelRead } from './portal-model.ts';

// A dock-door RFID reader publishing its tag reports over MQTT, in the Impinj IoT Device
// Interface or the Zebra IoT Connector dialect (protocols/rfid/reader-events.ts documents both).
// Drive it with passPallet(), stray(), neighbour() and lyingTag(); reads go out in real time
// (scaled by `speed`), each message carrying the read's own timestamp.
// Faults: dropout (publishes nothing), garbage (publishes non-JSON).

export interface RfidPortalSimOptions {
  id: string;
  zoneId: string;
  mqttUrl: string;
  topic: string;
  flavour: 'impinj' | 'zebra';
  clock: Clock;
  rng: Rng;
  outsideAntenna?: number;
  insideAntenna?: number;
  /** >1 plays passes faster than real time (timestamps are compressed the same way) */
  speed?: number;
  /** MQTT QoS of the reports (Impinj's MQTT output lets you choose); default 0 */
  qos?: 0 | 1;
  /** reads per MQTT message (readers batch when busy); default 1 */
  batch?: number;
}

export class RfidPortalSim implements SimDevice {
  readonly id: string;
  readonly zone: string;
  private client: MqttClient | undefined;
  private readonly faults = new DeviceFaults();
  private sent = 0;
  private eventNum = 0;
  private last: SimDeviceStatus['last'] = null;
  private timers = new Set<NodeJS.Timeout>();

  constructor(private readonly o: RfidPortalSimOptions) {
    this.id = o.id;
    this.zone = o.zoneId;
  }

  async start(): Promise<void> {
    this.client = await connectDevice(this.o.mqttUrl, `sim-${this.id}`);
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const c = this.client;
    this.client = undefined;
    if (c) await disconnectDevice(c);
  }

  setFault(fault: DeviceFault, active: boolean): void {
    this.faults.set(fault, active);
  }

  status(): SimDeviceStatus {
    return { id: this.id, zone: this.zone, kind: 'rfid-portal', endpoint: `mqtt ${this.o.topic} (${this.o.flavour})`, faults: this.faults.list(), last: this.last, sent: this.sent };
  }

  private get outside(): number { return this.o.outsideAntenna ?? 1; }
  private get inside(): number { return this.o.insideAntenna ?? 2; }

  /** A pallet of tagged cases crossing the door. Resolves when its last read has been published. */
  passPallet(epcs: readonly string[], direction: 'in' | 'out', durationMs = 3000): Promise<void> {
    this.last = { pallet: epcs.length, direction };
    return this.play(crossingReads({ epcs, direction, durationMs, outsideAntenna: this.outside, insideAntenna: this.inside, rng: this.o.rng }));
  }

  stray(epc: string): Promise<void> {
    return this.play(strayReads(epc, this.inside, this.o.rng));
  }

  /** the neighbouring door's pallet, heard weakly on our outside antenna */
  neighbour(epcs: readonly string[], durationMs = 3000): Promise<void> {
    return this.play(neighbourReads(epcs, this.outside, durationMs, this.o.rng), 1); // background: real time
  }

  /** a tag dropped in the door, read on both antennas for durationMs */
  lyingTag(epc: string, durationMs: number): Promise<void> {
    return this.play(lyingTagReads(epc, [this.outside, this.inside], 0, durationMs, this.o.rng), 1); // background: real time
  }

  private play(reads: ModelRead[], speed = this.o.speed ?? 1): Promise<void> {
    const start = this.o.clock.now();
    const batch = Math.max(1, this.o.batch ?? 1);
    // group reads into ~25 ms slots so a 40-case pass is a few hundred publishes, not thousands of timers
    const slots = new Map<number, ModelRead[]>();
    for (const r of reads) {
      const slot = Math.floor(r.at / speed / 25) * 25;
      const list = slots.get(slot) ?? [];
      list.push(r);
      slots.set(slot, list);
    }
    const waits = [...slots].map(([slot, list]) => new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        for (let i = 0; i < list.length; i += batch) this.publish(list.slice(i, i + batch), start, speed);
        resolve();
      }, slot);
      this.timers.add(t);
    }));
    return Promise.all(waits).then(() => undefined);
  }

  private publish(reads: ModelRead[], start: number, speed: number): void {
    if (!this.client || this.faults.has('dropout')) return;
    const payload = this.faults.has('garbage') ? '\u0000<tagInventory epc=?' : JSON.stringify(this.encode(reads, start, speed));
    this.client.publish(this.o.topic, payload, { qos: this.o.qos ?? 0 });
    this.sent++;
  }

  private encode(reads: ModelRead[], start: number, speed: number): unknown {
    const iso = (r: ModelRead) => new Date(start + Math.round(r.at / speed)).toISOString();
    const one = (r: ModelRead) => this.o.flavour === 'impinj'
      ? { timestamp: iso(r), hostname: `impinj-${this.id}`, eventType: 'tagInventory', tagInventoryEvent: { epcHex: r.epc, antennaPort: r.antenna, peakRssiCdbm: Math.round(r.rssi * 100), lastSeenTime: iso(r) } }
      : { data: { antenna: r.antenna, eventNum: ++this.eventNum, format: 'epc', idHex: r.epc.toLowerCase(), peakRssi: Math.round(r.rssi), reads: 1 }, timestamp: iso(r).replace('Z', '+0000'), type: 'SIMPLE' };
    return reads.length === 1 ? one(reads[0]!) : reads.map(one);
  }
}
