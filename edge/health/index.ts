// Device health on the gateway: last seen, battery, signal, online/offline/failed, device_offline alerts.
export { DeviceHealth, type DeviceHealthOptions, type DeviceHealthView, type DeviceState } from './device-health.ts';
