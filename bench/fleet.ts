// Fleet: many small sites, one MQTT connection each, small batches — the shape of a chain of shops
// (issue #16). Beside it, in the same run, the raw baseline: the same transaction shape straight on
// `pg`. Writes bench/results/fleet.json with what it ran on (read at run time).
//
//   DATABASE_URL=postgres://… npx tsx bench/fleet.ts [--gateways 500] [--readings 10] [--seconds 20]
//     [--instances 1,2] [--open-seconds 10] [--group-max 64] [--clients 16] [--label NAME]
//
// On a scratch database next to DATABASE_URL's (dropped at the end):
//   closed loop  G gateways, each registered in the cloud's gateway registry with its own credential
//                and connected with it; stop-and-wait like the edge (next batch after the ack);
//                through Mosquitto to `stockpulse cloud` as its own process (1 and 2 instances; 2 =
//                MQTT 5 shared subscription STOCKPULSE_SHARE_GROUP). Committed and acked batches/s,
//                ack p50/p99, transactions (stockpulse_cloud_ingest_group_size), then checked: every
//                reading stored once, every batch acked once.
//   open loop    the same gateways at a fixed offered rate (50 % and 80 % of the closed-loop max),
//                each batch sent at its scheduled time (or after the previous ack, if that is later:
//                stop-and-wait); latency from the scheduled time to the ack.
//   raw baseline 16 `pg` clients, one transaction per batch: idempotency row + R readings, both
//                ON CONFLICT DO NOTHING, for the same seconds.
// The broker is anonymous here (each gateway still connects with its registry id and credential as
// username/password); the per-gateway password/ACL files of `stockpulse gateway mosquitto` are not
// used yet. --group-max 1 is the cloud without group commit (one transaction per batch).

import net from 'node:net';
import os from 'node:os';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { openDb } from '../cloud/db/engine.ts';
import { migrate } from '../cloud/db/migrate.ts';
import { PROTOCOL_VERSION, topics, type UplinkAck, type UplinkBatchInput } from '../protocols/uplink/contract.ts';
import { requireDatabaseUrl, scratchDatabase } from './lib/scratch-pg.ts';
import { mosquittoVersion, startBenchBroker } from './lib/mosquitto.ts';
import { startCloudProcess, type BenchProcess } from './lib/processes.ts';
import { machine, pct, ratio, table, writeResult } from './lib/report.ts';
import { describeEngine, engineOf } from './lib/engine.ts';
import { registerGateway } from '../tests/helpers/gateways.ts';

const { values } = parseArgs({ options: {
  gateways: { type: 'string', default: '500' },
  readings: { type: 'string', default: '10' },
  seconds: { type: 'string', default: '20' },
  'open-seconds': { type: 'string', default: '10' },
  instances: { type: 'string', default: '1,2' },
  'group-max': { type: 'string', default: '64' },
  clients: { type: 'string', default: '16' },
  label: { type: 'string', default: 'fleet' },
} });
const G = Number(values.gateways);
const R = Number(values.readings);
const SECONDS = Number(values.seconds);
const OPEN_SECONDS = Number(values['open-seconds']);
const INSTANCES = values.instances.split(',').map(Number);
const GROUP_MAX = values['group-max'];
const T0 = Date.parse('2026-11-01T00:00:00Z');
const gwId = (g: number) => `fleet-gw-${g}`;
const sensorOf = (g: number, i: number) => `f${g}-s${i % 5}`;

const base = requireDatabaseUrl('fleet');
const atStart = machine();

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

