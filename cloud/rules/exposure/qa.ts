import { SpError } from '../../../protocols/errors.ts';
import type { Db } from '../../db/engine.ts';
import { postMovementIn, type Movement } from '../../inventory/ledger.ts';
import { clearCloudAlertsStartingWith } from '../../notify/alerts.ts';
import { changeLotStatusIn, getLot, type Lot } from '../../inventory/lots.ts';
import { dec, num, type Actor } from '../../inventory/model.ts';
import { lockLot } from './lock.ts';

// QA's decision on a quarantined lot. Release: back to available (the expiry sweep still moves
// it on by date). Reject: every quantity of the lot still on hand leaves the ledger as a scrap
// movement, then the lot becomes rejected — in one transaction, so the books never show a
// rejected lot with stock or scrapped stock of a lot still quarantined.

export interface QaDecision { before: Lot; after: Lot; scrapped: Movement[] }

async function quarantinedLot(q: Parameters<typeof getLot>[0], id: number, action: string): Promise<Lot> {
  const lot = await getLot(q, id);
  if (lot.status !== 'quarantined') {
    throw new SpError('SP_ERR_CONFLICT', { field: 'params.id', reason: `lot ${lot.code} is ${lot.status}: only a quarantined lot can be ${action}` });
  }
  return lot;
}

export async function releaseLot(db: Db, id: number, reason: string, actor: Actor): Promise<QaDecision> {
  return db.tx(async (q) => {
    await lockLot(q, id);
    await quarantinedLot(q, id, 'released');
    const { before, after } = await changeLotStatusIn(q, id, 'available', `QA release: ${reason}`, actor);
    await clearCloudAlertsStartingWith(q, `lot:${id}:quarantined:`, new Date());
    return { before, after, scrapped: [] };
  });
}

export async function rejectLot(db: Db, id: number, reason: string, actor: Actor): Promise<QaDecision> {
  return db.tx(async (q) => {
    await lockLot(q, id);
    const lot = await quarantinedLot(q, id, 'rejected');
    const stock = await q.query<{ location: string; on_hand: string }>(
      'SELECT location, on_hand FROM balances WHERE lot_id = $1 AND on_hand > 0 ORDER BY location', [id]);
    const scrapped: Movement[] = [];
    for (const b of stock) {
      const { movement } = await postMovementIn(q, {
        kind: 'scrap', item: lot.item, lot: lot.code, from: b.location, qty: num(dec(num(b.on_hand))),
        sourceType: 'user', sourceRef: `lot:${id}:qa-reject`, idempotencyKey: `qa-reject:lot:${id}:${b.location}`,
        note: `QA reject: ${reason}`.slice(0, 1000),
      }, actor);
      scrapped.push(movement);
    }
    const { before, after } = await changeLotStatusIn(q, id, 'rejected', `QA reject: ${reason}`, actor);
    await clearCloudAlertsStartingWith(q, `lot:${id}:quarantined:`, new Date());
    return { before, after, scrapped };
  });
}
