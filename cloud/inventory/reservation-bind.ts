import { SpError } from '../../protocols/errors.ts';
import type { Queryable } from '../db/engine.ts';
import { num, type MovementKind } from './model.ts';

// Reservations bind every movement. A reservation is a promise of an item's sellable stock to a
// customer (item-level: a shop sells the item, not a bin), so the ledger keeps
//   sellable on hand ≥ reserved
// against every movement, whoever posts it (API, device, document):
// - an outgoing movement from sellable stock (no lot, or a lot available / near expiry and not
//   past its date) — shipment, consumption, scrap, an adjustment out — may take only what is
//   unreserved plus what its own reservation (movement.reservation) still holds; that part of the
//   hold is consumed with it. (With no other hold left there is nothing to protect: the on-hand
//   check alone applies, so an allowNegative item may still go below zero.) Otherwise 409 SP_ERR_RESERVED naming the item, the available and
//   the reserved quantity. It may never create or deepen a shortfall (a lot that expired under a
//   hold can leave sellable < reserved; then only a movement's own reservation may still leave).
// - a count correction records what is on the shelf: it always goes through, and when it leaves
//   less on hand than reserved the ledger answers with the shortfall (`overReserved`) and
//   `stockpulse verify` lists it until someone releases holds or finds the goods.
// - a transfer is not bound: it moves stock between locations of the same item and lot, so
//   the item's sellable total, which the holds are promised from, does not change.
// - stock that is not sellable (quarantined, rejected, expired) is not promised to anyone:
//   moving it out (a QA rejection's scrap) is not bound.
// Channel pools are quotas, not holds: the used part of a pool is inside `reserved` and so is
// bound; the unused quota protects stock from other channels' reservations, not from movements
// (a pool may be larger than the stock, and must not stop the bakery using its flour).
// The caller holds the item's item_positions lock, which orders this against every reservation.

export const BOUND_KINDS: readonly MovementKind[] = ['shipment', 'consumption', 'scrap', 'adjustment'];

export interface OverReserved { item: string; onHand: number; sellable: number; reserved: number }
export interface Binding { reservationId: number | null }

interface Move { kind: MovementKind; item: string; from?: string; to?: string; reservation?: number; qty: string; sourceType: string }

/** Checks an outgoing movement against the item's holds and consumes its own; the caller inserts the movement next. */
export async function bindToReservations(q: Queryable, m: Move, sellableSource: boolean, actor: { role: string }): Promise<Binding> {
  // A device credential could otherwise name any order's hold (ids are sequential) and take its
  // goods; a device ships reserved goods only through a sales order it was offered (the order's
  // service names the hold, sourceType document).
  if (m.reservation !== undefined && actor.role === 'device' && m.sourceType !== 'document') {
    throw new SpError('SP_ERR_FORBIDDEN', { field: 'body.reservation', reason: 'a device may not name a reservation; reserved goods leave against the sales order that holds them' });
  }
  if (m.reservation !== undefined && (!m.from || m.to)) {
    throw new SpError('SP_ERR_VALIDATION', { field: 'body.reservation', reason: `a ${m.kind}${m.to ? ' into a location' : ''} does not fulfil a reservation; only stock leaving ("from" only) does` });
  }
  if (!m.from || m.to) return { reservationId: null };
  // an overdue hold does not block a movement, as it does not block a sale
  await q.query('SELECT sp_expire_item_locked($1)', [m.item]);
  if (m.reservation !== undefined) await ownReservation(q, m.item, m.reservation);
  const bound = BOUND_KINDS.includes(m.kind) && sellableSource;
  if (bound) {
    const [s] = await q.query<{ sellable: string; reserved: string; own: string; refused: boolean }>(
      `WITH f AS (
         SELECT sp_sellable($1) AS sellable, (SELECT reserved FROM item_positions WHERE item = $1) AS reserved,
                least($2::numeric, coalesce((SELECT qty - consumed FROM reservations WHERE id = $3), 0)) AS own)
       SELECT sellable, reserved, own, reserved - own > 0 AND ($2::numeric - own) > greatest(sellable - reserved, 0) AS refused FROM f`,
      [m.item, m.qty, m.reservation ?? null]);
    if (s!.refused) {
      const available = Math.max(num(s!.sellable) - num(s!.reserved), 0);
      const own = num(s!.own);
      throw new SpError('SP_ERR_RESERVED', {
        field: 'body.qty',
        reason: `reserved stock: ${m.item} has ${available} available and ${num(s!.reserved)} reserved; a ${m.kind} of ${num(m.qty)} from ${m.from}`
          + (m.reservation !== undefined ? ` may take ${available} plus the ${own} its reservation ${m.reservation} holds` : ` holds no reservation of its own`)
          + ' (release a hold, or post the movement against its reservation)',
      });
    }
  }
  if (m.reservation !== undefined) await q.query('SELECT sp_consume_reservation($1, $2::numeric)', [m.reservation, m.qty]);
  return { reservationId: m.reservation ?? null };
}

async function ownReservation(q: Queryable, item: string, id: number): Promise<void> {
  const [r] = await q.query<{ item: string; status: string }>('SELECT item, status FROM reservations WHERE id = $1', [id]);
  if (!r || r.item !== item) throw new SpError('SP_ERR_VALIDATION', { field: 'body.reservation', reason: `no reservation ${id} of item "${item}"` });
  if (r.status !== 'active' && r.status !== 'committed') {
    throw new SpError('SP_ERR_CONFLICT', { field: 'body.reservation', reason: `reservation ${id} is ${r.status}; it holds nothing any more` });
  }
}

/** the item's shortfall once a movement is booked: sellable stock below what is reserved */
export async function overReservation(q: Queryable, item: string): Promise<OverReserved | undefined> {
  const [s] = await q.query<{ on_hand: string; sellable: string; reserved: string; short: boolean }>(
    `SELECT o.on_hand, o.sellable, o.reserved, o.reserved > 0 AND o.sellable < o.reserved AS short FROM (
       SELECT (SELECT coalesce(sum(on_hand), 0) FROM balances WHERE item = $1) AS on_hand, sp_sellable($1) AS sellable,
              (SELECT reserved FROM item_positions WHERE item = $1) AS reserved) o`, [item]);
  return s!.short ? { item, onHand: num(s!.on_hand), sellable: num(s!.sellable), reserved: num(s!.reserved) } : undefined;
}
