import type { UplinkBatch } from '../../protocols/uplink/contract.ts';
import type { IngestSummary } from './bus.ts';

/**
 * What a committed batch changed, for the live-update event. Readings carry no zone (the
 * sensor row knows it), so zones come from what names one: alerts, movements, the manifest.
 */
export function batchSummary(b: UplinkBatch): IngestSummary {
  const zones = new Set<string>();
  for (const a of b.alerts) zones.add(a.zone);
  for (const m of b.movements) zones.add(m.location.zone);
  const manifestZones = (b.manifest?.zones ?? []).map((z) => z.id);
  for (const z of manifestZones) zones.add(z);
  return {
    gateway: b.gateway, zones: [...zones], manifestZones,
    readings: b.readings.length, alerts: b.alerts.length, devices: b.devices.length, movements: b.movements.length,
  };
}
