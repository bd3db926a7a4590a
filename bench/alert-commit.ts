// The cloud's part of an alarm, alone (a component figure: in process, no broker, no edge, no
// webhook): one alert batch — the reading that completed the delay and its alert — through the
// group committer as mqtt-ingest.ts hands it over, from store() to the COMMIT returned, with its
// deliveries leased for the direct send. Beside it, in the same run and on the same database, the
// raw baseline: a hand-written transaction writing the same three rows (the reading into readings,
// the alert and one delivery into tables of the same shape as alerts and notification_deliveries,
// CREATE TABLE … LIKE … INCLUDING ALL: only cloud/notify writes those two, tests/architecture) in
// three statements, with no admission, batch key, screening or incident. Also counts the statements
// (round trips) each alert batch takes, the lever bench/README.md names for this leg.
//
//   DATABASE_URL=postgres://… npx tsx bench/alert-commit.ts [--batches 1000]
//   (without DATABASE_URL: PGlite in memory)

import { parseArgs } from 'node:util';
import { openDb, type Db, type Queryable } from '../cloud/db/engine.ts';
import { migrate } from '../cloud/db/migrate.ts';
import { addGateway } from '../cloud/gateways/registry.ts';
import { GroupCommitter } from '../cloud/ingest/group-commit.ts';
import type { NotificationTarget } from '../cloud/notify/targets.ts';
import { storeBatch } from '../cloud/ingest/store-batch.ts';
import { PROTOCOL_VERSION, UplinkBatch } from '../protocols/uplink/contract.ts';
import { describeEngine, engineOf } from './lib/engine.ts';
import { pct, ratio, table, writeResult } from './lib/report.ts';
import { scratchDatabase, type ScratchDb } from './lib/scratch-pg.ts';

const { values } = parseArgs({ options: { batches: { type: 'string', default: '1000' }, warmup: { type: 'string', default: '50' } } });
const BATCHES = Number(values.batches), WARMUP = Number(values.warmup);
if (!(BATCHES > 0) || !(WARMUP >= 0)) {
  console.error('alert-commit: --batches and --warmup take whole numbers (--batches > 0)');
  process.exit(2);
}

let scratch: ScratchDb | undefined;
if (process.env.DATABASE_URL) scratch = await scratchDatabase(process.env.DATABASE_URL, 'sp_bench_alert');
const raw: Db = await openDb({ url: scratch?.url, poolSize: 4 });
await migrate(raw);
await raw.exec('CREATE TABLE raw_alerts (LIKE alerts INCLUDING ALL); CREATE TABLE raw_deliveries (LIKE notification_deliveries INCLUDING ALL)');
// every statement the ingest sends, counted (one round trip each on PostgreSQL)
let statements = 0;
const counted = <Q extends Queryable>(q: Q): Q => ({ ...q, query: (sql: string, p?: unknown[]) => { statements++; return q.query(sql, p); } });
const db: Db = { ...raw, tx: (fn, o) => raw.tx((q) => fn(counted(q)), o) };

const T0 = Date.now() - 86_400_000;
const targets: NotificationTarget[] = [{ channel: 'webhook', target: 'http://127.0.0.1:9/hook', format: 'json' }];
await addGateway(raw, { id: 'gw', site: 'site', createdBy: 'bench' });
const batch = (seq: number, o: object = {}) => UplinkBatch.parse({
  v: PROTOCOL_VERSION, gateway: 'gw', stream: 'st', seq, sentAt: T0 + seq, alerts: [],
  readings: [{ sensor: 's1', kind: 'temperature', ts: T0 + seq * 1000, value: 9, quality: 'good' }], ...o,
});
// seq 1: the manifest (zone and sensor claimed), as a gateway's first batch
await storeBatch(raw, batch(1, { manifest: { site: 'site', zones: [{ id: 'z1', name: 'cold room', profile: { low: 2, high: 8 }, delaySec: 60, hysteresis: 0.5 }], sensors: [{ id: 's1', zone: 'z1', kind: 'temperature', unit: '°C', protocol: 'mqtt-json' }], devices: [] } }), targets);

