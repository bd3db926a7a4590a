import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isSpError } from '../../../protocols/errors.ts';
import { createItem, createLocation } from '../../../cloud/inventory/master-data.ts';
import { createLot } from '../../../cloud/inventory/lots.ts';
import { postMovement } from '../../../cloud/inventory/ledger.ts';
import { verifyLedger } from '../../../cloud/inventory/verify.ts';
import type { MovementKind } from '../../../cloud/inventory/model.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';

// The ledger's promises, checked on random histories (fast-check): balances always equal the
// sum of the movements, a movement that would take an item below zero is refused unless the
// item allows it, a repeated idempotency key changes nothing, and the ledger cannot be edited.

let tdb: TestDatabase;
const who = { name: 'tester', role: 'warehouse' };
const LOCS = ['bin-a', 'bin-b', 'dry'] as const;

beforeAll(async () => {
  tdb = await testDatabase();
  await createLocation(tdb.db, { id: 'site', kind: 'site', name: 'Site' });
  await createLocation(tdb.db, { id: 'zone', kind: 'zone', parent: 'site', name: 'Zone' });
  for (const id of LOCS) await createLocation(tdb.db, { id, kind: 'bin', parent: 'zone', name: id });
});
afterAll(async () => { await tdb?.cleanup(); });

interface Step { kind: MovementKind; item: 0 | 1 | 2; lot: 0 | 1; a: number; b: number; in: boolean; qty: number }
const step = fc.record({
  kind: fc.constantFrom<MovementKind>('receipt', 'shipment', 'transfer', 'consumption', 'adjustment', 'count_correction', 'scrap', 'return'),
  item: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
  lot: fc.constantFrom<0 | 1>(0, 1),
  a: fc.nat(2), b: fc.nat(2), in: fc.boolean(),
  qty: fc.integer({ min: 1, max: 400 }).map((n) => n / 8),   // fractional quantities (weights)
});

let run = 0;

describe(`ledger (${engineLabel})`, () => {
  it('balances equal the ledger sum and never go negative where not allowed (random histories)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 20 }), async (steps) => {
      run += 1;
      // fresh items per run: the ledger cannot be emptied between runs, by design
      const skus = [`A${run}`, `NEG${run}`, `LOT${run}`];
      await createItem(tdb.db, { sku: skus[0]!, name: 'plain', unit: 'kg' });
      await createItem(tdb.db, { sku: skus[1]!, name: 'may go negative', unit: 'kg', allowNegative: true });
      await createItem(tdb.db, { sku: skus[2]!, name: 'lot tracked', unit: 'kg', lotTracked: true });
      for (const code of ['L0', 'L1']) await createLot(tdb.db, { item: skus[2]!, code }, who);
      const model = new Map<string, number>();
      const key = (item: number, loc: string, lot: number) => `${skus[item]}|${loc}|${item === 2 ? `L${lot}` : '-'}`;

      for (const s of steps) {
        const dir = { receipt: 'in', return: 'in', transfer: 'both', adjustment: 'either', count_correction: 'either' }[s.kind as string] ?? 'out';
        const from = dir === 'out' || dir === 'both' || (dir === 'either' && !s.in) ? LOCS[s.a] : undefined;
        let to = dir === 'in' || dir === 'both' || (dir === 'either' && s.in) ? LOCS[s.b] : undefined;
        if (dir === 'both' && to === from) to = LOCS[(s.a + 1) % 3];
        const fromKey = from && key(s.item, from, s.lot);
        const short = fromKey !== undefined && (model.get(fromKey) ?? 0) < s.qty && s.item !== 1;
        try {
          await postMovement(tdb.db, { kind: s.kind, item: skus[s.item]!, lot: s.item === 2 ? `L${s.lot}` : undefined, from, to, qty: s.qty }, who);
          expect(short, `accepted a movement that goes negative: ${JSON.stringify(s)}`).toBe(false);
          if (fromKey) model.set(fromKey, (model.get(fromKey) ?? 0) - s.qty);
          if (to) model.set(key(s.item, to, s.lot), (model.get(key(s.item, to, s.lot)) ?? 0) + s.qty);
        } catch (e) {
          if (!isSpError(e) || e.code !== 'SP_ERR_CONFLICT') throw e;
          expect(short, `refused a movement with enough stock: ${JSON.stringify(s)}`).toBe(true);
        }
      }
      const rows = await tdb.db.query<{ item: string; location: string; code: string | null; on_hand: string }>(
        `SELECT b.item, b.location, l.code, b.on_hand FROM balances b LEFT JOIN lots l ON l.id = b.lot_id WHERE b.item = ANY($1::text[])`, [skus]);
      const stored = new Map(rows.map((r) => [`${r.item}|${r.location}|${r.code ?? '-'}`, Number(r.on_hand)]));
      for (const [k, v] of model) expect(stored.get(k) ?? 0, k).toBeCloseTo(v, 9);
      for (const r of rows) if (r.item !== skus[1]) expect(Number(r.on_hand)).toBeGreaterThanOrEqual(0);
      const report = await verifyLedger(tdb.db);
      expect(report.differences).toEqual([]);
    }), { numRuns: 25 });
  }, 60_000);

  it('posting the same idempotency key twice is a no-op that returns the first result', async () => {
    await createItem(tdb.db, { sku: 'IDEM', name: 'idempotent', unit: 'pcs' });
    const input = { kind: 'receipt' as const, item: 'IDEM', to: 'bin-a', qty: 5, idempotencyKey: 'scale-7:seq-42' };
    const [a, b] = await Promise.all([postMovement(tdb.db, input, who), postMovement(tdb.db, input, who)]);
    const c = await postMovement(tdb.db, { ...input, qty: 99 }, who);
    expect([a.duplicate, b.duplicate].sort()).toEqual([false, true]);
    expect(b.movement).toEqual(a.movement);
    expect(c).toEqual({ movement: a.movement, duplicate: true });
    const [bal] = await tdb.db.query<{ on_hand: string }>(`SELECT on_hand FROM balances WHERE item = 'IDEM'`);
    expect(Number(bal!.on_hand)).toBe(5);
  });

  it('the ledger is insert-only: UPDATE, DELETE and TRUNCATE are refused; corrections are new movements', async () => {
    await expect(tdb.db.query(`UPDATE movements SET qty = 1`)).rejects.toThrow(/append-only/);
    await expect(tdb.db.query(`DELETE FROM movements`)).rejects.toThrow(/append-only/);
    await expect(tdb.db.query(`TRUNCATE movements CASCADE`)).rejects.toThrow(/append-only/);
    await expect(postMovement(tdb.db, { kind: 'adjustment', item: 'IDEM', from: 'bin-a', to: 'bin-b', qty: 1 }, who))
      .rejects.toMatchObject({ code: 'SP_ERR_VALIDATION', details: [{ field: 'body.from' }] });
  });

  it('verify reports a balance that no longer matches the ledger', async () => {
    expect((await verifyLedger(tdb.db)).ok).toBe(true);
    await tdb.db.query(`UPDATE balances SET on_hand = on_hand + 1 WHERE item = 'IDEM'`);   // someone edits the books directly
    const report = await verifyLedger(tdb.db);
    expect(report.ok).toBe(false);
    expect(report.differences).toEqual([{ check: 'balance', item: 'IDEM', location: 'bin-a', lotId: 0, expected: 5, actual: 6 }]);
    await tdb.db.query(`UPDATE balances SET on_hand = on_hand - 1 WHERE item = 'IDEM'`);
  });
});
