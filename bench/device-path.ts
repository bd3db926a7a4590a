// Device path: readings through the real path a site runs, beside what the parts alone can do.
//
//   npx tsx bench/device-path.ts [--per-sensor N] [--sensors 100] [--devices 200] [--fsync full,normal]
//                                [--modes bridge,devices] [--inflight 1000] [--rates 24400]
//   (npm run bench -- --only device-path; DATABASE_URL=postgres://… for PostgreSQL, else PGlite)
//
// Mosquitto on a free port; the publisher sends QoS 1 `{sensor, ts, value}`, one topic per sensor,
// either as ONE bridge connection for --sensors sensors (zigbee2mqtt, a LoRa network server) or as
// --devices connections of one sensor each. `stockpulse edge` (one mqtt-json device per topic,
// storage.fsync full or normal) and `stockpulse cloud` run as their own processes; the edge's uplink
// and the cloud's ingest share the same Mosquitto. Clock: first publish → the cloud's
// stockpulse_cloud_readings_ingested_total reaching the run's count (its rows committed), and
// when the edge had taken every frame in (stockpulse_edge_readings_in_total: the device side,
// apart from the uplink and the cloud). Each
// run gets a fresh gateway (new store, new sensors); the cloud stays up across runs.
//
// Flat out, the publisher sends as fast as Mosquitto acks, which on a shared 2-core box takes
// the cores the path needs. A site's sensors report on their own schedule instead, so each mode
// also runs paced (fsync full) at each of --rates readings/s: whether the path keeps up at that
// rate, i.e. how long after the sensors' last PUBACK the last row is committed. The default rate
// is the issue's own bridge: 100 000 readings published in 4.1 s.
//
// Beside it, in the same run and on the same broker:
//   publisher alone   the same publish into Mosquitto with nobody subscribed: first publish → last
//                     PUBACK, the broker's ceiling for this publisher;
//   subscriber → COPY a minimal MQTT subscriber (mqtt.js, automatic PUBACK, no store) that COPYs
//                     what it got every 200 ms or 5 000 rows into a table shaped like `readings`
//                     (PostgreSQL only: PGlite has no COPY FROM STDIN over a socket; skipped there).
//
// What ran is read at run time, never written as a constant: the database engine and version
// (SELECT version()), TimescaleDB (pg_extension) and whether `readings` is a hypertable, the
// broker's version (mosquitto -h), the edge's launch (bundle or tsx), the load average.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import pg from 'pg';
import { stringify } from 'yaml';
import { copyIn } from '../cloud/ingest/copy-readings.ts';
import { freePort } from '../simulators/free-port.ts';
import { publishReadings, sensorId, sensorTopic, type PublishPlan } from './lib/device-publisher.ts';
import { mosquittoVersion, startBenchBroker } from './lib/mosquitto.ts';
import { countReaches, metric, startCloudProcess, startEdgeProcess, type BenchProcess } from './lib/processes.ts';
import { processCpuSeconds } from './lib/proc-cpu.ts';
import { scratchDatabase } from './lib/scratch-pg.ts';
import { machine, ratio, table, writeResult } from './lib/report.ts';
import { openDb } from '../cloud/db/engine.ts';
import { migrate } from '../cloud/db/migrate.ts';
import { registerGateway } from '../tests/helpers/gateways.ts';
import { describeEngine, engineAndDrop, type Engine } from './lib/engine.ts';

