import type { DeviceFault } from '../faults.ts';

// The small lifecycle every simulated device shares (start / stop / status), like the edge's
// protocol adapters, so the scenario runner treats an MQTT probe and a Modbus controller alike.

export type SimDeviceKind = 'mqtt-probe' | 'mqtt-door' | 'modbus-temperature' | 'rfid-portal' | 'serial-scale' | 'modbus-scale' | 'opcua-fridge';

export interface SimDeviceStatus {
  id: string;
  zone: string;
  kind: SimDeviceKind;
  /** where to find it: `mqtt topic` or `modbus-tcp host:port unit N` */
  endpoint: string;
  faults: DeviceFault[];
  /** the last values it measured (what its last good frame carried or would have carried) */
  last: Record<string, number | string | boolean> | null;
  /** frames published / requests answered since start */
  sent: number;
}

export interface SimDevice {
  readonly id: string;
  readonly zone: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  setFault(fault: DeviceFault, active: boolean): void;
  status(): SimDeviceStatus;
}

/** Keeps the set of device faults; shared by all device kinds. */
export class DeviceFaults {
  private readonly active = new Set<DeviceFault>();
  set(fault: DeviceFault, on: boolean): void {
    if (on) this.active.add(fault);
    else this.active.delete(fault);
  }
  has(fault: DeviceFault): boolean {
    return this.active.has(fault);
  }
  list(): DeviceFault[] {
    return [...this.active].sort();
  }
}
