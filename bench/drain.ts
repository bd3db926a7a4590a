// Drain: catching up after an uplink outage (issue #12), through the real path.
//
//   npx tsx bench/drain.ts [--backlog 1200000] [--rate 2000] [--windows 1,8] [--batch 2000]
//   (npm run bench -- --only drain; DATABASE_URL=postgres://… for PostgreSQL, else PGlite)
//
// The state an outage leaves: the gateway's outbox holding `backlog` readings (10 minutes at
// 2 000 readings/s = 1.2 M). It is written straight into the gateway's store file before
// `stockpulse edge` starts, spaced as 100 sensors at rate/100 per second would have produced them
// (waiting 10 real minutes per run would measure the same outbox) — then the link "returns": the
// edge process starts with `stockpulse cloud` (own process) on the same Mosquitto, while a bridge
// publisher keeps sending new readings at `rate` to the edge's device side. Measured per window
// (1 = stop-and-wait, the uplink before the seq window):
//   drain rate      backlog / (gateway started → the cloud's ingested counter passing the backlog)
//   time to empty   edge start → the edge's outbox depth back under one batch, new readings flowing
//   new readings    every reading published during the drain stored too (counted at the end)
// Beside it, in the same run: one raw COPY of the same number of rows into a table shaped like
// `readings` on the same database (the database's own ceiling; PostgreSQL only).

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import pg from 'pg';
import { stringify } from 'yaml';
import { copyIn } from '../cloud/ingest/copy-readings.ts';
import { SqliteOutbox } from '../edge/outbox/sqlite-outbox.ts';
import type { OutboxEntry } from '../edge/outbox/queue.ts';
import { freePort } from '../simulators/free-port.ts';
import { mosquittoVersion, startBenchBroker } from './lib/mosquitto.ts';
import { cpuDelta, cpuOf } from './lib/proc-cpu.ts';
import { countReaches, metric, startCloudProcess, startEdgeProcess, type BenchProcess } from './lib/processes.ts';
import { scratchDatabase } from './lib/scratch-pg.ts';
import { machine, ratio, table, writeResult } from './lib/report.ts';
import { openDb } from '../cloud/db/engine.ts';
import { migrate } from '../cloud/db/migrate.ts';
import { registerGateway } from '../tests/helpers/gateways.ts';
import { describeEngine, engineAndDrop, type Engine } from './lib/engine.ts';

const { values } = parseArgs({ options: {
  backlog: { type: 'string', default: '1200000' },
  rate: { type: 'string', default: '2000' },
  windows: { type: 'string', default: '1,8' },
  batch: { type: 'string', default: '2000' },
  'timeout-s': { type: 'string', default: '600' },
} });
const BACKLOG = Number(values.backlog);
const RATE = Number(values.rate);
const WINDOWS = values.windows!.split(',').map(Number);
const BATCH = Number(values.batch);
const TIMEOUT_MS = Number(values['timeout-s']) * 1000;
const SENSORS = 100;
if (![BACKLOG, RATE, BATCH, ...WINDOWS].every((n) => Number.isInteger(n) && n > 0)) {
  console.error('--backlog, --rate, --batch and --windows take positive integers');
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'sp-drain-'));
const broker = await startBenchBroker({ maxInflight: 1000, maxQueuedMessages: RATE * 600, maxQueuedBytes: RATE * 600 * 256 });
const base = process.env.DATABASE_URL;
const scratch = base ? await scratchDatabase(base, 'sp_bench_drain') : undefined;
const gatewayOf = (w: number) => `bench-drain-w${w}`;
{
  const dataDir = scratch ? undefined : join(work, 'cloud-data', 'cloud-pglite');
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const rdb = await openDb({ url: scratch?.url, dataDir });
  try {
    await migrate(rdb);
    for (const w of WINDOWS) await registerGateway(rdb, gatewayOf(w), { site: 'bench' });
  } finally {
    await rdb.close();
  }
}
const cloudPort = await freePort();
const cloudUrl = `http://127.0.0.1:${cloudPort}`;
const cloud = await startCloudProcess({
  HTTP_PORT: String(cloudPort), MQTT_URL: broker.url, STOCKPULSE_MQTT_ALERTS: 'false',
  ...(scratch ? { DATABASE_URL: scratch.url } : { STOCKPULSE_DATA_DIR: join(work, 'cloud-data') }),
});

interface Run {
  window: number; backlog: number; prefillSeconds: number;
  drainSeconds: number; drainRate: number; emptySeconds: number;
  newPublished: number; newStored: boolean; edgeRssMiB?: number; cloudRssMiB?: number; edgeLaunch: string;
}
const runs: Run[] = [];
let rawCopy: { rows: number; seconds: number; rate: number } | undefined;