const { values } = parseArgs({ options: {
  // 1 000: the bridge sends 100 000 readings, the issue's own measurement; 500 (50 000, under a
  // second of publishing) measured mostly the fresh gateway's JIT warm-up
  'per-sensor': { type: 'string', default: '1000' },
  sensors: { type: 'string', default: '100' },
  devices: { type: 'string', default: '200' },
  fsync: { type: 'string', default: 'full,normal' },
  modes: { type: 'string', default: 'bridge,devices' },
  /** Mosquitto max_inflight_messages for every client (docs/deploy.md) */
  inflight: { type: 'string', default: '1000' },
  /** offered readings/s for the paced runs (fsync full), comma-separated; '' for none */
  rates: { type: 'string', default: '24400' },
  /** give up on a run after this long without the count reached */
  'timeout-s': { type: 'string', default: '300' },
} });
const PER = Number(values['per-sensor']);
const SENSORS = { bridge: Number(values.sensors), devices: Number(values.devices) } as const;
const FSYNCS = values.fsync!.split(',').map((s) => s.trim()) as ('full' | 'normal')[];
const MODES = values.modes!.split(',').map((s) => s.trim()) as ('bridge' | 'devices')[];
const INFLIGHT = Number(values.inflight);
const RATES = values.rates!.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
// each rate is its own gateway (a gateway's stream starts once): a rate given twice would replay seq 1
if (RATES.some((r) => !Number.isFinite(r) || r <= 0) || new Set(RATES).size !== RATES.length) throw new Error(`--rates: distinct positive readings/s, comma-separated (got ${values.rates})`);
const TIMEOUT_MS = Number(values['timeout-s']) * 1000;
const largest = Math.max(...MODES.map((m) => SENSORS[m])) * PER;

const work = mkdtempSync(join(tmpdir(), 'sp-device-path-'));
const broker = await startBenchBroker({
  maxInflight: INFLIGHT,
  // sizing: one whole run, with margin, may wait in the broker for a subscriber that lags
  maxQueuedMessages: largest * 2, maxQueuedBytes: largest * 2 * 256,
});
const brokerVersion = mosquittoVersion() ?? broker.kind;

