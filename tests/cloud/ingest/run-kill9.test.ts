import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import pg from 'pg';
import { openDb, type Db } from '../../../cloud/db/engine.ts';
import { SqliteOutbox } from '../../../edge/outbox/sqlite-outbox.ts';
import { Uplink } from '../../../edge/uplink/uplink.ts';
import { MemoryDeadLetters } from '../../../edge/dead-letters.ts';
import { freePort } from '../../../simulators/free-port.ts';
import { freshPostgresDatabase, usingPostgres } from '../../helpers/db.ts';
import { waitFor } from '../../helpers/net.ts';
import { MOSQUITTO, startMosquitto } from '../../helpers/chaos-harness.ts';
import { startCloudProcess } from '../../helpers/cloud-process.ts';
import { registerGateway } from '../../helpers/gateways.ts';

// The drain after an outage commits a run of one stream's batches in ONE transaction with one
// COPY (cloud/ingest/group-commit.ts take, store-group.ts). Nothing lost, nothing twice when the
// cloud is kill -9'd in the middle of such a commit with thousands of readings in flight: the
// real edge uplink (SQLite outbox, window 8) drains a backlog of 500-reading batches through a
// real Mosquitto into a `stockpulse cloud` process; the cloud is caught with a group in its
// commit and the rest of the window queued behind it (the batch table held by another session),
// killed, and a new process takes the resends.
// At the end every reading is stored once, every seq once with no gap, every batch acked, the
// outbox empty — and runs did commit together (several batches share one transaction's time).
// PostgreSQL only: runs need COPY, and two processes cannot share a PGlite database.

const BATCH = 500;
const BATCHES = 80;       // 40 000 readings held when the link comes back
const SENSORS = 20;
const haveMosquitto = existsSync(MOSQUITTO);
if (!usingPostgres) console.warn('run kill -9 test skipped: runs of one stream commit with COPY, PostgreSQL only, and a cloud process cannot share a PGlite database; set DATABASE_URL=postgres://… to run it');
else if (!haveMosquitto) console.warn(`run kill -9 test skipped: ${MOSQUITTO} not found (apt-get install mosquitto)`);

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

