// Compression: what a day of a site's readings costs on disk in the real hypertable, before and
// after TimescaleDB's native compression (the capacity model's storage line, docs/capacity.md).
//
//   DATABASE_URL=postgres://…(a server with TimescaleDB) npx tsx bench/compression.ts [--sensors 200] [--days 2] [--every-s 30]
//
// On a scratch database: our migrations (readings becomes a hypertable, 1-day chunks, compressed
// segment by sensor, ordered by ts), then `sensors` readings every `every-s` seconds for `days`
// days, values a slow random walk at 0.1 °C resolution as a probe reports them, loaded with COPY;
// then every chunk compressed (compress_chunk, as the 7-day policy would). Reports bytes per row
// before and after (hypertable_detailed_size, hypertable_compression_stats) and the ratio.
// Without TimescaleDB it says so and writes nothing.

import { parseArgs } from 'node:util';
import pg from 'pg';
import { copyIn } from '../cloud/ingest/copy-readings.ts';
import { openDb } from '../cloud/db/engine.ts';
import { migrate } from '../cloud/db/migrate.ts';
import { requireDatabaseUrl, scratchDatabase } from './lib/scratch-pg.ts';
import { machine, table, writeResult } from './lib/report.ts';
import { describeEngine, engineOf } from './lib/engine.ts';

const { values } = parseArgs({ options: {
  sensors: { type: 'string', default: '200' },
  days: { type: 'string', default: '2' },
  'every-s': { type: 'string', default: '30' },
} });
const SENSORS = Number(values.sensors);
const DAYS = Number(values.days);
const EVERY_S = Number(values['every-s']);

const scratch = await scratchDatabase(requireDatabaseUrl('compression'), 'sp_bench_compress');
const c = new pg.Client({ connectionString: scratch.url });
try {
  const db = await openDb({ url: scratch.url });
  await migrate(db);
  await db.close();
  await c.connect();
  const engine = await engineOf(async (sql) => (await c.query(sql)).rows, 'postgresql');
  if (!engine.readingsHypertable) {
    console.log(`compression: ${describeEngine(engine)} — readings is not a hypertable; nothing to measure (needs TimescaleDB)`);
    process.exit(0);
  }
  const t0 = Date.parse('2026-10-01T00:00:00Z');
  const perSensor = Math.floor((DAYS * 86_400) / EVERY_S);
  const level = new Array<number>(SENSORS).fill(4);
  let rows = 0;
  const started = performance.now();
  for (let j = 0; j < perSensor; j += 500) {
    let text = '';
    for (let k = j; k < Math.min(perSensor, j + 500); k++) {
      const ts = new Date(t0 + k * EVERY_S * 1000).toISOString();
      for (let i = 0; i < SENSORS; i++) {
        level[i] = Math.round((level[i]! + (Math.random() - 0.5) * 0.2) * 10) / 10;
        text += `${ts}\tgw-${i % 20}\tsensor-${i}\tzone-${i % 10}\ttemperature\t${level[i]}\tgood\n`;
        rows++;
      }
    }
    await copyIn(c, 'COPY readings (ts, gateway, sensor, zone, kind, value, quality) FROM STDIN', text);
  }
  const loadSeconds = (performance.now() - started) / 1000;
  const size = async () => Number((await c.query<{ b: string }>(`SELECT total_bytes AS b FROM hypertable_detailed_size('readings')`)).rows[0]!.b);
  const before = await size();
  const t1 = performance.now();
  const chunks = (await c.query<{ chunk: string }>(`SELECT show_chunks('readings')::text AS chunk`)).rows;
  for (const ch of chunks) await c.query(`SELECT compress_chunk('${ch.chunk}', if_not_compressed => true)`);
  const compressSeconds = (performance.now() - t1) / 1000;
  const stats = (await c.query<{ before: string; after: string }>(
    `SELECT sum(before_compression_total_bytes)::bigint AS before, sum(after_compression_total_bytes)::bigint AS after FROM hypertable_compression_stats('readings')`)).rows[0]!;
  const after = await size();
  const r = {
    rows, sensors: SENSORS, days: DAYS, everySeconds: EVERY_S, chunks: chunks.length, loadSeconds, compressSeconds,
    bytesBefore: before, bytesAfter: after, bytesPerRowBefore: before / rows, bytesPerRowAfter: after / rows,
    ratio: before / after,
    compressionStats: { before: Number(stats.before), after: Number(stats.after) },
  };
  console.log(`\ncompression — ${describeEngine(engine)}; ${SENSORS} sensors × 1 reading / ${EVERY_S} s × ${DAYS} days = ${rows} rows\n`);
  console.log(table(['', 'bytes', 'bytes per reading'], [
    ['hypertable, uncompressed (data + indexes)', before, (before / rows).toFixed(1)],
    ['after compress_chunk (segment by sensor, order by ts)', after, (after / rows).toFixed(1)],
    ['ratio', `${r.ratio.toFixed(1)}×`, null],
  ]));
  console.log(`\nwritten to ${writeResult('compression', { engine, machine: machine(), ...r })}`);
} finally {
  await c.end().catch(() => {});
  await scratch.drop();
}
process.exit(0);
