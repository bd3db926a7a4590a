import type { Logger } from 'pino';
import type { z } from 'zod';
import { SpError } from '../../protocols/errors.ts';
import type { Db, Queryable } from '../db/engine.ts';
import { ReservationInput, dec, num, type Actor } from './model.ts';

// Reservations hold available stock for a channel for `ttl` seconds; committed on payment (no
// expiry), released on cancel, or expired back to the pool. The decision happens in one SQL
// function (sp_reserve_many, migration 0004) that locks the item's row: one round trip per request,
// and concurrent requests for the same item queue on that lock, so they can never oversell.

export type ReservationStatus = 'active' | 'committed' | 'released' | 'expired' | 'fulfilled';
export interface Reservation {
  id: number; item: string; channel: string; qty: number; fromPool: number; status: ReservationStatus;
  /** what movements already took of the hold (a movement names its reservation); it holds qty − consumed */
  consumed: number;
  ttlSec: number; expiresAt: number | null; createdAt: number; committedAt: number | null; closedAt: number | null;
  idempotencyKey: string | null; actor: string; ref: string | null;
}

type Raw = Record<string, unknown>;
const t = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).getTime());
export const reservationFromRow = (r: Raw): Reservation => ({
  id: Number(r.id), item: r.item as string, channel: r.channel as string, qty: num(r.qty), fromPool: num(r.from_pool), consumed: num(r.consumed),
  status: r.status as ReservationStatus, ttlSec: Number(r.ttl_sec), expiresAt: t(r.expires_at), createdAt: t(r.created_at)!,
  committedAt: t(r.committed_at), closedAt: t(r.closed_at), idempotencyKey: (r.idempotency_key as string | null) ?? null,
  actor: r.actor as string, ref: (r.ref as string | null) ?? null,
});

export interface ReserveResult { reservation: Reservation; duplicate: boolean; available: number | null }

type Outcome = { outcome: string; reservation?: Raw; available?: number };

function toResult(out: Outcome, r: ReservationInput & { channel: string }): ReserveResult {
  switch (out.outcome) {
    case 'created': return { reservation: reservationFromRow(out.reservation!), duplicate: false, available: num(out.available) };
    case 'duplicate': return { reservation: reservationFromRow(out.reservation!), duplicate: true, available: null };
    case 'unknown_item': throw new SpError('SP_ERR_VALIDATION', { field: 'body.item', reason: `no item with SKU "${r.item}"` });
    default: throw new SpError('SP_ERR_CONFLICT', {
      field: 'body.qty',
      reason: `insufficient stock: ${num(out.available)} of ${r.item} available to promise for channel "${r.channel}", ${r.qty} requested`,
    });
  }
}

const parseJson = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

/** One reservation inside the caller's transaction (sales orders reserve all lines atomically). */
export async function reserveIn(q: Queryable, input: ReservationInput, actor: Actor): Promise<ReserveResult> {
  const r = ReservationInput.parse(input);
  const [row] = await q.query<{ r: unknown }>(
    'SELECT sp_reserve($1, $2::numeric, $3, $4, $5, $6, $7) AS r',
    [r.item, dec(r.qty), r.channel, r.ttl, r.idempotencyKey ?? null, actor.name, r.ref ?? null]);
  return toResult(parseJson<Outcome>(row!.r), r);
}

// Group commit for hot items: while one call for an item is in flight, further requests for
// that item queue and go together in the next call (sp_reserve_many: one transaction, one WAL
// flush). Nothing waits on a timer — an idle item is sent at once — so one client sees no
// extra latency and fifty clients share commits instead of queueing on the row lock one fsync
// at a time. Each request is still decided alone, in arrival order.
const MAX_BATCH = 200;
interface Pending { r: z.infer<typeof ReservationInput>; actor: Actor; resolve: (v: ReserveResult) => void; reject: (e: unknown) => void }
const queues = new WeakMap<Db, Map<string, { busy: boolean; waiting: Pending[] }>>();

async function flush(db: Db, item: string): Promise<void> {
  const byItem = queues.get(db)!;
  const q = byItem.get(item)!;
  if (q.busy || !q.waiting.length) return;
  q.busy = true;
  const batch = q.waiting.splice(0, MAX_BATCH);
  try {
    const [row] = await db.query<{ r: unknown }>('SELECT sp_reserve_many($1, $2::jsonb) AS r', [item, JSON.stringify(batch.map((p) => ({
      qty: dec(p.r.qty), channel: p.r.channel, ttl: p.r.ttl, key: p.r.idempotencyKey ?? null, actor: p.actor.name, ref: p.r.ref ?? null,
    })))]);
    const outcomes = parseJson<Outcome[]>(row!.r);
    batch.forEach((p, i) => { try { p.resolve(toResult(outcomes[i]!, p.r)); } catch (e) { p.reject(e); } });
  } catch (e) {
    // the whole batch failed (e.g. one key raced on another item): decide each one alone
    await Promise.all(batch.map((p) => reserveAlone(db, p.r, p.actor).then(p.resolve, p.reject)));
  } finally {
    q.busy = false;
    if (q.waiting.length) void flush(db, item);
    else byItem.delete(item);
  }
}

async function reserveAlone(db: Db, r: z.infer<typeof ReservationInput>, actor: Actor): Promise<ReserveResult> {
  try {
    return await reserveIn(db, r, actor);
  } catch (e) {
    // the same key used for two different items at the same instant: the loser reads the winner
    if ((e as { code?: string }).code === '23505' && r.idempotencyKey) {
      const [first] = await db.query<Raw>('SELECT * FROM reservations WHERE idempotency_key = $1', [r.idempotencyKey]);
      if (first) return { reservation: reservationFromRow(first), duplicate: true, available: null };
    }
    throw e;
  }
}

