import type { Queryable } from '../../db/engine.ts';
import { num } from '../../inventory/model.ts';
import { DAY_MS } from '../days.ts';
import { loadDailyDemand } from '../demand.ts';
import { rangeOut, ratio, round2, type DayRange } from './range.ts';

// Inventory turnover per item over the period, in quantities:
//   average on hand = mean of the end-of-day on hand (all locations and lots), rebuilt from the
//                     ledger (opening balance before the period + each day's net movements)
//   outflow         = demand: shipments + consumption, reversals taken back (as replenishment)
//   turnover        = outflow / average on hand (times the stock turned in the period)
//   turnover days   = average on hand / (outflow / days): how many days of demand the stock held
// For roles that may see cost, a total over all items weighted by item cost (items.cost_minor).

const NET = `CASE WHEN from_location IS NULL THEN qty WHEN to_location IS NULL THEN -qty ELSE 0 END`;

export async function turnover(q: Queryable, r: DayRange, o: { withCost: boolean }) {
  const from = new Date(r.fromDay * DAY_MS);
  const to = new Date(r.toDay * DAY_MS);
  const [items, opening, deltas, demand] = await Promise.all([
    q.query<{ sku: string; name: string; unit: string; cost_minor: string | null }>('SELECT sku, name, unit, cost_minor FROM items ORDER BY sku'),
    q.query<{ item: string; qty: string }>(`SELECT item, sum(${NET}) AS qty FROM movements WHERE at < $1 GROUP BY item`, [from]),
    q.query<{ item: string; day: number; qty: string }>(
      `SELECT item, floor(extract(epoch FROM at) / 86400)::int AS day, sum(${NET}) AS qty FROM movements WHERE at >= $1 AND at < $2 GROUP BY 1, 2`, [from, to]),
    loadDailyDemand(q, { fromDay: r.fromDay, toDay: r.toDay }),
  ]);
  const days = r.toDay - r.fromDay;
  const open = new Map(opening.map((x) => [x.item, num(x.qty)]));
  const delta = new Map<string, Map<number, number>>();
  for (const x of deltas) {
    const m = delta.get(x.item) ?? new Map<number, number>();
    m.set(Number(x.day), num(x.qty));
    delta.set(x.item, m);
  }
  let costStock = 0;
  let costOut = 0;
  const rows = items.map((it) => {
    let onHand = open.get(it.sku) ?? 0;
    let total = 0;
    for (let d = r.fromDay; d < r.toDay; d++) {
      onHand += delta.get(it.sku)?.get(d) ?? 0;
      total += onHand;
    }
    const avgOnHand = total / days;
    const outflow = [...(demand.get(it.sku)?.values() ?? [])].reduce((a, x) => a + x, 0);
    if (it.cost_minor !== null) {
      costStock += avgOnHand * Number(it.cost_minor);
      costOut += outflow * Number(it.cost_minor);
    }
    return {
      item: it.sku, name: it.name, unit: it.unit, avgOnHand: round2(avgOnHand), closingOnHand: round2(onHand), outflow: round2(outflow),
      turnover: ratio(outflow, avgOnHand), turnoverDays: outflow > 0 ? round2(avgOnHand / (outflow / days)) : null,
    };
  });
  return {
    ...rangeOut(r), items: rows,
    ...(o.withCost ? { total: { basis: 'items.cost_minor', avgStockValueMinor: Math.round(costStock), turnoverDays: costOut > 0 ? round2(costStock / (costOut / days)) : null } } : {}),
  };
}
