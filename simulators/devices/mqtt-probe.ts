import type { MqttClient } from 'mqtt';
import type { Clock } from '../clock.ts';
import type { Rng } from '../random.ts';
import type { ThermalZone } from '../thermal-model.ts';
import type { DeviceFault } from '../faults.ts';
import { GarbageSource } from '../garbage.ts';
import { connectDevice, disconnectDevice } from './mqtt-connection.ts';
import { DeviceFaults, type SimDevice, type SimDeviceStatus } from './device.ts';

// A cheap battery-powered wireless probe: wakes every publishMs, sends one JSON frame at QoS 0
// (fire and forget, like the real ones), sleeps. Payload:
//   {"ts": 1736143200000, "temperature": 4.12, "battery": 97}

export interface MqttProbeOptions {
  id: string;
  zoneId: string;
  zone: ThermalZone;
  topic: string;
  mqttUrl: string;
  publishMs: number;
  clock: Clock;
  rng: Rng;
  /** calibration error of this probe (°C): two probes in one room never agree exactly */
  offsetC?: number;
  batteryStart?: number;
  /** % per model day; very slow, as a coin cell lasts years */
  batteryDrainPerDay?: number;
}

export class MqttProbe implements SimDevice {
  readonly id: string;
  readonly zone: string;
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly faults = new DeviceFaults();
  private readonly garbage: GarbageSource;
  private last: SimDeviceStatus['last'] = null;
  private sent = 0;

  constructor(private readonly o: MqttProbeOptions) {
    this.id = o.id;
    this.zone = o.zoneId;
    this.garbage = new GarbageSource(o.rng);
  }

  async start(): Promise<void> {
    this.client = await connectDevice(this.o.mqttUrl, `sim-${this.id}`);
    this.publish();
    this.timer = setInterval(() => this.publish(), this.o.publishMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (this.client) await disconnectDevice(this.client);
    this.client = undefined;
  }

  setFault(fault: DeviceFault, active: boolean): void {
    this.faults.set(fault, active);
  }

  private battery(): number {
    const drained = ((this.o.batteryDrainPerDay ?? 0.2) * this.o.zone.elapsedModelSec()) / 86_400;
    return Math.max(0, Math.round((this.o.batteryStart ?? 97) - drained));
  }

  private publish(): void {
    if (!this.client || this.faults.has('dropout')) return; // a dead probe is simply silent
    const frame = {
      ts: this.o.clock.now(),
      temperature: Math.round(this.o.zone.measure(this.o.offsetC ?? 0) * 100) / 100,
      battery: this.battery(),
    };
    const good = JSON.stringify(frame);
    const payload = this.faults.has('garbage') ? this.garbage.next(good) : Buffer.from(good);
    this.client.publish(this.o.topic, payload, { qos: 0 });
    this.last = frame;
    this.sent++;
  }

  status(): SimDeviceStatus {
    return { id: this.id, zone: this.zone, kind: 'mqtt-probe', endpoint: `mqtt ${this.o.topic}`, faults: this.faults.list(), last: this.last, sent: this.sent };
  }
}
