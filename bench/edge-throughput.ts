// Edge throughput: readings/s from device frames to the durable outbox, and the process RSS.
//
//   npx tsx bench/edge-throughput.ts          (or: npm run bench)   — about 30-40 s
//
// Five measurements on the same rows, printed as a table and written to
// bench/results/edge-throughput.json:
//   decode only     decodeMqttJson on realistic frames (generic + zigbee2mqtt), 200 devices
//   sqlite baseline the decoded rows inserted by raw better-sqlite3: one prepared statement,
//                   ONE transaction, same columns, WAL + synchronous=FULL (the floor we compare to)
//   outbox.append   SqliteOutbox.append in 100 ms-sized groups (group commit, for comparison), fsync full
//   pipeline        frames → decode → the real Gateway.ingest (alarm rules, device health) →
//                   SqliteOutbox group commit; each of the 200 devices sends its next frame only
//                   when the last one is on disk (what PUBACK waits for), in a child process;
//                   run three times: under tsx; as the esbuild bundle; the bundle with the heap capped
// Rates are given per wall second and per CPU second: on a shared 2-core box the wall figure
// moves with whatever else runs; CPU seconds (user + system of this process) are the per-core cost.
// The MQTT hop is left out on purpose (it is the broker's throughput, not the edge's): frames
// are decoded and pushed into gateway.readings as the MQTT driver does. The uplink runs
// against an embedded broker with no cloud, so nothing is acknowledged and the outbox only grows.
// Issue targets: ≥ 50 000 readings/s per core, ≤ 120 MB RSS.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { cpus, loadavg, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { decodeMqttJson, type MqttJsonPoint } from '../protocols/mqtt-json/decode.ts';
import type { Reading } from '../protocols/reading.ts';
import { startEmbeddedBroker } from '../edge/broker/embedded-broker.ts';
import { parseEdgeConfig } from '../edge/config.ts';
import { Gateway } from '../edge/gateway.ts';
import { SqliteOutbox } from '../edge/outbox/sqlite-outbox.ts';
import { openEdgeDb } from '../edge/outbox/db.ts';
import type { OutboxEntry } from '../edge/outbox/queue.ts';
import { bundleForNode } from '../edge/bundle/build-for-node.ts';
import { EDGE_BOX_ENV, EDGE_BOX_ENV_TEXT } from './lib/processes.ts';

const DEVICES = 200;
const ZONES = 10;
/** the pipeline runs until this many readings or this many seconds, whichever comes first */
const MAX_READINGS = 1_500_000;
const MAX_SECONDS = 10;
const TARGET_RATE = 50_000;
const TARGET_RSS_MB = 120;

const tmp = mkdtempSync(join(tmpdir(), 'sp-bench-'));
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024 * 10) / 10;

// ---- devices and frames -------------------------------------------------------------------

interface Device { topic: string; style: 'generic' | 'z2m'; points: MqttJsonPoint[]; zone: string }
const devices: Device[] = [...Array(DEVICES).keys()].map((i) => {
  const style = i % 2 === 0 ? 'generic' : 'z2m';
  const kinds = style === 'generic' ? (['temperature', 'battery'] as const) : (['temperature', 'humidity', 'battery'] as const);
  return { topic: `bench/d${i}`, style, zone: `z${i % ZONES}`, points: kinds.map((kind) => ({ sensor: `d${i}-${kind}`, kind })) };
});

const T0 = Date.now();
/** frame k of device i: one report per simulated second; every 25th device drifts out of its band */
function frame(i: number, k: number): Buffer {
  const drift = i % 25 === 0 ? 4 * Math.sin(k / 300) : 0;
  const t = (3 + 1.2 * Math.sin((k + i) / 40) + drift).toFixed(2);
  const battery = 100 - Math.floor(k / 500) % 60;
  return Buffer.from(devices[i]!.style === 'generic'
    ? `{"ts":${T0 + k * 1000},"temperature":${t},"battery":${battery}}`
    : `{"temperature":${t},"linkquality":${60 + (k % 40)},"humidity":${(55 + Math.sin(k / 90) * 10).toFixed(1)},"pressure":994,"battery":${battery},"voltage":2955}`);
}

