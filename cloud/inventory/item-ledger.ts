import { SpError } from '../../protocols/errors.ts';
import type { Db } from '../db/engine.ts';
import { movementFromRow, type Movement } from './ledger.ts';
import { getItem } from './master-data.ts';

// The ledger of one item, as an account: each movement with its signed change and the running
// balance after it, for the whole company or for one location (with its zones and bins), and
// optionally one lot. The balance is summed in SQL over the full history (exact decimals), then
// the newest `limit` rows are returned, so the first row shown still carries the true balance.

export interface LedgerLine extends Movement { change: number; balance: number }

export async function itemLedger(db: Db, f: { item: string; location?: string; lot?: string; limit?: number }): Promise<LedgerLine[]> {
  await getItem(db, f.item);
  if (f.location && !(await db.query('SELECT 1 FROM locations WHERE id = $1', [f.location])).length) {
    throw new SpError('SP_ERR_NOT_FOUND', { field: 'querystring.location', reason: `no location "${f.location}"` });
  }
  const rows = await db.query<Record<string, unknown>>(
    `WITH RECURSIVE under(id) AS (
       SELECT id FROM locations WHERE id = $2
       UNION ALL SELECT l.id FROM locations l JOIN under u ON l.parent = u.id),
     lines AS (
       SELECT m.*, l.code AS lot_code,
              (CASE WHEN m.to_location IS NOT NULL AND ($2::text IS NULL OR m.to_location IN (SELECT id FROM under)) THEN m.qty ELSE 0 END)
            - (CASE WHEN m.from_location IS NOT NULL AND ($2::text IS NULL OR m.from_location IN (SELECT id FROM under)) THEN m.qty ELSE 0 END) AS change
       FROM movements m LEFT JOIN lots l ON l.id = m.lot_id
       WHERE m.item = $1 AND ($3::text IS NULL OR l.code = $3)
         AND ($2::text IS NULL OR m.to_location IN (SELECT id FROM under) OR m.from_location IN (SELECT id FROM under))),
     running AS (SELECT *, sum(change) OVER (ORDER BY id) AS balance FROM lines)
     SELECT * FROM running ORDER BY id DESC LIMIT $4`,
    [f.item, f.location ?? null, f.lot ?? null, f.limit ?? 200]);
  return rows.map((r) => ({ ...movementFromRow(r as never), change: Number(r.change), balance: Number(r.balance) }));
}
