import type { ThermalZoneOptions } from './thermal-model.ts';
import type { TemperatureProfile } from '../protocols/uplink/contract.ts';
import type { StockDevicesSpec } from './stock-types.ts';

// A scenario is plain data: rooms with their physics and the devices in them, plus what the
// edge gateway should watch. The runner and the edge-config builder (bin/scenario-edge-config.ts)
// are generic, so a new site is one new file in scenarios/ and one line in the registry.
// simulators/ never imports edge/: what the gateway should watch is said in the scenario's own
// plain types below, which the bridge checks against the edge config's (tsc, both ways).

/** The zone's alarm rules, as the edge config's `alarm` (edge/config.schema.ts AlarmRules). */
export interface ScenarioAlarmRules {
  /** an excursion beyond the profile must last this long before it raises an alert (seconds) */
  delaySec: number;
  /** once raised, the value must come back this far inside the band before the alert clears (°C) */
  hysteresis: number;
  /** excursions while the door is open are expected for this long (seconds) */
  doorGraceSec: number;
  /** total time out of band within a rolling window */
  cumulative?: { windowSec: number; limitSec: number };
  /** an earlier warning level inside the profile's band, with its own delay */
  warning?: { high?: number; low?: number; delaySec?: number };
}

/** The gateway's defrost rules for a zone whose model defrosts (model minutes). */
export interface ScenarioDefrostRules {
  /** a defrost still running after this long raises defrost_overrun (minutes) */
  maxDurationMin: number;
  /** after a defrost ends the zone has this long to come back below its high limit (minutes) */
  recoveryMin: number;
}

export interface ZoneSpec {
  id: string;
  name: string;
  /** physics of the room; clock, randomness and time scale come from the runner */
  model: Omit<ThermalZoneOptions, 'clock' | 'rng' | 'timeScale'>;
  /** what the edge alarms on */
  profile: TemperatureProfile;
  alarm: ScenarioAlarmRules;
  /**
   * the gateway's defrost rules for the model's defrost (model minutes): the schedule itself is
   * derived from model.defrost and the time scale (bin/scenario-edge-config.ts)
   */
  defrost?: ScenarioDefrostRules;
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
