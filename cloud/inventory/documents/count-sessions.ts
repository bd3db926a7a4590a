import { z } from 'zod';
import { SpError } from '../../../protocols/errors.ts';
import type { Db } from '../../db/engine.ts';
import { findLot } from '../lots.ts';
import { postMovementIn } from '../ledger.ts';
import { Id, LotCode, Qty, Text, num, type Actor } from '../model.ts';
import { assertCan, assertMay, insertDoc, lockDoc, transition, type Doc, type Machine } from './machine.ts';

// Stock count session: open (warehouse counts a location and what is under it) → submitted
// (expected vs counted → adjustment proposals) → approved (finance: count_correction movements
// posted) or rejected (back to open for a recount).

export const COUNT_SESSION: Machine = {
  type: 'count_session',
  label: 'count session',
  from: { submit: ['open'], approve: ['submitted'], reject: ['submitted'] },
  next: {
    open: [{ role: 'warehouse', action: 'submit', title: (d) => `Count location ${d.location} (count session ${d.id})` }],
    submitted: [{ role: 'finance', action: 'approve', title: (d) => `Approve the count adjustments of session ${d.id} (${d.data.proposals?.length ?? 0} differences)` }],
  },
};

export const CountSessionInput = z.object({ location: Id, note: Text(500).optional() });
const SubmitBody = z.object({
  lines: z.array(z.object({ item: Id, lot: LotCode.optional(), location: Id, counted: Qty.or(z.literal(0)) })).min(1),
});

export interface Proposal { item: string; lot: string | null; location: string; expected: number; counted: number; diff: number }

export async function createCountSession(db: Db, input: z.input<typeof CountSessionInput>, actor: Actor): Promise<Doc> {
  const c = CountSessionInput.parse(input);
  return db.tx(async (q) => {
    if (!(await q.query('SELECT 1 FROM locations WHERE id = $1', [c.location])).length) {
      throw new SpError('SP_ERR_VALIDATION', { field: 'body.location', reason: `no location "${c.location}"` });
    }
    return insertDoc(q, COUNT_SESSION, { status: 'open', location: c.location, data: { note: c.note ?? null } }, actor);
  });
}

export async function countSessionAction(db: Db, id: number, action: string, body: unknown, actor: Actor): Promise<Doc> {
  return db.tx(async (q) => {
    const d = await lockDoc(q, COUNT_SESSION, id);
    assertMay(actor, 'count-sessions', action);
    assertCan(COUNT_SESSION, d, action);
    if (action === 'submit') {
      const { lines } = SubmitBody.parse(body ?? {});
      const under = new Set((await q.query<{ id: string }>(
        `WITH RECURSIVE u(id) AS (SELECT id FROM locations WHERE id = $1 UNION ALL SELECT l.id FROM locations l JOIN u ON l.parent = u.id) SELECT id FROM u`,
        [d.location])).map((r) => r.id));
      const proposals: Proposal[] = [];
      for (const [i, l] of lines.entries()) {
        if (!under.has(l.location)) throw new SpError('SP_ERR_VALIDATION', { field: `body.lines.${i}.location`, reason: `"${l.location}" is not within ${d.location}` });
        let lotId = 0;
        if (l.lot) {
          const lot = await findLot(q, l.item, l.lot);
          if (!lot) throw new SpError('SP_ERR_VALIDATION', { field: `body.lines.${i}.lot`, reason: `item "${l.item}" has no lot "${l.lot}"` });
          lotId = lot.id;
        }
        const [b] = await q.query<{ on_hand: string }>('SELECT on_hand FROM balances WHERE item = $1 AND location = $2 AND lot_id = $3', [l.item, l.location, lotId]);
        const expected = num(b?.on_hand);
        const diff = Math.round((l.counted - expected) * 1e6) / 1e6;
        if (diff !== 0) proposals.push({ item: l.item, lot: l.lot ?? null, location: l.location, expected, counted: l.counted, diff });
      }
      return transition(q, COUNT_SESSION, d, 'submit', 'submitted', actor, { lines, data: { ...d.data, proposals } });
    }
    if (action === 'reject') return transition(q, COUNT_SESSION, d, 'reject', 'open', actor, { data: { ...d.data, proposals: [] }, note: (body as { note?: string })?.note });
    const movements: number[] = [];
    // a correction below what is reserved is booked (it is what the shelf holds) and kept on the session: holds to deal with
    const overReserved: unknown[] = [];
    for (const p of (d.data.proposals ?? []) as Proposal[]) {
      const { movement, overReserved: short } = await postMovementIn(q, {
        kind: 'count_correction', item: p.item, lot: p.lot ?? undefined, ...(p.diff > 0 ? { to: p.location } : { from: p.location }),
        qty: Math.abs(p.diff), sourceType: 'document', sourceRef: `count_session:${d.id}`, note: `counted ${p.counted}, expected ${p.expected}`,
      }, actor);
      movements.push(movement.id);
      if (short) overReserved.push(short);
    }
    return transition(q, COUNT_SESSION, d, 'approve', 'approved', actor, { data: { ...d.data, movements, ...(overReserved.length ? { overReserved } : {}) } });
  });
}
