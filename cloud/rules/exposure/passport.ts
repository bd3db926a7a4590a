import type { Db } from '../../db/engine.ts';
import { getLot, lotHistory } from '../../inventory/lots.ts';
import type { Excursion, SensorExposure } from './evaluate.ts';
import { computeExposures, staysByZone } from './exposure.ts';
import { loadLotFacts } from './presence.ts';
import { loadProfiles } from './profiles.ts';
import { DEFAULT_MAX_GAP_MS, forEachSegment, loadSensorSeries, zoneSensors } from './series.ts';

// A lot's temperature passport: where it was (from the ledger), what its zones' sensors read
// while it was there (downsampled to at most `maxPoints` buckets per sensor: min / avg / max,
// so a short excursion is never averaged away), and the summary the quarantine rules judge.

export interface PassportOptions { now: number; maxPoints?: number; maxGapMs?: number }

interface Evidence {
  id: number; rule: string; profile: string; zone: string; location: string | null; sensor: string; start: number; end: number;
  ongoing: boolean; minutes: number; maxTemp: number | null; minTemp: number | null; threshold: number | null; limit: number | null;
  detectedAt: number; quarantined: boolean;
}

/** the worst sensor: most time out of range, then the highest maximum */
function worst(sensors: SensorExposure[]): SensorExposure | undefined {
  return [...sensors].sort((a, b) => (b.aboveMinutes + b.belowMinutes) - (a.aboveMinutes + a.belowMinutes) || (b.max ?? -Infinity) - (a.max ?? -Infinity))[0];
}

export async function lotPassport(db: Db, lotId: number, o: PassportOptions) {
  const lot = await getLot(db, lotId);
  const maxGapMs = o.maxGapMs ?? DEFAULT_MAX_GAP_MS;
  const maxPoints = o.maxPoints ?? 1000;
  const [facts] = await loadLotFacts(db, [lotId]);
  const profiles = await loadProfiles(db);
  const { exposures: [exp] } = await computeExposures(db, [facts!], profiles, { asOf: o.now, maxGapMs });
  const w = worst(exp!.sensors);
  const all = exp!.sensors;
  const nums = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null);
  const excursions: (Excursion & { sensor: string; zone: string })[] = all.flatMap((s) => s.excursions.map((x) => ({ ...x, sensor: s.sensor, zone: s.zone })))
    .sort((a, b) => a.from - b.from);

  const evidence = (await db.query<Record<string, unknown>>(
    'SELECT * FROM lot_exposure_evidence WHERE lot_id = $1 ORDER BY started_at, id', [lotId])).map((r): Evidence => ({
    id: Number(r.id), rule: String(r.rule), profile: String(r.profile), zone: String(r.zone), location: r.location as string | null,
    sensor: String(r.sensor), start: new Date(r.started_at as Date).getTime(), end: new Date(r.ended_at as Date).getTime(),
    ongoing: Boolean(r.ongoing), minutes: Number(r.minutes), maxTemp: r.max_temp as number | null, minTemp: r.min_temp as number | null,
    threshold: r.threshold as number | null, limit: r.limit_value as number | null, detectedAt: new Date(r.detected_at as Date).getTime(),
    quarantined: Boolean(r.quarantined),
  }));

  return {
    lot: { id: lot.id, item: lot.item, code: lot.code, status: lot.status, effectiveStatus: lot.effectiveStatus, expiresOn: lot.expiresOn },
    profile: exp!.profile,
    asOf: o.now,
    presence: facts!.presence.map((p) => ({ location: p.location, zone: p.iotZone, from: p.from, to: p.to })),
    summary: {
      worstSensor: w?.sensor ?? null,
      presenceMinutes: w?.presenceMinutes ?? 0,
      inRangeMinutes: w?.inRangeMinutes ?? 0,
      aboveMinutes: w?.aboveMinutes ?? 0,
      belowMinutes: w?.belowMinutes ?? 0,
      noDataMinutes: w?.noDataMinutes ?? 0,
      // excused defrost time at the worst probe (inside the profile's allowance: not an excursion)
      defrostMinutes: w?.defrostMinutes ?? 0,
      max: nums(all.map((s) => s.max)).length ? Math.max(...nums(all.map((s) => s.max))) : null,
      min: nums(all.map((s) => s.min)).length ? Math.min(...nums(all.map((s) => s.min))) : null,
      // the highest MKT of any sensor: the lot may have sat next to the warmest probe
      mkt: nums(all.map((s) => s.mkt)).length ? Math.max(...nums(all.map((s) => s.mkt))) : null,
      deltaHkJ: exp!.profile.deltaHkJ,
      excursions,
      findings: exp!.findings,
      // the zones' defrost periods while the lot was there, as the edge reported them (defrost + recovery)
      defrosts: exp!.defrosts.map((d) => ({ zone: d.zone, from: d.from, to: d.to, minutes: Math.round(((d.to - d.from) / 60_000) * 100) / 100, ongoing: d.ongoing })),
      defrostAllowance: { minutes: exp!.profile.defrostMinutes, maxTemp: exp!.profile.defrostMaxTemp },
    },
    sensors: all,
    quarantine: { status: lot.status, evidence, history: await lotHistory(db, lotId) },
    series: await passportSeries(db, facts!, o.now, maxPoints, maxGapMs),
  };
}

/** per sensor min / avg (time-weighted) / max in equal buckets over the lot's whole stay */
async function passportSeries(db: Db, facts: Awaited<ReturnType<typeof loadLotFacts>>[number], now: number, maxPoints: number, maxGapMs: number) {
  const zones = staysByZone(facts, now);
  const starts = [...zones.values()].map((z) => z.stays[0]!.from);
  const ends = [...zones.values()].map((z) => z.stays[z.stays.length - 1]!.to);
  if (!starts.length) return { from: null, to: null, bucketMs: 0, t: [] as number[], sensors: [] };
  const from = Math.min(...starts), to = Math.max(...ends);
  const bucketMs = Math.max(1000, Math.ceil((to - from) / maxPoints / 1000) * 1000);
  const n = Math.min(maxPoints, Math.ceil((to - from) / bucketMs));
  const t = Array.from({ length: n }, (_, i) => from + i * bucketMs);
  const sensors = [];
  for (const [zone, z] of zones) {
    for (const sensor of await zoneSensors(db, zone)) {
      const s = await loadSensorSeries(db, sensor, zone, z.stays[0]!.from - maxGapMs, z.stays[z.stays.length - 1]!.to);
      const min: (number | null)[] = new Array(n).fill(null), max: (number | null)[] = new Array(n).fill(null);
      const wsum = new Float64Array(n), w = new Float64Array(n);
      for (const stay of z.stays) {
        forEachSegment(s, stay.from, stay.to, maxGapMs, (a, b, v) => {
          // a held reading spans every bucket it overlaps
          for (let k = Math.floor((a - from) / bucketMs); k < n && from + k * bucketMs < b; k++) {
            const lo = Math.max(a, from + k * bucketMs), hi = Math.min(b, from + (k + 1) * bucketMs);
            if (hi <= lo) continue;
            min[k] = min[k] === null ? v : Math.min(min[k]!, v);
            max[k] = max[k] === null ? v : Math.max(max[k]!, v);
            wsum[k] = wsum[k]! + v * (hi - lo);
            w[k] = w[k]! + (hi - lo);
          }
        });
      }
      const avg = Array.from(w, (x, k) => (x > 0 ? Math.round((wsum[k]! / x) * 1000) / 1000 : null));
      sensors.push({ sensor, zone, location: z.location, avg, min, max });
    }
  }
  return { from, to, bucketMs, t, sensors };
}
