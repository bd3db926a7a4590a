import { MqttJsonDevice, type MqttJsonDeviceOptions } from './mqtt-json-device.ts';

// A cheap battery-powered wireless probe: wakes every publishMs, sends one JSON frame at QoS 0
// (fire and forget, like the real ones), sleeps. Payload:
//   {"ts": 1736143200000, "temperature": 4.12, "battery": 97}

export interface MqttProbeOptions extends MqttJsonDeviceOptions {
  publishMs: number;
  /** calibration error of this probe (°C): two probes in one room never agree exactly */
  offsetC?: number;
  batteryStart?: number;
  /** % per model day; very slow, as a coin cell lasts years */
  batteryDrainPerDay?: number;
}

export class MqttProbe extends MqttJsonDevice<MqttProbeOptions> {
  protected readonly kind = 'mqtt-probe' as const;

  protected frame() {
    return {
      ts: this.o.clock.now(),
      temperature: Math.round(this.o.zone.measure(this.o.offsetC ?? 0) * 100) / 100,
      battery: this.battery(),
    };
  }

  protected periodMs(): number {
    return this.o.publishMs;
  }

  private battery(): number {
    const drained = ((this.o.batteryDrainPerDay ?? 0.2) * this.o.zone.elapsedModelSec()) / 86_400;
    return Math.max(0, Math.round((this.o.batteryStart ?? 97) - drained));
  }
}
