import { SpError } from '../../protocols/errors.ts';
import type { Db, Queryable } from '../db/engine.ts';

// Exceptions a person resolves: goods in with no expected receipt, goods out with no shipment
// (the edge's alerts), and device movements the ledger refused. Kept apart from alerts because
// resolving one is a decision with a note ("supplier sent extra, receipt posted by hand"), not
// an acknowledgement of a condition; the alert itself stays in the alert list.

export type ExceptionKind = 'unexpected_receipt' | 'unauthorised_removal' | 'unposted_movement';

export interface StockException {
  id: number; kind: ExceptionKind; gateway: string; zone: string; device: string | null; alertId: string | null; eventId: string | null;
  message: string; state: 'open' | 'resolved'; raisedAt: number; resolvedAt: number | null; resolvedBy: string | null; resolution: string | null;
}

export async function recordException(q: Queryable, e: { key: string; kind: ExceptionKind; gateway: string; zone: string; device?: string; alertId?: string; eventId?: string; message: string; at: number }): Promise<void> {
  await q.query(
    `INSERT INTO stock_exceptions (key, kind, gateway, zone, device, alert_id, event_id, message, raised_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,to_timestamp($9 / 1000.0)) ON CONFLICT (key) DO NOTHING`,
    [e.key, e.kind, e.gateway, e.zone, e.device ?? null, e.alertId ?? null, e.eventId ?? null, e.message, e.at]);
}

type Row = Record<string, any>;
const fromRow = (r: Row): StockException => ({
  id: Number(r.id), kind: r.kind, gateway: r.gateway, zone: r.zone, device: r.device, alertId: r.alert_id, eventId: r.event_id,
  message: r.message, state: r.state, raisedAt: new Date(r.raised_at).getTime(), resolvedAt: r.resolved_at ? new Date(r.resolved_at).getTime() : null,
  resolvedBy: r.resolved_by, resolution: r.resolution,
});

export async function listExceptions(db: Db, f: { state?: 'open' | 'resolved' | 'all'; limit?: number }): Promise<StockException[]> {
  const rows = await db.query<Row>(
    `SELECT * FROM stock_exceptions WHERE ($1::text = 'all' OR state = $1) ORDER BY raised_at DESC, id DESC LIMIT $2`, [f.state ?? 'open', f.limit ?? 100]);
  return rows.map(fromRow);
}

/** resolving twice keeps the first resolution (409 tells the second person who did it) */
export async function resolveException(db: Db, id: number, by: string, resolution: string): Promise<StockException> {
  const [r] = await db.query<Row>(
    `UPDATE stock_exceptions SET state = 'resolved', resolved_at = now(), resolved_by = $2, resolution = $3 WHERE id = $1 AND state = 'open' RETURNING *`,
    [id, by, resolution]);
  if (r) return fromRow(r);
  const [seen] = await db.query<Row>('SELECT * FROM stock_exceptions WHERE id = $1', [id]);
  if (!seen) throw new SpError('SP_ERR_NOT_FOUND', { field: 'params.id', reason: `no stock exception ${id}` });
  throw new SpError('SP_ERR_CONFLICT', { field: 'params.id', reason: `exception ${id} was already resolved by ${seen.resolved_by}` });
}
