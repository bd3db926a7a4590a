// The simulators' public surface: what the CLI, the demo and tests import. (The scenario's
// gateway config is built in bin/scenario-edge-config.ts, which may import edge/.)
export { startScenario, ScenarioOptions, type ScenarioHandle, type ScenarioStatus, type ScenarioOptionsInput, type FaultEvent, type ActiveFault, type ZoneStatus } from './scenario-runner.ts';
export { getScenario, listScenarios, scenarioNames } from './scenarios/index.ts';
export { startControlServer, type ControlServer } from './control-server.ts';
export { FAULTS, ZONE_FAULTS, DEVICE_FAULTS, FaultName, FaultChange, parseFaultSpec } from './faults.ts';
export { ManualClock, systemClock, type Clock } from './clock.ts';
export { ThermalZone, type ThermalZoneOptions, type ThermalState } from './thermal-model.ts';
export { MODBUS_TEMPERATURE_POINTS } from './devices/modbus-temperature.ts';
export type { ScenarioDefinition, ZoneSpec, DeviceSpec, ScenarioAlarmRules, ScenarioDefrostRules } from './scenario-types.ts';
