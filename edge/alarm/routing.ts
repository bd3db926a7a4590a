import type { ReadingKind } from '../../protocols/reading.ts';
import type { EdgeConfig } from '../config.schema.ts';
import { productSources, productSensorId } from './product-temperature.ts';

// Which zone a sensor belongs to and what it measures, from the gateway config. Both the live
// alarm pipeline and `stockpulse replay` route readings with this one map. The simulated
// product temperature of a probe (edge/alarm/product-temperature.ts) is a sensor of its own.

export interface SensorRoute {
  zone: string;
  kind: ReadingKind;
}

export function sensorRoutes(config: Pick<EdgeConfig, 'devices'> & Partial<Pick<EdgeConfig, 'zones'>>): Map<string, SensorRoute> {
  const routes = new Map<string, SensorRoute>();
  for (const d of config.devices) {
    for (const p of d.points) routes.set(p.sensor, { zone: p.zone, kind: p.kind });
  }
  if (config.zones) {
    for (const [air, src] of productSources({ zones: config.zones, devices: config.devices })) {
      routes.set(productSensorId(air), { zone: src.zone, kind: 'product_temperature' });
    }
  }
  return routes;
}