/** Reserves in its own transaction, sharing commits with concurrent requests for the same item. */
export function reserve(db: Db, input: ReservationInput, actor: Actor): Promise<ReserveResult> {
  const r = ReservationInput.parse(input);
  let byItem = queues.get(db);
  if (!byItem) queues.set(db, (byItem = new Map()));
  let q = byItem.get(r.item);
  if (!q) byItem.set(r.item, (q = { busy: false, waiting: [] }));
  return new Promise<ReserveResult>((resolve, reject) => {
    q.waiting.push({ r, actor, resolve, reject });
    void flush(db, r.item);
  });
}

export async function getReservation(q: Queryable, id: number): Promise<Reservation> {
  const [r] = await q.query<Raw>('SELECT * FROM reservations WHERE id = $1', [id]);
  if (!r) throw new SpError('SP_ERR_NOT_FOUND', { field: 'params.id', reason: `no reservation ${id}` });
  return reservationFromRow(r);
}

/** Locks the reservation's item, expires it if overdue, then hands over the fresh row. */
async function lockedReservation(q: Queryable, id: number): Promise<Reservation> {
  const first = await getReservation(q, id);
  await q.query('SELECT sp_sweep_item($1)', [first.item]);
  return getReservation(q, id);
}

/** Payment received: the hold no longer expires. Committing twice is a no-op. */
export async function commitReservationIn(q: Queryable, id: number): Promise<Reservation> {
  const r = await lockedReservation(q, id);
  if (r.status === 'committed') return r;
  if (r.status !== 'active') {
    throw new SpError('SP_ERR_CONFLICT', { field: 'params.id', reason: `reservation ${id} is ${r.status}; reserve again` });
  }
  await q.query(`UPDATE reservations SET status = 'committed', committed_at = now(), expires_at = NULL WHERE id = $1`, [id]);
  return getReservation(q, id);
}

/** Gives the quantity back to the pool (cancel) or marks it consumed by a shipment (fulfilled). */
export async function closeReservationIn(q: Queryable, id: number, status: 'released' | 'fulfilled'): Promise<Reservation> {
  const r = await lockedReservation(q, id);
  if (r.status === status || (status === 'released' && r.status === 'expired')) return r;
  if (r.status !== 'active' && r.status !== 'committed') {
    throw new SpError('SP_ERR_CONFLICT', { field: 'params.id', reason: `reservation ${id} is already ${r.status}` });
  }
  await q.query('SELECT sp_close_reservation($1, $2)', [id, status]);
  return getReservation(q, id);
}

export const commitReservation = (db: Db, id: number) => db.tx((q) => commitReservationIn(q, id));
export const releaseReservation = (db: Db, id: number) => db.tx((q) => closeReservationIn(q, id, 'released'));

export async function listReservations(db: Db, f: { item?: string; status?: string; limit?: number }): Promise<Reservation[]> {
  const rows = await db.query<Raw>(
    `SELECT * FROM reservations WHERE ($1::text IS NULL OR item = $1) AND ($2::text IS NULL OR status = $2) ORDER BY id DESC LIMIT $3`,
    [f.item ?? null, f.status ?? null, f.limit ?? 100]);
  return rows.map(reservationFromRow);
}

export async function setChannelPool(db: Db, item: string, channel: string, qty: number) {
  return db.tx(async (q) => {
    const locked = await q.query('SELECT 1 FROM item_positions WHERE item = $1 FOR UPDATE', [item]);
    if (!locked.length) throw new SpError('SP_ERR_NOT_FOUND', { field: 'params.item', reason: `no item with SKU "${item}"` });
    await q.query(`INSERT INTO channel_pools (item, channel, qty) VALUES ($1, $2, $3::numeric)
                   ON CONFLICT (item, channel) DO UPDATE SET qty = EXCLUDED.qty`, [item, channel, dec(qty)]);
    const [p] = await q.query<{ qty: string; used: string }>('SELECT qty, used FROM channel_pools WHERE item = $1 AND channel = $2', [item, channel]);
    return { item, channel, qty: num(p!.qty), used: num(p!.used) };
  });
}

/**
 * Expires every overdue reservation, item by item under that item's lock; safe to run on
 * several cloud instances at once (they queue on the same rows). Returns how many expired.
 */
export async function sweepExpiredReservations(db: Db): Promise<number> {
  const items = await db.query<{ item: string }>(`SELECT DISTINCT item FROM reservations WHERE status = 'active' AND expires_at <= now()`);
  let n = 0;
  for (const { item } of items) {
    const [r] = await db.query<{ n: number }>('SELECT sp_sweep_item($1) AS n', [item]);
    n += Number(r?.n ?? 0);
  }
  return n;
}

/** The cloud's sweep timer until the job runner exists: every `everyMs`, never overlapping. */
export function startReservationSweeper(db: Db, log: Logger, everyMs = 30_000): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = sweepExpiredReservations(db)
      .then((n) => { if (n) log.info({ expired: n }, 'reservations expired back to the pool'); })
      .catch((err) => log.warn({ err: (err as Error).message }, 'reservation sweep failed'))
      .finally(() => { running = undefined; });
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return { async stop() { clearInterval(timer); await running; } };
}
