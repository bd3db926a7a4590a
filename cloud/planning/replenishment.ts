import type { Db, Queryable } from '../db/engine.ts';
import type { JobNotify } from '../jobs/job.ts';
import { num, type Actor } from '../inventory/model.ts';
import { createPurchaseOrder } from '../inventory/documents/purchase-orders.ts';
import { WEEKDAYS, dayOf, isoDay, weekday } from './days.ts';
import { denseSeries, firstMovementDays, loadDailyDemand, type DailyDemand } from './demand.ts';
import { computePlan, r6, type PlanFigures } from './plan.ts';
import { sum } from './stats.ts';
import { DEFAULT_SETTINGS, type CloudSettings } from '../config.ts';
import { clearCloudAlerts, raiseCloudAlerts } from '../notify/alerts.ts';

// The replenishment run: for every item, demand from the ledger → plan (plan.ts) → when the
// position (available + on order) is below the reorder point, a low_stock alert and a draft
// purchase order for the preferred supplier, created through the purchase-order module so it
// enters the normal submit → approve flow. Each item is decided in one transaction under an
// item-scoped advisory lock, so two runs at once (two cloud instances, or the API and the
// scheduler) never open two drafts for one item; a re-run finds the open order and adds nothing.
// The alert is raised and cleared through cloud/notify/alerts.ts, like every alert: its incident
// and its deliveries to the configured targets follow in the same transaction.

export interface ReplenishmentOptions {
  /** default service level for items without their own (items.service_level) */
  serviceLevel: number;
  /** history window in days: 182 = 26 whole weeks ≈ 6 months, every weekday equally often */
  historyDays: number;
  /** days of average demand an order covers beyond the reorder point */
  coverDays: number;
}

/** the options the cloud config gives (STOCKPULSE_SERVICE_LEVEL, STOCKPULSE_REPLENISH_*; cloud/config.ts) */
export function replenishmentOptions(s: Pick<CloudSettings, 'STOCKPULSE_SERVICE_LEVEL' | 'STOCKPULSE_REPLENISH_HISTORY_DAYS' | 'STOCKPULSE_REPLENISH_COVER_DAYS'>): ReplenishmentOptions {
  return { serviceLevel: s.STOCKPULSE_SERVICE_LEVEL, historyDays: s.STOCKPULSE_REPLENISH_HISTORY_DAYS, coverDays: s.STOCKPULSE_REPLENISH_COVER_DAYS };
}

export const DEFAULT_REPLENISHMENT: ReplenishmentOptions = Object.freeze(replenishmentOptions(DEFAULT_SETTINGS));

export const REPLENISHMENT_ACTOR: Actor = { name: 'replenishment', role: 'purchasing' };
/** first key of the item-scoped advisory lock (the second is hashtext(sku)) */
const LOCK_SPACE = 7_261_010;
/** purchase orders that count as "on order": approved by finance, goods not all here yet */
const ON_ORDER = ['approved', 'partially_received'];
/** purchase orders still being decided: one of these for the item means no new draft */
const OPEN_DRAFT = ['draft', 'submitted'];

interface ItemRow {
  sku: string; name: string; unit: string; safety_stock: string; lead_time_days: number | null;
  service_level: string | null; preferred_supplier: string | null; cost_minor: string | null; currency: string;
}

export interface RunCounts {
  items: number; below_reorder_point: number; drafts_created: number; alerts_raised: number; alerts_cleared: number; skipped: number;
  [k: string]: number;
}

/** a lead time is what the plan needs first: said in words, pointing at where to set it */
export const NO_LEAD_TIME = 'no lead time set: enter the days from order to delivery in the L column on the Planning page';

