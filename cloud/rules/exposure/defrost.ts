import type { Queryable } from '../../db/engine.ts';
import type { StorageProfile } from './profiles.ts';

// A zone's defrost periods, as the edge reported them: one `info` alert of rule `defrost` per
// period, raised when the defrost began and cleared when its recovery time ended (the edge holds
// high alarms for exactly that span). A period still active runs to the evaluation's clock.
//
// What a profile excuses of a period is its first defrost_minutes (storage_profiles, migration
// 0016), and only while the air stays at or below defrost_max_temp: a defrost is no reason to
// forgive a freezer at +5 °C, nor one that never ends.

export interface DefrostPeriod {
  zone: string;
  from: number;
  to: number;
  /** still active at the evaluation's clock */
  ongoing: boolean;
}

/** defrost periods of `zone` overlapping [from, to), clipped to `asOf` */
export async function loadDefrostPeriods(q: Queryable, zone: string, from: number, to: number, asOf: number): Promise<DefrostPeriod[]> {
  const rows = await q.query<{ since: Date | string; cleared_at: Date | string | null }>(
    `SELECT since, cleared_at FROM alerts
     WHERE zone = $1 AND rule = 'defrost' AND since < $3 AND (cleared_at IS NULL OR cleared_at > $2)
     ORDER BY since`, [zone, new Date(from), new Date(to)]);
  const out: DefrostPeriod[] = [];
  for (const r of rows) {
    const start = new Date(r.since).getTime();
    const end = r.cleared_at === null ? asOf : Math.min(new Date(r.cleared_at).getTime(), asOf);
    if (end > start) out.push({ zone, from: start, to: end, ongoing: r.cleared_at === null || new Date(r.cleared_at).getTime() > asOf });
  }
  return out;
}

/** the part of each period the profile excuses (time only; the ceiling is checked per reading) */
export function excusedWindows(periods: readonly DefrostPeriod[], p: Pick<StorageProfile, 'defrostMinutes'>): { from: number; to: number }[] {
  if (p.defrostMinutes === null) return [];
  const limit = p.defrostMinutes * 60_000;
  return periods.map((d) => ({ from: d.from, to: Math.min(d.to, d.from + limit) })).filter((w) => w.to > w.from);
}

/**
 * Splits [from, to) at the windows' edges: fn(a, b, inside) for each piece in time order.
 * `windows` sorted by from and not overlapping (the edge reports one period at a time).
 */
export function splitByWindows(from: number, to: number, windows: readonly { from: number; to: number }[],
  fn: (a: number, b: number, inside: boolean) => void): void {
  let cur = from;
  for (const w of windows) {
    if (w.to <= cur) continue;
    if (w.from >= to) break;
    if (w.from > cur) { fn(cur, w.from, false); cur = w.from; }
    const end = Math.min(w.to, to);
    fn(cur, end, true);
    cur = end;
    if (cur >= to) return;
  }
  if (cur < to) fn(cur, to, false);
}
