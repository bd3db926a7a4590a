// Run time of the cold-chain exposure job on 1M readings of history, on PostgreSQL.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/exposure-job.ts [--readings N] [--lots L]
//
// Creates a scratch database next to DATABASE_URL's (dropped at the end), migrates it, and
// generates the history: two zones (chiller, freezer) with two probes each, N readings in ONE
// INSERT … SELECT generate_series (one per probe and minute, a 45-min excursion in the chiller
// every 20 days), and L lots received at spread-out times, half of them shipped after a few
// days. Then times three runs of the job with the clock at the end of the history:
//   full    — lookback over the whole history: every lot, every reading (the cold start)
//   repeat  — the same run again: must add no evidence and quarantine nothing (idempotence)
//   steady  — the scheduled 15-min run with the default 7-day lookback
// Writes bench/results/exposure-job.json.

import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import pino from 'pino';
import { openDb, type Db } from '../cloud/db/engine.ts';
import { migrate } from '../cloud/db/migrate.ts';
import { createItem, createLocation } from '../cloud/inventory/master-data.ts';
import { createLot } from '../cloud/inventory/lots.ts';
import { postMovement } from '../cloud/inventory/ledger.ts';
import { runExposure } from '../cloud/rules/exposure/run.ts';
import type { JobContext } from '../cloud/jobs/job.ts';

const { values } = parseArgs({ options: { readings: { type: 'string', default: '1000000' }, lots: { type: 'string', default: '200' } } });
const READINGS = Number(values.readings);
const LOTS = Number(values.lots);
const base = process.env.DATABASE_URL;
if (!base) {
  console.error('set DATABASE_URL=postgres://… (the bench creates and drops a scratch database there)');
  process.exit(2);
}

const SENSORS = [['chiller', 'chiller-t1'], ['chiller', 'chiller-t2'], ['freezer', 'freezer-t1'], ['freezer', 'freezer-t2']] as const;
const MIN = 60_000;
const minutes = Math.ceil(READINGS / SENSORS.length);
const END = Date.UTC(2026, 0, 1);
const START = END - minutes * MIN;
const who = { name: 'bench', role: 'warehouse' };

const name = `sp_bench_${randomBytes(4).toString('hex')}`;
const admin = async (sql: string) => { const c = new pg.Client({ connectionString: base }); await c.connect(); try { await c.query(sql); } finally { await c.end(); } };
await admin(`CREATE DATABASE ${name}`);
const url = new URL(base);
url.pathname = `/${name}`;
let db: Db | undefined;
try {
  db = await openDb({ url: url.toString(), poolSize: 4 });
  await migrate(db);
  await createLocation(db, { id: 'site', kind: 'site', name: 'bench' });
  for (const z of ['chiller', 'freezer']) {
    await createLocation(db, { id: z, kind: 'zone', parent: 'site', name: z, iotZone: z });
    await createLocation(db, { id: `${z}-bin`, kind: 'bin', parent: z, name: `${z} bin` });
    await db.query(`INSERT INTO zones (id, gateway, site, name, delay_sec, hysteresis) VALUES ($1, 'gw', 'site', $1, 300, 0.5)`, [z]);
  }
  for (const [zone, id] of SENSORS) {
    await db.query(`INSERT INTO sensors (id, gateway, zone, kind, unit, protocol) VALUES ($1, 'gw', $2, 'temperature', '°C', 'mqtt-json')`, [id, zone]);
  }

  let t = performance.now();
  // one statement: every probe × every minute; the chiller has a 45-min excursion every 20 days
  await db.query(
    `INSERT INTO readings (ts, gateway, sensor, zone, kind, value)
     SELECT to_timestamp($1::float8 / 1000 + m * 60), 'gw', s.id, s.zone, 'temperature',
            CASE WHEN s.zone = 'chiller' AND m % 28800 BETWEEN 600 AND 644 THEN 10.5
                 WHEN s.zone = 'chiller' THEN 4 + sin(m / 90.0)
                 ELSE -20 + sin(m / 90.0) END
     FROM generate_series(0, $2::int - 1) AS m
     CROSS JOIN (VALUES ${SENSORS.map(([z, id]) => `('${z}', '${id}')`).join(', ')}) AS s(zone, id)`,
    [START, minutes]);
  await db.query('ANALYZE readings');
  const insertMs = performance.now() - t;
  const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings') as [{ n: number }];

  await createItem(db, { sku: 'MILK', name: 'Milk', unit: 'pcs', lotTracked: true, storageProfile: 'chilled' });
  await createItem(db, { sku: 'PEAS', name: 'Peas', unit: 'pcs', lotTracked: true, storageProfile: 'frozen' });
  t = performance.now();
  for (let i = 0; i < LOTS; i++) {
    const chilled = i % 2 === 0;
    const sku = chilled ? 'MILK' : 'PEAS';
    const bin = chilled ? 'chiller-bin' : 'freezer-bin';
    const code = `L${i}`;
    await createLot(db, { item: sku, code }, who);
    const inAt = START + Math.floor(((END - START) * i) / LOTS);
    await postMovement(db, { kind: 'receipt', item: sku, lot: code, to: bin, qty: 10, at: new Date(inAt).toISOString() }, who);
    // half the lots leave after 3–10 days; the rest are still in at the end
    const outAt = inAt + (3 + (i % 8)) * 86_400_000;
    if (i % 4 < 2 && outAt < END) {
      await postMovement(db, { kind: 'shipment', item: sku, lot: code, from: bin, qty: 10, at: new Date(outAt).toISOString() }, who);
    }
  }
  const lotsMs = performance.now() - t;

  const log = pino({ level: 'silent' });
  const ctx = (): JobContext => ({ db: db!, now: new Date(END), period: { from: new Date(END - 15 * MIN), to: new Date(END) }, log, progress: () => {} });
  const timed = async (label: string, lookbackMs?: number) => {
    const t0 = performance.now();
    const counts = await runExposure(ctx(), lookbackMs === undefined ? {} : { lookbackMs });
    const ms = Math.round(performance.now() - t0);
    console.log(`${label.padEnd(7)} ${String(ms).padStart(6)} ms  ${JSON.stringify(counts)}`);
    return { label, ms, counts };
  };
  const runs = [
    await timed('full', END - START + 86_400_000),
    await timed('repeat', END - START + 86_400_000),
    await timed('steady'),
  ];
  const result = {
    bench: 'exposure-job', engine: 'postgres', readings: n, sensors: SENSORS.length, historyDays: Math.round((END - START) / 86_400_000),
    lots: LOTS, readingsInsertMs: Math.round(insertMs), lotsSetupMs: Math.round(lotsMs), runs,
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version }, at: new Date().toISOString(),
  };
  console.log(`readings ${n} inserted in ${result.readingsInsertMs} ms (one INSERT … SELECT generate_series)`);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/exposure-job.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await db?.close();
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