/** gateway g's batch seq: R readings, 5 sensors, consecutive seconds; the first carries the manifest */
function makeBatch(g: number, stream: string, seq: number, tsBase: number): string {
  const readings = Array.from({ length: R }, (_, i) => {
    const k = (seq - 1) * R + i;
    return { sensor: sensorOf(g, k), kind: 'temperature', ts: tsBase + Math.floor(k / 5) * 1000, value: 4 + (k % 7) / 10, quality: 'good' };
  });
  const manifest = seq === 1 ? {
    site: `shop-${g}`,
    zones: [{ id: `f${g}-z`, name: `chiller ${g}`, profile: { low: 2, high: 8 }, delaySec: 300, hysteresis: 0.5 }],
    sensors: [...Array(5).keys()].map((s) => ({ id: `f${g}-s${s}`, zone: `f${g}-z`, kind: 'temperature', unit: '°C', protocol: 'mqtt-json' })),
    devices: [],
  } : undefined;
  const b: UplinkBatchInput = { v: PROTOCOL_VERSION, gateway: gwId(g), stream, seq, sentAt: Date.now(), readings: readings as UplinkBatchInput['readings'], alerts: [], ...(manifest ? { manifest } : {}) };
  return JSON.stringify(b);
}

interface Gw { g: number; client: MqttClient; stream: string; tsBase: number; seq: number; waiting?: { seq: number; resolve(a: UplinkAck): void } ; acks: number; dupAcks: number }

async function connectGateways(url: string, creds: string[], streamTag: string, tsBase: number): Promise<Gw[]> {
  const out: Gw[] = [];
  for (let g = 0; g < G; g += 50) {
    out.push(...await Promise.all(creds.slice(g, g + 50).map(async (password, j) => {
      const i = g + j;
      const client = await mqtt.connectAsync(url, { username: gwId(i), password, clientId: `fleet-${streamTag}-${i}`, reconnectPeriod: 0 });
      const gw: Gw = { g: i, client, stream: `${streamTag}-${i}`, tsBase, seq: 0, acks: 0, dupAcks: 0 };
      await client.subscribeAsync(topics.ack(gwId(i)), { qos: 1 });
      client.on('message', (_t, p) => {
        const a = JSON.parse(p.toString()) as UplinkAck;
        if (a.stream !== gw.stream) return;
        gw.acks++;
        if (gw.waiting?.seq === a.seq) { const w = gw.waiting; gw.waiting = undefined; w.resolve(a); } else gw.dupAcks++;
      });
      return gw;
    })));
  }
  return out;
}

/** sends the next batch and resolves on its ack */
function sendNext(gw: Gw): Promise<UplinkAck> {
  const seq = ++gw.seq;
  const acked = new Promise<UplinkAck>((resolve) => { gw.waiting = { seq, resolve }; });
  void gw.client.publishAsync(topics.batch(gwId(gw.g)), makeBatch(gw.g, gw.stream, seq, gw.tsBase), { qos: 1 });
  return acked;
}

interface Phase { batches: number; batchesPerSec: number; readingsPerSec: number; ackP50: number; ackP99: number; notCommitted: number }

async function closedLoop(gws: Gw[], seconds: number): Promise<Phase> {
  const lat: number[] = [];
  let bad = 0;
  const until = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(gws.map(async (gw) => {
    while (performance.now() < until) {
      const s = performance.now();
      const a = await sendNext(gw);
      lat.push(performance.now() - s);
      if (a.status !== 'committed') bad++;
    }
  }));
  const ms = performance.now() - t0;
  return summary(lat, ms, bad);
}

async function openLoop(gws: Gw[], seconds: number, rate: number): Promise<Phase & { offered: number }> {
  const lat: number[] = [];
  let bad = 0;
  const perGw = rate / gws.length; // batches/s per gateway
  const t0 = performance.now();
  await Promise.all(gws.map(async (gw, i) => {
    // spread the gateways' phases over one period
    for (let k = 0; ; k++) {
      const at = t0 + (i / gws.length + k) * (1000 / perGw);
      if (at > t0 + seconds * 1000) break;
      const wait = at - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const a = await sendNext(gw);
      lat.push(performance.now() - at);
      if (a.status !== 'committed') bad++;
    }
  }));
  return { offered: rate, ...summary(lat, performance.now() - t0, bad) };
}

function summary(lat: number[], ms: number, bad: number): Phase {
  lat.sort((a, b) => a - b);
  return {
    batches: lat.length, batchesPerSec: Math.round(lat.length / (ms / 1000)), readingsPerSec: Math.round((lat.length * R) / (ms / 1000)),
    ackP50: Number(pct(lat, 50).toFixed(1)), ackP99: Number(pct(lat, 99).toFixed(1)), notCommitted: bad,
  };
}

