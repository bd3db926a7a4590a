import { describe, expect, it } from 'vitest';
import { StatementNames } from '../../cloud/db/statement-names.ts';
import { openDb } from '../../cloud/db/engine.ts';
import { usingPostgres } from '../helpers/db.ts';

if (!usingPostgres) console.log('named statements on the server: skipped on PGlite, which has no connection pool to prepare on; set DATABASE_URL=postgres://… to run it');

describe('named statements (PostgreSQL)', () => {
  it('names a statement text the second time it is seen, always the same name', () => {
    const n = new StatementNames();
    expect(n.nameOf('SELECT $1')).toBeUndefined();
    const name = n.nameOf('SELECT $1');
    expect(name).toMatch(/^sp_\d+$/);
    expect(n.nameOf('SELECT $1')).toBe(name);
    expect(n.nameOf('SELECT $1 + 1')).toBeUndefined();
    expect(n.nameOf('SELECT $1 + 1')).not.toBe(name);
  });

  it('stays bounded when every call builds a new text (a VALUES list per row count)', () => {
    const n = new StatementNames();
    for (let i = 0; i < 10_000; i++) { n.nameOf(`INSERT INTO t VALUES ${'($1),'.repeat(i)}`); n.nameOf(`INSERT INTO t VALUES ${'($1),'.repeat(i)}`); }
    expect(n.size).toBe(256);
    expect(n.nameOf('SELECT 1 WHERE $1')).toBeUndefined();
    expect(n.nameOf('SELECT 1 WHERE $1')).toBeUndefined();
  });

  it.skipIf(!usingPostgres)('on PostgreSQL: the same rows as unnamed, in and out of transactions, other parameters each time; prepared once per connection', async () => {
    const db = await openDb({ url: process.env.DATABASE_URL!, poolSize: 1 });
    try {
      const sql = 'SELECT $1::int * 2 AS v, current_setting($2) AS s';
      for (let i = 0; i < 8; i++) {
        expect(await db.query(sql, [i, 'search_path'])).toEqual([{ v: i * 2, s: expect.stringContaining('public') }]);
        expect(await db.tx((q) => q.query(sql, [i + 100, 'search_path']))).toEqual([{ v: (i + 100) * 2, s: expect.stringContaining('public') }]);
      }
      const held = await db.session((s) => s.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = $1', [sql]));
      expect(held[0]?.n).toBe(1);
      const off = await openDb({ url: process.env.DATABASE_URL!, poolSize: 1, prepared: false });
      try {
        for (let i = 0; i < 3; i++) await off.query(sql, [i, 'search_path']);
        expect((await off.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_prepared_statements', []))[0]?.n).toBe(0);
      } finally {
        await off.close();
      }
    } finally {
      await db.close();
    }
  });

  it.skipIf(!usingPostgres)('on PostgreSQL: a genericPlans transaction (the ingest\'s) runs its named statements on their generic plan; the setting ends with the transaction, committed or rolled back', async () => {
    const db = await openDb({ url: process.env.DATABASE_URL!, poolSize: 1 });
    try {
      const sql = 'SELECT count(*)::int AS n FROM pg_class WHERE relname = $1';
      for (let i = 0; i < 3; i++) expect(await db.tx((q) => q.query(sql, ['pg_class']), { genericPlans: true })).toEqual([{ n: 1 }]);
      // seen twice, then named: its two named runs took the generic plan (auto would plan each of the first five anew)
      const [plans] = await db.query<{ generic_plans: string; custom_plans: string }>('SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1', [sql]);
      expect([Number(plans!.generic_plans), Number(plans!.custom_plans)]).toEqual([2, 0]);
      const mode = 'SELECT current_setting($1) AS m';
      expect(await db.tx((q) => q.query(mode, ['plan_cache_mode']), { genericPlans: true })).toEqual([{ m: 'force_generic_plan' }]);
      // the same pooled connection afterwards: the API's reads plan as the server decides
      expect(await db.query(mode, ['plan_cache_mode'])).toEqual([{ m: 'auto' }]);
      expect(await db.tx((q) => q.query(mode, ['plan_cache_mode']))).toEqual([{ m: 'auto' }]);
      await expect(db.tx(async (q) => { await q.query(sql, ['x']); throw new Error('the batch failed'); }, { genericPlans: true })).rejects.toThrow('the batch failed');
      expect(await db.query(mode, ['plan_cache_mode'])).toEqual([{ m: 'auto' }]);
    } finally {
      await db.close();
    }
  });
});
