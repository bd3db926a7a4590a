import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroupCommitter } from '../../../cloud/ingest/group-commit.ts';
import { COPY_MIN_READINGS, storeBatch, type StoreResult } from '../../../cloud/ingest/store-batch.ts';
import { createCloudMetrics } from '../../../cloud/metrics.ts';
import type { Db } from '../../../cloud/db/engine.ts';
import { PROTOCOL_VERSION, UplinkBatch, type UplinkBatchInput } from '../../../protocols/uplink/contract.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { registerGateway } from '../../helpers/gateways.ts';

// The set-based path of a group commit (cloud/ingest/store-group.ts) must be invisible: every
// batch of a mixed group gets exactly the result, and leaves exactly the rows, that the per-batch
// path (storeBatch, one transaction each) gives the same batch on a second database. A batch the
// database refuses costs only itself, also when it sits among the plain batches the set-based
// path writes together. Twice: with small batches (one multi-row statement for the group) and with
// batches of 100 readings (on PostgreSQL: one COPY for the group, copy-readings.ts copyReadingsOf,
// its fallback for readings stored before included, and runs of several batches of one stream in
// one group).

const T0 = Date.parse('2026-11-20T10:00:00Z');
const gw = (g: number) => `sg-gw-${g}`;
const sensor = (g: number) => `sg-s${g}`;
const GATEWAYS = 12;

const manifest = (g: number) => ({
  site: `shop-${g}`,
  zones: [{ id: `sg-z${g}`, name: `zone ${g}`, profile: { low: 2, high: 8 }, delaySec: 60, hysteresis: 0.5 }],
  sensors: [{ id: sensor(g), zone: `sg-z${g}`, kind: 'temperature' as const, unit: '°C', protocol: 'mqtt-json' }],
  devices: [],
});
let N = 5;
const readings = (g: number, seq: number, n = N) =>
  Array.from({ length: n }, (_, i) => ({ sensor: sensor(g), kind: 'temperature' as const, ts: T0 + ((seq - 1) * n + i) * 1000, value: 4 + i / 10, quality: 'good' as const }));
const batch = (g: number, seq: number, extra: Partial<UplinkBatchInput> = {}): UplinkBatch =>
  UplinkBatch.parse({ v: PROTOCOL_VERSION, gateway: gw(g), stream: 'st', seq, sentAt: T0 + seq, readings: readings(g, seq), alerts: [], ...extra });

/** both databases: the gateways registered, each with its seq 1 (manifest: zone and sensor claimed) committed */
async function seeded(): Promise<TestDatabase> {
  const t = await testDatabase();
  for (let g = 0; g < GATEWAYS; g++) {
    await registerGateway(t.db, gw(g), { site: `shop-${g}` });
    expect((await storeBatch(t.db, batch(g, 1, { manifest: manifest(g) }), [])).status).toBe('committed');
  }
  expect((await storeBatch(t.db, batch(11, 2), [])).status).toBe('committed');
  return t;
}

/** what a site or an admin can see of a result (an SpError by its code and details) */
const shown = (r: StoreResult) => (r.status === 'rejected' ? { ...r, error: { code: r.error.code, details: r.error.details } } : r);

/** every row ingest writes, in a stable order, without the columns that hold the clock */
async function state(db: Db) {
  const q = (sql: string) => db.query(sql);
  return {
    readings: await q(`SELECT gateway, sensor, zone, kind, value, quality, (extract(epoch FROM ts) * 1000)::float8 AS ms FROM readings ORDER BY sensor, ts`),
    batches: await q(`SELECT gateway, stream, seq::int AS seq, readings, alerts, digest, (extract(epoch FROM sent_at) * 1000)::float8 AS sent FROM uplink_batches ORDER BY gateway, stream, seq`),
    gateways: await q(`SELECT id, site, stream, last_seq::int AS last_seq, manifest FROM gateways ORDER BY id`),
    sensors: await q(`SELECT id, gateway, zone, kind, (extract(epoch FROM last_ts) * 1000)::float8 AS last_ms, last_value FROM sensors ORDER BY id`),
    zones: await q(`SELECT id, gateway, site, profile_low, profile_high FROM zones ORDER BY id`),
    claims: await q(`SELECT kind, id, gateway, how FROM gateway_claims ORDER BY kind, id`),
    streams: await q(`SELECT gateway, stream, generation FROM uplink_streams ORDER BY gateway, stream`),
    alerts: await q(`SELECT id, zone, rule, severity FROM alerts ORDER BY id`),
    deadLetters: await q(`SELECT source, code, reason, payload FROM dead_letters ORDER BY source, reason`),
  };
}