describe.runIf(usingPostgres && haveMosquitto)('a run of one stream, kill -9 of the cloud in the middle of its commit', () => {
  it('loses nothing and stores nothing twice; the new cloud process takes the run again', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-run-kill-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const broker = await startMosquitto(join(dir, 'mosquitto'));
    cleanups.push(() => broker.stop());
    const fresh = await freshPostgresDatabase();
    cleanups.push(() => fresh.drop());
    const env = { MQTT_URL: broker.url, DATABASE_URL: fresh.url, STOCKPULSE_MQTT_ALERTS: 'false' };
    const first = await startCloudProcess('sp-run-cloud-1', await freePort(), env, join(dir, 'cloud-1.log'));
    cleanups.push(() => first.stop());
    const db: Db = await openDb({ url: fresh.url, poolSize: 2 });
    cleanups.push(() => db.close());
    await registerGateway(db, 'gw-run');

    // the stream opens with its manifest (seq 1, a batch of its own), committed before the outage
    const outbox = SqliteOutbox.open(join(dir, 'outbox.db'));
    cleanups.push(async () => outbox.close());
    outbox.append([{ type: 'manifest', manifest: {
      site: 'shop', zones: [{ id: 'z', name: 'Cold room', profile: { low: 0, high: 8 }, delaySec: 60, hysteresis: 0.5 }],
      sensors: Array.from({ length: SENSORS }, (_, s) => ({ id: `run-t${s}`, zone: 'z', kind: 'temperature', unit: '°C', protocol: 'mqtt-json' })),
      devices: [],
    } }]);
    const client: MqttClient = await mqtt.connectAsync(broker.url, { clientId: 'sp-run-gw', protocolVersion: 4 });
    const uplink = new Uplink({ gateway: 'gw-run', client, outbox, log: pino({ level: 'silent' }), deadLetters: new MemoryDeadLetters(), flushMs: 20, batchMaxItems: BATCH, ackTimeoutMs: 2000, window: 8 });
    cleanups.push(async () => { await uplink.stop(); await client.endAsync(); });
    await uplink.start();
    await waitFor(() => uplink.stats.batchesAcked === 1 && outbox.depth() === 0, 'the manifest committed', 20_000, 20);

    // Hold the batch table, then hand the uplink the backlog an outage leaves: the cloud's first
    // group of it waits on the table with its readings received, the rest of the window queued
    // behind it — received, not committed, not acked.
    const admin = new pg.Client({ connectionString: fresh.url });
    await admin.connect();
    cleanups.push(() => admin.end());
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE uplink_batches IN EXCLUSIVE MODE');
    const t0 = Date.parse('2026-12-01T00:00:00Z');
    const generated = BATCH * BATCHES;
    for (let i = 0; i < generated; i += BATCH) {
      outbox.append(Array.from({ length: BATCH }, (_, k) => ({
        type: 'reading' as const,
        reading: { sensor: `run-t${(i + k) % SENSORS}`, kind: 'temperature' as const, ts: t0 + (i + k) * 1000, value: 4 + ((i + k) % 9) / 10, quality: 'good' as const },
      })));
    }
    uplink.notify(false);
    const blocked = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`;
    await waitFor(async () => (await admin.query(blocked, ['sp-run-cloud-1'])).rows[0].n > 0, 'the cloud blocked with a group in its commit', 20_000, 20);
    await waitFor(() => uplink.stats.batchesSent >= 9, 'the window full (8 batches, 4 000 readings, in flight)', 10_000, 20);
    const committedBefore = await first.metric('stockpulse_cloud_batches_committed_total');
    await first.kill9();
    await admin.query('ROLLBACK');
    expect(committedBefore).toBe(1); // the manifest; nothing else could commit while the table was held

    const second = await startCloudProcess('sp-run-cloud-2', await freePort(), env, join(dir, 'cloud-2.log'));
    cleanups.push(() => second.stop());
    await waitFor(() => uplink.idle() && outbox.depth() === 0, 'every batch acked, the outbox empty', 60_000, 100);

    const [{ n, distinct }] = (await db.query<{ n: number; distinct: number }>('SELECT count(*)::int AS n, count(DISTINCT (sensor, ts))::int AS distinct FROM readings')) as [{ n: number; distinct: number }];
    const [keys] = await db.query<{ batches: number; max_seq: number; readings: number; shared: number }>(
      `SELECT count(*)::int AS batches, max(seq)::int AS max_seq, sum(readings)::int AS readings,
              (SELECT count(*)::int FROM (SELECT received_at FROM uplink_batches GROUP BY received_at HAVING count(*) > 1) t) AS shared
       FROM uplink_batches WHERE gateway = 'gw-run'`);
    const committedAfter = await second.metric('stockpulse_cloud_batches_committed_total');
    console.log([
      '', 'a run of one stream, kill -9 of the cloud mid-commit',
      `  readings held / in the cloud / duplicates           ${generated} / ${n} / ${n - distinct}`,
      `  batches (rows, highest seq) / acked / resends       ${keys!.batches}, ${keys!.max_seq} / ${uplink.stats.batchesAcked} / ${uplink.stats.resends}`,
      `  committed by the killed process / by the new one     ${committedBefore} / ${committedAfter}`,
      `  transactions that committed several batches (runs)   ${keys!.shared}`,
    ].join('\n'));
    expect(n).toBe(generated);
    expect(distinct).toBe(n);
    expect(keys).toMatchObject({ batches: keys!.max_seq, readings: generated });
    expect(uplink.stats.batchesAcked).toBe(keys!.batches);
    expect(committedBefore + committedAfter).toBe(keys!.batches);
    expect(uplink.stats.resends).toBeGreaterThan(0); // what the killed process held went again
    expect(keys!.shared).toBeGreaterThan(0);         // and runs did commit as one
  });
});