const committer = new GroupCommitter({ db, targets, store: { lease: true } });
/** alert i's raise (even seq) and clear (odd), each with the reading that decided it */
const alertBatch = (seq: number) => {
  const i = Math.floor(seq / 2);
  return batch(seq, { alerts: [{ id: `a${i}`, rule: 'high', zone: 'z1', sensor: 's1', severity: 'critical', transition: seq % 2 ? 'cleared' : 'raised', since: T0 + i * 2000, ts: T0 + seq * 1000, value: 9, threshold: 8, message: 'cold room too warm' }] });
};

async function timed(n: number, one: (k: number) => Promise<void>): Promise<number[]> {
  const ms: number[] = [];
  for (let k = 0; k < n; k++) {
    const t = performance.now();
    await one(k);
    ms.push(performance.now() - t);
  }
  return ms;
}

// ours and raw alternate in blocks of 50, so a slow spell of the shared box weighs on both
const ours: number[] = [], base: number[] = [];
let seq = 2, rawSeq = 0;
const oursBlock = (n: number) => timed(n, async () => {
  const r = await committer.store(alertBatch(seq++));
  if (r.status !== 'committed') throw new Error(`alert batch ${seq - 1}: ${r.status}`);
});
const rawBlock = (n: number) => timed(n, async () => {
  const k = rawSeq++;
  await raw.tx(async (q) => {
    await q.query(`INSERT INTO readings (ts, gateway, sensor, zone, kind, value, quality) VALUES (to_timestamp($1 / 1000.0), 'gw', 's1', 'z1', 'temperature', 9, 'good')`, [T0 - (k + 1) * 1000]);
    await q.query(`INSERT INTO raw_alerts (id, gateway, zone, sensor, rule, severity, state, since, raised_at, value, threshold, message)
      VALUES ($1, 'gw', 'z1', 's1', 'high', 'critical', 'active', now(), now(), 9, 8, 'cold room too warm')`, [`raw-${k}`]);
    await q.query(`INSERT INTO raw_deliveries (alert_id, transition, channel, target, payload) VALUES ($1, 'raised', 'webhook', 'http://127.0.0.1:9/hook', '{}'::jsonb)`, [`raw-${k}`]);
  });
});
await oursBlock(WARMUP);
await rawBlock(WARMUP);
const before = statements;
for (let done = 0; done < BATCHES; done += 50) {
  ours.push(...await oursBlock(Math.min(50, BATCHES - done)));
  base.push(...await rawBlock(Math.min(50, BATCHES - done)));
}
const perBatch = (statements - before) / BATCHES;

const engine = await engineOf(async (sql) => raw.query(sql), scratch ? 'postgresql' : 'pglite');
await raw.close();
await scratch?.drop();

const s = (a: number[]) => [...a].sort((x, y) => x - y);
const [o, b] = [s(ours), s(base)];
console.log(`\nalert commit (component: in process, no broker, no edge) — ${describeEngine(engine)}; ${BATCHES} alert batches (raise and clear alternating) after ${WARMUP} warm-up, ours and raw alternating in blocks of 50\n`);
console.log(table(['path', 'n', 'statements', 'p50 ms', 'p90 ms', 'p99 ms', 'p50 vs raw'], [
  ['ours: group committer, store() → COMMIT returned (admission, key, screening, reading, alert, incident, leased delivery)', o.length, perBatch.toFixed(1), pct(o, 50), pct(o, 90), pct(o, 99), ratio(pct(o, 50), pct(b, 50))],
  ['raw: BEGIN; reading; alert; delivery; COMMIT (three INSERTs, tables of the same shape)', b.length, 3, pct(b, 50), pct(b, 90), pct(b, 99), '1.00×'],
]));
console.log(`\nwritten ${writeResult('alert-commit', { engine, broker: 'none: a component figure, in process (no broker, no edge, no webhook)', batches: BATCHES, statementsPerBatch: perBatch, ours: { p50: pct(o, 50), p90: pct(o, 90), p99: pct(o, 99) }, raw: { p50: pct(b, 50), p90: pct(b, 90), p99: pct(b, 99) } })}`);
