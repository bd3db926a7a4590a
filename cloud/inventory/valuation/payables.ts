import type { Db } from '../../db/engine.ts';
import { ZERO, mul, text, type Fixed } from './decimal.ts';
import { loadLedger } from './ledger-rows.ts';

// Payables: what arrived against each purchase order, at the order's price, from the ledger's
// receipt movements (less any movement that reverses one), per supplier — received, paid, open.
//
// Paid: purchase orders have no "pay" action; a received order opens a finance task "Pay supplier
// … for purchase order …" (cloud/inventory/documents/purchase-orders.ts) that finance marks done
// by hand (POST /api/tasks/:id/done) once the money went out. That task is the paid mark. A
// document transition also closes the document's open tasks as done (closing the order does), in
// the same transaction as its event: such a closure is the workflow's, not a payment, and is told
// apart by the event with the same actor at the same transaction time.

export interface PayableOrder { id: number; status: string; currency: string; receivedMinor: string; paid: boolean; paidAt: string | null; paidBy: string | null }
export interface SupplierPayable { supplier: string; name: string; currency: string; receivedMinor: string; paidMinor: string; openMinor: string; orders: PayableOrder[] }

export async function payables(db: Db): Promise<{ suppliers: SupplierPayable[]; totals: { currency: string; openMinor: string }[] }> {
  const [rows, paidRows, names] = await Promise.all([
    loadLedger(db, null),
    db.query<{ document_id: string; closed_at: string | Date; closed_by: string }>(`
      SELECT t.document_id, t.closed_at, t.closed_by FROM tasks t
      WHERE t.action = 'pay' AND t.status = 'done'
        AND NOT EXISTS (SELECT 1 FROM document_events e WHERE e.document_id = t.document_id AND e.at = t.closed_at AND e.actor = t.closed_by)`),
    db.query<{ id: string; name: string }>('SELECT id, name FROM suppliers'),
  ]);
  const paid = new Map(paidRows.map((p) => [Number(p.document_id), p]));
  /** receipt movement id → its order and unit price, for a later movement that reverses it */
  const receipts = new Map<number, { order: number; price: Fixed }>();
  const orders = new Map<number, { id: number; status: string; supplier: string; currency: string; received: Fixed }>();
  for (const r of rows) {
    // a receipt at its order's price; a movement reversing a receipt takes it back at that price
    const reversed = r.reverses === null || !r.from ? undefined : receipts.get(r.reverses);
    if (r.kind === 'receipt' && r.order?.type === 'purchase_order' && r.orderPrice !== null) {
      receipts.set(r.id, { order: r.order.id, price: r.orderPrice });
      const o = orders.get(r.order.id) ?? { id: r.order.id, status: r.order.status, supplier: r.order.partner ?? '', currency: r.order.currency ?? 'EUR', received: ZERO };
      o.received += mul(r.qty, r.orderPrice);
      orders.set(o.id, o);
    } else if (reversed) {
      orders.get(reversed.order)!.received -= mul(r.qty, reversed.price);
    }
  }
  const nameOf = new Map(names.map((n) => [n.id, n.name]));
  const bySupplier = new Map<string, { supplier: string; currency: string; received: Fixed; paid: Fixed; orders: PayableOrder[] }>();
  for (const o of [...orders.values()].sort((a, b) => a.id - b.id)) {
    const key = `${o.supplier}\u0000${o.currency}`;
    const s = bySupplier.get(key) ?? { supplier: o.supplier, currency: o.currency, received: ZERO, paid: ZERO, orders: [] };
    const p = paid.get(o.id);
    s.received += o.received;
    if (p) s.paid += o.received;
    s.orders.push({
      id: o.id, status: o.status, currency: o.currency, receivedMinor: text(o.received), paid: Boolean(p),
      paidAt: p ? new Date(p.closed_at).toISOString() : null, paidBy: p?.closed_by ?? null,
    });
    bySupplier.set(key, s);
  }
  const suppliers = [...bySupplier.values()].sort((a, b) => a.supplier.localeCompare(b.supplier) || a.currency.localeCompare(b.currency)).map((s) => ({
    supplier: s.supplier, name: nameOf.get(s.supplier) ?? s.supplier, currency: s.currency,
    receivedMinor: text(s.received), paidMinor: text(s.paid), openMinor: text(s.received - s.paid), orders: s.orders,
  }));
  const totals = new Map<string, Fixed>();
  for (const s of bySupplier.values()) totals.set(s.currency, (totals.get(s.currency) ?? ZERO) + s.received - s.paid);
  return { suppliers, totals: [...totals].sort(([a], [b]) => a.localeCompare(b)).map(([currency, v]) => ({ currency, openMinor: text(v) })) };
}
