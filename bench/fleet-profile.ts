// Where a 10-reading batch's time goes in the cloud (issue #16), in one process on a scratch
// PostgreSQL database, no broker: parse + validation, then each SQL statement of storeBatch timed
// by its first words, one transaction per batch vs a group of 32 under savepoints.
//
//   DATABASE_URL=postgres://… npx tsx bench/fleet-profile.ts [--batches 2000]

import { parseArgs } from 'node:util';
import { openDb, type Db, type Queryable } from '../cloud/db/engine.ts';
import { migrate } from '../cloud/db/migrate.ts';
import { parseUplinkBatch } from '../protocols/uplink/parse.ts';
import { storeBatchIn } from '../cloud/ingest/store-batch.ts';
import { PROTOCOL_VERSION, type UplinkBatch } from '../protocols/uplink/contract.ts';
import { requireDatabaseUrl, scratchDatabase } from './lib/scratch-pg.ts';
import { registerGateway } from '../tests/helpers/gateways.ts';
import { machine, table, writeResult } from './lib/report.ts';

const { values } = parseArgs({ options: { batches: { type: 'string', default: '2000' } } });
const N = Number(values.batches);
const GW = 50;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const scratch = await scratchDatabase(requireDatabaseUrl('fleet-profile'), 'sp_bench_fprof');
const timings = new Map<string, { n: number; ms: number }>();
const note = (k: string, ms: number) => { const t = timings.get(k) ?? { n: 0, ms: 0 }; t.n++; t.ms += ms; timings.set(k, t); };
const label = (sql: string) => sql.replace(/\s+/g, ' ').trim().split(' ').slice(0, 4).join(' ').slice(0, 48);
const timed = (q: Queryable): Queryable => ({ ...q, pgClient: q.pgClient, query: async (sql, p) => { const s = performance.now(); try { return await q.query(sql, p); } finally { note(label(sql), performance.now() - s); } } });

function payload(g: number, seq: number): Buffer {
  const readings = Array.from({ length: 10 }, (_, i) => ({ sensor: `p${g}-s${i % 5}`, kind: 'temperature', ts: T0 + (seq * 10 + i) * 1000, value: 4.2, quality: 'good' }));
  const manifest = seq === 1 ? { site: `shop-${g}`, zones: [{ id: `p${g}-z`, name: 'z', profile: { low: 2, high: 8 }, delaySec: 300, hysteresis: 0.5 }], sensors: [...Array(5).keys()].map((s) => ({ id: `p${g}-s${s}`, zone: `p${g}-z`, kind: 'temperature', unit: '°C', protocol: 'mqtt-json' })), devices: [] } : undefined;
  return Buffer.from(JSON.stringify({ v: PROTOCOL_VERSION, gateway: `p-gw-${g}`, stream: 's', seq, sentAt: Date.now(), readings, alerts: [], ...(manifest ? { manifest } : {}) }));
}

async function run(db: Db, group: number, seqFrom: number): Promise<{ ms: number; parseMs: number }> {
  let parseMs = 0;
  const t0 = performance.now();
  const per = N / GW;
  for (let k = 0; k < per; k++) {
    const batches: UplinkBatch[] = [];
    for (let g = 0; g < GW; g++) {
      const s = performance.now();
      const p = parseUplinkBatch(payload(g, seqFrom + k), `p-gw-${g}`);
      parseMs += performance.now() - s;
      if (!p.ok) throw new Error('parse');
      batches.push(p.batch);
    }
    for (let i = 0; i < batches.length; i += group) {
      const slice = batches.slice(i, i + group);
      const s = performance.now();
      await db.tx(async (raw) => {
        const q = timed(raw);
        for (const b of slice) {
          if (group > 1) await q.query('SAVEPOINT sp_group_batch');
          await storeBatchIn(q, b, []);
          if (group > 1) await q.query('RELEASE SAVEPOINT sp_group_batch');
        }
      });
      note(`transaction (BEGIN…COMMIT), group ${group}`, performance.now() - s);
    }
  }
  return { ms: performance.now() - t0, parseMs };
}

try {
  const db = await openDb({ url: scratch.url, poolSize: 2 });
  await migrate(db);
  for (let g = 0; g < GW; g++) await registerGateway(db, `p-gw-${g}`, { site: `shop-${g}` });
  await run(db, 1, 1); // manifests + warm-up
  const out: Record<string, unknown> = {};
  for (const group of [1, 32]) {
    timings.clear();
    const r = await run(db, group, group === 1 ? 1 + N / GW : 1 + 2 * N / GW);
    const rows = [...timings.entries()].sort((a, b) => b[1].ms - a[1].ms).map(([k, t]) => [k, t.n, (t.ms / N).toFixed(3), (t.ms / t.n).toFixed(3)]);
    console.log(`\ngroup ${group}: ${N} batches in ${r.ms.toFixed(0)} ms = ${(N / (r.ms / 1000)).toFixed(0)} batches/s on one connection; parse+validate ${(r.parseMs / N).toFixed(3)} ms/batch`);
    console.log(table(['statement', 'count', 'ms per batch', 'ms per call'], [...rows, ['parse + validate (parseUplinkBatch)', N, (r.parseMs / N).toFixed(3), (r.parseMs / N).toFixed(3)]]));
    out[`group${group}`] = { batchesPerSec: Math.round(N / (r.ms / 1000)), parseMsPerBatch: r.parseMs / N, statements: Object.fromEntries(rows.map((x) => [x[0], { count: x[1], msPerBatch: Number(x[2]) }])) };
  }
  await db.close();
  writeResult('fleet-profile', { batches: N, ...out });
} finally {
  await scratch.drop();
}