const edgeConfig = (dir: string) => parseEdgeConfig({
  gateway: { id: 'bench-gw', site: 'bench' },
  deviceBroker: { url: 'mqtt://127.0.0.1:1' }, // replaced below
  uplink: { url: 'mqtt://127.0.0.1:1' },
  zones: [...Array(ZONES).keys()].map((z) => ({ id: `z${z}`, name: `Zone ${z}`, profile: { low: 0, high: 5 }, alarm: { delaySec: 120 } })),
  devices: devices.map((d, i) => ({ id: `d${i}`, protocol: 'mqtt-json', topic: d.topic, points: d.points.map((p) => ({ ...p, zone: d.zone })) })),
  storage: { dir, fsync: 'full' },
}, {});

// ---- measurements ---------------------------------------------------------------------------

interface Result { name: string; readings: number; seconds: number; cpuSeconds: number; rate: number; ratePerCpuSecond: number; note: string }
const results: Result[] = [];

async function measure(name: string, note: string, fn: () => Promise<number> | number): Promise<Result> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const readings = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const r = { name, readings, seconds, cpuSeconds, rate: Math.round(readings / seconds), ratePerCpuSecond: Math.round(readings / cpuSeconds), note };
  results.push(r);
  return r;
}

// ---- the pipeline, in a child process of its own ------------------------------------------
// Run apart so its RSS is the gateway's alone (not this orchestrator's row arrays), and twice:
// with node's default heap sizing, and with the heap capped the way a small gateway box would
// run it (V8 otherwise lets garbage pile up in a fast-allocating process before collecting).

const HEAP_CAPPED = ['--max-old-space-size=64', '--max-semi-space-size=2'];

interface PipelineRun { readings: number; seconds: number; cpuSeconds: number; rounds: number; alerts: number; outboxBytes: number; rssStartMb: number; rssPeakMb: number; heapPeakMb: number }

async function pipelineChild(): Promise<PipelineRun> {
  let peakRss = 0;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    const u = process.memoryUsage();
    peakRss = Math.max(peakRss, u.rss);
    peakHeap = Math.max(peakHeap, u.heapTotal);
  }, 25);
  const broker = await startEmbeddedBroker({ port: 0 });
  const cfg = edgeConfig(join(tmp, 'pipeline'));
  const config = parseEdgeConfig({ ...cfg, deviceBroker: { url: broker.url }, uplink: { ...cfg.uplink, url: broker.url } }, {});
  const gw = new Gateway({ config, log: pino({ level: 'silent' }) });
  await gw.start();
  let alerts = 0;
  gw.alerts.subscribe(() => alerts++);
  const rssStart = process.memoryUsage().rss;
  const base = gw.outbox.depth();
  let produced = 0;
  let rounds = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const until = t0 + MAX_SECONDS * 1000;
  const now = Date.now();
  // Every device as a QoS 1 publisher with one frame in flight: decode its frame, hand the
  // readings to the gateway as the MQTT driver does, and send the next frame only once the
  // gateway says the last one is on disk (when the driver would send PUBACK). Frames arriving
  // together share one group commit, as they do from 200 live connections.
  let stop = false;
  const device = async (i: number) => {
    const d = devices[i]!;
    for (let k = 0; !stop; k++) {
      const kept = gw.ingest(decodeMqttJson(frame(i, k), d.points, now + k * 1000), `d${i}`);
      produced += d.points.length;
      rounds = Math.max(rounds, k + 1);
      if (produced >= MAX_READINGS || performance.now() >= until) stop = true;
      await kept;
    }
  };
  await Promise.all(devices.map((_, i) => device(i)));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  const outboxBytes = (gw.outbox as SqliteOutbox).bytes();
  await gw.stop(0);
  await broker.close();
  return { readings: produced, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, rounds, alerts, outboxBytes, rssStartMb: mb(rssStart), rssPeakMb: mb(peakRss), heapPeakMb: mb(peakHeap) };
}

if (process.env.SP_BENCH_CHILD === 'pipeline') {
  process.stdout.write(`RESULT ${JSON.stringify(await pipelineChild())}\n`);
  rmSync(tmp, { recursive: true, force: true });
  process.exit(0);
}

