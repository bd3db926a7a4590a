// Cold-chain alarm rules: the pure zone state machine (levels, door, cumulative, defrost), its rxjs
// wrapper, sensor routing and the simulated product temperature.
export { ZoneAlarmMachine, defaultAlertId, type ActiveAlert, type AlertIdFactory, type AlertIdInfo, type ZoneAlarmOptions } from './zone-machine.ts';
export { OutOfBandWindow } from './out-of-band-window.ts';
export { alarmsByZone, gatewayAlarms, zoneAlarms, type AlarmStreamOptions } from './stream.ts';
export { sensorRoutes, type SensorRoute } from './routing.ts';
export { formatDuration, formatCelsius } from './messages.ts';
export { DefrostTracker, type DefrostHost } from './defrost.ts';
export { ProductTemperatures, ThermalMass, productSensorId } from './product-temperature.ts';
export { DefrostConfig, ProductConfig, WarningLevel } from './cold-chain.schema.ts';
