import type { ThermalZoneOptions } from './thermal-model.ts';
import type { TemperatureProfile } from '../protocols/uplink/contract.ts';
import type { AlarmRules } from '../edge/config.schema.ts';
import type { DefrostConfig } from '../edge/alarm/cold-chain.schema.ts';
import type { StockDevicesSpec } from './stock-types.ts';

// A scenario is plain data: rooms with their physics and the devices in them, plus what the
// edge gateway should watch. The runner and the edge-config builder are generic, so a new site
// is one new file in scenarios/ and one line in the registry.

export interface ZoneSpec {
  id: string;
  name: string;
  /** physics of the room; clock, randomness and time scale come from the runner */
  model: Omit<ThermalZoneOptions, 'clock' | 'rng' | 'timeScale'>;
  /** what the edge alarms on */
  profile: TemperatureProfile;
  alarm: AlarmRules;
  /**
   * the gateway's defrost rules for the model's defrost (model minutes): the schedule itself is
   * derived from model.defrost and the time scale (scenario-edge-config.ts)
   */
  defrost?: Pick<DefrostConfig, 'maxDurationMin' | 'recoveryMin'>;
}

interface DeviceSpecBase {
  id: string;
  /** zone id the device sits in */
  zone: string;
  name?: string;
}

export interface MqttProbeSpec extends DeviceSpecBase {
  kind: 'mqtt-probe';
  topic: string;
  offsetC?: number;
  batteryStart?: number;
  /** edge sensor ids for the two values in the frame */
  sensors: { temperature: string; battery: string };
}

export interface MqttDoorSpec extends DeviceSpecBase {
  kind: 'mqtt-door';
  topic: string;
  sensors: { door: string };
}

export interface ModbusTemperatureSpec extends DeviceSpecBase {
  kind: 'modbus-temperature';
  unitId: number;
  offsetC?: number;
  sensors: { temperature: string };
}

export type DeviceSpec = MqttProbeSpec | MqttDoorSpec | ModbusTemperatureSpec;

export interface ScenarioDefinition {
  name: string;
  summary: string;
  site: string;
  gatewayId: string;
  /** first Modbus device listens here, the next on +1, and so on */
  defaultModbusPort: number;
  zones: ZoneSpec[];
  devices: DeviceSpec[];
  /** stock-moving devices (dock portal, scales), run when asked for (`stock: true`) */
  stock?: StockDevicesSpec;
}
