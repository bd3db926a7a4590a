import type { Queryable } from '../../db/engine.ts';
import { DAY_MS } from '../days.ts';
import { rangeOut, round2, type DayRange } from './range.ts';

// Purchase price trend per item: what was actually ordered — the lines of purchase orders once
// approved (drafts, orders awaiting approval and cancelled ones are not purchases) — per
// calendar month (UTC) of approval: quantity-weighted average unit price, min and max, in
// minor units. changePct compares the last month with the first.

export async function priceTrend(q: Queryable, r: DayRange, item?: string) {
  const rows = await q.query<{ item: string; name: string; month: string; currency: string; qty: string; spend: string; min: string; max: string; orders: string }>(
    `WITH po AS (
       SELECT d.id, d.currency, d.lines,
              (SELECT min(e.at) FROM document_events e WHERE e.document_id = d.id AND e.to_status = 'approved') AS approved_at
       FROM documents d
       WHERE d.type = 'purchase_order' AND d.status IN ('approved', 'partially_received', 'received', 'closed'))
     SELECT l.item, i.name, to_char(date_trunc('month', po.approved_at AT TIME ZONE 'UTC'), 'YYYY-MM') AS month, po.currency,
            sum((l.qty)::numeric) AS qty, sum((l.qty)::numeric * (l."priceMinor")::numeric) AS spend,
            min((l."priceMinor")::numeric) AS min, max((l."priceMinor")::numeric) AS max, count(DISTINCT po.id) AS orders
     FROM po CROSS JOIN LATERAL jsonb_to_recordset(po.lines) AS l(item text, qty numeric, "priceMinor" numeric)
     JOIN items i ON i.sku = l.item
     WHERE po.approved_at >= $1 AND po.approved_at < $2 AND ($3::text IS NULL OR l.item = $3)
     GROUP BY 1, 2, 3, 4 ORDER BY 1, 4, 3`,
    [new Date(r.fromDay * DAY_MS), new Date(r.toDay * DAY_MS), item ?? null]);
  const byItem = new Map<string, { item: string; name: string; currency: string; points: any[] }>();
  for (const x of rows) {
    const key = `${x.item}\u0000${x.currency}`;
    const e = byItem.get(key) ?? { item: x.item, name: x.name, currency: x.currency, points: [] };
    const qty = Number(x.qty);
    e.points.push({ month: x.month, avgPriceMinor: round2(Number(x.spend) / qty), minPriceMinor: Number(x.min), maxPriceMinor: Number(x.max), qty, orders: Number(x.orders) });
    byItem.set(key, e);
  }
  const items = [...byItem.values()].map((e) => {
    const first = e.points[0].avgPriceMinor;
    const last = e.points[e.points.length - 1].avgPriceMinor;
    return { ...e, changePct: first > 0 ? round2(((last - first) / first) * 100) : null };
  });
  return { ...rangeOut(r), items };
}
