import type { Queryable } from '../../db/engine.ts';

// A zone's temperature as each of its sensors saw it (air, or the simulated product). A reading
// holds from its timestamp until the next reading of the same sensor, but never longer than
// `maxGapMs`: past that the sensor was silent and the time counts as "no data" rather than being
// filled with a stale value.

export interface SensorSeries {
  sensor: string;
  zone: string;
  /** epoch ms, ascending */
  t: Float64Array;
  /** °C */
  v: Float64Array;
}

/** default hold of one reading: sensors report every 10–60 s; 15 min of silence is a gap */
export const DEFAULT_MAX_GAP_MS = 15 * 60_000;

/**
 * The sensors whose readings are an IoT zone's temperature: its air probes, or, when the gateway
 * simulates the product there (kind product_temperature, the edge's thermal-mass filter), those
 * instead: the zone's alarm rules judge the product then, and so does the exposure record.
 */
export async function zoneSensors(q: Queryable, zone: string): Promise<string[]> {
  const rows = await q.query<{ id: string; kind: string }>(
    "SELECT id, kind FROM sensors WHERE zone = $1 AND kind IN ('temperature', 'product_temperature') ORDER BY id", [zone]);
  const product = rows.filter((r) => r.kind === 'product_temperature');
  return (product.length ? product : rows).map((r) => r.id);
}

/** readings of one sensor in the zone over [from, to), bad-quality readings left out */
export async function loadSensorSeries(q: Queryable, sensor: string, zone: string, from: number, to: number): Promise<SensorSeries> {
  const rows = await q.query<{ t: number; v: number }>(
    `SELECT (extract(epoch FROM ts) * 1000)::float8 AS t, value AS v FROM readings
     WHERE sensor = $1 AND zone = $2 AND kind IN ('temperature', 'product_temperature') AND quality <> 'bad' AND ts >= $3 AND ts < $4
     ORDER BY ts`, [sensor, zone, new Date(from), new Date(to)]);
  const t = new Float64Array(rows.length);
  const v = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) { t[i] = Number(rows[i]!.t); v[i] = Number(rows[i]!.v); }
  return { sensor, zone, t, v };
}

/** index of the last reading at or before `at` (−1 when none) */
function lastAtOrBefore(t: Float64Array, at: number): number {
  let lo = 0, hi = t.length - 1, ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (t[mid]! <= at) { ans = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return ans;
}

/**
 * Calls `fn(from, to, value, i)` for each piece of [a, b) covered by a reading (in time
 * order); pieces not covered (before the first reading, or silence beyond maxGap) are skipped.
 */
export function forEachSegment(s: SensorSeries, a: number, b: number, maxGapMs: number,
  fn: (from: number, to: number, value: number, index: number) => void): void {
  const { t, v } = s;
  let i = Math.max(lastAtOrBefore(t, a), 0);
  for (; i < t.length && t[i]! < b; i++) {
    const start = Math.max(t[i]!, a);
    const next = i + 1 < t.length ? t[i + 1]! : Infinity;
    const end = Math.min(next, t[i]! + maxGapMs, b);
    if (end > start) fn(start, end, v[i]!, i);
  }
}
