import type { Queryable } from '../../db/engine.ts';
import { excusedWindows, loadDefrostPeriods, type DefrostPeriod } from './defrost.ts';
import { applyRules, evaluateSensor, type Finding, type SensorExposure } from './evaluate.ts';
import type { LotFacts } from './presence.ts';
import { resolveProfile, type StorageProfile } from './profiles.ts';
import { loadSensorSeries, zoneSensors, type SensorSeries } from './series.ts';

// Lots × their zones' readings. Readings are loaded once per zone and sensor for all lots that
// stayed there (the job evaluates many lots against one chiller), then each lot is walked over
// its own stays. With several probes in a zone each one is evaluated on its own: the lot may sit
// next to any of them, so a rule broken at one probe counts (the conservative reading).

export interface LotExposure {
  lot: LotFacts;
  profile: StorageProfile;
  /** per sensor of every zone the lot stayed in */
  sensors: SensorExposure[];
  findings: Finding[];
  /** defrost periods of its zones while it was there (each clipped to its stays) */
  defrosts: DefrostPeriod[];
}

/** stays of a lot in each IoT zone, clipped to end at `asOf` */
export function staysByZone(lot: LotFacts, asOf: number): Map<string, { location: string; stays: { from: number; to: number }[] }> {
  const out = new Map<string, { location: string; stays: { from: number; to: number }[] }>();
  for (const p of lot.presence) {
    if (!p.iotZone || p.from >= asOf) continue;
    const to = Math.min(p.to ?? asOf, asOf);
    if (to <= p.from) continue;
    const z = out.get(p.iotZone) ?? out.set(p.iotZone, { location: p.location, stays: [] }).get(p.iotZone)!;
    z.stays.push({ from: p.from, to });
  }
  for (const z of out.values()) z.stays = mergeStays(z.stays);
  return out;
}

/** two zone locations watched by one IoT zone may overlap: count that time once */
function mergeStays(s: { from: number; to: number }[]): { from: number; to: number }[] {
  const sorted = [...s].sort((a, b) => a.from - b.from);
  const out: { from: number; to: number }[] = [];
  for (const x of sorted) {
    const last = out[out.length - 1];
    if (last && x.from <= last.to) last.to = Math.max(last.to, x.to);
    else out.push({ ...x });
  }
  return out;
}

export async function computeExposures(q: Queryable, lots: LotFacts[], profiles: Map<string, StorageProfile>,
  o: { asOf: number; maxGapMs: number; onZone?: (done: number, total: number) => void }): Promise<{ exposures: LotExposure[]; readingsRead: number }> {
  const results = new Map<number, LotExposure>();
  const byZone = new Map<string, { lot: LotFacts; location: string; stays: { from: number; to: number }[] }[]>();
  for (const lot of lots) {
    const zones = staysByZone(lot, o.asOf);
    const firstLoc = lot.presence[0]?.location;
    const profile = resolveProfile(profiles, lot.profile, firstLoc ? lot.zoneRange.get(firstLoc) : undefined);
    results.set(lot.id, { lot, profile, sensors: [], findings: [], defrosts: [] });
    for (const [zone, z] of zones) (byZone.get(zone) ?? byZone.set(zone, []).get(zone)!).push({ lot, ...z });
  }
  let done = 0;
  let readingsRead = 0;
  for (const [zone, entries] of byZone) {
    const from = Math.min(...entries.map((e) => e.stays[0]!.from)) - o.maxGapMs;
    const to = Math.max(...entries.map((e) => e.stays[e.stays.length - 1]!.to));
    const periods = await loadDefrostPeriods(q, zone, from, to, o.asOf);
    for (const e of entries) {
      const r = results.get(e.lot.id)!;
      for (const p of periods) {
        for (const st of e.stays) {
          const a = Math.max(p.from, st.from), b = Math.min(p.to, st.to);
          if (b > a) r.defrosts.push({ ...p, from: a, to: b });
        }
      }
    }
    for (const sensor of await zoneSensors(q, zone)) {
      const series: SensorSeries = await loadSensorSeries(q, sensor, zone, from, to);
      readingsRead += series.t.length;
      for (const e of entries) {
        const r = results.get(e.lot.id)!;
        // a lot with no profile is measured against the range of the zone location it is in
        const profile = r.profile.rules ? r.profile : resolveProfile(profiles, e.lot.profile, e.lot.zoneRange.get(e.location));
        const exp = evaluateSensor(series, e.location, e.stays, profile, o.maxGapMs, o.asOf, excusedWindows(periods, profile));
        r.sensors.push(exp);
        r.findings.push(...applyRules(exp, profile));
      }
    }
    o.onZone?.(++done, byZone.size);
  }
  return { exposures: [...results.values()], readingsRead };
}
