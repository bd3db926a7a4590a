import { SpError } from '../../protocols/errors.ts';
import type { Db, Queryable } from '../db/engine.ts';
import type { SqlRow } from '../db/rows.ts';
import type { movements } from '../db/schema.ts';
import { getItem } from './master-data.ts';
import { findLot } from './lots.ts';
import { bindToReservations, overReservation, type OverReserved } from './reservation-bind.ts';
import { MovementInput, dec, num, type Actor, type MovementKind } from './model.ts';

// The ledger: every stock change is one insert-only movement row; the balances it touches are
// updated in the same transaction. The item's item_positions row is locked first, so all stock
// changes and reservations of one item are serialised (no lost updates, no oversell).

export interface Movement {
  id: number; kind: MovementKind; item: string; lot: string | null; from: string | null; to: string | null;
  qty: number; sourceType: MovementRow['source_type']; sourceRef: string | null; actor: string; at: number;
  idempotencyKey: string | null; reverses: number | null; note: string | null;
  /** the reservation this movement fulfilled (part of), if any */
  reservation: number | null;
}
/** overReserved: a count correction left less sellable stock than is reserved (it records reality, so it is booked; the holds must be dealt with) */
export interface PostResult { movement: Movement; duplicate: boolean; overReserved?: OverReserved }

const DIRECTION: Record<MovementKind, 'in' | 'out' | 'both' | 'either'> = {
  receipt: 'in', return: 'in', shipment: 'out', consumption: 'out', scrap: 'out', transfer: 'both', adjustment: 'either', count_correction: 'either',
};

const SELECT_MOVEMENT = `SELECT m.*, l.code AS lot_code FROM movements m LEFT JOIN lots l ON l.id = m.lot_id`;

/** SELECT_MOVEMENT's row: the movement and its lot's code */
type MovementRow = SqlRow<typeof movements> & { lot_code: string | null };
export const movementFromRow = (r: MovementRow): Movement => ({
  id: Number(r.id), kind: r.kind, item: r.item, lot: r.lot_code, from: r.from_location, to: r.to_location, qty: num(r.qty),
  sourceType: r.source_type, sourceRef: r.source_ref, actor: r.actor, at: new Date(r.at).getTime(),
  idempotencyKey: r.idempotency_key, reverses: r.reverses === null ? null : Number(r.reverses), note: r.note,
  reservation: r.reservation_id === null ? null : Number(r.reservation_id),
});

function checkDirection(kind: MovementKind, from?: string, to?: string): void {
  const d = DIRECTION[kind];
  const bad = (field: string, reason: string) => new SpError('SP_ERR_VALIDATION', { field, reason });
  if (d === 'in' && (!to || from)) throw bad(to ? 'body.from' : 'body.to', `a ${kind} goes into a location: give "to" only`);
  if (d === 'out' && (!from || to)) throw bad(from ? 'body.to' : 'body.from', `a ${kind} leaves a location: give "from" only`);
  if (d === 'both' && (!from || !to || from === to)) throw bad(!from ? 'body.from' : 'body.to', 'a transfer needs two different locations, "from" and "to"');
  if (d === 'either' && Boolean(from) === Boolean(to)) throw bad('body.from', `a ${kind} gives either "to" (stock found) or "from" (stock lost)`);
}

async function byKey(q: Queryable, key: string): Promise<Movement | undefined> {
  const [r] = await q.query<MovementRow>(`${SELECT_MOVEMENT} WHERE m.idempotency_key = $1`, [key]);
  return r && movementFromRow(r);
}

