import { z } from 'zod';
import { SpError } from '../../../protocols/errors.ts';
import type { Db, Queryable } from '../../db/engine.ts';
import { getItem } from '../master-data.ts';
import { postMovementIn } from '../ledger.ts';
import { closeReservationIn, commitReservationIn, reserveIn } from '../reservations.ts';
import { Currency, Id, Money, Qty, num, type Actor } from '../model.ts';
import { assertCan, insertDoc, lockDoc, transition, type Doc, type Machine } from './machine.ts';

// Sales order: confirmed → reserved → picked → shipped (or cancelled before picking).
// Reserving holds every line (all or nothing) without expiry; picking chooses lots first
// expiring, first out (FEFO) among sellable stock; shipping posts the shipment movements,
// records a shipment document and marks the reservations fulfilled.

export const SALES_ORDER: Machine = {
  type: 'sales_order',
  label: 'sales order',
  from: { reserve: ['confirmed'], pick: ['reserved'], ship: ['picked'], cancel: ['confirmed', 'reserved'] },
  next: {
    confirmed: [{ role: 'sales', action: 'reserve', title: (d) => `Reserve stock for sales order ${d.id} (${d.partner})` }],
    reserved: [{ role: 'warehouse', action: 'pick', title: (d) => `Pick sales order ${d.id}` }],
    picked: [{ role: 'warehouse', action: 'ship', title: (d) => `Ship sales order ${d.id} to ${d.partner}` }],
    shipped: [{ role: 'finance', action: 'invoice', title: (d) => `Invoice ${d.partner} for sales order ${d.id}` }],
  },
};
export const SHIPMENT: Machine = { type: 'shipment', label: 'shipment', from: {}, next: {} };

export const SalesOrderInput = z.object({
  customer: Id,
  channel: Id.default('default'),
  currency: Currency.default('EUR'),
  lines: z.array(z.object({ item: Id, qty: Qty, priceMinor: Money.optional() })).min(1),
});

export interface Pick { item: string; lot: string | null; location: string; qty: number }

export async function createSalesOrder(db: Db, input: z.input<typeof SalesOrderInput>, actor: Actor): Promise<Doc> {
  const s = SalesOrderInput.parse(input);
  return db.tx(async (q) => {
    if (!(await q.query('SELECT 1 FROM customers WHERE id = $1', [s.customer])).length) {
      throw new SpError('SP_ERR_VALIDATION', { field: 'body.customer', reason: `no customer "${s.customer}"` });
    }
    for (const [i, l] of s.lines.entries()) await getItem(q, l.item).catch(() => { throw new SpError('SP_ERR_VALIDATION', { field: `body.lines.${i}.item`, reason: `no item "${l.item}"` }); });
    const amountMinor = s.lines.reduce((a, l) => a + Math.round(l.qty * (l.priceMinor ?? 0)), 0);
    return insertDoc(q, SALES_ORDER, { status: 'confirmed', partner: s.customer, amountMinor, currency: s.currency, lines: s.lines, data: { channel: s.channel } }, actor);
  });
}

