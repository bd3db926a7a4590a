import { and, desc, eq, sql } from 'drizzle-orm';
import { SpError } from '../../protocols/errors.ts';
import type { Db, Queryable } from '../db/engine.ts';
import { stockExceptions } from '../db/schema.ts';

// Exceptions a person resolves: goods in with no expected receipt, goods out with no shipment
// (the edge's alerts), and device movements the ledger refused. Kept apart from alerts because
// resolving one is a decision with a note ("supplier sent extra, receipt posted by hand"), not
// an acknowledgement of a condition; the alert itself stays in the alert list.

type Row = typeof stockExceptions.$inferSelect;
export type ExceptionKind = Row['kind'];

/** the row as the API shows it: times in ms, the dedup key left out */
export type StockException = Omit<Row, 'key' | 'raisedAt' | 'resolvedAt'> & { raisedAt: number; resolvedAt: number | null };

export async function recordException(q: Queryable, e: { key: string; kind: ExceptionKind; gateway: string; zone: string; device?: string; alertId?: string; eventId?: string; message: string; at: number }): Promise<void> {
  await q.query(
    `INSERT INTO stock_exceptions (key, kind, gateway, zone, device, alert_id, event_id, message, raised_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,to_timestamp($9 / 1000.0)) ON CONFLICT (key) DO NOTHING`,
    [e.key, e.kind, e.gateway, e.zone, e.device ?? null, e.alertId ?? null, e.eventId ?? null, e.message, e.at]);
}

const fromRow = ({ key: _, raisedAt, resolvedAt, ...r }: Row): StockException => ({
  ...r, raisedAt: raisedAt.getTime(), resolvedAt: resolvedAt ? resolvedAt.getTime() : null,
});

export async function listExceptions(db: Db, f: { state?: 'open' | 'resolved' | 'all'; limit?: number }): Promise<StockException[]> {
  const state = f.state ?? 'open';
  const rows = await db.orm.select().from(stockExceptions)
    .where(state === 'all' ? undefined : eq(stockExceptions.state, state))
    .orderBy(desc(stockExceptions.raisedAt), desc(stockExceptions.id)).limit(f.limit ?? 100);
  return rows.map(fromRow);
}

/** resolving twice keeps the first resolution (409 tells the second person who did it) */
export async function resolveException(db: Db, id: number, by: string, resolution: string): Promise<StockException> {
  const [r] = await db.orm.update(stockExceptions)
    .set({ state: 'resolved', resolvedAt: sql`now()`, resolvedBy: by, resolution })
    .where(and(eq(stockExceptions.id, id), eq(stockExceptions.state, 'open'))).returning();
  if (r) return fromRow(r);
  const [seen] = await db.orm.select({ resolvedBy: stockExceptions.resolvedBy }).from(stockExceptions).where(eq(stockExceptions.id, id));
  if (!seen) throw new SpError('SP_ERR_NOT_FOUND', { field: 'params.id', reason: `no stock exception ${id}` });
  throw new SpError('SP_ERR_CONFLICT', { field: 'params.id', reason: `exception ${id} was already resolved by ${seen.resolvedBy}` });
}
