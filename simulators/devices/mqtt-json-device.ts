import type { MqttClient } from 'mqtt';
import type { Clock } from '../clock.ts';
import type { Rng } from '../random.ts';
import type { ThermalZone } from '../thermal-model.ts';
import type { DeviceFault } from '../faults.ts';
import { GarbageSource } from '../garbage.ts';
import { connectDevice, disconnectDevice } from './mqtt-connection.ts';
import { DeviceFaults, type SimDevice, type SimDeviceStatus } from './device.ts';

// What every simulated MQTT JSON device shares: its connection, a periodic frame, the dropout
// fault (silence) and the garbage fault (malformed frames interleaved with good ones).
// Subclasses say only what goes into a frame and when, besides the period, to send one.

export interface MqttJsonDeviceOptions {
  id: string;
  zoneId: string;
  zone: ThermalZone;
  topic: string;
  mqttUrl: string;
  clock: Clock;
  rng: Rng;
}

export abstract class MqttJsonDevice<O extends MqttJsonDeviceOptions> implements SimDevice {
  readonly id: string;
  readonly zone: string;
  protected abstract readonly kind: SimDeviceStatus['kind'];
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly faults = new DeviceFaults();
  private readonly garbage: GarbageSource;
  private last: SimDeviceStatus['last'] = null;
  private sent = 0;

  constructor(protected readonly o: O) {
    this.id = o.id;
    this.zone = o.zoneId;
    this.garbage = new GarbageSource(o.rng);
  }

  /** the good frame to send now */
  protected abstract frame(): Record<string, unknown> & { ts: number };
  /** period between frames (ms) */
  protected abstract periodMs(): number;
  /** extra reasons to send at once (e.g. a door changing state); returns an unsubscribe */
  protected watch(_publish: () => void): (() => void) | undefined {
    return undefined;
  }
  private unwatch: (() => void) | undefined;

  async start(): Promise<void> {
    this.client = await connectDevice(this.o.mqttUrl, `sim-${this.id}`);
    this.unwatch = this.watch(() => this.publish());
    this.publish();
    this.timer = setInterval(() => this.publish(), this.periodMs());
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.unwatch?.();
    if (this.client) await disconnectDevice(this.client);
    this.client = undefined;
  }

  setFault(fault: DeviceFault, active: boolean): void {
    this.faults.set(fault, active);
  }

  private publish(): void {
    if (!this.client || this.faults.has('dropout')) return; // a dead device is simply silent
    const frame = this.frame();
    const good = JSON.stringify(frame);
    const payload = this.faults.has('garbage') ? this.garbage.next(good) : Buffer.from(good);
    this.client.publish(this.o.topic, payload, { qos: 0 });
    this.last = frame as SimDeviceStatus['last'];
    this.sent++;
  }

  status(): SimDeviceStatus {
    return { id: this.id, zone: this.zone, kind: this.kind, endpoint: `mqtt ${this.o.topic}`, faults: this.faults.list(), last: this.last, sent: this.sent };
  }
}