/** runs the pipeline child under tsx (script undefined) or from the esbuild bundle of this file */
function runPipeline(nodeFlags: string[], bundled?: string, env: Record<string, string> = {}): Promise<PipelineRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, ...(bundled ? [bundled] : ['--import', 'tsx', fileURLToPath(import.meta.url)])], {
      cwd: fileURLToPath(new URL('../', import.meta.url)), env: { ...process.env, ...env, SP_BENCH_CHILD: 'pipeline' }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) reject(new Error(`pipeline run failed (exit ${code}): ${out}`));
      else resolve(JSON.parse(line.slice(7)) as PipelineRun);
    });
  });
}

const asResult = (name: string, note: string, p: PipelineRun): Result => ({
  name, readings: p.readings, seconds: p.seconds, cpuSeconds: p.cpuSeconds,
  rate: Math.round(p.readings / p.seconds), ratePerCpuSecond: Math.round(p.readings / p.cpuSeconds), note,
});
// The production launch of a gateway box is the bundle (npm run build:edge: no TypeScript
// loader in the process) with a capped heap; the tsx run is what `npm start` does.
// (inside the repository, so the external packages resolve from its node_modules)
const bundled = await bundleForNode(fileURLToPath(import.meta.url), fileURLToPath(new URL('../dist/bench', import.meta.url)), 'edge-throughput');
const defaultRun = await runPipeline([]);
const bundledRun = await runPipeline([], bundled);
const cappedRun = await runPipeline(HEAP_CAPPED, bundled, EDGE_BOX_ENV);
const pipeline = asResult('pipeline', '200 devices × 1 frame in flight: decode → Gateway.ingest → alarms, group commit (fsync full) → ack; tsx, default node heap', defaultRun);
results.push(pipeline, asResult('pipeline bundled', 'the same from the esbuild bundle (npm run build:edge), default node heap', bundledRun),
  asResult('pipeline bundled capped', `the bundle with node ${HEAP_CAPPED.join(' ')}, ${EDGE_BOX_ENV_TEXT} (the gateway-box launch, docs/deploy.md)`, cappedRun));
const rounds = Math.min(defaultRun.rounds, bundledRun.rounds, cappedRun.rounds);

// The same readings again, as rows, for the other measurements.
const rows: Reading[] = [];
await measure('decode only', 'decodeMqttJson on the same frames (generic + zigbee2mqtt JSON)', () => {
  const now = Date.now();
  for (let k = 0; k < rounds; k++) {
    for (let i = 0; i < DEVICES; i++) for (const r of decodeMqttJson(frame(i, k), devices[i]!.points, now + k * 1000)) rows.push(r);
  }
  return rows.length;
});

