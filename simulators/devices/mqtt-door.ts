import { MqttJsonDevice, type MqttJsonDeviceOptions } from './mqtt-json-device.ts';

// A reed-switch door contact: reports at once when the door opens or closes, and repeats its
// state every heartbeat so the gateway can tell "closed and quiet" from "dead". Payload:
//   {"ts": 1736143200000, "door": "open"}

export interface MqttDoorOptions extends MqttJsonDeviceOptions {
  heartbeatMs: number;
}

export class MqttDoor extends MqttJsonDevice<MqttDoorOptions> {
  protected readonly kind = 'mqtt-door' as const;

  protected frame() {
    return { ts: this.o.clock.now(), door: this.o.zone.state().doorOpen ? 'open' : 'closed' };
  }

  protected periodMs(): number {
    return this.o.heartbeatMs;
  }

  protected override watch(publish: () => void) {
    return this.o.zone.onDoorChange(publish);
  }
}
