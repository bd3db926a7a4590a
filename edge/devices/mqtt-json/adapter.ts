import type { MqttJsonDeviceConfig } from '../../config.schema.ts';
import type { ProtocolAdapter } from '../driver-context.ts';
import { MqttJsonDriver } from './driver.ts';

// MQTT JSON sensors on the site's device broker: each frame is acknowledged once its readings are kept.
export const mqttJsonAdapter: ProtocolAdapter<MqttJsonDeviceConfig> = {
  deviceBroker: true,
  create: (devices, ctx) => new MqttJsonDriver(ctx.deviceClient!, devices, (rs, id) => ctx.ingest(rs, id), ctx.deadLetters),
};
