// What the outbox does when it reaches its byte cap: raw readings, oldest first, are folded per
// sensor and minute into three readings that still fit the Reading schema (and so travel the
// same uplink to the same readings table):
//
//   ts = start of the minute, quality = 'uncertain', values = min, max, avg   (in that order)
//
// 'uncertain' says "not a measurement as taken". Readings already 'bad' are left out of the
// statistics (a known-wrong value would skew min/max); a minute holding only bad readings keeps
// one of them, quality 'bad'. Only groups of 4+ readings shrink, so smaller ones are left alone.
// Readings arriving late for a minute already summarised get a summary of their own (a minute
// may then hold two); the newest minute of each sensor is left raw while it may still be filling.
// Alerts, device events and manifests never come here: only type 'reading' is thinned.

export const THIN_MINUTE_MS = 60_000;

export interface RawReadingRow {
  id: number;
  sensor: string;
  kind: string;
  ts: number;
  value: number;
  quality: string;
}

export interface ThinPlan {
  /** rows rewritten in place (keeping their id keeps their place in the send order) */
  rewrite: { id: number; ts: number; value: number; quality: string }[];
  remove: number[];
  /** raw readings that went into summaries */
  folded: number;
}

/**
 * Plans the thinning of `rows` (ascending id). Pure: the outbox applies the plan in one
 * transaction. `keepNewestMinute`: for the newest rows of the outbox, each sensor's latest
 * minute may still be filling; folding it now would leave that minute as two summaries.
 */
export function planThinning(rows: readonly RawReadingRow[], o: { keepNewestMinute?: boolean } = {}): ThinPlan {
  const groups = new Map<string, RawReadingRow[]>();
  for (const r of rows) {
    const key = `${r.sensor}\u0000${r.kind}\u0000${Math.floor(r.ts / THIN_MINUTE_MS)}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(r);
  }
  const newest = new Map<string, number>();
  if (o.keepNewestMinute) {
    for (const r of rows) {
      const k = `${r.sensor}\u0000${r.kind}`;
      newest.set(k, Math.max(newest.get(k) ?? -Infinity, Math.floor(r.ts / THIN_MINUTE_MS)));
    }
  }
  const plan: ThinPlan = { rewrite: [], remove: [], folded: 0 };
  for (const g of groups.values()) {
    if (g.length < 4) continue;
    const first = g[0]!;
    if (newest.get(`${first.sensor}\u0000${first.kind}`) === Math.floor(first.ts / THIN_MINUTE_MS)) continue;
    const minute = Math.floor(g[0]!.ts / THIN_MINUTE_MS) * THIN_MINUTE_MS;
    const usable = g.filter((r) => r.quality !== 'bad');
    plan.folded += g.length;
    if (usable.length === 0) {
      plan.rewrite.push({ id: g[0]!.id, ts: minute, value: g[0]!.value, quality: 'bad' });
      for (const r of g.slice(1)) plan.remove.push(r.id);
      continue;
    }
    let min = Infinity, max = -Infinity, sum = 0;
    for (const r of usable) {
      if (r.value < min) min = r.value;
      if (r.value > max) max = r.value;
      sum += r.value;
    }
    const values = [min, max, sum / usable.length];
    g.slice(0, 3).forEach((r, i) => plan.rewrite.push({ id: r.id, ts: minute, value: values[i]!, quality: 'uncertain' }));
    for (const r of g.slice(3)) plan.remove.push(r.id);
  }
  return plan;
}