async function metricsOf(url: string): Promise<{ groups: number; grouped: number; rssMiB: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const get = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { groups: get('stockpulse_cloud_ingest_group_size_count'), grouped: get('stockpulse_cloud_ingest_group_size_sum'), rssMiB: Math.round(get('stockpulse_cloud_process_resident_memory_bytes') / 2 ** 20) };
}

// ---- setup ---------------------------------------------------------------------------------
const scratch = await scratchDatabase(base, 'sp_bench_fleet');
const broker = await startBenchBroker({ maxInflight: 0 });
const results: Record<string, unknown>[] = [];
let ranOn: Record<string, unknown> = {};
try {
  const db = await openDb({ url: scratch.url, poolSize: 4 });
  const mig = await migrate(db);
  const creds: string[] = [];
  for (let g = 0; g < G; g++) creds.push(await registerGateway(db, gwId(g), { site: `shop-${g}` }));
  const engine = await engineOf((sql) => db.query<Record<string, unknown>>(sql), 'postgresql');
  await db.close();
  ranOn = { engine: engine.version, timescaledb: engine.timescaledb, readingsHypertable: engine.readingsHypertable, migrate: mig, broker: `${broker.kind}; ${mosquittoVersion() ?? 'version unknown'}; anonymous (per-gateway password/ACL files not used)`, loadavgStart: atStart.loadavg, cpus: os.cpus().length };
  console.log(`fleet: ${G} gateways × ${R} readings/batch; ${describeEngine(engine)}; ${ranOn.broker}; load ${atStart.loadavg.join(' ')} on ${ranOn.cpus} CPUs; group max ${GROUP_MAX}`);

  for (const n of INSTANCES) {
    const clouds: { proc: BenchProcess; url: string }[] = [];
    for (let k = 0; k < n; k++) {
      const port = await freePort();
      const proc = await startCloudProcess({
        DATABASE_URL: scratch.url, MQTT_URL: broker.url, HTTP_PORT: String(port), STOCKPULSE_JOBS: 'false', STOCKPULSE_MQTT_ALERTS: 'false',
        STOCKPULSE_INGEST_GROUP_MAX: GROUP_MAX, ...(n > 1 ? { STOCKPULSE_SHARE_GROUP: 'fleet' } : {}),
      });
      clouds.push({ proc, url: `http://127.0.0.1:${port}` });
    }
    const tsBase = T0 + n * 1e10; // each run its own time range: its readings are counted apart
    const gws = await connectGateways(broker.url, creds, `i${n}`, tsBase);
    // warm-up: the manifest batch of every gateway
    await Promise.all(gws.map((gw) => sendNext(gw)));
    const m0 = await Promise.all(clouds.map((c) => metricsOf(c.url)));
    const closed = await closedLoop(gws, SECONDS);
    const m1 = await Promise.all(clouds.map((c) => metricsOf(c.url)));
    const groups = m1.reduce((s, m, i) => s + m.groups - m0[i]!.groups, 0);
    const grouped = m1.reduce((s, m, i) => s + m.grouped - m0[i]!.grouped, 0);
    const open = [];
    for (const share of [0.5, 0.8]) open.push({ share, ...await openLoop(gws, OPEN_SECONDS, Math.max(1, Math.round(closed.batchesPerSec * share))) });
    // exactly once: every acked batch's readings stored once
    const c = new pg.Client({ connectionString: scratch.url });
    await c.connect();
    const sent = gws.reduce((s, gw) => s + gw.seq, 0);
    const [row] = (await c.query<{ b: number }>(`SELECT (SELECT count(*)::int FROM uplink_batches WHERE stream LIKE $1) AS b`, [`i${n}-%`])).rows;
    const readings = (await c.query<{ r: number }>(`SELECT count(*)::int AS r FROM readings WHERE ts >= to_timestamp($1 / 1000.0) AND ts < to_timestamp($2 / 1000.0)`, [tsBase, tsBase + 1e10])).rows[0]!.r;
    await c.end();
    const dupAcks = gws.reduce((s, gw) => s + gw.dupAcks, 0);
    const rss = clouds.map((cl) => cl.proc.peakRssMiB());
    for (const gw of gws) await gw.client.endAsync();
    for (const cl of clouds) await cl.proc.stop();
    const r = {
      instances: n, closed, open, transactions: groups, batchesPerTransaction: groups ? Number((grouped / groups).toFixed(1)) : null,
      check: { batchesSent: sent, batchesStored: row!.b, readingsExpected: sent * R, readingsStored: readings, duplicateAcks: dupAcks }, cloudPeakRssMiB: rss,
    };
    results.push(r);
    console.log(`\n${n} instance(s): closed loop ${closed.batchesPerSec} batches/s, ${closed.readingsPerSec} readings/s, ack p50 ${closed.ackP50} ms p99 ${closed.ackP99} ms; ${r.batchesPerTransaction ?? '—'} batches/transaction; stored ${row!.b}/${sent} batches, ${readings}/${sent * R} readings, ${dupAcks} duplicate acks; cloud peak RSS ${rss.join(', ')} MiB`);
    console.log(table(['offered batches/s', 'achieved', 'ack p50 ms', 'ack p99 ms'], open.map((o) => [o.offered, o.batchesPerSec, o.ackP50, o.ackP99])));
  }

  // ---- raw baseline on pg ------------------------------------------------------------------
  const admin = new pg.Client({ connectionString: scratch.url });
  await admin.connect();
  await admin.query(`CREATE TABLE bl_batches (gateway text, stream text, seq bigint, PRIMARY KEY (gateway, stream, seq));
    CREATE TABLE bl_readings (ts timestamptz, sensor text, value float8, UNIQUE (sensor, ts))`);
  await admin.end();
  const clients = Number(values.clients);
  let tx = 0;
  const lat: number[] = [];
  const until = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all([...Array(clients).keys()].map(async (k) => {
    const c = new pg.Client({ connectionString: scratch.url });
    await c.connect();
    for (let seq = 1; performance.now() < until; seq++) {
      const s = performance.now();
      const ts = Array.from({ length: R }, (_, i) => new Date(T0 + (seq * R + i) * 1000));
      const sensors = Array.from({ length: R }, () => `bl-${k}`);
      await c.query('BEGIN');
      await c.query('INSERT INTO bl_batches VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [`bl-gw-${k}`, 's', seq]);
      await c.query('INSERT INTO bl_readings SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::float8[]) ON CONFLICT DO NOTHING', [ts, sensors, ts.map((_, i) => 4 + i / 10)]);
      await c.query('COMMIT');
      lat.push(performance.now() - s);
      tx++;
    }
    await c.end();
  }));
  const blMs = performance.now() - t0;
  lat.sort((a, b) => a - b);
  const baseline = { clients, txPerSec: Math.round(tx / (blMs / 1000)), readingsPerSec: Math.round((tx * R) / (blMs / 1000)), p50: Number(pct(lat, 50).toFixed(1)), p99: Number(pct(lat, 99).toFixed(1)) };
  console.log(`\nraw baseline (pg, ${clients} clients, one transaction per batch): ${baseline.txPerSec} tx/s, ${baseline.readingsPerSec} readings/s, p50 ${baseline.p50} ms`);
  console.log(table(['instances', 'batches/s', 'vs raw', 'ack p99 ms'], results.map((r) => { const c = r.closed as Phase; return [r.instances as number, c.batchesPerSec, ratio(c.batchesPerSec, baseline.txPerSec), c.ackP99]; })));
  const end = machine();
  const file = writeResult(values.label, { gateways: G, readingsPerBatch: R, seconds: SECONDS, openSeconds: OPEN_SECONDS, groupMax: Number(GROUP_MAX), ranOn: { ...ranOn, loadavgEnd: end.loadavg }, runs: results, baseline });
  console.log(`\n${file}`);
} finally {
  await broker.close();
  await scratch.drop();
}
