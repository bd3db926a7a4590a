// npm run bench: every benchmark, one after the other (never in parallel: they would measure each
// other), each in its own process so one's heap and event loop do not weigh on the next. Each part
// prints its own table (our figure, the raw baseline measured in the same run, the ratio) and writes
// bench/results/<part>.json; this runner adds bench/results/summary.json with the durations.
//
//   npm run bench                          all parts (about 6-8 minutes on the 2-core box)
//   npm run bench -- --only ingest,dashboard
//
// PostgreSQL: DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres when it answers
// (each part creates and drops its own scratch database there). Without PostgreSQL the parts that
// need it are skipped with the reason printed; edge, alarm latency (on PGlite) and the dashboard's
// PGlite+TimescaleDB half still run.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { machine, table, writeResult } from './lib/report.ts';

interface Part { name: string; script: string; args?: string[]; needsPostgres: boolean; what: string }
const PARTS: Part[] = [
  { name: 'edge', script: 'edge-throughput.ts', needsPostgres: false, what: 'edge: decode → pipeline → outbox readings/s and RSS, 200 devices' },
  { name: 'device-path', script: 'device-path.ts', needsPostgres: false, what: "device path: Mosquitto → edge process → cloud process → rows, bridge and 200 devices, fsync full/normal and paced at the issue's 24 400/s, vs publisher alone and subscriber → COPY" },
  { name: 'edge-intake', script: 'edge-intake.ts', needsPostgres: false, what: 'edge intake (component): the gateway alone taking 200 000 queued QoS 1 frames from Mosquitto, fsync full, frames/s and CPU µs per frame' },
  { name: 'drain', script: 'drain.ts', needsPostgres: false, what: 'drain: 1.2 M readings held after an outage → edge process → Mosquitto → cloud process → rows, window 1 vs 8, live readings meanwhile, vs raw COPY' },
  { name: 'ingest', script: 'ingest.ts', needsPostgres: true, what: 'ingest: MQTT batch → committed rows vs raw COPY vs per-row INSERT' },
  { name: 'fleet', script: 'fleet.ts', needsPostgres: true, what: 'fleet: 500 gateways × 10-reading batches, one connection each, through Mosquitto to the cloud process (1 and 2 instances), closed and open loop, vs one pg transaction per batch' },
  { name: 'compression', script: 'compression.ts', needsPostgres: true, what: 'compression: bytes per reading in the readings hypertable before and after compress_chunk (TimescaleDB only; says so and skips otherwise)' },
  { name: 'reservations', script: 'reservations.ts', needsPostgres: true, what: 'reservations on one hot SKU, 1/10/50 clients, p50/p99, oversell, vs raw UPDATE' },
  { name: 'alarm-latency', script: 'alarm-latency.ts', needsPostgres: false, what: 'alarm latency: delay completed → webhook, p50/p99, vs raw MQTT → HTTP' },
  { name: 'alert-commit', script: 'alert-commit.ts', needsPostgres: false, what: 'alert commit (component): one alert batch through the group committer, in process, p50/p99 and statements per batch, vs a raw three-INSERT transaction' },
  { name: 'dashboard', script: 'dashboard.ts', needsPostgres: false, what: 'dashboard: 30 d × 50 sensors, TTFB and payload, aggregates vs raw' },
];
const BUDGET_S = 600;

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const only = values.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((o) => !PARTS.some((p) => p.name === o)) ?? [];
if (unknown.length) {
  console.error(`unknown part(s): ${unknown.join(', ')}; parts: ${PARTS.map((p) => p.name).join(', ')}`);
  process.exit(2);
}

async function reachable(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try { await c.connect(); await c.query('SELECT 1'); return true; } catch { return false; } finally { await c.end().catch(() => {}); }
}

let databaseUrl = process.env.DATABASE_URL;
let dbNote = databaseUrl ? 'DATABASE_URL' : '';
if (!databaseUrl && await reachable('postgres://postgres@127.0.0.1:5432/postgres')) {
  databaseUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
  dbNote = 'local PostgreSQL (DATABASE_URL unset)';
}

function run(part: Part): Promise<{ code: number | null; seconds: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(part.script, import.meta.url)), ...(part.args ?? [])], {
      cwd: fileURLToPath(new URL('../', import.meta.url)),
      env: { ...process.env, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) },
      stdio: 'inherit',
    });
    child.on('close', (code) => resolve({ code, seconds: (performance.now() - t0) / 1000 }));
  });
}

const m = machine();
console.log(`stockpulse benchmarks — ${m.cpus} × ${m.cpuModel}, node ${m.node}, load average ${m.loadavg.join(' ')}; PostgreSQL: ${databaseUrl ? dbNote : 'none (parts that need it are skipped)'}`);
const t0 = performance.now();
const summary: { part: string; what: string; status: string; seconds: number | null }[] = [];
for (const part of PARTS) {
  if (only && !only.includes(part.name)) continue;
  if (part.needsPostgres && !databaseUrl) {
    console.log(`\n=== ${part.name}: skipped — needs PostgreSQL (set DATABASE_URL)`);
    summary.push({ part: part.name, what: part.what, status: 'skipped: no PostgreSQL', seconds: null });
    continue;
  }
  console.log(`\n=== ${part.name}: ${part.what}`);
  const r = await run(part);
  summary.push({ part: part.name, what: part.what, status: r.code === 0 ? 'ok' : `FAILED (exit ${r.code})`, seconds: Number(r.seconds.toFixed(1)) });
}
const total = (performance.now() - t0) / 1000;
const end = machine();
console.log(`\n=== summary (load average now ${end.loadavg.join(' ')})\n\n${table(['part', 'status', 'seconds', 'results'], summary.map((s) => [s.part, s.status, s.seconds, `bench/results/${s.part === 'edge' ? 'edge-throughput' : s.part === 'reservations' ? 'reservations-domain' : s.part}.json`]))}\n\n` +
  `total ${total.toFixed(0)} s (budget ${BUDGET_S} s: ${total <= BUDGET_S ? 'within' : 'OVER'})`);
writeResult('summary', { totalSeconds: total, budgetSeconds: BUDGET_S, postgres: databaseUrl ? dbNote : null, parts: summary, loadavgEnd: end.loadavg });
if (summary.some((s) => s.status.startsWith('FAILED'))) process.exitCode = 1;