async function until<T>(read: () => Promise<T | undefined | false>, what: string, everyMs = 50): Promise<T> {
  const end = Date.now() + TIMEOUT_MS;
  for (;;) {
    const v = await read();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** every PostgreSQL server process on this machine (the database's share of the CPU, when it is local) */
function postgresPids(): number[] {
  try {
    return execFileSync('pgrep', ['-u', 'postgres'], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** the outbox a 10-minute outage leaves: readings of 100 sensors at RATE/s, oldest first */
function prefill(file: string, gw: string, t0: number): number {
  const started = performance.now();
  const o = SqliteOutbox.open(file, { fsync: 'normal', maxBytes: 4 * 1024 ** 3 });
  const perSensorMs = (1000 * SENSORS) / RATE;
  const chunk: OutboxEntry[] = [];
  for (let k = 0; k < BACKLOG; k++) {
    const i = k % SENSORS;
    chunk.push({ type: 'reading', reading: { sensor: `${gw}-s-${i}`, kind: 'temperature', ts: t0 + Math.floor(k / SENSORS) * perSensorMs, value: 2 + (k % 60) / 10, quality: 'good' } });
    if (chunk.length === 50_000) { o.append(chunk); chunk.length = 0; }
  }
  if (chunk.length) o.append(chunk);
  o.close();
  return (performance.now() - started) / 1000;
}

/** new readings from one bridge connection at RATE/s until stopped; returns how many were PUBACKed */
function livePublisher(prefix: string, gw: string, t0: number): { stop(): Promise<number> } {
  const c = mqtt.connect(broker.url, { clientId: `bench-drain-pub-${process.pid}-${Date.now()}`, protocolVersion: 4 });
  let sent = 0;
  let acked = 0;
  let j = 0;
  const tickMs = 10;
  const perTick = Math.max(1, Math.round((RATE * tickMs) / 1000));
  const timer = setInterval(() => {
    if (!c.connected) return;
    for (let n = 0; n < perTick; n++, sent++) {
      const i = sent % SENSORS;
      if (i === 0) j++;
      c.publish(`${prefix}/s-${i}`, JSON.stringify({ ts: t0 + j, value: 4 }), { qos: 1 }, (err) => { if (!err) acked++; });
    }
  }, tickMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await until(async () => acked >= sent, 'live publisher PUBACKs', 20);
      await c.endAsync();
      void gw;
      return acked;
    },
  };
}

async function drainRun(window: number): Promise<void> {
  const gw = gatewayOf(window);
  const prefix = `drain/${gw}`;
  const dir = join(work, gw);
  mkdirSync(dir, { recursive: true });
  const tBacklog = Date.now() - 2 * 86_400_000;
  const prefillSeconds = prefill(join(dir, `${gw}.sqlite`), gw, tBacklog);
  const edgePort = await freePort();
  const configFile = join(work, `${gw}.yaml`);
  writeFileSync(configFile, stringify({
    http: { port: edgePort, host: '127.0.0.1' },
    gateway: { id: gw, site: 'bench' },
    deviceBroker: { url: broker.url },
    uplink: { url: broker.url, batchMaxItems: BATCH, window },
    storage: { dir, fsync: 'full', maxBytes: 4 * 1024 ** 3 },
    zones: [{ id: 'z', name: 'Bench zone', profile: { low: -100, high: 100 } }],
    devices: [...Array(SENSORS).keys()].map((i) => ({
      id: `${gw}-d${i}`, protocol: 'mqtt-json', topic: `${prefix}/s-${i}`, heartbeatSec: 3600,
      points: [{ sensor: `${gw}-s-${i}`, zone: 'z', kind: 'temperature', field: 'value' }],
    })),
  }));
  const before = await metric(cloudUrl, 'stockpulse_cloud_readings_ingested_total');
  let t0 = performance.now();
  let edge: BenchProcess | undefined;
  try {
    edge = await startEdgeProcess(configFile);
    // the link is back once the gateway runs (its uplink starts just before it says so); the
    // process start (loading the code) is not the drain's
    t0 = performance.now();
    const pids = () => ({ edge: [edge!.pid], cloud: [cloud.pid], broker: broker.pid ? [broker.pid] : [], postgres: postgresPids() });
    const cpu0 = Object.fromEntries(Object.entries(pids()).map(([k, v]) => [k, cpuOf(v)]));
    const live = livePublisher(prefix, gw, Date.now());
    const edgeStatus = async () => (await fetch(`http://127.0.0.1:${edgePort}/status`)).json() as Promise<{ outboxDepth: number; uplink: { batchesSent: number; resends: number; gaps: number } }>;
    const tDrained = await countReaches(async () => (await metric(cloudUrl, 'stockpulse_cloud_readings_ingested_total')) - before, BACKLOG, `${gw}: backlog in the cloud`, TIMEOUT_MS);
    const cpu = Object.fromEntries(Object.entries(pids()).map(([k, v]) => [k, cpuDelta(cpu0[k]!, cpuOf(v))]));
    const tEmpty = await until(async () => (await edgeStatus()).outboxDepth < BATCH && performance.now(), `${gw}: outbox back under one batch`);
    const newPublished = await live.stop();
    const total = BACKLOG + newPublished;
    await until(async () => (await metric(cloudUrl, 'stockpulse_cloud_readings_ingested_total')) - before >= total, `${gw}: the live readings stored too`);
    const drainSeconds = (tDrained - t0) / 1000;
    runs.push({
      window, backlog: BACKLOG, prefillSeconds, drainSeconds, drainRate: BACKLOG / drainSeconds, emptySeconds: (tEmpty - t0) / 1000,
      newPublished, newStored: true, edgeLaunch: edge.launch,
      ...(edge.peakRssMiB() ? { edgeRssMiB: edge.peakRssMiB()! } : {}), ...(cloud.peakRssMiB() ? { cloudRssMiB: cloud.peakRssMiB()! } : {}),
    });
    const { uplink } = await edgeStatus();
    console.log(`window ${window}: ${BACKLOG} held → in the cloud after ${drainSeconds.toFixed(1)} s (${Math.round(BACKLOG / drainSeconds)} readings/s), outbox empty after ${((tEmpty - t0) / 1000).toFixed(1)} s; ${newPublished} live readings stored too; uplink: ${uplink.batchesSent} batches sent, ${uplink.resends} resends, ${uplink.gaps} answered gap; CPU s while draining (of ${(2 * drainSeconds).toFixed(1)} on 2 cores): ${Object.entries(cpu).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
  } finally {
    await edge?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** the database's ceiling: one COPY of BACKLOG rows into a readings-shaped table */
async function rawCopyBaseline(): Promise<void> {
  if (!scratch) return;
  const db = new pg.Client({ connectionString: scratch.url });
  await db.connect();
  try {
    await db.query('DROP TABLE IF EXISTS bench_drain_copy; CREATE TABLE bench_drain_copy (LIKE readings INCLUDING DEFAULTS INCLUDING INDEXES)');
    const t = Date.now() - 3 * 86_400_000;
    const lines: string[] = [];
    for (let k = 0; k < BACKLOG; k++) lines.push(`${new Date(t + Math.floor(k / SENSORS) * 50).toISOString()}\tbench\tc-s-${k % SENSORS}\tz\ttemperature\t4\tgood\n`);
    const t0 = performance.now();
    for (let k = 0; k < lines.length; k += 100_000) await copyIn(db, 'COPY bench_drain_copy (ts, gateway, sensor, zone, kind, value, quality) FROM STDIN', lines.slice(k, k + 100_000).join(''));
    const seconds = (performance.now() - t0) / 1000;
    rawCopy = { rows: BACKLOG, seconds, rate: BACKLOG / seconds };
  } finally {
    await db.query('DROP TABLE IF EXISTS bench_drain_copy').catch(() => {});
    await db.end();
  }
}

const loadBefore = machine().loadavg;
let engine: Engine | undefined;
try {
  await rawCopyBaseline();
  for (const w of WINDOWS) await drainRun(w);
} finally {
  await cloud.stop();
  engine = await engineAndDrop(scratch, join(work, 'cloud-data', 'cloud-pglite'));
  await broker.close();
  rmSync(work, { recursive: true, force: true });
}

console.log(`\ndrain after an outage — ${mosquittoVersion() ?? broker.kind}; database ${engine ? describeEngine(engine) : 'unknown'}; ${BACKLOG} readings held, ${RATE}/s new while draining, batches of ${BATCH}\n`);
console.log(table(
  ['uplink window', 'held', 'gateway up → held readings in the cloud, s', 'drain readings/s (target ≥ 100 000)', 'vs raw COPY', 'gateway up → outbox under one batch, s', 'live readings during the drain (all stored)', 'edge RSS MiB', 'cloud RSS MiB'],
  runs.map((r) => [r.window === 1 ? '1 (stop-and-wait)' : r.window, r.backlog, r.drainSeconds, Math.round(r.drainRate), rawCopy ? ratio(r.drainRate, rawCopy.rate) : null, r.emptySeconds, r.newPublished, r.edgeRssMiB, r.cloudRssMiB]),
));
if (rawCopy) console.log(`\nraw COPY of ${rawCopy.rows} rows into a readings-shaped table, same database: ${rawCopy.seconds.toFixed(1)} s, ${Math.round(rawCopy.rate)} rows/s`);
const file = writeResult('drain', {
  what: 'catch-up after an uplink outage: the outbox an outage leaves (written into the gateway store before start), then stockpulse edge (process) → Mosquitto → stockpulse cloud (process) → database, with live readings at --rate through the device side meanwhile',
  broker: mosquittoVersion() ?? broker.kind,
  database: engine ?? null,
  cloudLaunch: cloud.launch,
  sizes: { backlog: BACKLOG, rate: RATE, batch: BATCH, windows: WINDOWS },
  rawCopy: rawCopy ?? null,
  loadavgBefore: loadBefore,
  loadavgAfter: machine().loadavg,
  runs,
});
console.log(`\nwritten to ${file}`);
process.exit(0);