const baseline = await measure('sqlite baseline', 'raw better-sqlite3: one prepared INSERT, ONE transaction, WAL + synchronous=FULL', () => {
  const db = new Database(join(tmp, 'baseline.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE outbox (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, type TEXT NOT NULL, sensor TEXT, kind TEXT, ts INTEGER, value REAL, quality TEXT)');
  const insert = db.prepare(`INSERT INTO outbox (at, type, sensor, kind, ts, value, quality) VALUES (?, 'reading', ?, ?, ?, ?, ?)`);
  const at = Date.now();
  db.transaction(() => { for (const r of rows) insert.run(at, r.sensor, r.kind, r.ts, r.value, r.quality); })();
  db.close();
  return rows.length;
});

const groupSize = Math.max(1, Math.round(pipeline.rate / 10)); // what 100 ms brings at the pipeline's rate
await measure('outbox.append', `SqliteOutbox.append in groups of ${groupSize} (one commit each), fsync full`, () => {
  const edb = openEdgeDb(join(tmp, 'append.sqlite'), 'full');
  const o = new SqliteOutbox(edb);
  for (let i = 0; i < rows.length; i += groupSize) {
    o.append(rows.slice(i, i + groupSize).map((reading): OutboxEntry => ({ type: 'reading', reading })));
  }
  edb.close();
  return rows.length;
});
// ---- report ---------------------------------------------------------------------------------

const ratio = pipeline.ratePerCpuSecond / baseline.ratePerCpuSecond;
const wallRatio = pipeline.rate / baseline.rate;
const pass = { rate: pipeline.ratePerCpuSecond >= TARGET_RATE, rssTsx: defaultRun.rssPeakMb <= TARGET_RSS_MB, rssBundled: bundledRun.rssPeakMb <= TARGET_RSS_MB, rssBundledCapped: cappedRun.rssPeakMb <= TARGET_RSS_MB };
const fmt = (n: number) => n.toLocaleString('en-US');
const table = [
  ['measurement', 'readings', 'wall s', 'cpu s', 'readings/s', 'per cpu-s', 'vs baseline (cpu)'],
  ...results.map((r) => [r.name, fmt(r.readings), r.seconds.toFixed(2), r.cpuSeconds.toFixed(2), fmt(r.rate), fmt(r.ratePerCpuSecond), `${(r.ratePerCpuSecond / baseline.ratePerCpuSecond * 100).toFixed(0)} %`]),
];
const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
console.log(`\nedge throughput — ${DEVICES} devices, ${ZONES} zones, node ${process.version}, ${cpus()[0]?.model ?? '?'} (${cpus().length} cores)\n`);
for (const row of table) console.log(row.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  '));
console.log(`\npipeline: ${fmt(pipeline.rate)} readings/s wall, ${fmt(pipeline.ratePerCpuSecond)} per CPU-second (target ≥ ${fmt(TARGET_RATE)}/core: ${pass.rate ? 'met' : 'NOT met'}); ${(ratio * 100).toFixed(0)} % of the raw insert baseline per CPU-second (${(wallRatio * 100).toFixed(0)} % by wall time)`);
console.log(`load average during the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores`);
for (const [label, run, ok] of [['tsx, default heap', defaultRun, pass.rssTsx], ['bundle, default heap', bundledRun, pass.rssBundled], ['bundle, capped heap', cappedRun, pass.rssBundledCapped]] as const) {
  console.log(`RSS (${label}): ${run.rssStartMb} MB with the gateway started, peak ${run.rssPeakMb} MB during the run, V8 heap peak ${run.heapPeakMb} MB (target ≤ ${TARGET_RSS_MB} MB: ${ok ? 'met' : 'NOT met'})`);
}
console.log(`outbox after the run: ${fmt(defaultRun.readings)} readings, ~${mb(defaultRun.outboxBytes)} MB counted against storage.maxBytes; ${defaultRun.alerts} alert transitions raised`);
for (const r of results) console.log(`  ${r.name}: ${r.note}`);

// what the run ran on, read now: the store's SQLite and the embedded broker the uplink talked to
const packageVersion = (name: string) => {
  // the installed copy's package.json (aedes does not export it): beside the entry require resolves
  const entry = createRequire(import.meta.url).resolve(name), dir = `node_modules/${name}/`;
  return (JSON.parse(readFileSync(entry.slice(0, entry.lastIndexOf(dir) + dir.length) + 'package.json', 'utf8')) as { version: string }).version;
};
const probeDb = new Database(':memory:');
const store = { engine: 'sqlite', version: (probeDb.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v, library: `better-sqlite3 ${packageVersion('better-sqlite3')}` };
probeDb.close();
const broker = { name: 'aedes, embedded in the bench process (no cloud: nothing acknowledged)', version: packageVersion('aedes') };

const out = {
  bench: 'edge-throughput', store, broker, at: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length,
  devices: DEVICES, zones: ZONES, alerts: defaultRun.alerts, loadAverage: loadavg(),
  results, pipelineVsBaseline: { perCpuSecond: Math.round(ratio * 1000) / 1000, wall: Math.round(wallRatio * 1000) / 1000 },
  pipelineRuns: { tsxDefaultHeap: defaultRun, bundledDefaultHeap: bundledRun, bundledCappedHeap: { nodeFlags: HEAP_CAPPED, ...cappedRun } },
  targets: { readingsPerSecondPerCore: TARGET_RATE, rssMb: TARGET_RSS_MB }, pass,
};
const resultsDir = new URL('./results/', import.meta.url);
mkdirSync(resultsDir, { recursive: true });
writeFileSync(new URL('edge-throughput.json', resultsDir), `${JSON.stringify(out, null, 2)}\n`);
console.log('\nwritten: bench/results/edge-throughput.json');
rmSync(tmp, { recursive: true, force: true });