export async function salesOrderAction(db: Db, id: number, action: string, _body: unknown, actor: Actor): Promise<Doc> {
  return db.tx(async (q) => {
    const d = await lockDoc(q, SALES_ORDER, id);
    assertCan(SALES_ORDER, d, action);
    switch (action) {
      case 'reserve': {
        // items in a fixed order: two orders locking the same items cannot deadlock
        const lines = (d.lines as { item: string; qty: number }[]).map((l, i) => ({ ...l, i })).sort((a, b) => a.item.localeCompare(b.item));
        const reservations: number[] = [];
        for (const l of lines) {
          const r = await reserveIn(q, { item: l.item, qty: l.qty, channel: d.data.channel ?? 'default', ttl: 900, idempotencyKey: `sales_order:${d.id}:${l.i}`, ref: `sales_order:${d.id}` }, actor)
            .catch((e) => { if (e instanceof SpError) e.details.forEach((x) => { x.field = `lines.${l.i}.qty`; }); throw e; });
          await commitReservationIn(q, r.reservation.id);
          reservations.push(r.reservation.id);
        }
        return transition(q, SALES_ORDER, d, 'reserve', 'reserved', actor, { data: { ...d.data, reservations } });
      }
      case 'pick': {
        const picks: Pick[] = [];
        for (const l of d.lines as { item: string; qty: number }[]) picks.push(...(await fefo(q, l.item, l.qty)));
        return transition(q, SALES_ORDER, d, 'pick', 'picked', actor, { data: { ...d.data, picks } });
      }
      case 'ship': {
        const shipment = await insertDoc(q, SHIPMENT, { status: 'shipped', partner: d.partner, lines: d.data.picks, parentId: d.id, data: { salesOrder: d.id } }, actor);
        const movements: number[] = [];
        for (const p of d.data.picks as Pick[]) {
          const { movement } = await postMovementIn(q, {
            kind: 'shipment', item: p.item, lot: p.lot ?? undefined, from: p.location, qty: p.qty, sourceType: 'document', sourceRef: `shipment:${shipment.id}`,
          }, actor);
          movements.push(movement.id);
        }
        for (const r of d.data.reservations as number[]) await closeReservationIn(q, r, 'fulfilled');
        await q.query(`UPDATE documents SET data = data || $2::jsonb WHERE id = $1`, [shipment.id, JSON.stringify({ movements })]);
        return transition(q, SALES_ORDER, d, 'ship', 'shipped', actor, { data: { ...d.data, shipment: shipment.id, movements } });
      }
      case 'cancel': {
        for (const r of (d.data.reservations ?? []) as number[]) await closeReservationIn(q, r, 'released');
        const after = await transition(q, SALES_ORDER, d, 'cancel', 'cancelled', actor);
        return after;
      }
      default: throw new SpError('SP_ERR_NOT_FOUND', { field: 'action', reason: `no action "${action}" on a sales order` });
    }
  });
}

/** First expiring, first out: sellable balances of the item, earliest expiry first (no lot last). */
export async function fefo(q: Queryable, item: string, qty: number): Promise<Pick[]> {
  await q.query('SELECT 1 FROM item_positions WHERE item = $1 FOR UPDATE', [item]);
  const rows = await q.query<{ location: string; code: string | null; on_hand: string }>(
    `SELECT b.location, l.code, b.on_hand FROM balances b LEFT JOIN lots l ON l.id = b.lot_id
     WHERE b.item = $1 AND b.on_hand > 0
       AND (b.lot_id = 0 OR (l.status IN ('available', 'near_expiry') AND (l.expires_on IS NULL OR l.expires_on >= current_date)))
     ORDER BY l.expires_on NULLS LAST, l.code NULLS LAST, b.location`, [item]);
  const picks: Pick[] = [];
  let left = qty;
  for (const r of rows) {
    if (left <= 0) break;
    const take = Math.min(left, num(r.on_hand));
    picks.push({ item, lot: r.code, location: r.location, qty: Math.round(take * 1e6) / 1e6 });
    left = Math.round((left - take) * 1e6) / 1e6;
  }
  if (left > 0) {
    const short = `only ${Math.round((qty - left) * 1e6) / 1e6} of ${qty} ${item} can be picked from sellable stock`;
    // stock that is there but expired: say which lots, so the picker knows why the shelf is not enough
    const expired = await q.query<{ code: string; expires_on: string | null; on_hand: string }>(
      `SELECT l.code, l.expires_on::text AS expires_on, sum(b.on_hand) AS on_hand FROM balances b JOIN lots l ON l.id = b.lot_id
       WHERE b.item = $1 AND b.on_hand > 0
         AND (l.status = 'expired' OR (l.status IN ('available', 'near_expiry') AND l.expires_on < current_date))
       GROUP BY l.code, l.expires_on ORDER BY l.expires_on, l.code`, [item]);
    if (expired.length) {
      throw new SpError('SP_ERR_LOT_EXPIRED', expired.map((l) => ({
        field: 'lines', reason: `lot ${l.code} of ${item} expired${l.expires_on ? ` on ${l.expires_on}` : ''} (${num(l.on_hand)} on hand) and cannot be picked; ${short}`,
      })));
    }
    throw new SpError('SP_ERR_CONFLICT', { field: 'lines', reason: short });
  }
  return picks;
}
