import type { MqttClient } from 'mqtt';
import type { Clock } from '../clock.ts';
import type { Rng } from '../random.ts';
import type { ThermalZone } from '../thermal-model.ts';
import type { DeviceFault } from '../faults.ts';
import { GarbageSource } from '../garbage.ts';
import { connectDevice, disconnectDevice } from './mqtt-connection.ts';
import { DeviceFaults, type SimDevice, type SimDeviceStatus } from './device.ts';

// A reed-switch door contact: reports at once when the door opens or closes, and repeats its
// state every heartbeat so the gateway can tell "closed and quiet" from "dead". Payload:
//   {"ts": 1736143200000, "door": "open"}

export interface MqttDoorOptions {
  id: string;
  zoneId: string;
  zone: ThermalZone;
  topic: string;
  mqttUrl: string;
  heartbeatMs: number;
  clock: Clock;
  rng: Rng;
}

export class MqttDoor implements SimDevice {
  readonly id: string;
  readonly zone: string;
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly faults = new DeviceFaults();
  private readonly garbage: GarbageSource;
  private last: SimDeviceStatus['last'] = null;
  private sent = 0;

  constructor(private readonly o: MqttDoorOptions) {
    this.id = o.id;
    this.zone = o.zoneId;
    this.garbage = new GarbageSource(o.rng);
  }

  async start(): Promise<void> {
    this.client = await connectDevice(this.o.mqttUrl, `sim-${this.id}`);
    this.unsubscribe = this.o.zone.onDoorChange(() => this.publish());
    this.publish();
    this.timer = setInterval(() => this.publish(), this.o.heartbeatMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.unsubscribe?.();
    if (this.client) await disconnectDevice(this.client);
    this.client = undefined;
  }

  setFault(fault: DeviceFault, active: boolean): void {
    this.faults.set(fault, active);
  }

  private publish(): void {
    if (!this.client || this.faults.has('dropout')) return;
    const frame = { ts: this.o.clock.now(), door: this.o.zone.state().doorOpen ? 'open' : 'closed' };
    const good = JSON.stringify(frame);
    const payload = this.faults.has('garbage') ? this.garbage.next(good) : Buffer.from(good);
    this.client.publish(this.o.topic, payload, { qos: 0 });
    this.last = frame;
    this.sent++;
  }

  status(): SimDeviceStatus {
    return { id: this.id, zone: this.zone, kind: 'mqtt-door', endpoint: `mqtt ${this.o.topic}`, faults: this.faults.list(), last: this.last, sent: this.sent };
  }
}
