import type { ReadingKind } from '../../protocols/reading.ts';
import type { EdgeConfig } from '../config.schema.ts';

// Which zone a sensor belongs to and what it measures, from the gateway config. Both the live
// alarm pipeline and `stockpulse replay` route readings with this one map.

export interface SensorRoute {
  zone: string;
  kind: ReadingKind;
}

export function sensorRoutes(config: Pick<EdgeConfig, 'devices'>): Map<string, SensorRoute> {
  const routes = new Map<string, SensorRoute>();
  for (const d of config.devices) {
    for (const p of d.points) routes.set(p.sensor, { zone: p.zone, kind: p.kind });
  }
  return routes;
}
