// Reservations per second on ONE hot SKU, at 1, 10 and 50 concurrent clients, on PostgreSQL.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/reservations.ts [--http] [--requests N] [--stock S]
//
// Creates a scratch database next to DATABASE_URL's (dropped at the end), migrates it, and per
// concurrency level stocks a fresh item with S units, then fires N single-unit reservations
// (N > S, so the tail is refused with 409). Reports throughput, p50/p99 latency and the
// oversell count (units reserved beyond stock: must be 0), and verifies the ledger.
// Default path: the domain call (one SQL round trip, sp_reserve). --http goes through the real
// API (token check, validation, audit log) over 127.0.0.1.

import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import pino from 'pino';
import { openDb, type Db } from '../cloud/db/engine.ts';
import { migrate } from '../cloud/db/migrate.ts';
import { createItem, createLocation } from '../cloud/inventory/master-data.ts';
import { postMovement } from '../cloud/inventory/ledger.ts';
import { reserve } from '../cloud/inventory/reservations.ts';
import { verifyLedger } from '../cloud/inventory/verify.ts';
import { isSpError } from '../protocols/errors.ts';
import { buildApi } from '../cloud/api/server.ts';
import { createCloudMetrics } from '../cloud/metrics.ts';
import { createApiToken } from '../cloud/auth/tokens.ts';

const { values } = parseArgs({ options: { http: { type: 'boolean', default: false }, requests: { type: 'string', default: '6000' }, stock: { type: 'string', default: '5000' }, levels: { type: 'string', default: '1,10,50' } } });
const REQUESTS = Number(values.requests);
const STOCK = Number(values.stock);
const LEVELS = values.levels!.split(',').map(Number);
const base = process.env.DATABASE_URL;
if (!base) {
  console.error('set DATABASE_URL=postgres://… (the bench creates and drops a scratch database there)');
  process.exit(2);
}

const name = `sp_bench_${randomBytes(4).toString('hex')}`;
const admin = async (sql: string) => { const c = new pg.Client({ connectionString: base }); await c.connect(); try { await c.query(sql); } finally { await c.end(); } };
await admin(`CREATE DATABASE ${name}`);
const url = new URL(base);
url.pathname = `/${name}`;

// Baseline, same database, same clients: the bare conditional UPDATE of one counter row, autocommit
// (the least a database can do per reservation that never oversells; no ledger, no TTL, no audit).
interface RawResult { reservationsPerSec: number; p50ms: number; p99ms: number; oversell: number }
async function rawBaseline(db: Db, clients: number): Promise<RawResult> {
  await db.exec(`CREATE TABLE IF NOT EXISTS bench_raw_hot (id int PRIMARY KEY, stock int NOT NULL, reserved int NOT NULL)`);
  await db.query('INSERT INTO bench_raw_hot VALUES ($1, $2, 0)', [clients, STOCK]);
  const latencies: number[] = [];
  let next = 0;
  let ok = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < REQUESTS) {
      next++;
      const s = performance.now();
      const rows = await db.query('UPDATE bench_raw_hot SET reserved = reserved + 1 WHERE id = $1 AND reserved < stock RETURNING reserved', [clients]);
      if (rows.length) ok++;
      latencies.push(performance.now() - s);
    }
  }));
  const sec = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const [row] = await db.query<{ reserved: number }>('SELECT reserved FROM bench_raw_hot WHERE id = $1', [clients]);
  return { reservationsPerSec: Math.round(ok / sec), p50ms: Number(pct(latencies, 50).toFixed(2)), p99ms: Number(pct(latencies, 99).toFixed(2)), oversell: Math.max(0, row!.reserved - STOCK) };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const who = { name: 'bench', role: 'sales' };
