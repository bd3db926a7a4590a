import type { Queryable } from '../db/engine.ts';
import { num } from '../inventory/model.ts';
import { DAY_MS } from './days.ts';

// Demand read from the ledger: what left the stock because it was used — shipments (sales)
// and consumption (production, scales) — per item and UTC day. A movement that reverses one
// of them (`reverses` = its id) takes its quantity back on the original's day: that demand did
// not happen. Transfers, scrap, corrections and receipts are not demand.

export const DEMAND_KINDS = ['shipment', 'consumption'] as const;
export const SALES_KINDS = ['shipment'] as const;

/** item → (day → quantity) for days in [fromDay, toDay) */
export type DailyDemand = Map<string, Map<number, number>>;

export async function loadDailyDemand(q: Queryable, o: { fromDay: number; toDay: number; kinds?: readonly string[]; item?: string }): Promise<DailyDemand> {
  const rows = await q.query<{ item: string; day: number; qty: string }>(
    `WITH undone AS (
       SELECT reverses AS id, sum(qty) AS qty FROM movements
       WHERE reverses IS NOT NULL AND at >= $1 GROUP BY reverses)
     SELECT m.item, floor(extract(epoch FROM m.at) / 86400)::int AS day, sum(m.qty - coalesce(u.qty, 0)) AS qty
     FROM movements m LEFT JOIN undone u ON u.id = m.id
     WHERE m.kind = ANY($3::text[]) AND m.at >= $1 AND m.at < $2 AND ($4::text IS NULL OR m.item = $4)
     GROUP BY 1, 2`,
    [new Date(o.fromDay * DAY_MS), new Date(o.toDay * DAY_MS), [...(o.kinds ?? DEMAND_KINDS)], o.item ?? null]);
  const out: DailyDemand = new Map();
  for (const r of rows) {
    const m = out.get(r.item) ?? new Map<number, number>();
    m.set(Number(r.day), Math.max(0, num(r.qty)));
    out.set(r.item, m);
  }
  return out;
}

/** the day of each item's first movement of any kind: before it the item had no demand to measure */
export async function firstMovementDays(q: Queryable): Promise<Map<string, number>> {
  const rows = await q.query<{ item: string; day: number }>(
    'SELECT item, floor(extract(epoch FROM min(at)) / 86400)::int AS day FROM movements GROUP BY item');
  return new Map(rows.map((r) => [r.item, Number(r.day)]));
}

/** a dense series (zero on days without demand) for days [fromDay, toDay) */
export function denseSeries(byDay: Map<number, number> | undefined, fromDay: number, toDay: number): number[] {
  const out: number[] = [];
  for (let d = fromDay; d < toDay; d++) out.push(byDay?.get(d) ?? 0);
  return out;
}