/** Posts one movement inside the caller's transaction (documents post several atomically). */
export async function postMovementIn(q: Queryable, input: MovementInput, actor: Actor): Promise<PostResult> {
  const m = MovementInput.parse(input);
  checkDirection(m.kind, m.from, m.to);
  const locked = await q.query('SELECT 1 FROM item_positions WHERE item = $1 FOR UPDATE', [m.item]);
  if (!locked.length) throw new SpError('SP_ERR_VALIDATION', { field: 'body.item', reason: `no item with SKU "${m.item}"` });
  if (m.idempotencyKey) {
    const first = await byKey(q, m.idempotencyKey);
    if (first) return { movement: first, duplicate: true };
  }
  const item = await getItem(q, m.item);
  // archived master data is history: no new stock work on it (a reversal corrects history, so it may)
  if (item.archivedAt && m.reverses === undefined) {
    throw new SpError('SP_ERR_ARCHIVED', { field: 'body.item', reason: `item "${m.item}" is archived: restore it or choose another` });
  }
  let lotId = 0;
  let sellableSource = true;
  if (m.lot) {
    const lot = await findLot(q, m.item, m.lot);
    if (!lot) throw new SpError('SP_ERR_VALIDATION', { field: 'body.lot', reason: `item "${m.item}" has no lot "${m.lot}"` });
    if (m.kind === 'shipment' && !['available', 'near_expiry'].includes(lot.effectiveStatus)) {
      throw new SpError(lot.effectiveStatus === 'expired' ? 'SP_ERR_LOT_EXPIRED' : 'SP_ERR_CONFLICT', {
        field: 'body.lot',
        reason: lot.effectiveStatus === 'expired'
          ? `lot ${lot.code} of ${m.item} expired${lot.expiresOn ? ` on ${lot.expiresOn}` : ''} and cannot be shipped`
          : `lot ${lot.code} is ${lot.effectiveStatus} and cannot be shipped`,
      });
    }
    lotId = lot.id;
    sellableSource = lot.effectiveStatus === 'available' || lot.effectiveStatus === 'near_expiry';
  } else if (item.lotTracked) {
    throw new SpError('SP_ERR_VALIDATION', { field: 'body.lot', reason: `item "${m.item}" is lot-tracked: name the lot` });
  }
  for (const [field, loc] of [['body.from', m.from], ['body.to', m.to]] as const) {
    if (!loc) continue;
    const [l] = await q.query<{ archived_at: unknown }>('SELECT archived_at FROM locations WHERE id = $1', [loc]);
    if (!l) throw new SpError('SP_ERR_VALIDATION', { field, reason: `no location "${loc}"` });
    if (l.archived_at && m.reverses === undefined) throw new SpError('SP_ERR_ARCHIVED', { field, reason: `location "${loc}" is archived` });
  }
  if (m.reverses !== undefined && !(await q.query('SELECT 1 FROM movements WHERE id = $1 AND item = $2', [m.reverses, m.item])).length) {
    throw new SpError('SP_ERR_VALIDATION', { field: 'body.reverses', reason: `no movement ${m.reverses} of item "${m.item}"` });
  }
  const qty = dec(m.qty);
  if (m.from) {
    // compared in SQL: exact decimal arithmetic, no float rounding
    const [b] = await q.query<{ on_hand: string; short: boolean }>(
      `SELECT coalesce(max(on_hand), 0) AS on_hand, coalesce(max(on_hand), 0) < $4::numeric AS short
       FROM balances WHERE item = $1 AND location = $2 AND lot_id = $3`, [m.item, m.from, lotId, qty]);
    if (b!.short && !item.allowNegative) {
      throw new SpError('SP_ERR_CONFLICT', {
        field: 'body.qty',
        reason: `insufficient stock: ${num(b?.on_hand)} ${item.unit} of ${m.item}${m.lot ? ` lot ${m.lot}` : ''} at ${m.from}, ${m.qty} requested (negative stock is not allowed for this item)`,
      });
    }
  }
  // the item's holds: what this movement may take, and the part of its own hold it consumes
  const { reservationId } = await bindToReservations(q, { ...m, qty }, sellableSource, actor);
  const [row] = await q.query<{ id: string }>(
    `INSERT INTO movements (kind, item, lot_id, from_location, to_location, qty, source_type, source_ref, actor, at, idempotency_key, reverses, note, reservation_id)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,coalesce($10::timestamptz, now()),$11,$12,$13,$14) RETURNING id`,
    [m.kind, m.item, lotId || null, m.from ?? null, m.to ?? null, qty, m.sourceType, m.sourceRef ?? null, actor.name,
      m.at ?? null, m.idempotencyKey ?? null, m.reverses ?? null, m.note ?? null, reservationId]);
  const bump = (location: string, delta: string) => q.query(
    `INSERT INTO balances (item, location, lot_id, on_hand) VALUES ($1,$2,$3,$4::numeric)
     ON CONFLICT (item, location, lot_id) DO UPDATE SET on_hand = balances.on_hand + EXCLUDED.on_hand, updated_at = now()`,
    [m.item, location, lotId, delta]);
  if (m.from) await bump(m.from, `-${qty}`);
  if (m.to) await bump(m.to, qty);
  const [r] = await q.query<MovementRow>(`${SELECT_MOVEMENT} WHERE m.id = $1`, [row!.id]);
  const overReserved = m.kind === 'count_correction' && m.from ? await overReservation(q, m.item) : undefined;
  return { movement: movementFromRow(r!), duplicate: false, ...(overReserved ? { overReserved } : {}) };
}

/** Posts one movement in its own transaction; a repeated idempotency key returns the first result. */
export async function postMovement(db: Db, input: MovementInput, actor: Actor): Promise<PostResult> {
  try {
    return await db.tx((q) => postMovementIn(q, input, actor));
  } catch (e) {
    // Two first posts of one key for different items raced past the check: the loser reads the winner.
    const key = (input as { idempotencyKey?: string }).idempotencyKey;
    if ((e as { code?: string }).code === '23505' && key) {
      const first = await byKey(db, key);
      if (first) return { movement: first, duplicate: true };
    }
    throw e;
  }
}

export async function listMovements(db: Db, f: { item?: string; limit?: number; before?: number }): Promise<Movement[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.item) { params.push(f.item); where.push(`m.item = $${params.length}`); }
  if (f.before) { params.push(f.before); where.push(`m.id < $${params.length}`); }
  params.push(f.limit ?? 100);
  const rows = await db.query<MovementRow>(`${SELECT_MOVEMENT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY m.id DESC LIMIT $${params.length}`, params);
  return rows.map(movementFromRow);
}
