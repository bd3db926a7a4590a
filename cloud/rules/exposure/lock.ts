import type { Queryable } from '../../db/engine.ts';

/**
 * Locks a lot for a status decision in the codebase's lock order: the item's item_positions
 * row first (as the ledger, reservations and the expiry sweep do), then the lot row. Taking
 * them the other way round could deadlock against the expiry sweep. Returns the lot's status
 * (undefined: no such lot).
 */
export async function lockLot(q: Queryable, lotId: number): Promise<string | undefined> {
  const [l] = await q.query<{ item: string }>('SELECT item FROM lots WHERE id = $1', [lotId]);
  if (!l) return undefined;
  await q.query('SELECT 1 FROM item_positions WHERE item = $1 FOR UPDATE', [l.item]);
  const [r] = await q.query<{ status: string }>('SELECT status FROM lots WHERE id = $1 FOR UPDATE', [lotId]);
  return r?.status;
}
