import { z } from 'zod';
import { SpError } from '../../../protocols/errors.ts';
import type { Db, Queryable } from '../../db/engine.ts';
import { assertUsable } from '../master-data.ts';
import { postMovementIn } from '../ledger.ts';
import { closeReservationIn, commitReservationIn, reserveIn } from '../reservations.ts';
import { Currency, Id, Money, Qty, num, type Actor } from '../model.ts';
import { assertCan, assertMay, insertDoc, lockDoc, transition, type Doc, type Machine } from './machine.ts';

// Sales order: confirmed → reserved → picked → shipped (or cancelled before picking).
// Reserving holds every line (all or nothing) without expiry; picking chooses lots first
// expiring, first out (FEFO) among sellable stock; shipping posts the shipment movements, each
// against the order's own reservation (so reserved stock may leave for this order and no other),
// records a shipment document and marks the reservations fulfilled.
// Shipping may come in parts (`part`: what a dock portal saw cross the door, or a person ships
// by hand): the order stays picked and remembers per pick what already left, until everything
// picked has left. The API and the uplink (a gateway, role device) call the same functions, with
// the same permission and state checks: there is no second copy of this machine.

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

export const ShipInput = z.object({
  note: z.string().max(1000).optional(),
  part: z.object({ item: Id, qty: Qty, lot: Id.optional() }).optional()
    .describe('a part shipment: what left (the matching lot\'s picks first); without it, everything picked and not shipped yet'),
  idempotencyKey: z.string().min(1).max(200).optional().describe('the same shipment posted again ships nothing more'),
  at: z.string().datetime({ offset: true }).optional().describe('when the goods left (default now)'),
});

export async function createSalesOrder(db: Db, input: z.input<typeof SalesOrderInput>, actor: Actor): Promise<Doc> {
  const s = SalesOrderInput.parse(input);
  return db.tx(async (q) => {
    // archived partners and items are refused for new documents (SP_ERR_ARCHIVED), unknown ones are a 400
    await assertUsable(q, 'customers', s.customer, 'body.customer');
    for (const [i, l] of s.lines.entries()) await assertUsable(q, 'items', l.item, `body.lines.${i}.item`);
    const amountMinor = s.lines.reduce((a, l) => a + Math.round(l.qty * (l.priceMinor ?? 0)), 0);
    return insertDoc(q, SALES_ORDER, { status: 'confirmed', partner: s.customer, amountMinor, currency: s.currency, lines: s.lines, data: { channel: s.channel } }, actor);
  });
}

export async function salesOrderAction(db: Db, id: number, action: string, body: unknown, actor: Actor): Promise<Doc> {
  return db.tx(async (q) => {
    if (action === 'ship') return (await shipSalesOrderIn(q, id, body, actor)).doc;
    assertMay(actor, 'sales-orders', action);
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
      case 'cancel': {
        for (const r of (d.data.reservations ?? []) as number[]) await closeReservationIn(q, r, 'released');
        const after = await transition(q, SALES_ORDER, d, 'cancel', 'cancelled', actor);
        return after;
      }
      default: throw new SpError('SP_ERR_NOT_FOUND', { field: 'action', reason: `no action "${action}" on a sales order` });
    }
  });
}

/**
 * Ships a picked sales order inside the caller's transaction, whole or a part of it: the API's
 * `ship` action and a dock portal's pass (cloud/ingest/store-movements.ts) both come here.
 * Returns the order after the step and the shipment movements it booked.
 */
