import { z } from 'zod';
import { canSeeCost } from '../auth/permissions.ts';
import { RangeQuery, dayRange } from '../planning/analytics/range.ts';
import { turnover } from '../planning/analytics/turnover.ts';
import { supplierOnTime } from '../planning/analytics/supplier-on-time.ts';
import { countAccuracy } from '../planning/analytics/count-accuracy.ts';
import { priceTrend } from '../planning/analytics/price-trend.ts';
import { listPlans } from '../planning/plans.ts';
import { defineReport } from './report.ts';

// The analytics page's tables as reports, each from the service its API route calls (same
// period semantics: whole UTC days from..to, default the last 182 days).

const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString().slice(0, 10));

export const turnoverReport = defineReport({
  id: 'turnover',
  source: 'GET /api/analytics/turnover',
  params: RangeQuery,
  async run(db, p, ctx) {
    const r = await turnover(db, dayRange(p), { withCost: canSeeCost(ctx.role) });
    return {
      columns: ['item', 'name', 'unit', 'avgOnHand', 'outflow', 'turnover', 'turnoverDays'],
      rows: r.items.map((i) => [i.item, i.name, i.unit, i.avgOnHand, i.outflow, i.turnover, i.turnoverDays]),
    };
  },
});

export const supplierOnTimeReport = defineReport({
  id: 'supplier-on-time',
  source: 'GET /api/analytics/supplier-on-time',
  params: RangeQuery,
  async run(db, p) {
    const r = await supplierOnTime(db, dayRange(p));
    return {
      columns: ['supplier', 'name', 'orders', 'onTime', 'late', 'overdue', 'pending', 'onTimeRate', 'avgDelayDays'],
      rows: r.suppliers.map((s) => [s.supplier, s.name, s.orders, s.onTime, s.late, s.overdue, s.pending, s.onTimeRate, s.avgDelayDaysWhenLate]),
    };
  },
});

export const countAccuracyReport = defineReport({
  id: 'count-accuracy',
  source: 'GET /api/analytics/count-accuracy',
  params: RangeQuery,
  async run(db, p) {
    const r = await countAccuracy(db, dayRange(p));
    return {
      columns: ['session', 'location', 'approvedOn', 'lines', 'exactLines', 'lineAccuracy', 'qtyAccuracy'],
      rows: r.sessions.map((s) => [s.id, s.location, iso(s.approvedAt), s.lines, s.exactLines, s.lineAccuracy, s.qtyAccuracy]),
    };
  },
});

export const priceTrendReport = defineReport({
  id: 'price-trend',
  source: 'GET /api/analytics/price-trend',
  params: RangeQuery,
  async run(db, p) {
    const r = await priceTrend(db, dayRange(p));
    return {
      columns: ['item', 'name', 'month', 'currency', 'avgPrice', 'minPrice', 'maxPrice', 'qty', 'orders'],
      rows: r.items.flatMap((i) => i.points.map((pt: { month: string; avgPriceMinor: number; minPriceMinor: number; maxPriceMinor: number; qty: number; orders: number }) =>
        [i.item, i.name, pt.month, i.currency, pt.avgPriceMinor / 100, pt.minPriceMinor / 100, pt.maxPriceMinor / 100, pt.qty, pt.orders])),
    };
  },
});

/** the replenishment panel's suggestions: items to reorder now (the latest plan of the replenishment job) */
export const reorderReport = defineReport({
  id: 'reorder-suggestions',
  source: 'GET /api/replenishment',
  params: z.object({}),
  async run(db) {
    const plans = await listPlans(db, { status: 'reorder' });
    return {
      columns: ['item', 'name', 'available', 'onOrder', 'safetyStock', 'reorderPoint', 'suggestedQty', 'purchaseOrder'],
      rows: plans.map((p) => [p.item, p.explanation?.name ?? '', p.explanation?.inputs?.available ?? '', p.explanation?.inputs?.onOrder ?? '',
        p.safetyStock, p.reorderPoint, p.suggestedQty, p.purchaseOrder === null ? '' : `${p.purchaseOrder} (${p.purchaseOrderStatus ?? ''})`]),
    };
  },
});