const results: Record<string, unknown>[] = [];
let db: Db | undefined;
try {
  db = await openDb({ url: url.toString(), poolSize: Math.max(...LEVELS) + 2 });
  await migrate(db);
  await createLocation(db, { id: 'site', kind: 'site', name: 'bench' });
  let send: (sku: string, i: number) => Promise<boolean>;
  let close = async () => {};
  if (values.http) {
    const app = await buildApi({ db, log: pino({ level: 'silent' }), metrics: createCloudMetrics(), mqttConnected: () => true });
    const addr = await app.listen({ host: '127.0.0.1', port: 0 });
    const { token } = await createApiToken(db, { role: 'sales', name: 'bench' });
    send = async (sku, i) => {
      const r = await fetch(`${addr}/api/reservations`, {
        method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ item: sku, qty: 1, channel: 'web', idempotencyKey: `${sku}-${i}` }),
      });
      await r.arrayBuffer();
      if (r.status === 201) return true;
      if (r.status === 409) return false;
      throw new Error(`HTTP ${r.status}`);
    };
    close = () => app.close();
  } else {
    send = async (sku, i) => {
      try {
        await reserve(db!, { item: sku, qty: 1, channel: 'web', idempotencyKey: `${sku}-${i}` }, who);
        return true;
      } catch (e) {
        if (isSpError(e) && e.code === 'SP_ERR_CONFLICT') return false;
        throw e;
      }
    };
  }

  for (const clients of LEVELS) {
    const sku = `HOT-${clients}`;
    await createItem(db, { sku, name: `hot item (${clients} clients)`, unit: 'pcs' });
    await postMovement(db, { kind: 'receipt', item: sku, to: 'site', qty: STOCK }, who);
    const latencies: number[] = [];
    let next = 0;
    let ok = 0;
    let refused = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: clients }, async () => {
      while (next < REQUESTS) {
        const i = next++;
        const s = performance.now();
        if (await send(sku, i)) ok++; else refused++;
        latencies.push(performance.now() - s);
      }
    }));
    const sec = (performance.now() - t0) / 1000;
    const [row] = await db.query<{ reserved: string }>('SELECT reserved FROM item_positions WHERE item = $1', [sku]);
    const reserved = Number(row!.reserved);
    latencies.sort((a, b) => a - b);
    results.push({
      clients, requests: REQUESTS, stock: STOCK, reserved: ok, refused, seconds: Number(sec.toFixed(2)),
      reservationsPerSec: Math.round(ok / sec), requestsPerSec: Math.round(REQUESTS / sec),
      p50ms: Number(pct(latencies, 50).toFixed(2)), p99ms: Number(pct(latencies, 99).toFixed(2)),
      oversell: Math.max(0, reserved - STOCK) + Math.max(0, ok - STOCK),
      raw: await rawBaseline(db, clients),
    });
  }
  await close();
  const verify = await verifyLedger(db);
  const table = [
    '| clients | requests | reserved | refused (409) | reservations/s | requests/s | p50 ms | p99 ms | oversell | raw UPDATE reservations/s (baseline) | raw p50 / p99 ms | ours / raw |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map((r) => {
      const raw = r.raw as RawResult;
      return `| ${r.clients} | ${r.requests} | ${r.reserved} | ${r.refused} | ${r.reservationsPerSec} | ${r.requestsPerSec} | ${r.p50ms} | ${r.p99ms} | ${r.oversell} | ${raw.reservationsPerSec} | ${raw.p50ms} / ${raw.p99ms} | ${(Number(r.reservationsPerSec) / raw.reservationsPerSec).toFixed(2)}× |`;
    }),
  ].join('\n');
  const mode = values.http ? 'http' : 'domain';
  console.log(`\nreservations on one hot SKU — PostgreSQL, ${mode} path, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})\n\n${table}\n\nledger verify: ${verify.ok ? 'ok' : `${verify.differences.length} differences`}`);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const file = new URL(`./results/reservations-${mode}.json`, import.meta.url);
  const server = (await db.query<{ v: string }>('SHOW server_version'))[0]?.v;
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), mode, postgres: server, cpus: os.cpus().length, node: process.version, results, verifyOk: verify.ok }, null, 2) + '\n');
  console.log(`written ${file.pathname}`);
  if (!verify.ok || results.some((r) => (r.oversell as number) > 0)) process.exitCode = 1;
} finally {
  await db?.close();
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
