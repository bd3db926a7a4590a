import { SpError } from '../../protocols/errors.ts';
import type { Db, Queryable } from '../db/engine.ts';
import type { SqlRow } from '../db/rows.ts';
import type { lots } from '../db/schema.ts';
import { conflictOnDuplicate, getItem } from './master-data.ts';
import { LotInput, type Actor, type LotStatus } from './model.ts';
import { closeLotInspection } from './documents/tasks.ts';

// Lots of an item: code, production and expiry dates, status. Every status change is kept in
// lot_status_history (who, when, why). A lot past its expiry date counts as expired for
// availability even before a batch job writes the status (see sp_sellable).

export interface Lot {
  id: number; item: string; code: string; producedOn: string | null; expiresOn: string | null;
  status: LotStatus; effectiveStatus: LotStatus;
}

const LOT_COLUMNS = `id, item, code, produced_on::text AS produced_on, expires_on::text AS expires_on, status,
  CASE WHEN status IN ('available','near_expiry') AND expires_on < current_date THEN 'expired' ELSE status END AS effective_status`;

/** LOT_COLUMNS' row: the lot, its dates as text (YYYY-MM-DD on every driver) and its status as of today */
type LotRow = Pick<SqlRow<typeof lots>, 'id' | 'item' | 'code' | 'status'> & { produced_on: string | null; expires_on: string | null; effective_status: LotStatus };
const fromRow = (r: LotRow): Lot => ({
  id: Number(r.id), item: r.item, code: r.code, producedOn: r.produced_on, expiresOn: r.expires_on, status: r.status, effectiveStatus: r.effective_status,
});

// rejected is final (the goods are scrapped); everything else may move, with a reason
const ALLOWED: Record<LotStatus, LotStatus[]> = {
  available: ['near_expiry', 'expired', 'quarantined', 'rejected'],
  near_expiry: ['available', 'expired', 'quarantined', 'rejected'],
  expired: ['quarantined', 'rejected'],
  quarantined: ['available', 'near_expiry', 'expired', 'rejected'],
  rejected: [],
};

export async function createLot(q: Queryable, input: LotInput, actor: Actor): Promise<Lot> {
  const l = LotInput.parse(input);
  const item = await getItem(q, l.item);
  const expires = l.expiresOn ?? (item.shelfLifeDays && l.producedOn
    ? new Date(Date.parse(l.producedOn) + item.shelfLifeDays * 86_400_000).toISOString().slice(0, 10) : null);
  const [r] = await q.query<LotRow>(
    `INSERT INTO lots (item, code, produced_on, expires_on, status) VALUES ($1,$2,$3,$4,$5) RETURNING ${LOT_COLUMNS}`,
    [l.item, l.code, l.producedOn ?? null, expires, l.status],
  ).catch((e) => conflictOnDuplicate(e, 'lot', `lot "${l.code}" of item "${l.item}"`));
  await q.query('INSERT INTO lot_status_history (lot_id, from_status, to_status, actor, reason) VALUES ($1, NULL, $2, $3, $4)',
    [r!.id, l.status, actor.name, 'created']);
  return fromRow(r!);
}

export async function findLot(q: Queryable, item: string, code: string): Promise<Lot | undefined> {
  const [r] = await q.query<LotRow>(`SELECT ${LOT_COLUMNS} FROM lots WHERE item = $1 AND code = $2`, [item, code]);
  return r && fromRow(r);
}

export async function getLot(q: Queryable, id: number): Promise<Lot> {
  const [r] = await q.query<LotRow>(`SELECT ${LOT_COLUMNS} FROM lots WHERE id = $1`, [id]);
  if (!r) throw new SpError('SP_ERR_NOT_FOUND', { field: 'params.id', reason: `no lot with id ${id}` });
  return fromRow(r);
}

export async function listLots(db: Db, item?: string): Promise<Lot[]> {
  const rows = await db.query<LotRow>(`SELECT ${LOT_COLUMNS} FROM lots ${item ? 'WHERE item = $1' : ''} ORDER BY item, expires_on NULLS LAST, code`, item ? [item] : []);
  return rows.map(fromRow);
}

export async function changeLotStatus(db: Db, id: number, to: LotStatus, reason: string, actor: Actor): Promise<{ before: Lot; after: Lot }> {
  return db.tx((q) => changeLotStatusIn(q, id, to, reason, actor));
}

/** the same inside the caller's transaction (QA reject scraps the stock and rejects the lot atomically) */
export async function changeLotStatusIn(q: Queryable, id: number, to: LotStatus, reason: string, actor: Actor): Promise<{ before: Lot; after: Lot }> {
  const before = await getLot(q, id);
  // the item row lock orders this against reservations that count the lot as sellable
  await q.query('SELECT 1 FROM item_positions WHERE item = $1 FOR UPDATE', [before.item]);
  if (before.status === to) return { before, after: before };
  if (!ALLOWED[before.status].includes(to)) {
    throw new SpError('SP_ERR_CONFLICT', { field: 'body.status', reason: `lot ${before.code} is ${before.status}; it cannot become ${to}` });
  }
  await q.query('UPDATE lots SET status = $2 WHERE id = $1', [id, to]);
  await q.query('INSERT INTO lot_status_history (lot_id, from_status, to_status, actor, reason) VALUES ($1,$2,$3,$4,$5)',
    [id, before.status, to, actor.name, reason]);
  // out of quarantine (QA's release or reject, or a status set by hand): QA's inspection task is done
  if (before.status === 'quarantined') await closeLotInspection(q, before, actor.name);
  return { before, after: await getLot(q, id) };
}

export async function lotHistory(db: Db, id: number) {
  await getLot(db, id);
  const rows = await db.query<{ from_status: string | null; to_status: string; actor: string; reason: string; at: Date }>(
    'SELECT from_status, to_status, actor, reason, at FROM lot_status_history WHERE lot_id = $1 ORDER BY id', [id]);
  return rows.map((r) => ({ from: r.from_status, to: r.to_status, actor: r.actor, reason: r.reason, at: new Date(r.at).getTime() }));
}

/**
 * How an outgoing quantity of a bin splits over the bin's lots when whoever took it does not
 * know the lot (a scale under a bin of a lot-tracked item): first expiring, first out; the last
 * lot takes any remainder so the ledger refuses it there (insufficient stock) rather than
 * silently booking less than was taken. An item without lots: one part, no lot.
 */
export async function splitOverBinLots(q: Queryable, sku: string, location: string, qty: number): Promise<{ lot: string | undefined; qty: number }[]> {
  const [item] = await q.query<{ lot_tracked: boolean }>('SELECT lot_tracked FROM items WHERE sku = $1', [sku]);
  if (!item?.lot_tracked) return [{ lot: undefined, qty }];
  const lots = await q.query<{ code: string; on_hand: string }>(
    `SELECT l.code, b.on_hand FROM balances b JOIN lots l ON l.id = b.lot_id
     WHERE b.item = $1 AND b.location = $2 AND b.on_hand > 0 ORDER BY l.expires_on NULLS LAST, l.code`, [sku, location]);
  if (!lots.length) return [{ lot: undefined, qty }];
  const parts: { lot: string | undefined; qty: number }[] = [];
  let left = qty;
  for (const [i, l] of lots.entries()) {
    const take = i === lots.length - 1 ? left : Math.min(left, Number(l.on_hand));
    if (take > 0) parts.push({ lot: l.code, qty: Math.round(take * 1e6) / 1e6 });
    left = Math.round((left - take) * 1e6) / 1e6;
    if (left <= 0) break;
  }
  return parts;
}