/**
 * `db` whose first transaction is held after its statement that contains `at` until release():
 * the group commit's first group stays in its transaction while the test looks. `log` says what
 * each transaction did (its keys written, the hold, its COMMIT returned), in order. `thenFail`:
 * once released, that transaction runs a statement the server refuses (division by zero, standing
 * for any fault of its own) and fails there.
 */
function holdingFirst(db: Db, at: string, thenFail = false): { db: Db; log: string[]; release(): void } {
  const log: string[] = [];
  let txs = 0;
  let release!: () => void;
  const held = new Promise<void>((r) => { release = r; });
  const watched: Db = {
    ...db,
    tx: (fn, o) => {
      const id = ++txs;
      return db.tx((q) => fn({
        pgClient: q.pgClient,
        query: async (sql, p) => {
          if (sql.includes('INSERT INTO uplink_batches')) log.push(`keys ${id}`);
          const r = await q.query(sql, p);
          if (id === 1 && sql.includes(at)) {
            log.push('held 1');
            await held;
            if (thenFail) await q.query('SELECT 1 / 0');
          }
          return r as never;
        },
      }), o).then((out) => { log.push(`committed ${id}`); return out; });
    },
  };
  return { db: watched, log, release };
}

/** backends of this database waiting for an advisory lock (a run waiting for its turn: run-turn.ts) */
const waitingForTurn = async (db: Db) => (await db.query<{ n: number }>(
  `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`))[0]!.n;

