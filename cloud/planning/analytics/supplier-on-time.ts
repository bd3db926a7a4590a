import type { Queryable } from '../../db/engine.ts';
import { dayFromIso, dayOf, isoDay } from '../days.ts';
import { rangeOut, ratio, round2, type DayRange } from './range.ts';

// Supplier on-time delivery rate. A purchase order is expected on the day it was approved
// (ordered) plus the lead time of its slowest item (items.lead_time_days), or on
// data.expectedOn if the order carries one. It is delivered when the receipt that completes it
// is posted (for an order closed short: its last receipt). On time = delivered on or before
// the expected day. An order past its expected day and not delivered counts as late (overdue);
// one not yet due is pending and left out of the rate. Orders are counted in the period their
// expected day falls in.

interface PoRow {
  id: string; partner: string; status: string; lines: { item: string }[]; data: { expectedOn?: string };
  approved_at: Date | null; completed_at: Date | null; last_receipt_at: Date | null; supplier_name: string | null;
}

export async function supplierOnTime(q: Queryable, r: DayRange) {
  const [rows, items] = await Promise.all([
    q.query<PoRow>(
      `SELECT d.id, d.partner, d.status, d.lines, d.data, s.name AS supplier_name,
         (SELECT min(e.at) FROM document_events e WHERE e.document_id = d.id AND e.to_status = 'approved') AS approved_at,
         (SELECT min(e.at) FROM document_events e WHERE e.document_id = d.id AND e.to_status = 'received') AS completed_at,
         (SELECT max(e.at) FROM document_events e WHERE e.document_id = d.id AND e.action = 'receive') AS last_receipt_at
       FROM documents d LEFT JOIN suppliers s ON s.id = d.partner
       WHERE d.type = 'purchase_order' AND d.status IN ('approved', 'partially_received', 'received', 'closed')`),
    q.query<{ sku: string; lead_time_days: number | null }>('SELECT sku, lead_time_days FROM items'),
  ]);
  const lead = new Map(items.map((i) => [i.sku, i.lead_time_days]));
  const today = dayOf(r.nowMs);
  const orders = [];
  let withoutLeadTime = 0;
  for (const po of rows) {
    if (!po.approved_at) continue;
    const approvedDay = dayOf(new Date(po.approved_at).getTime());
    const leads = po.lines.map((l) => lead.get(l.item));
    let expectedDay: number;
    if (po.data?.expectedOn) expectedDay = dayFromIso(po.data.expectedOn);
    else if (leads.every((x) => typeof x === 'number')) expectedDay = approvedDay + Math.max(...(leads as number[]));
    else { withoutLeadTime++; continue; }
    if (expectedDay < r.fromDay || expectedDay >= r.toDay) continue;
    const deliveredAt = po.completed_at ?? (po.status === 'closed' ? po.last_receipt_at : null);
    const deliveredDay = deliveredAt ? dayOf(new Date(deliveredAt).getTime()) : null;
    const outcome = deliveredDay !== null ? (deliveredDay <= expectedDay ? 'on_time' : 'late') : today > expectedDay ? 'overdue' : 'pending';
    const delayDays = deliveredDay !== null ? Math.max(0, deliveredDay - expectedDay) : outcome === 'overdue' ? today - expectedDay : 0;
    orders.push({
      id: Number(po.id), supplier: po.partner, supplierName: po.supplier_name, approvedOn: isoDay(approvedDay), expectedOn: isoDay(expectedDay),
      deliveredOn: deliveredDay === null ? null : isoDay(deliveredDay), outcome, delayDays,
    });
  }
  const bySupplier = new Map<string, typeof orders>();
  for (const o of orders) bySupplier.set(o.supplier, [...(bySupplier.get(o.supplier) ?? []), o]);
  const suppliers = [...bySupplier].map(([supplier, os]) => {
    const n = (k: string) => os.filter((o) => o.outcome === k).length;
    const lateOnes = os.filter((o) => o.outcome === 'late' || o.outcome === 'overdue');
    const decided = n('on_time') + n('late') + n('overdue');
    return {
      supplier, name: os[0]!.supplierName, orders: os.length, onTime: n('on_time'), late: n('late'), overdue: n('overdue'), pending: n('pending'),
      onTimeRate: ratio(n('on_time'), decided),
      avgDelayDaysWhenLate: lateOnes.length ? round2(lateOnes.reduce((a, o) => a + o.delayDays, 0) / lateOnes.length) : null,
    };
  }).sort((a, b) => a.supplier.localeCompare(b.supplier));
  return { ...rangeOut(r), suppliers, orders: orders.sort((a, b) => a.id - b.id), ordersWithoutLeadTime: withoutLeadTime };
}
