import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { testDatabase, usingPostgres, type TestDatabase } from '../helpers/db.ts';
import { waitFor } from '../helpers/net.ts';

// PostgreSQL only (PGlite is in-process: there is no connection to lose). A database restart or
// an operator's pg_terminate_backend can hit a transaction between two of its statements, while
// its client is checked out of the pool — when the pool no longer listens for its 'error'. An
// unhandled 'error' there is an uncaught exception: the cloud process would crash (vitest
// reports it as an unhandled error, which fails this file). The transaction must instead fail
// like any other (the edge resends the batch) and the pool must go on working.

let tdb: TestDatabase | undefined;
afterAll(async () => { await tdb?.cleanup(); });

if (!usingPostgres) console.warn('connection-drop test skipped: PGlite runs in-process, there is no server connection to drop (runs with DATABASE_URL)');

describe.runIf(usingPostgres)('db.tx when the server drops its connection', () => {
  it('rejects the transaction, raises nothing uncaught, and later queries work', { timeout: 15_000 }, async () => {
    tdb = await testDatabase();
    const db = tdb.db;
    await db.query('CREATE TABLE IF NOT EXISTS drop_probe (n int)');
    const outcome = db.tx(async (q) => {
      const [{ pid }] = await q.query<{ pid: number }>('SELECT pg_backend_pid() AS pid') as [{ pid: number }];
      await q.query('INSERT INTO drop_probe VALUES (1)');
      // terminated from another connection while this one sits idle in its transaction
      const admin = new pg.Client({ connectionString: tdb!.url });
      await admin.connect();
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      // the backend is gone (its FATAL notice sent): it arrives here between statements
      await waitFor(async () => (await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0].n === 0, 'the terminated backend gone', 10_000);
      await admin.end();
      return 'returned';
    });
    await expect(outcome).rejects.toThrow();
    // nothing of the dropped transaction is committed, and the pool hands out a working client
    expect(await db.query<{ n: number }>('SELECT count(*)::int AS n FROM drop_probe')).toEqual([{ n: 0 }]);
    expect(await db.tx((q) => q.query<{ ok: number }>('SELECT 1 AS ok'))).toEqual([{ ok: 1 }]);
  });
});
