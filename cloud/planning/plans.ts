import { z } from 'zod';
import { SpError } from '../../protocols/errors.ts';
import type { Db } from '../db/engine.ts';
import { Id, Measure, dec, num } from '../inventory/model.ts';
import { Int32 } from '../api/fields.ts';

// Reading the latest plan per item (what GET /api/replenishment explains) and the planning
// settings kept on the item: preferred supplier, service level, lead time and safety stock
// (the last two edited inline on the Planning page).

export interface PlanView {
  item: string; status: 'reorder' | 'ok' | 'skipped'; reason: string | null; computedAt: number;
  safetyStock: number | null; reorderPoint: number | null; suggestedQty: number | null;
  purchaseOrder: number | null; purchaseOrderStatus: string | null; alert: { id: string; state: string } | null;
  explanation: Record<string, any>;
}

export const PlanQuery = z.object({
  item: Id.optional(),
  status: z.enum(['reorder', 'ok', 'skipped']).optional().describe('reorder = the suggestions'),
});

export async function listPlans(db: Db, f: z.infer<typeof PlanQuery>): Promise<PlanView[]> {
  const rows = await db.query<Record<string, any>>(
    `SELECT p.*, d.status AS po_status, a.state AS alert_state FROM replenishment_plans p
     LEFT JOIN documents d ON d.id = p.purchase_order LEFT JOIN alerts a ON a.id = p.alert_id
     WHERE ($1::text IS NULL OR p.item = $1) AND ($2::text IS NULL OR p.status = $2) ORDER BY p.item`, [f.item ?? null, f.status ?? null]);
  const opt = (v: unknown) => (v === null || v === undefined ? null : num(v));
  return rows.map((r) => ({
    item: r.item, status: r.status, reason: r.reason, computedAt: new Date(r.computed_at).getTime(),
    safetyStock: opt(r.safety_stock), reorderPoint: opt(r.reorder_point), suggestedQty: opt(r.suggested_qty),
    purchaseOrder: r.purchase_order === null ? null : Number(r.purchase_order), purchaseOrderStatus: r.po_status ?? null,
    alert: r.alert_id ? { id: r.alert_id, state: r.alert_state ?? 'unknown' } : null,
    explanation: r.explanation,
  }));
}

export const ItemPlanningInput = z.object({
  preferredSupplier: Id.nullable().optional().describe('the supplier draft orders go to; null = the cheapest current price'),
  serviceLevel: z.number().gt(0).lt(1).nullable().optional().describe('e.g. 0.95 (z = 1.645); null = the default'),
  leadTimeDays: Int32.nonnegative().max(3650).nullable().optional().describe('days from order to goods in; null = not planned'),
  safetyStock: Measure.refine((n) => n >= 0, 'must not be negative').optional().describe('the floor under z·σ·√L, in the item\'s unit'),
}).strict();

export async function setItemPlanning(db: Db, sku: string, input: z.input<typeof ItemPlanningInput>) {
  const p = ItemPlanningInput.parse(input);
  if (p.preferredSupplier && !(await db.query('SELECT 1 FROM suppliers WHERE id = $1', [p.preferredSupplier])).length) {
    throw new SpError('SP_ERR_VALIDATION', { field: 'body.preferredSupplier', reason: `no supplier "${p.preferredSupplier}"` });
  }
  const rows = await db.query<{ sku: string; preferred_supplier: string | null; service_level: string | null; lead_time_days: number | null; safety_stock: string }>(
    `UPDATE items SET
       preferred_supplier = CASE WHEN $2 THEN $3 ELSE preferred_supplier END,
       service_level = CASE WHEN $4 THEN $5::numeric ELSE service_level END,
       lead_time_days = CASE WHEN $6 THEN $7::int ELSE lead_time_days END,
       safety_stock = CASE WHEN $8 THEN $9::numeric ELSE safety_stock END
     WHERE sku = $1 RETURNING sku, preferred_supplier, service_level, lead_time_days, safety_stock`,
    [sku, p.preferredSupplier !== undefined, p.preferredSupplier ?? null, p.serviceLevel !== undefined, p.serviceLevel ?? null,
      p.leadTimeDays !== undefined, p.leadTimeDays ?? null, p.safetyStock !== undefined, p.safetyStock === undefined ? null : dec(p.safetyStock)]);
  if (!rows[0]) throw new SpError('SP_ERR_NOT_FOUND', { field: 'params.sku', reason: `no item with SKU "${sku}"` });
  const r = rows[0];
  return {
    item: r.sku, preferredSupplier: r.preferred_supplier, serviceLevel: r.service_level === null ? null : num(r.service_level),
    leadTimeDays: r.lead_time_days, safetyStock: num(r.safety_stock),
  };
}
