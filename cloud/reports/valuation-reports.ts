import { z } from 'zod';
import { RangeQuery, dayRange } from '../planning/analytics/range.ts';
import { cogs } from '../inventory/valuation/cogs.ts';
import { stockValue } from '../inventory/valuation/stock-value.ts';
import { majorText } from '../inventory/valuation/decimal.ts';
import { defineReport } from './report.ts';

// The stock value page's tables as reports (cost roles only: their source routes are), from the
// same valuation services. Money stays exact: decimal text in major units (18.40), never a float.

const DAY = 86_400_000;
const money = (minor: string | null) => (minor === null ? '' : majorText(minor));

export const stockValueReport = defineReport({
  id: 'stock-value',
  source: 'GET /api/valuation',
  params: z.object({}),
  async run(db) {
    const v = await stockValue(db, { by: 'lot' });
    return {
      columns: ['item', 'name', 'lot', 'lotOnHand', 'avgCost', 'value', 'currency'],
      rows: (v.groups ?? []).map((g) => [g.item, g.name, g.lot ?? '', g.onHand,
        money(g.averageCostMinor), money(g.valueMinor), g.currency]),
    };
  },
});

export const cogsReport = defineReport({
  id: 'cogs',
  source: 'GET /api/valuation/cogs',
  params: RangeQuery,
  async run(db, p) {
    const r = dayRange(p);
    const iso = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);
    const c = await cogs(db, { fromMs: r.fromDay * DAY, toMs: r.toDay * DAY, from: iso(r.fromDay), to: iso(r.toDay - 1) });
    return {
      columns: ['at', 'item', 'name', 'lot', 'salesOrder', 'customer', 'qty', 'unitCost', 'cogs', 'revenue', 'margin', 'currency'],
      rows: c.lines.map((l) => [l.at, l.item, l.name, l.lot ?? '', l.salesOrder ?? '', l.customer ?? '', l.qty,
        money(l.unitCostMinor), money(l.cogsMinor), money(l.revenueMinor), money(l.marginMinor), l.costCurrency]),
    };
  },
});
