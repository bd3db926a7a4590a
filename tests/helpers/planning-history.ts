import { postMovement } from '../../cloud/inventory/ledger.ts';
import type { Db } from '../../cloud/db/engine.ts';

// Builds a known demand history in the real ledger (movements posted through the ledger with
// their own timestamps), so the planning code reads it exactly as it reads production data.

export const DAY = 86_400_000;
export const WAREHOUSE = { name: 'test-history', role: 'warehouse' };

/** UTC midnight of an ISO date, as epoch ms */
export const utc = (iso: string) => Date.parse(`${iso}T00:00:00Z`);

export async function post(db: Db, m: Record<string, unknown>): Promise<number> {
  const r = await postMovement(db, { sourceType: 'user', ...m } as never, WAREHOUSE);
  return r.movement.id;
}
