import type { GatewayManifest } from '../protocols/uplink/contract.ts';
import { unitOfKind } from '../protocols/units.ts';
import type { EdgeConfig } from './config.schema.ts';
import { productSensorId, productSources } from './alarm/product-temperature.ts';

/** What this gateway watches, as the cloud needs to know it (sent up with the first batch). */
export function buildManifest(cfg: EdgeConfig): GatewayManifest {
  return {
    site: cfg.gateway.site,
    zones: cfg.zones.map((z) => ({ id: z.id, name: z.name, profile: z.profile, delaySec: z.alarm.delaySec, hysteresis: z.alarm.hysteresis })),
    sensors: [
      ...cfg.devices.flatMap((d) => d.points.map((p) => ({
        id: p.sensor, zone: p.zone, kind: p.kind, unit: unitOfKind(p.kind), protocol: d.protocol, ...(p.name ? { name: p.name } : {}),
      }))),
      // the simulated product temperatures the gateway derives (zones with `product`)
      ...[...productSources(cfg)].map(([air, src]) => ({
        id: productSensorId(air), zone: src.zone, kind: 'product_temperature', unit: unitOfKind('product_temperature'), protocol: 'simulated',
        name: `${air}: simulated product (τ ${src.tauMin} min)`,
      })),
    ],
    devices: cfg.devices.map((d) => ({
      id: d.id, protocol: d.protocol, heartbeatSec: d.heartbeatSec, sensors: d.points.map((p) => p.sensor), ...(d.name ? { name: d.name } : {}),
    })),
  };
}
