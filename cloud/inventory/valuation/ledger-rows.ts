import type { Queryable } from '../../db/engine.ts';
import type { MovementKind } from '../model.ts';
import { ZERO, div, fixed, mul, sum, type Fixed } from './decimal.ts';

// What the valuation reads: every ledger movement in ledger order (id), each with the order its
// document belongs to — a receipt's purchase order (goods_receipt → parent), a shipment's and a
// return's sales order (shipment / customer_return → parent, or a part shipment's sales_order
// itself) — and that order's price for the movement's item. Nothing is stored: the books are the
// ledger read again.

export interface OrderRef { id: number; type: 'purchase_order' | 'sales_order'; partner: string | null; currency: string | null; status: string }

export interface LedgerRow {
  id: number; kind: MovementKind; item: string; lot: string | null; lotId: number | null;
  from: string | null; to: string | null; qty: Fixed; at: number; reverses: number | null;
  order: OrderRef | null;
  /** the order's unit price for this item (minor units; quantity-weighted over its lines), null when it has none */
  orderPrice: Fixed | null;
}

export interface ItemCostInfo { sku: string; name: string; unit: string; currency: string; costMinor: Fixed | null }

interface Raw {
  id: string; kind: MovementKind; item: string; lot: string | null; lot_id: string | null; from_location: string | null; to_location: string | null;
  qty: string; at: string | Date; reverses: string | null;
  order_id: string | null; order_type: OrderRef['type'] | null; partner: string | null; currency: string | null; order_status: string | null; order_lines: unknown;
}

/** the quantity-weighted unit price of an item over an order's lines (several lines may name it) */
export function linePrice(lines: unknown, item: string): Fixed | null {
  const mine = (Array.isArray(lines) ? lines : []).filter((l): l is { item: string; qty: number; priceMinor: number } =>
    l && typeof l === 'object' && l.item === item && typeof l.priceMinor === 'number');
  const qty = sum(mine.map((l) => fixed(l.qty)));
  if (qty <= ZERO) return null;
  return div(sum(mine.map((l) => mul(fixed(l.qty), fixed(l.priceMinor)))), qty);
}

/** movements up to `atMs` (all when null) in ledger order */
export async function loadLedger(q: Queryable, atMs: number | null): Promise<LedgerRow[]> {
  const rows = await q.query<Raw>(`
    SELECT m.id, m.kind, m.item, l.code AS lot, m.lot_id, m.from_location, m.to_location, m.qty::text AS qty, m.at, m.reverses,
           o.id AS order_id, o.type AS order_type, o.partner, o.currency, o.status AS order_status, o.lines AS order_lines
    FROM movements m
    LEFT JOIN lots l ON l.id = m.lot_id
    -- the cast only where the pattern holds: SQL does not promise to test the conditions of an
    -- AND in the order written (a demo opening balance's ref is not 'type:id', and on the demo the
    -- planner cast it first: 22P02)
    LEFT JOIN documents src ON m.source_type = 'document'
      AND src.id = CASE WHEN m.source_ref ~ '^[a-z_]+:[0-9]{1,15}$' THEN split_part(m.source_ref, ':', 2)::bigint END
      AND src.type = split_part(m.source_ref, ':', 1)
    LEFT JOIN documents o ON o.id = CASE WHEN src.type IN ('goods_receipt', 'shipment', 'customer_return') THEN src.parent_id
                                         WHEN src.type = 'sales_order' THEN src.id END
                         AND o.type IN ('purchase_order', 'sales_order')
    WHERE ($1::timestamptz IS NULL OR m.at <= $1::timestamptz)
    ORDER BY m.id`, [atMs === null ? null : new Date(atMs).toISOString()]);
  return rows.map((r) => {
    const order: OrderRef | null = r.order_id === null ? null
      : { id: Number(r.order_id), type: r.order_type!, partner: r.partner, currency: r.currency, status: r.order_status ?? '' };
    return {
      id: Number(r.id), kind: r.kind, item: r.item, lot: r.lot, lotId: r.lot_id === null ? null : Number(r.lot_id),
      from: r.from_location, to: r.to_location, qty: fixed(r.qty), at: new Date(r.at).getTime(),
      reverses: r.reverses === null ? null : Number(r.reverses),
      order, orderPrice: order ? linePrice(r.order_lines, r.item) : null,
    };
  });
}

export async function loadItems(q: Queryable): Promise<Map<string, ItemCostInfo>> {
  const rows = await q.query<{ sku: string; name: string; unit: string; currency: string; cost_minor: string | null }>(
    'SELECT sku, name, unit, currency, cost_minor::text AS cost_minor FROM items ORDER BY sku');
  return new Map(rows.map((r) => [r.sku, { sku: r.sku, name: r.name, unit: r.unit, currency: r.currency, costMinor: r.cost_minor === null ? null : fixed(r.cost_minor) }]));
}