export async function shipSalesOrderIn(q: Queryable, id: number, input: unknown, actor: Actor): Promise<{ doc: Doc; movements: number[] }> {
  assertMay(actor, 'sales-orders', 'ship');
  const body = ShipInput.parse(input ?? {});
  const d = await lockDoc(q, SALES_ORDER, id);
  const picks = (d.data.picks ?? []) as Pick[];
  if (body.idempotencyKey) {
    const seen = await q.query<{ id: string }>('SELECT id FROM movements WHERE idempotency_key = ANY($1::text[]) ORDER BY id',
      [picks.map((_, i) => `${body.idempotencyKey}:${i}`)]);
    if (seen.length) return { doc: d, movements: seen.map((r) => Number(r.id)) };
  }
  assertCan(SALES_ORDER, d, 'ship');
  // what already left in earlier parts, per pick (kept under `portal`, the name it had when only the
  // dock portal shipped in parts; cloud/ingest/expected-publisher.ts reads it for the open shipment)
  const before = (d.data.portal ?? {}) as { shipped?: number[]; movements?: number[] };
  const shipped = picks.map((_, i) => Number(before.shipped?.[i] ?? 0));
  const take = body.part ? partOfPicks(d.id, picks, shipped, body.part) : picks.map((p, i) => round(p.qty - shipped[i]!));
  const holds = await holdsOfPicks(q, d, picks, take);
  const whole = !body.part;
  const shipment = whole ? await insertDoc(q, SHIPMENT, { status: 'shipped', partner: d.partner, lines: picks, parentId: d.id, data: { salesOrder: d.id } }, actor) : undefined;
  const ids: number[] = [];
  for (const [i, p] of picks.entries()) {
    if (take[i]! <= 0) continue;
    const { movement } = await postMovementIn(q, {
      kind: 'shipment', item: p.item, lot: p.lot ?? undefined, from: p.location, qty: take[i]!, sourceType: 'document',
      sourceRef: shipment ? `shipment:${shipment.id}` : `sales_order:${d.id}`, reservation: holds[i],
      idempotencyKey: body.idempotencyKey ? `${body.idempotencyKey}:${i}` : undefined, at: body.at,
      note: body.note ?? (actor.role === 'device' ? `through the dock portal (${actor.name})` : undefined),
    }, actor);
    ids.push(movement.id);
    shipped[i] = round(shipped[i]! + take[i]!);
  }
  const movements = [...(before.movements ?? []), ...ids];
  const portal = { shipped, movements };
  if (picks.some((p, i) => shipped[i]! < p.qty)) {
    const doc = await transition(q, SALES_ORDER, d, 'ship', 'picked', actor, { data: { ...d.data, portal }, note: body.note ?? 'part shipped' });
    return { doc, movements: ids };
  }
  const done = shipment ?? await insertDoc(q, SHIPMENT, { status: 'shipped', partner: d.partner, lines: picks, parentId: d.id, data: { salesOrder: d.id } }, actor);
  await q.query(`UPDATE documents SET data = data || $2::jsonb WHERE id = $1`,
    [done.id, JSON.stringify({ movements, ...(actor.role === 'device' ? { via: 'portal' } : {}) })]);
  // normally consumed by the movements already; a hold left over (an order shipped short of it) goes back
  for (const r of (d.data.reservations ?? []) as number[]) await closeReservationIn(q, r, 'fulfilled');
  const doc = await transition(q, SALES_ORDER, d, 'ship', 'shipped', actor, { data: { ...d.data, portal, shipment: done.id, movements }, note: body.note });
  return { doc, movements: ids };
}

/** how much of each pick a part shipment takes: picks of the item, the matching lot first */
function partOfPicks(id: number, picks: Pick[], shipped: number[], part: { item: string; qty: number; lot?: string }): number[] {
  const take = picks.map(() => 0);
  const order = picks.map((p, i) => ({ p, i })).filter(({ p }) => p.item === part.item)
    .sort((a, b) => Number(b.p.lot === (part.lot ?? null)) - Number(a.p.lot === (part.lot ?? null)));
  let todo = part.qty;
  for (const { p, i } of order) {
    if (todo <= 0) break;
    take[i] = Math.max(Math.min(todo, round(p.qty - shipped[i]!)), 0);
    todo = round(todo - take[i]!);
  }
  if (todo > 0) {
    throw new SpError('SP_ERR_CONFLICT', { field: 'part.qty', reason: `${part.qty} ${part.item} left against sales order ${id}, but only ${round(part.qty - todo)} of it was picked and not yet shipped` });
  }
  return take;
}

/**
 * The order's own reservation for each pick it ships: the open holds of the pick's item in line
 * order (one per line; a line's picks add up to its hold), so the movement may take reserved stock.
 */
async function holdsOfPicks(q: Queryable, d: Doc, picks: Pick[], take: number[]): Promise<(number | undefined)[]> {
  const rows = await q.query<{ id: string; item: string; left: string }>(
    `SELECT id, item, qty - consumed AS left FROM reservations WHERE id = ANY($1::bigint[]) AND status IN ('active', 'committed') ORDER BY id`,
    [(d.data.reservations ?? []) as number[]]);
  const holds = rows.map((r) => ({ id: Number(r.id), item: r.item, left: num(r.left) }));
  return picks.map((p, i) => {
    if (take[i]! <= 0) return undefined;
    const h = holds.find((x) => x.item === p.item && x.left > 0);
    if (!h) return undefined;
    h.left = round(h.left - take[i]!);
    return h.id;
  });
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

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