export async function runReplenishment(db: Db, o: { now: Date; options?: Partial<ReplenishmentOptions>; notify?: JobNotify; item?: string }): Promise<RunCounts> {
  const opt = { ...DEFAULT_REPLENISHMENT, ...o.options };
  const today = dayOf(o.now.getTime());
  const fromDay = today - opt.historyDays;
  const [items, demand, first] = await Promise.all([
    db.query<ItemRow>('SELECT sku, name, unit, safety_stock, lead_time_days, service_level, preferred_supplier, cost_minor, currency FROM items WHERE ($1::text IS NULL OR sku = $1) ORDER BY sku', [o.item ?? null]),
    loadDailyDemand(db, { fromDay, toDay: today, item: o.item }),
    firstMovementDays(db),
  ]);
  const counts: RunCounts = { items: items.length, below_reorder_point: 0, drafts_created: 0, alerts_raised: 0, alerts_cleared: 0, skipped: 0 };
  for (const it of items) {
    const outcome = await db.tx((q) => planItem(db, q, it, { today, fromDay, now: o.now, demand, first: first.get(it.sku), opt, notify: o.notify }));
    if (outcome.skipped) counts.skipped++;
    if (outcome.below) counts.below_reorder_point++;
    if (outcome.draftCreated) counts.drafts_created++;
    if (outcome.alertRaised) counts.alerts_raised++;
    if (outcome.alertCleared) counts.alerts_cleared++;
  }
  if (o.notify && (counts.alerts_raised || counts.alerts_cleared)) o.notify.kick();
  return counts;
}

interface Ctx { today: number; fromDay: number; now: Date; demand: DailyDemand; first: number | undefined; opt: ReplenishmentOptions; notify?: JobNotify }
interface Outcome { skipped?: boolean; below?: boolean; draftCreated?: boolean; alertRaised?: boolean; alertCleared?: boolean }

async function planItem(db: Db, q: Queryable, it: ItemRow, c: Ctx): Promise<Outcome> {
  await q.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_SPACE, it.sku]);
  const [prev] = await q.query<{ alert_id: string | null }>('SELECT alert_id FROM replenishment_plans WHERE item = $1', [it.sku]);
  const activeAlert = prev?.alert_id
    ? (await q.query<{ id: string }>(`SELECT id FROM alerts WHERE id = $1 AND state = 'active'`, [prev.alert_id]))[0]?.id ?? null
    : null;
  if (it.lead_time_days === null) {
    // no lead time, no reorder point: say so instead of guessing one
    const cleared = await clearAlert(q, activeAlert, c);
    await savePlan(q, it.sku, c.now, { status: 'skipped', reason: NO_LEAD_TIME, explanation: { item: it.sku, name: it.name, unit: it.unit } });
    return { skipped: true, alertCleared: cleared };
  }
  // the series starts with the window, or with the item's first movement if it is younger
  const startDay = Math.min(c.today, Math.max(c.fromDay, c.first ?? c.today));
  const series = denseSeries(c.demand.get(it.sku), startDay, c.today);
  const serviceLevel = it.service_level === null ? c.opt.serviceLevel : num(it.service_level);
  const available = await availableFor(q, it.sku);
  const onOrder = await onOrderFor(q, it.sku);
  const f = computePlan({
    series, firstDay: startDay, today: c.today, leadTimeDays: it.lead_time_days, serviceLevel,
    safetyStockFloor: num(it.safety_stock), available, onOrder, coverDays: c.opt.coverDays,
  });
  const supplier = await chooseSupplier(q, it, isoDay(c.today));
  const explanation = explain(it, series, startDay, c, serviceLevel, available, onOrder, f, supplier);
  if (!f.belowReorderPoint) {
    const cleared = await clearAlert(q, activeAlert, c);
    await savePlan(q, it.sku, c.now, { status: 'ok', f, explanation });
    return { alertCleared: cleared };
  }
  const out: Outcome = { below: true };
  let alertId = activeAlert;
  const [open] = await q.query<{ id: string }>(
    `SELECT id FROM documents WHERE type = 'purchase_order' AND status = ANY($2::text[]) AND lines @> jsonb_build_array(jsonb_build_object('item', $1::text))
     ORDER BY id LIMIT 1`, [it.sku, OPEN_DRAFT]);
  let poId = open ? Number(open.id) : null;
  let draftNote: string;
  if (poId !== null) {
    draftNote = `purchase order ${poId} for this item is already open (draft or awaiting approval): no second draft`;
  } else if (!supplier) {
    draftNote = 'no draft: the item has no supplier with a price (supplier_prices) and no cost to order at';
  } else {
    // createPurchaseOrder opens its own transaction; handing it this one keeps the lock, the
    // open-order check and the insert atomic (it only ever calls tx on what it is given)
    const inThisTx = { ...db, tx: <T>(fn: (tq: Queryable) => Promise<T>) => fn(q) } as Db;
    const po = await createPurchaseOrder(inThisTx, {
      supplier: supplier.id, currency: supplier.currency,
      lines: [{ item: it.sku, qty: f.suggestedQty, priceMinor: supplier.priceMinor }],
      note: `replenishment ${isoDay(c.today)}: available ${available} + on order ${onOrder} < reorder point ${f.reorderPoint} ${it.unit}`,
    }, REPLENISHMENT_ACTOR);
    poId = po.id;
    out.draftCreated = true;
    draftNote = `draft purchase order ${po.id} created for ${supplier.id} (${supplier.chosen})`;
  }
  if (!alertId) {
    alertId = `low_stock:${it.sku}:${c.now.getTime()}`;
    const message = `Low stock: ${it.sku} (${it.name}) available ${available} + on order ${onOrder} = ${f.position} ${it.unit}, below the reorder point ${f.reorderPoint} ${it.unit}; suggested order ${f.suggestedQty} ${it.unit}${poId !== null ? ` (purchase order ${poId})` : ''}`;
    await raiseCloudAlerts(q, [{
      id: alertId, zone: ALERT_ZONE, rule: 'low_stock', severity: 'warning', value: f.position, threshold: f.reorderPoint, message,
      extra: { item: it.sku, purchaseOrder: poId },
    }], c.now, c.notify);
    out.alertRaised = true;
  }
  await savePlan(q, it.sku, c.now, { status: 'reorder', f, poId, alertId, explanation: { ...explanation, purchaseOrder: { id: poId, note: draftNote } } });
  return out;
}

