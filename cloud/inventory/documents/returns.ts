import { z } from 'zod';
import { SpError } from '../../../protocols/errors.ts';
import type { Db } from '../../db/engine.ts';
import { postMovementIn } from '../ledger.ts';
import { Id, LotCode, Qty, Text, type Actor } from '../model.ts';
import { assertCan, assertMay, getDoc, insertDoc, lockDoc, transition, type Doc, type Machine } from './machine.ts';
import { SALES_ORDER, type Pick } from './sales-orders.ts';

// Customer return: requested (sales) → received (warehouse: return movements that reverse the
// shipment, into a location) → closed (QA inspects: restock, or scrap).

export const CUSTOMER_RETURN: Machine = {
  type: 'customer_return',
  label: 'customer return',
  from: { receive: ['requested'], inspect: ['received'] },
  next: {
    requested: [{ role: 'warehouse', action: 'receive', title: (d) => `Receive the return ${d.id} from ${d.partner}` }],
    received: [{ role: 'qa', action: 'inspect', title: (d) => `Inspect returned goods of return ${d.id}` }],
  },
};

export const ReturnInput = z.object({
  salesOrder: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  reason: Text(500).refine((s) => s.trim().length > 0, 'say why the goods come back'),
  lines: z.array(z.object({ item: Id, lot: LotCode.optional(), qty: Qty })).min(1),
});
const ReceiveBody = z.object({ location: Id });
const InspectBody = z.object({ disposition: z.enum(['restock', 'scrap']), note: Text(500).optional() });

export async function createReturn(db: Db, input: z.input<typeof ReturnInput>, actor: Actor): Promise<Doc> {
  const r = ReturnInput.parse(input);
  return db.tx(async (q) => {
    const so = await getDoc(q, SALES_ORDER, r.salesOrder).catch(() => { throw new SpError('SP_ERR_VALIDATION', { field: 'body.salesOrder', reason: `no sales order ${r.salesOrder}` }); });
    if (so.status !== 'shipped') throw new SpError('SP_ERR_CONFLICT', { field: 'body.salesOrder', reason: `sales order ${so.id} is ${so.status}; only shipped goods come back` });
    const shipped = (so.data.picks ?? []) as Pick[];
    for (const [i, l] of r.lines.entries()) {
      const out = shipped.filter((p) => p.item === l.item && (l.lot === undefined || p.lot === l.lot)).reduce((a, p) => a + p.qty, 0);
      if (l.qty > out) throw new SpError('SP_ERR_VALIDATION', { field: `body.lines.${i}.qty`, reason: `only ${out} ${l.item}${l.lot ? ` lot ${l.lot}` : ''} was shipped on sales order ${so.id}` });
    }
    return insertDoc(q, CUSTOMER_RETURN, { status: 'requested', partner: so.partner, lines: r.lines, parentId: so.id, data: { reason: r.reason } }, actor);
  });
}

export async function returnAction(db: Db, id: number, action: string, body: unknown, actor: Actor): Promise<Doc> {
  return db.tx(async (q) => {
    const d = await lockDoc(q, CUSTOMER_RETURN, id);
    assertMay(actor, 'returns', action);
    assertCan(CUSTOMER_RETURN, d, action);
    if (action === 'receive') {
      const { location } = ReceiveBody.parse(body ?? {});
      const so = await getDoc(q, SALES_ORDER, d.parentId!);
      const movements: number[] = [];
      for (const l of d.lines as { item: string; lot?: string; qty: number }[]) {
        // the shipment movement this return reverses (same item and lot)
        const [orig] = await q.query<{ id: string }>(
          `SELECT m.id FROM movements m LEFT JOIN lots l ON l.id = m.lot_id
           WHERE m.id = ANY($1::bigint[]) AND m.item = $2 AND ($3::text IS NULL OR l.code = $3) ORDER BY m.id LIMIT 1`,
          [so.data.movements ?? [], l.item, l.lot ?? null]);
        const { movement } = await postMovementIn(q, {
          kind: 'return', item: l.item, lot: l.lot, to: location, qty: l.qty, sourceType: 'document', sourceRef: `customer_return:${d.id}`,
          reverses: orig ? Number(orig.id) : undefined,
        }, actor);
        movements.push(movement.id);
      }
      return transition(q, CUSTOMER_RETURN, d, 'receive', 'received', actor, { data: { ...d.data, location, movements } });
    }
    const { disposition, note } = InspectBody.parse(body ?? {});
    const scrapped: number[] = [];
    if (disposition === 'scrap') {
      for (const l of d.lines as { item: string; lot?: string; qty: number }[]) {
        const { movement } = await postMovementIn(q, {
          kind: 'scrap', item: l.item, lot: l.lot, from: d.data.location, qty: l.qty, sourceType: 'document', sourceRef: `customer_return:${d.id}`, note,
        }, actor);
        scrapped.push(movement.id);
      }
    }
    return transition(q, CUSTOMER_RETURN, d, 'inspect', 'closed', actor, { data: { ...d.data, disposition, scrapped }, note });
  });
}
