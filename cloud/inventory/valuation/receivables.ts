import type { Db } from '../../db/engine.ts';
import { ZERO, mul, text, type Fixed } from './decimal.ts';
import { loadLedger } from './ledger-rows.ts';

// Receivables: what left against each sales order, at the order's price, from the ledger's
// shipment movements less the returns that reverse them, per customer. Sales orders have no
// "payment received" state in stockpulse (a shipped order opens a finance task "Invoice …",
// marked done by hand), so everything shipped and not returned is open; `invoiced` says whether
// that task was done by hand (not by a workflow transition closing it).

export interface ReceivableOrder { id: number; status: string; currency: string; shippedMinor: string; returnedMinor: string; openMinor: string; unpricedQty: number; invoiced: boolean }
export interface CustomerReceivable { customer: string; name: string; currency: string; shippedMinor: string; returnedMinor: string; openMinor: string; orders: ReceivableOrder[] }

export async function receivables(db: Db): Promise<{ customers: CustomerReceivable[]; totals: { currency: string; openMinor: string }[] }> {
  const [rows, invoicedRows, names] = await Promise.all([
    loadLedger(db, null),
    db.query<{ document_id: string }>(`
      SELECT t.document_id FROM tasks t
      WHERE t.action = 'invoice' AND t.status = 'done'
        AND NOT EXISTS (SELECT 1 FROM document_events e WHERE e.document_id = t.document_id AND e.at = t.closed_at AND e.actor = t.closed_by)`),
    db.query<{ id: string; name: string }>('SELECT id, name FROM customers'),
  ]);
  const invoiced = new Set(invoicedRows.map((r) => Number(r.document_id)));
  const orders = new Map<number, { id: number; status: string; customer: string; currency: string; shipped: Fixed; returned: Fixed; unpriced: Fixed }>();
  for (const r of rows) {
    if (r.order?.type !== 'sales_order' || (r.kind !== 'shipment' && r.kind !== 'return')) continue;
    const o = orders.get(r.order.id) ?? { id: r.order.id, status: r.order.status, customer: r.order.partner ?? '', currency: r.order.currency ?? 'EUR', shipped: ZERO, returned: ZERO, unpriced: ZERO };
    if (r.orderPrice === null) { o.unpriced += r.kind === 'shipment' ? r.qty : -r.qty; orders.set(o.id, o); continue; }
    if (r.kind === 'shipment') o.shipped += mul(r.qty, r.orderPrice);
    else o.returned += mul(r.qty, r.orderPrice);
    orders.set(o.id, o);
  }
  const nameOf = new Map(names.map((n) => [n.id, n.name]));
  const byCustomer = new Map<string, { customer: string; currency: string; shipped: Fixed; returned: Fixed; orders: ReceivableOrder[] }>();
  for (const o of [...orders.values()].sort((a, b) => a.id - b.id)) {
    const key = `${o.customer}\u0000${o.currency}`;
    const c = byCustomer.get(key) ?? { customer: o.customer, currency: o.currency, shipped: ZERO, returned: ZERO, orders: [] };
    c.shipped += o.shipped;
    c.returned += o.returned;
    c.orders.push({
      id: o.id, status: o.status, currency: o.currency, shippedMinor: text(o.shipped), returnedMinor: text(o.returned),
      openMinor: text(o.shipped - o.returned), unpricedQty: Number(text(o.unpriced)), invoiced: invoiced.has(o.id),
    });
    byCustomer.set(key, c);
  }
  const customers = [...byCustomer.values()].sort((a, b) => a.customer.localeCompare(b.customer) || a.currency.localeCompare(b.currency)).map((c) => ({
    customer: c.customer, name: nameOf.get(c.customer) ?? c.customer, currency: c.currency,
    shippedMinor: text(c.shipped), returnedMinor: text(c.returned), openMinor: text(c.shipped - c.returned), orders: c.orders,
  }));
  const totals = new Map<string, Fixed>();
  for (const c of byCustomer.values()) totals.set(c.currency, (totals.get(c.currency) ?? ZERO) + c.shipped - c.returned);
  return { customers, totals: [...totals].sort(([a], [b]) => a.localeCompare(b)).map(([currency, v]) => ({ currency, openMinor: text(v) })) };
}