// ---- the database: a scratch PostgreSQL database, or PGlite in the cloud's data dir ----------
const base = process.env.DATABASE_URL;
const scratch = base ? await scratchDatabase(base, 'sp_bench_devpath') : undefined;
// the cloud refuses batches from gateways it does not know: each run's gateway is registered on the
// cloud's database before the cloud starts, as `stockpulse gateway add --id … --site bench` would
const gatewayOf = (mode: 'bridge' | 'devices', fsync: 'full' | 'normal', rate?: number) => `bench-dp-${mode}-${fsync}${rate ? `-r${rate}` : ''}`;
{
  const dataDir = scratch ? undefined : join(work, 'cloud-data', 'cloud-pglite');
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const rdb = await openDb({ url: scratch?.url, dataDir });
  try {
    await migrate(rdb);
    for (const mode of MODES) {
      for (const fsync of FSYNCS) await registerGateway(rdb, gatewayOf(mode, fsync), { site: 'bench' });
      for (const rate of RATES) await registerGateway(rdb, gatewayOf(mode, 'full', rate), { site: 'bench' });
    }
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

let edgeLaunch: string | undefined;
const tsBase = Date.now() - 86_400_000; // distinct (sensor, ts) per run: the cloud dedups on them
let runNo = 0;

interface Run { path: string; mode: string; fsync?: string; offeredRate?: number; readings: number; seconds: number; publishSeconds: number; rate: number; edgeInSeconds?: number; edgeRssMiB?: number; cloudRssMiB?: number; cpuUsPerReading?: CpuShare; note?: string }
/** CPU µs per reading over the run, per process: where the two cores went */
interface CpuShare { publisher?: number; mosquitto?: number; edge?: number; cloud?: number }
const runs: Run[] = [];

function plan(mode: 'bridge' | 'devices', prefix: string, rate?: number): PublishPlan {
  return { url: broker.url, prefix, sensors: SENSORS[mode], perSensor: PER, mode, ts0: tsBase + (runNo++) * 10_000_000, ...(rate ? { rate } : {}) };
}

// ---- stockpulse: edge process → uplink → cloud process ---------------------------------------
// The publisher runs in this process; Mosquitto, the edge and the cloud are their own.
function cpuNow(edge?: BenchProcess): CpuShare {
  const u = process.cpuUsage();
  return {
    publisher: (u.user + u.system) / 1e6,
    ...(broker.pid ? { mosquitto: processCpuSeconds(broker.pid) } : {}),
    ...(edge ? { edge: edge.cpuSeconds() } : {}),
    cloud: cloud.cpuSeconds(),
  };
}
function cpuShare(a: CpuShare, b: CpuShare, readings: number): CpuShare {
  const out: CpuShare = {};
  for (const k of ['publisher', 'mosquitto', 'edge', 'cloud'] as const) {
    const x = a[k], y = b[k];
    if (x !== undefined && y !== undefined) out[k] = Math.round(((y - x) * 1e6) / readings * 10) / 10;
  }
  return out;
}
const cpuText = (c?: CpuShare) => c && Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ');

async function throughStockpulse(mode: 'bridge' | 'devices', fsync: 'full' | 'normal', rate?: number): Promise<void> {
  const gw = gatewayOf(mode, fsync, rate);
  const prefix = `dp/${gw}`;
  const p = plan(mode, prefix, rate);
  const dir = join(work, gw);
  const configFile = join(work, `${gw}.yaml`);
  const edgePort = await freePort();
  writeFileSync(configFile, stringify({
    http: { port: edgePort, host: '127.0.0.1' },
    gateway: { id: gw, site: 'bench' },
    deviceBroker: { url: broker.url, queue: { maxMessages: largest * 2, maxBytes: largest * 2 * 256 } },
    uplink: { url: broker.url, flushMs: 50, batchMaxItems: 5000 },
    storage: { dir, fsync },
    zones: [{ id: 'z', name: 'Bench zone', profile: { low: -100, high: 100 } }],
    devices: [...Array(p.sensors).keys()].map((i) => ({
      id: `${gw}-d${i}`, protocol: 'mqtt-json', topic: sensorTopic(prefix, i), heartbeatSec: 3600,
      points: [{ sensor: `${gw}-${sensorId(i)}`, zone: 'z', kind: 'temperature', field: 'value' }],
    })),
  }));
  const edge = await startEdgeProcess(configFile);
  edgeLaunch = edge.launch;
  try {
    const total = p.sensors * PER;
    const before = await metric(cloudUrl, 'stockpulse_cloud_readings_ingested_total');
    const cpu0 = cpuNow(edge);
    const pub = await publishReadings(p);
    // the clock starts at the first publish, once the publisher's connections are up
    const t0 = pub.firstPublishAt;
    // Neither count can be reached before the last frame is published, so both processes are
    // polled only from then on: a /metrics render per 20 ms during the publish cost the edge ~10 %
    // of its CPU (its profile), which a site's scraper every 15 s does not.
    // When the edge had taken every frame in (its readings_in counter): device side vs uplink + cloud.
    const edgeIn = countReaches(() => metric(`http://127.0.0.1:${edgePort}`, 'stockpulse_edge_readings_in_total'), total, `${gw} readings into the edge`, TIMEOUT_MS, 20);
    const tEnd = await countReaches(async () => (await metric(cloudUrl, 'stockpulse_cloud_readings_ingested_total')) - before, total, `${gw} readings in the cloud`, TIMEOUT_MS, 20);
    const seconds = (tEnd - t0) / 1000;
    const cpuUsPerReading = cpuShare(cpu0, cpuNow(edge), total);
    runs.push({
      path: 'stockpulse edge → cloud', mode, fsync, ...(rate ? { offeredRate: rate } : {}), readings: total, seconds, publishSeconds: pub.ms / 1000, rate: total / seconds,
      edgeInSeconds: ((await edgeIn) - t0) / 1000, cpuUsPerReading,
      ...(edge.peakRssMiB() ? { edgeRssMiB: edge.peakRssMiB()! } : {}), ...(cloud.peakRssMiB() ? { cloudRssMiB: cloud.peakRssMiB()! } : {}),
    });
  } finally {
    await edge.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- baseline 1: the publisher alone into Mosquitto ------------------------------------------
async function publisherAlone(mode: 'bridge' | 'devices'): Promise<void> {
  const p = plan(mode, `dp/alone-${mode}-${runNo}`);
  const cpu0 = cpuNow();
  const r = await publishReadings(p);
  const cpuUsPerReading = cpuShare(cpu0, cpuNow(), r.published);
  delete cpuUsPerReading.cloud;
  runs.push({ path: 'publisher alone → Mosquitto (broker ceiling)', mode, readings: r.published, seconds: r.ms / 1000, publishSeconds: r.ms / 1000, rate: r.published / (r.ms / 1000), cpuUsPerReading });
}

// ---- baseline 2: a minimal subscriber → COPY loop, no edge -----------------------------------
async function subscriberCopy(mode: 'bridge' | 'devices'): Promise<void> {
  if (!scratch) {
    runs.push({ path: 'subscriber → COPY (no edge)', mode, readings: 0, seconds: NaN, publishSeconds: NaN, rate: NaN, note: 'skipped: needs PostgreSQL (PGlite has no COPY FROM STDIN over a connection); set DATABASE_URL' });
    return;
  }
  const prefix = `dp/copy-${mode}-${runNo}`;
  const p = plan(mode, prefix);
  const db = new pg.Client({ connectionString: scratch.url });
  await db.connect();
  // same columns and unique (sensor, ts) index as readings; a plain table even when readings is a hypertable
  await db.query('DROP TABLE IF EXISTS bench_copy_readings; CREATE TABLE bench_copy_readings (LIKE readings INCLUDING DEFAULTS INCLUDING INDEXES)');
  const sub = await mqtt.connectAsync(broker.url, { clientId: `bench-copy-${runNo}`, clean: true, protocolVersion: 4 });
  let rows: string[] = [];
  let committed = 0;
  let flushing: Promise<void> = Promise.resolve();
  const flush = () => {
    if (!rows.length) return;
    const chunk = rows;
    rows = [];
    flushing = flushing.then(async () => { committed += await copyIn(db, 'COPY bench_copy_readings (ts, gateway, sensor, zone, kind, value, quality) FROM STDIN', chunk.join('')); });
  };
  sub.on('message', (_topic, payload) => {
    const m = JSON.parse(payload.toString()) as { sensor: string; ts: number; value: number };
    rows.push(`${new Date(m.ts).toISOString()}\tbench\t${m.sensor}\tz\ttemperature\t${m.value}\tgood\n`);
    if (rows.length >= 5000) flush();
  });
  const timer = setInterval(flush, 200);
  await sub.subscribeAsync(`${prefix}/#`, { qos: 1 });
  try {
    const total = p.sensors * PER;
    const pub = await publishReadings(p);
    const t0 = pub.firstPublishAt;
    const tEnd = await countReaches(async () => committed, total, 'subscriber → COPY rows', TIMEOUT_MS, 20);
    const seconds = (tEnd - t0) / 1000;
    runs.push({ path: 'subscriber → COPY (no edge)', mode, readings: total, seconds, publishSeconds: pub.ms / 1000, rate: total / seconds });
  } finally {
    clearInterval(timer);
    await sub.endAsync();
    await flushing.catch(() => {});
    await db.query('DROP TABLE IF EXISTS bench_copy_readings');
    await db.end();
  }
}

const loadBefore = machine().loadavg;
let engine: Engine | undefined;
try {
  for (const mode of MODES) {
    await publisherAlone(mode);
    await subscriberCopy(mode);
    for (const fsync of FSYNCS) await throughStockpulse(mode, fsync);
    for (const rate of RATES) await throughStockpulse(mode, 'full', rate);
  }
} finally {
  await cloud.stop();
  engine = await engineAndDrop(scratch, join(work, 'cloud-data', 'cloud-pglite'));
  await broker.close();
  rmSync(work, { recursive: true, force: true });
}

const ceiling = (mode: string) => runs.find((r) => r.mode === mode && r.path.startsWith('publisher alone'));
// The least time any path could take on these cores: what the publisher and Mosquitto alone spent
// on this run (its CPU µs per reading), spread over every core with nothing else running. Against
// the publisher alone it says how much of a "≤ 1.15× the publisher alone" bound is gone before the
// edge, the cloud and the database get a cycle.
const CORES = machine().cpus;
const floorSeconds = (r: Run) => r.cpuUsPerReading?.publisher !== undefined && r.cpuUsPerReading.mosquitto !== undefined
  ? ((r.cpuUsPerReading.publisher + r.cpuUsPerReading.mosquitto) * r.readings) / 1e6 / CORES : undefined;
const copyLoop = (mode: string) => runs.find((r) => r.mode === mode && r.path.startsWith('subscriber → COPY') && Number.isFinite(r.rate));
console.log(`\ndevice path — ${brokerVersion}, max_inflight_messages ${INFLIGHT}; database ${engine ? describeEngine(engine) : 'unknown'}; ${PER} readings per sensor\n`);
console.log(table(
  ['path', 'mode', 'fsync', 'offered readings/s', 'readings', 'first publish → last row, s', 'its publish, s', 'edge took all in, s', 'readings/s', 'time vs publisher alone (target ≤ 1.15×)', 'publisher + Mosquitto CPU ÷ cores, s (the least this path could take) vs publisher alone', 'time vs its own publish (same run, sharing the cores; target ≤ 1.15×)', 'rate vs subscriber → COPY', 'edge RSS MiB', 'cloud RSS MiB', 'CPU µs per reading'],
  runs.map((r) => [r.path, r.mode === 'bridge' ? `1 bridge × ${SENSORS.bridge} sensors` : `${SENSORS.devices} device connections`, r.fsync, r.offeredRate ?? 'flat out', r.readings || null, Number.isFinite(r.seconds) ? r.seconds : r.note,
    Number.isFinite(r.publishSeconds) ? r.publishSeconds : null, r.edgeInSeconds, Number.isFinite(r.rate) ? r.rate : null,
    // a paced run is measured against its own schedule, not against a publisher flat out
    r.fsync && !r.offeredRate ? ratio(r.seconds, ceiling(r.mode)?.seconds ?? 0) : null,
    r.fsync && !r.offeredRate && floorSeconds(r) !== undefined ? `${floorSeconds(r)!.toFixed(2)} s, ${ratio(floorSeconds(r)!, ceiling(r.mode)?.seconds ?? 0)}` : null,
    r.fsync && Number.isFinite(r.publishSeconds) ? `${ratio(r.seconds, r.publishSeconds)} (${(r.seconds - r.publishSeconds).toFixed(2)} s after)` : null,
    r.fsync && !r.offeredRate && copyLoop(r.mode) ? ratio(r.rate, copyLoop(r.mode)!.rate) : null,
    r.edgeRssMiB, r.cloudRssMiB, cpuText(r.cpuUsPerReading)]),
));
const file = writeResult('device-path', {
  what: 'QoS 1 readings through Mosquitto → stockpulse edge (process) → uplink → stockpulse cloud (process) → database, first publish → last row committed; beside the publisher alone and a minimal subscriber → COPY loop',
  broker: { version: brokerVersion, maxInflightMessages: INFLIGHT, maxQueuedMessages: largest * 2 },
  database: engine ?? null,
  edgeLaunch: edgeLaunch ?? null,
  cloudLaunch: cloud.launch,
  ...(largest < 100_000 ? { note: `small size (${largest} readings in the largest run): a functional check, not a measurement; the issue's figures use 100 000` } : {}),
  sizes: { perSensor: PER, bridgeSensors: SENSORS.bridge, deviceConnections: SENSORS.devices, fsync: FSYNCS, modes: MODES, pacedRates: RATES },
  loadavgBefore: loadBefore,
  loadavgAfter: machine().loadavg,
  cores: CORES,
  runs: runs.map((r) => ({ ...r, ...(r.fsync && floorSeconds(r) !== undefined ? { publisherAndBrokerCpuFloorSeconds: floorSeconds(r) } : {}) })),
});
console.log(`\nwritten to ${file}`);
process.exit(0);
