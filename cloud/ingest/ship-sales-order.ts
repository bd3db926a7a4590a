import { SpError } from '../../protocols/errors.ts';
import type { Queryable } from '../db/engine.ts';
import { postMovementIn } from '../inventory/ledger.ts';
import { closeReservationIn } from '../inventory/reservations.ts';
import { SALES_ORDER, SHIPMENT, type Pick } from '../inventory/documents/sales-orders.ts';
import { insertDoc, lockDoc, transition } from '../inventory/documents/machine.ts';
import type { Actor } from '../inventory/model.ts';

// A dock portal saw cases of a picked sales order leave. The ledger books what crossed the door
// (not what the pick list said): each portal movement ships that quantity from the picked bins
// of the item (the movement's lot first). When everything picked has crossed, the order is
// shipped the usual way: a shipment document, reservations fulfilled, the invoice task for
// finance. Until then the order stays picked and remembers per pick what already left.

export async function shipAgainstSalesOrderIn(q: Queryable, id: number, seen: { item: string; qty: number; lot?: string; key: string; at: string }, actor: Actor): Promise<number[]> {
  const d = await lockDoc(q, SALES_ORDER, id);
  if (d.status !== 'picked') {
    throw new SpError('SP_ERR_CONFLICT', { field: 'document', reason: `sales order ${id} is ${d.status}; goods can leave against it only once it is picked` });
  }
  const picks = (d.data.picks ?? []) as Pick[];
  const left = picks.map((p, i) => Math.round((p.qty - Number(d.data.portal?.shipped?.[i] ?? 0)) * 1e6) / 1e6);
  const shipped: number[] = picks.map((_, i) => Number(d.data.portal?.shipped?.[i] ?? 0));
  const order = picks.map((p, i) => ({ p, i })).filter(({ p }) => p.item === seen.item)
    .sort((a, b) => Number(b.p.lot === (seen.lot ?? null)) - Number(a.p.lot === (seen.lot ?? null)));
  let todo = seen.qty;
  const ids: number[] = [];
  for (const { p, i } of order) {
    if (todo <= 0) break;
    const take = Math.min(todo, left[i]!);
    if (take <= 0) continue;
    const { movement } = await postMovementIn(q, {
      kind: 'shipment', item: p.item, lot: p.lot ?? undefined, from: p.location, qty: take, sourceType: 'document',
      sourceRef: `sales_order:${id}`, idempotencyKey: `${seen.key}:${i}`, at: seen.at, note: `through the dock portal (${actor.name})`,
    }, actor);
    ids.push(movement.id);
    shipped[i] = Math.round((shipped[i]! + take) * 1e6) / 1e6;
    todo = Math.round((todo - take) * 1e6) / 1e6;
  }
  if (todo > 0) {
    throw new SpError('SP_ERR_CONFLICT', { field: 'quantity', reason: `${seen.qty} ${seen.item} left against sales order ${id}, but only ${seen.qty - todo} of it was picked and not yet shipped` });
  }
  const movements = [...(d.data.portal?.movements ?? []), ...ids];
  const portal = { shipped, movements };
  if (picks.some((p, i) => shipped[i]! < p.qty)) {
    await transition(q, SALES_ORDER, d, 'ship', 'picked', actor, { data: { ...d.data, portal }, note: `part shipped through the dock portal` });
    return ids;
  }
  const shipment = await insertDoc(q, SHIPMENT, { status: 'shipped', partner: d.partner, lines: picks, parentId: d.id, data: { salesOrder: d.id, movements, via: 'portal' } }, actor);
  for (const r of (d.data.reservations ?? []) as number[]) await closeReservationIn(q, r, 'fulfilled');
  await transition(q, SALES_ORDER, d, 'ship', 'shipped', actor, { data: { ...d.data, portal, shipment: shipment.id, movements } });
  return ids;
}