/** sellable on hand (no expired, quarantined or rejected lots) minus what customers hold reserved */
async function availableFor(q: Queryable, sku: string): Promise<number> {
  const [r] = await q.query<{ a: string }>('SELECT sp_sellable($1) - coalesce((SELECT reserved FROM item_positions WHERE item = $1), 0) AS a', [sku]);
  return r6(num(r?.a));
}

/** ordered on approved purchase orders and not received yet */
async function onOrderFor(q: Queryable, sku: string): Promise<number> {
  const rows = await q.query<{ lines: { item: string; qty: number }[]; received: Record<string, number> | null }>(
    `SELECT lines, data->'received' AS received FROM documents
     WHERE type = 'purchase_order' AND status = ANY($2::text[]) AND lines @> jsonb_build_array(jsonb_build_object('item', $1::text))`, [sku, ON_ORDER]);
  let total = 0;
  for (const r of rows) {
    const ordered = sum(r.lines.filter((l) => l.item === sku).map((l) => Number(l.qty)));
    total += Math.max(0, ordered - Number(r.received?.[sku] ?? 0));
  }
  return r6(total);
}

export interface SupplierChoice { id: string; chosen: 'preferred' | 'cheapest'; priceMinor: number; currency: string; priceSource: string }

/** the item's preferred supplier, else the supplier with the lowest current price */
async function chooseSupplier(q: Queryable, it: ItemRow, today: string): Promise<SupplierChoice | null> {
  const prices = await q.query<{ supplier: string; price_minor: string; currency: string; valid_from: string }>(
    `SELECT DISTINCT ON (supplier) supplier, price_minor, currency, valid_from::text AS valid_from FROM supplier_prices
     WHERE item = $1 AND valid_from <= $2::date ORDER BY supplier, valid_from DESC`, [it.sku, today]);
  if (it.preferred_supplier) {
    const p = prices.find((x) => x.supplier === it.preferred_supplier);
    if (p) return { id: p.supplier, chosen: 'preferred', priceMinor: Number(p.price_minor), currency: p.currency, priceSource: `supplier price valid from ${p.valid_from}` };
    if (it.cost_minor !== null) return { id: it.preferred_supplier, chosen: 'preferred', priceMinor: Number(it.cost_minor), currency: it.currency, priceSource: 'item cost (the supplier has no price for it)' };
    return null;
  }
  const best = [...prices].sort((a, b) => Number(a.price_minor) - Number(b.price_minor) || a.supplier.localeCompare(b.supplier))[0];
  return best ? { id: best.supplier, chosen: 'cheapest', priceMinor: Number(best.price_minor), currency: best.currency, priceSource: `supplier price valid from ${best.valid_from}` } : null;
}