describe.each([5, 100])(`group commit, set-based path (${engineLabel}), %i readings a batch`, (n) => {
  let grouped: TestDatabase;
  let single: TestDatabase;

  beforeAll(async () => {
    N = n;
    grouped = await seeded();
    single = await seeded();
  }, 60_000);

  afterAll(async () => {
    await grouped?.cleanup();
    await single?.cleanup();
  });

  it('a mixed group: each batch gets the per-batch result and leaves the per-batch rows', { timeout: 60_000 }, async () => {
    await registerGateway(grouped.db, 'sg-gw-new', { site: 'shop-new' });
    await registerGateway(single.db, 'sg-gw-new', { site: 'shop-new' });
    const plainOverlap = readings(8, 1).slice(3); // N - 3 readings already stored by seq 1
    const group: UplinkBatch[] = [
      batch(0, 2), batch(1, 2), batch(2, 2), batch(3, 2),                                          // plain: set-based
      batch(4, 2, { manifest: { ...manifest(4), zones: [{ ...manifest(4).zones[0]!, name: 'renamed' }] } }), // a manifest
      batch(5, 1, { manifest: manifest(5), sentAt: T0 + 99 }),                                         // a resend: duplicate
      batch(11, 2, { sentAt: T0 + 77 }),                                                                // a plain resend: duplicate
      batch(6, 1, { readings: [{ sensor: sensor(6), kind: 'temperature', ts: T0, value: 99, quality: 'good' }] }), // seq 1, other content: conflict
      batch(7, 2, { readings: [...readings(7, 2), { sensor: sensor(0), kind: 'temperature', ts: T0 + 500_000, value: 7, quality: 'good' }] }), // a foreign sensor
      batch(8, 2, { readings: [...plainOverlap, ...readings(8, 2), readings(8, 2)[0]!] }),            // duplicate readings, plain
      batch(9, 2, { readings: [...readings(9, 2), { sensor: 'sg-s-fresh', kind: 'humidity', ts: T0, value: 50, quality: 'good' }] }), // first use of a sensor
      UplinkBatch.parse({ v: PROTOCOL_VERSION, gateway: 'sg-gw-unknown', stream: 'st', seq: 1, sentAt: T0, readings: readings(9, 3), alerts: [] }), // not registered
      batch(10, 2, { stream: 'st2', seq: 1 }),                                                         // a new stream, plain
      UplinkBatch.parse({ v: PROTOCOL_VERSION, gateway: 'sg-gw-new', stream: 'st', seq: 1, sentAt: T0, readings: [], alerts: [] }), // registered, nothing owned yet, no readings
    ];
    const metrics = createCloudMetrics();
    const committer = new GroupCommitter({ db: grouped.db, targets: [], metrics, maxBatches: 64, concurrency: 1 });
    const viaGroup = await Promise.all(group.map((b) => committer.store(b)));
    // one transaction, and the plain ones (and the resend) decided set-based
    expect((await metrics.groupSize.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value).toBe(1);
    expect((await metrics.groupFast.get()).values[0]!.value).toBe(8); // gw 0-3, 8, 10, 11 (duplicate) and the empty one
    expect((await metrics.groupFastFailed.get()).values[0]?.value ?? 0).toBe(0);

    const sorted = [...group].sort((a, b) => (a.gateway < b.gateway ? -1 : a.gateway > b.gateway ? 1 : 0));
    const alone = new Map<UplinkBatch, StoreResult>();
    for (const b of sorted) alone.set(b, await storeBatch(single.db, b, []));
    expect(viaGroup.map(shown)).toEqual(group.map((b) => shown(alone.get(b)!)));

    // the results say what they should (not only "the same as the other path")
    const status = (g: number | string) => viaGroup[group.findIndex((b) => b.gateway === (typeof g === 'number' ? gw(g) : g))]!;
    expect(status(0)).toMatchObject({ status: 'committed', readingsStored: N, refused: [] });
    expect(status(5)).toEqual({ status: 'duplicate' });
    expect(status(11)).toEqual({ status: 'duplicate' });
    expect(status(6)).toMatchObject({ status: 'rejected', error: { code: 'SP_ERR_UPLINK_SEQ_CONFLICT' } });
    expect(status(7)).toMatchObject({ status: 'committed', readingsStored: N, refused: [{ what: 'reading', subject: sensor(0) }] });
    expect(status(8)).toMatchObject({ status: 'committed', readingsStored: N }); // N - 3 stored before + N new + 1 twice in the batch
    expect(status(9)).toMatchObject({ status: 'committed', readingsStored: N + 1 });
    expect(status('sg-gw-unknown')).toMatchObject({ status: 'rejected', error: { code: 'SP_ERR_GATEWAY_UNKNOWN' } });
    expect(status(10)).toMatchObject({ status: 'committed', readingsStored: N });
    expect(status('sg-gw-new')).toMatchObject({ status: 'committed', readingsStored: 0 });

    expect(await state(grouped.db)).toEqual(await state(single.db));
  });

  it('runs of one stream (the drain after an outage): several batches of a gateway in one group get the per-batch results and rows', { timeout: 60_000 }, async () => {
    // right after the first test: both databases hold the same rows
    const halfOf2 = readings(5, 2).slice(Math.floor(N / 2));
    const group: UplinkBatch[] = [
      batch(5, 2), batch(5, 3, { readings: [...halfOf2, ...readings(5, 3)] }), batch(5, 4),  // new; seq 3 repeats half of seq 2
      batch(7, 2), batch(7, 3), batch(7, 4),                                               // seq 2 used before with other content: conflict
      batch(9, 2, { readings: [...readings(9, 2), { sensor: 'sg-s-fresh', kind: 'humidity', ts: T0, value: 50, quality: 'good' }] }), // a resend
      batch(9, 3),
    ];
    const metrics = createCloudMetrics();
    const committer = new GroupCommitter({ db: grouped.db, targets: [], metrics, maxBatches: 64, concurrency: 1 });
    const viaGroup = await Promise.all(group.map((b) => committer.store(b)));
    const alone = [];
    for (const b of group) alone.push(await storeBatch(single.db, b, []));
    expect(viaGroup.map(shown)).toEqual(alone.map(shown));
    expect(viaGroup.map((r) => r.status)).toEqual(['committed', 'committed', 'committed', 'rejected', 'committed', 'committed', 'duplicate', 'committed']);
    expect(viaGroup.map((r) => (r.status === 'committed' ? r.readingsStored : null))).toEqual([N, N, N, null, N, N, null, N]);
    expect(viaGroup[3]).toMatchObject({ error: { code: 'SP_ERR_UPLINK_SEQ_CONFLICT' } });
    // a run shares one transaction where it can COPY (PostgreSQL, batches of COPY_MIN_READINGS and
    // more); otherwise one batch per gateway per group, three groups one after the other
    const runs = grouped.db.engine !== 'pglite' && N >= COPY_MIN_READINGS;
    expect((await metrics.groupSize.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value).toBe(runs ? 1 : 3);
    expect((await metrics.groupFast.get()).values[0]!.value).toBe(7); // all but the conflict
    expect(await state(grouped.db)).toEqual(await state(single.db));
  });

  it('a batch the database refuses among plain batches costs only itself; the others commit in the same group', { timeout: 60_000 }, async () => {
    // a value this database refuses (as a constraint or a trigger of an operator would): it fails
    // the set-based readings statement after the group's keys were written
    await grouped.db.query('ALTER TABLE readings ADD CONSTRAINT sg_poison CHECK (value <> 666)');
    try {
      const metrics = createCloudMetrics();
      const committer = new GroupCommitter({ db: grouped.db, targets: [], metrics, maxBatches: 64, concurrency: 1 });
      const poisonValue = batch(1, 3, { readings: [...readings(1, 3), { sensor: sensor(1), kind: 'temperature', ts: T0 + 900_000, value: 666, quality: 'good' }] });
      const good = [0, 3, 8, 10].map((g) => batch(g, 3));
      const settled = await Promise.allSettled([poisonValue, ...good].map((b) => committer.store(b)));

      for (const [k, b] of good.entries()) {
        expect(settled[k + 1]).toMatchObject({ status: 'fulfilled', value: { status: 'committed', readingsStored: N } });
        const [n] = await grouped.db.query<{ n: number }>('SELECT count(*)::int AS n FROM uplink_batches WHERE gateway = $1 AND stream = $2 AND seq = 3', [b.gateway, b.stream]);
        expect(n!.n).toBe(1);
      }
      // the poison one: refused by the database on the single-batch path too (mqtt-ingest.ts then
      // stores it item by item), nothing of it stored
      expect(settled[0]).toMatchObject({ status: 'rejected', reason: { code: '23514' } });
      const [n] = await grouped.db.query<{ n: number }>('SELECT count(*)::int AS n FROM uplink_batches WHERE gateway = $1 AND seq = 3', [poisonValue.gateway]);
      expect(n!.n).toBe(0);
      expect((await grouped.db.query('SELECT 1 FROM readings WHERE sensor = $1 AND ts >= to_timestamp($2 / 1000.0)', [sensor(1), T0 + 2 * N * 1000])).length).toBe(0);
      // one group: the set-based path rolled back once, every batch then went alone
      expect((await metrics.groupSize.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value).toBe(1);
      expect((await metrics.groupFastFailed.get()).values[0]!.value).toBe(1);
      expect((await metrics.groupIsolated.get()).values[0]!.value).toBe(1);
    } finally {
      await grouped.db.query('ALTER TABLE readings DROP CONSTRAINT sg_poison');
    }
  });

  it('a group of plain batches, all new: decided together, each committed with all its readings and its key', { timeout: 60_000 }, async () => {
    const metrics = createCloudMetrics();
    const committer = new GroupCommitter({ db: grouped.db, targets: [], metrics, maxBatches: 64, concurrency: 1 });
    const group = [0, 2, 4, 6].map((g) => batch(g, 4));
    const results = await Promise.all(group.map((b) => committer.store(b)));
    for (const r of results) expect(r).toMatchObject({ status: 'committed', readingsStored: N, refused: [] });
    expect((await metrics.groupFast.get()).values[0]!.value).toBe(4);
    for (const b of group) {
      const last = b.readings.at(-1)!;
      const [row] = await grouped.db.query<{ n: number; last_value: number; last_seq: number; keys: number }>(
        `SELECT (SELECT count(*)::int FROM readings WHERE sensor = $1 AND ts >= to_timestamp($2 / 1000.0)) AS n,
                (SELECT last_value FROM sensors WHERE id = $1) AS last_value,
                (SELECT last_seq::int FROM gateways WHERE id = $3) AS last_seq,
                (SELECT count(*)::int FROM uplink_batches WHERE gateway = $3 AND stream = 'st' AND seq = 4) AS keys`,
        [b.readings[0]!.sensor, b.readings[0]!.ts, b.gateway]);
      expect(row).toEqual({ n: N, last_value: last.value, last_seq: 4, keys: 1 });
    }
    // sent again: every one a duplicate, nothing written twice
    expect((await Promise.all(group.map((b) => committer.store({ ...b, sentAt: b.sentAt + 5 })))).map((r) => r.status)).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate']);
    const [again] = await grouped.db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings WHERE sensor = $1 AND ts >= to_timestamp($2 / 1000.0)', [group[0]!.readings[0]!.sensor, group[0]!.readings[0]!.ts]);
    expect(again!.n).toBe(N);
  });

  it('a batch that waits for the next group holds back the later batches of its gateway: commits stay in seq order', { timeout: 60_000 }, async () => {
    // seq 4-8 of gateway 3; a group takes 380 readings: 4, 5, 6 (300), then 7 (100) is over the
    // budget and waits, and 8 (70) would fit — it must not commit before 7
    const committer = new GroupCommitter({ db: grouped.db, targets: [], metrics: createCloudMetrics(), maxBatches: 64, maxReadings: 380, concurrency: 1 });
    const sizes = [100, 100, 100, 100, 70];
    const run = sizes.map((n, k) => batch(3, 4 + k, { readings: Array.from({ length: n }, (_, i) =>
      ({ sensor: sensor(3), kind: 'temperature' as const, ts: T0 + 50_000_000 + (k * 1000 + i) * 1000, value: 5, quality: 'good' as const })) }));
    const results = await Promise.all(run.map((b) => committer.store(b)));
    expect(results.map((r) => (r.status === 'committed' ? r.readingsStored : r.status))).toEqual(sizes);
    const commits = await grouped.db.query<{ seq: number; at: number }>(
      `SELECT seq::int AS seq, (extract(epoch FROM received_at) * 1000000)::float8 AS at FROM uplink_batches WHERE gateway = $1 AND seq >= 4 ORDER BY seq`, [gw(3)]);
    expect(commits.map((c) => c.seq)).toEqual([4, 5, 6, 7, 8]);
    // received_at is the committing transaction's start: a later group's is later
    const late = commits.filter((c, k) => k > 0 && c.at < commits[k - 1]!.at).map((c) => c.seq);
    expect(late).toEqual([]);
  });

  it('the drain: the next run of a stream starts while the run before it is still in its transaction, waits in the server for that COMMIT, and every batch, reading and last value comes out as one after the other', { timeout: 60_000 }, async () => {
    if (grouped.db.engine === 'pglite' || N < COPY_MIN_READINGS) {
      console.log(`runs side by side: not on this database or size (${grouped.db.engine}, ${N} readings a batch): runs are PostgreSQL's COPY path`);
      return;
    }
    // the first group's transaction is held open after its last statement until the test lets it go
    const { db: watched, log, release } = holdingFirst(grouped.db, 'INSERT INTO gateways');
    // two batches a group (200 readings), two groups at once: seq 5-8 of gateway 2
    const committer = new GroupCommitter({ db: watched, targets: [], metrics: createCloudMetrics(), maxBatches: 64, maxReadings: 2 * N, concurrency: 2 });
    const run = [5, 6, 7, 8].map((seq) => batch(2, seq));
    const results = Promise.all(run.map((b) => committer.store(b)));
    try {
      // the second wrote its keys and its COPY beside the first, and waits for it before its last values
      await expect.poll(() => waitingForTurn(grouped.db), { timeout: 10_000, message: `the second run waits for the first's lock (${log.join(', ')})` }).toBe(1);
      expect(log).toContain('held 1');
      expect(log).toContain('keys 2');
      expect(log.filter((l) => l.startsWith('committed'))).toEqual([]);
    } finally {
      release();
    }
    expect((await results).map((r) => (r.status === 'committed' ? r.readingsStored : r.status))).toEqual([N, N, N, N]);
    expect(log.filter((l) => l.startsWith('committed'))).toEqual(['committed 1', 'committed 2']);
    expect(await waitingForTurn(grouped.db)).toBe(0);
    const [row] = await grouped.db.query<{ n: number; keys: number; last_seq: number; last_ms: number }>(
      `SELECT (SELECT count(*)::int FROM readings WHERE sensor = $1 AND ts >= to_timestamp($2 / 1000.0)) AS n,
              (SELECT count(*)::int FROM uplink_batches WHERE gateway = $3 AND stream = 'st' AND seq BETWEEN 5 AND 8) AS keys,
              (SELECT last_seq::int FROM gateways WHERE id = $3) AS last_seq,
              (SELECT (extract(epoch FROM last_ts) * 1000)::float8 FROM sensors WHERE id = $1) AS last_ms`,
      [sensor(2), run[0]!.readings[0]!.ts, gw(2)]);
    expect(row).toEqual({ n: 4 * N, keys: 4, last_seq: 8, last_ms: run[3]!.readings.at(-1)!.ts });
  });

  it('the drain: when the run before fails in its transaction, the run after it, already waiting for its turn, does not commit first: it goes again after that run, and the stream commits in seq order', { timeout: 60_000 }, async () => {
    if (grouped.db.engine === 'pglite' || N < COPY_MIN_READINGS) {
      console.log(`runs side by side: not on this database or size (${grouped.db.engine}, ${N} readings a batch): runs are PostgreSQL's COPY path`);
      return;
    }
    const { db: watched, log, release } = holdingFirst(grouped.db, 'INSERT INTO gateways', true);
    const at = (seq: number) => Array.from({ length: N }, (_, i) =>
      ({ sensor: sensor(10), kind: 'temperature' as const, ts: T0 + 90_000_000 + (seq * N + i) * 1000, value: seq, quality: 'good' as const }));
    // a stream of gateway 10 (seq 1 stored), then seq 2-5, two a group, two groups at once
    expect((await storeBatch(grouped.db, batch(10, 1, { stream: 'rf', readings: at(1) }), [])).status).toBe('committed');
    const run = [2, 3, 4, 5].map((seq) => batch(10, seq, { stream: 'rf', readings: at(seq) }));
    const metrics = createCloudMetrics();
    const committer = new GroupCommitter({ db: watched, targets: [], metrics, maxBatches: 64, maxReadings: 2 * N, concurrency: 2 });
    const results = Promise.all(run.map((b) => committer.store(b)));
    try {
      // the second run wrote its keys and its COPY beside the first and waits for its turn
      await expect.poll(() => waitingForTurn(grouped.db), { timeout: 10_000, message: `the second run waits for the first's lock (${log.join(', ')})` }).toBe(1);
    } finally {
      release(); // the first now fails: its lock goes with its ROLLBACK, and the second has its turn
    }
    expect((await results).map((r) => (r.status === 'committed' ? r.readingsStored : r.status))).toEqual([N, N, N, N]);
    // transactions 1 and 2 are the two runs' first; 1 failed, so 2 rolled back, and the first
    // run's second transaction (3) committed before the second run's (4)
    expect(log.filter((l) => l.startsWith('committed'))).toEqual(['committed 3', 'committed 4']);
    expect((await metrics.groupFastFailed.get()).values[0]!.value).toBe(1);
    expect((await metrics.groupRunRedone.get()).values[0]!.value).toBe(1);
    // received_at is the start of the transaction that committed the key: it rises with seq
    const keys = await grouped.db.query<{ seq: number }>(`SELECT seq::int AS seq FROM uplink_batches WHERE gateway = $1 AND stream = 'rf' AND seq >= 2 ORDER BY received_at, seq`, [gw(10)]);
    expect(keys.map((k) => k.seq)).toEqual([2, 3, 4, 5]);
    const [row] = await grouped.db.query<{ n: number; last_seq: number; last_ms: number }>(
      `SELECT (SELECT count(*)::int FROM readings WHERE sensor = $1 AND ts >= to_timestamp($2 / 1000.0)) AS n,
              (SELECT last_seq::int FROM gateways WHERE id = $3) AS last_seq,
              (SELECT (extract(epoch FROM last_ts) * 1000)::float8 FROM sensors WHERE id = $1) AS last_ms`,
      [sensor(10), run[0]!.readings[0]!.ts, gw(10)]);
    expect(row).toEqual({ n: 4 * N, last_seq: 5, last_ms: run[3]!.readings.at(-1)!.ts });
  });

  it('the drain: a reading sent in both of two overlapping runs, the later run writing it first, is a deadlock PostgreSQL breaks, not a hang; after the retry every reading is stored once', { timeout: 60_000 }, async () => {
    if (grouped.db.engine === 'pglite' || N < COPY_MIN_READINGS) {
      console.log(`runs side by side: not on this database or size (${grouped.db.engine}, ${N} readings a batch): runs are PostgreSQL's COPY path`);
      return;
    }
    // the first group's transaction is held after its keys, before its COPY, until the test lets it go
    const { db: watched, release } = holdingFirst(grouped.db, 'INSERT INTO uplink_batches');
    const at = (seq: number) => Array.from({ length: N }, (_, i) =>
      ({ sensor: sensor(6), kind: 'temperature' as const, ts: T0 + 80_000_000 + (seq * N + i) * 1000, value: seq, quality: 'good' as const }));
    // a stream of gateway 6 (seq 1 stored), then seq 2-5, two a group; seq 4 carries seq 2's first reading again
    expect((await storeBatch(grouped.db, batch(6, 1, { stream: 'dr', readings: at(1) }), [])).status).toBe('committed');
    const run = [2, 3, 4, 5].map((seq) => batch(6, seq, { stream: 'dr', readings: seq === 4 ? [...at(4), at(2)[0]!] : at(seq) }));
    const deadlocks = async () => (await grouped.db.query<{ n: number }>('SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = current_database()'))[0]!.n;
    const deadlocksBefore = await deadlocks();
    const committer = new GroupCommitter({ db: watched, targets: [], metrics: createCloudMetrics(), maxBatches: 64, maxReadings: 2 * N + 1, concurrency: 2 });
    const settled = Promise.allSettled(run.map((b) => committer.store(b)));
    try {
      // the second group COPYed the shared reading and waits for the first group's turn
      await expect.poll(() => waitingForTurn(grouped.db), { timeout: 10_000, message: 'the second run waits for the first' }).toBe(1);
    } finally {
      release(); // the first's COPY now waits for the second's row: a cycle through the advisory lock
    }
    const outcomes = await settled;
    // PostgreSQL broke the cycle (deadlock_timeout): one group was rolled back with 40P01, which the
    // ingest retries (store-fault.ts); a group broken in its COPY went again on the per-batch path
    await expect.poll(deadlocks, { timeout: 10_000, message: 'the server saw the deadlock' }).toBe(deadlocksBefore + 1);
    const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{ seq: run[i]!.seq, code: (o.reason as { code?: string }).code }] : []));
    expect(failed.every((f) => f.code === '40P01')).toBe(true);
    for (const f of failed) expect((await committer.store(run.find((b) => b.seq === f.seq)!)).status).toBe('committed');
    const [row] = await grouped.db.query<{ n: number; distinct_values: number; keys: number; last_seq: number }>(
      `SELECT (SELECT count(*)::int FROM readings WHERE sensor = $1 AND ts >= to_timestamp($2 / 1000.0)) AS n,
              (SELECT count(DISTINCT value)::int FROM readings WHERE sensor = $1 AND ts >= to_timestamp($2 / 1000.0)) AS distinct_values,
              (SELECT count(*)::int FROM uplink_batches WHERE gateway = $3 AND stream = 'dr') AS keys,
              (SELECT last_seq::int FROM gateways WHERE id = $3) AS last_seq`,
      [sensor(6), T0 + 80_000_000, gw(6)]);
    expect(row).toEqual({ n: 5 * N, distinct_values: 5, keys: 5, last_seq: 5 });
  });
});
