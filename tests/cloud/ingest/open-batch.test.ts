import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBatch, type OpenedBatch } from '../../../cloud/ingest/open-batch.ts';
import type { Db } from '../../../cloud/db/engine.ts';
import { PROTOCOL_VERSION, UplinkBatch, type UplinkBatchInput } from '../../../protocols/uplink/contract.ts';
import { engineLabel, testDatabase, usingPostgres, type TestDatabase } from '../../helpers/db.ts';
import { registerGateway } from '../../helpers/gateways.ts';

// A batch without a manifest (an alarm's, nearly always) is admitted, keyed and has its owners
// read in one statement (cloud/ingest/open-batch.ts openInOne). What that statement cannot see —
// a stream, or a batch key, that another transaction wrote and committed while the statement
// waited for it — must still come out as it would one statement at a time: the same batch sent
// twice at once (two cloud instances, a resend racing its original) is stored once and the other
// is a duplicate, a different batch under the same seq is refused as a conflict, never stored
// twice and never lost. PostgreSQL only: PGlite is one connection, where nothing runs beside.

const T0 = Date.parse('2026-12-07T10:00:00Z');
const GW = 'ob-gw';

const batch = (stream: string, seq: number, o: Partial<UplinkBatchInput> = {}): UplinkBatch => UplinkBatch.parse({
  v: PROTOCOL_VERSION, gateway: GW, stream, seq, sentAt: T0 + seq, readings: [{ sensor: 'ob-s1', kind: 'temperature', ts: T0 + seq * 1000, value: 9.5, quality: 'good' }],
  alerts: [{ id: `ob-a${seq}`, rule: 'high', zone: 'ob-z1', sensor: 'ob-s1', severity: 'critical', transition: 'raised', since: T0, ts: T0 + seq * 1000, value: 9.5, threshold: 8, message: 'too warm' }],
  ...o,
});

/** backends of this database waiting for another transaction's row (a unique key it inserted) */
const waitingForRow = async (db: Db) => (await db.query<{ n: number }>(
  `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted AND database IS NULL
     AND pid IN (SELECT pid FROM pg_stat_activity WHERE datname = current_database())`))[0]!.n;

/** the first transaction opens `first` and holds; the second opens `second` beside it, waits for its rows, and decides once the first committed */
async function race(db: Db, first: UplinkBatch, second: UplinkBatch): Promise<[OpenedBatch, OpenedBatch]> {
  let release!: () => void, opened!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const firstOpened = new Promise<void>((r) => { opened = r; });
  const a = db.tx(async (q) => { const r = await openBatch(q, first, []); opened(); await gate; return r; });
  await firstOpened;
  const b = db.tx((q) => openBatch(q, second, []));
  await expect.poll(() => waitingForRow(db), { timeout: 10_000, message: 'the second transaction waits for the first one\'s rows' }).toBe(1);
  release();
  return Promise.all([a, b]);
}

const status = (r: OpenedBatch) => (r.status === 'rejected' ? `rejected ${r.error.code}` : r.status);

describe(`a batch opened by two transactions at once (${engineLabel})`, () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await testDatabase();
    await registerGateway(tdb.db, GW, { site: 'ob-site' });
  });
  afterAll(async () => { await tdb?.cleanup(); });

  if (!usingPostgres) {
    it('runs on PostgreSQL only', () => {
      console.log('open-batch races: PGlite is one connection, no transaction runs beside another; CI runs these on PostgreSQL');
      expect(usingPostgres).toBe(false);
    });
    return;
  }

  const keys = async (stream: string) => (await tdb.db.query<{ seq: number }>('SELECT seq::int AS seq FROM uplink_batches WHERE gateway = $1 AND stream = $2 ORDER BY seq', [GW, stream])).map((r) => r.seq);

  it('a new stream: the second reads the stream and the key again — the same batch is a duplicate, stored once', async () => {
    const b = batch('s-new', 1);
    const [first, second] = await race(tdb.db, b, { ...b, sentAt: b.sentAt + 5 });
    expect([status(first), status(second)]).toEqual(['fresh', 'duplicate']);
    expect(await keys('s-new')).toEqual([1]);
    const [stream] = await tdb.db.query<{ n: number }>("SELECT count(*)::int AS n FROM uplink_streams WHERE gateway = $1 AND stream = 's-new'", [GW]);
    expect(stream!.n).toBe(1);
  });

  it('a new stream: another batch under the same seq is refused as a conflict', async () => {
    const b = batch('s-new2', 1);
    const [first, second] = await race(tdb.db, b, batch('s-new2', 1, { readings: [] }));
    expect([status(first), status(second)]).toEqual(['fresh', 'rejected SP_ERR_UPLINK_SEQ_CONFLICT']);
    expect(await keys('s-new2')).toEqual([1]);
  });

  it('a stream opened before: the key committed while the second waited is read again — duplicate, or conflict for other content', async () => {
    await tdb.db.tx((q) => openBatch(q, batch('s-old', 1), []));
    const b = batch('s-old', 2);
    expect((await race(tdb.db, b, { ...b, sentAt: b.sentAt + 5 })).map(status)).toEqual(['fresh', 'duplicate']);
    const c = batch('s-old', 3);
    expect((await race(tdb.db, c, batch('s-old', 3, { alerts: [] }))).map(status)).toEqual(['fresh', 'rejected SP_ERR_UPLINK_SEQ_CONFLICT']);
    expect(await keys('s-old')).toEqual([1, 2, 3]);
  });
});