/** low-stock alerts are about an item, not a room: they share the zone the other inventory rules use */
const ALERT_ZONE = 'inventory';

async function clearAlert(q: Queryable, id: string | null, c: Ctx): Promise<boolean> {
  if (!id) return false;
  const cleared = await clearCloudAlerts(q, [id], c.now, c.notify && {
    targets: c.notify.targets,
    // the stored alert keeps the message it was raised with; the receivers are told why it cleared
    extra: (a) => ({ message: `Cleared (back above the reorder point): ${a.message}` }),
  });
  return cleared.length > 0;
}

function explain(it: ItemRow, series: number[], startDay: number, c: Ctx, serviceLevel: number, available: number, onOrder: number,
  f: PlanFigures, supplier: SupplierChoice | null) {
  const L = it.lead_time_days ?? 0;
  return {
    item: it.sku, name: it.name, unit: it.unit,
    inputs: {
      demand: {
        source: 'shipment + consumption movements, reversals taken back, per UTC day',
        from: isoDay(startDay), to: isoDay(c.today - 1), days: series.length, total: r6(sum(series)),
        daysWithDemand: series.filter((x) => x > 0).length, min: series.length ? Math.min(...series) : 0, max: series.length ? Math.max(...series) : 0,
      },
      dBar: f.dBar, sigma: f.sigma, leadTimeDays: L, serviceLevel, z: f.z,
      seasonality: {
        granularity: 'day-of-week', method: f.seasonal.method, ...(f.seasonal.note ? { note: f.seasonal.note } : {}),
        indices: Object.fromEntries(WEEKDAYS.map((d, k) => [d, f.seasonal.indices[k]])),
        leadTime: { from: isoDay(c.today), to: isoDay(c.today + L - 1), weekdays: Array.from({ length: L }, (_, k) => WEEKDAYS[weekday(c.today + k)]), indices: f.leadTimeIndices },
        indexUsed: f.seasonalIndexUsed,
      },
      dBarAdjusted: f.dBarAdjusted, available, onOrder, position: f.position,
      safetyStockFloor: num(it.safety_stock), coverDays: c.opt.coverDays,
      supplier,
    },
    formula: {
      safetyStock: { formula: 'max(z·σ·√L, items.safety_stock)', zSigmaSqrtL: f.safetyStockFormula, value: f.safetyStock },
      reorderPoint: { formula: 'd̄·s·L + SS', value: f.reorderPoint },
      orderUpTo: { formula: 'ROP + d̄·coverDays', value: f.orderUpTo },
      suggestedQty: { formula: 'ceil(orderUpTo − (available + on order)) when available + on order < ROP, else 0', value: f.suggestedQty },
      belowReorderPoint: f.belowReorderPoint,
    },
  };
}

async function savePlan(q: Queryable, sku: string, now: Date, p: {
  status: 'reorder' | 'ok' | 'skipped'; reason?: string; f?: PlanFigures; poId?: number | null; alertId?: string | null; explanation: object;
}): Promise<void> {
  await q.query(
    `INSERT INTO replenishment_plans (item, computed_at, status, reason, safety_stock, reorder_point, suggested_qty, purchase_order, alert_id, explanation)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10::jsonb)
     ON CONFLICT (item) DO UPDATE SET computed_at = EXCLUDED.computed_at, status = EXCLUDED.status, reason = EXCLUDED.reason,
       safety_stock = EXCLUDED.safety_stock, reorder_point = EXCLUDED.reorder_point, suggested_qty = EXCLUDED.suggested_qty,
       purchase_order = EXCLUDED.purchase_order, alert_id = EXCLUDED.alert_id, explanation = EXCLUDED.explanation`,
    [sku, now, p.status, p.reason ?? null, p.f?.safetyStock ?? null, p.f?.reorderPoint ?? null, p.f?.suggestedQty ?? null,
      p.poId ?? null, p.alertId ?? null, JSON.stringify(p.explanation)]);
}
