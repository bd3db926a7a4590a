// Cold-chain alarm rules: the pure zone state machine, its rxjs wrapper and sensor routing.
export { ZoneAlarmMachine, defaultAlertId, type ActiveAlert, type AlertIdFactory, type AlertIdInfo, type ZoneAlarmOptions } from './zone-machine.ts';
export { OutOfBandWindow } from './out-of-band-window.ts';
export { alarmsByZone, gatewayAlarms, zoneAlarms, type AlarmStreamOptions } from './stream.ts';
export { sensorRoutes, type SensorRoute } from './routing.ts';
export { formatDuration, formatCelsius } from './messages.ts';
