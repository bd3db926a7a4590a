import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import pg from 'pg';
import { openDb, type Db } from '../../../cloud/db/engine.ts';
import { createApiToken } from '../../../cloud/auth/tokens.ts';
import { MemoryOutbox } from '../../../edge/outbox/memory-outbox.ts';
import { Uplink } from '../../../edge/uplink/uplink.ts';
import { MemoryDeadLetters } from '../../../edge/dead-letters.ts';
import { freePort } from '../../../simulators/free-port.ts';
import { freshPostgresDatabase, usingPostgres } from '../../helpers/db.ts';
import { waitFor } from '../../helpers/net.ts';
import { pace } from '../../helpers/pause.ts';
import { MOSQUITTO, startMosquitto } from '../../helpers/chaos-harness.ts';
import { startCloudProcess, type CloudProcess } from '../../helpers/cloud-process.ts';
import { openEventStream, type SseStream } from '../../helpers/sse-client.ts';
import { registerGateway } from '../../helpers/gateways.ts';

// Scale-out: two `stockpulse cloud` processes share the ingest through an MQTT 5 shared
// subscription ($share/ingest/…) on a real Mosquitto, against one PostgreSQL. Several
// gateways (the real edge Uplink: stop-and-wait, resend until acked) push a known load; one
// instance is kill -9'd while it holds a batch it has not committed; its gateway resends and
// the broker hands the resend to the survivor. At the end every batch is committed exactly
// once (by one of the two instances: their counters add up to the batch rows), every batch is
// acked (outboxes empty), each gateway's batches were committed in seq order, and each
// instance's browsers saw the other instance's commits (LISTEN/NOTIFY).

const GATEWAYS = 6;
const SENSORS = 4;
const CHUNKS = 80;          // per gateway, one every CHUNK_MS
const CHUNK_READINGS = 48;  // 12 per sensor
const CHUNK_MS = 50;
const haveMosquitto = existsSync(MOSQUITTO);
if (!usingPostgres) console.warn('scale-out two-instance test skipped: two processes cannot share one PGlite database; set DATABASE_URL=postgres://… to run it');
else if (!haveMosquitto) console.warn(`scale-out two-instance test skipped: ${MOSQUITTO} not found (apt-get install mosquitto)`);

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

describe.runIf(usingPostgres && haveMosquitto)('two cloud instances, one broker, one PostgreSQL', () => {
  it('splits the ingest, survives kill -9 of one instance, commits every batch exactly once', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-scale-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const broker = await startMosquitto(join(dir, 'mosquitto'));
    cleanups.push(() => broker.stop());
    const fresh = await freshPostgresDatabase();
    cleanups.push(() => fresh.drop());

    // both start at once against the empty database: migrations serialise on their advisory lock
    const env = { MQTT_URL: broker.url, DATABASE_URL: fresh.url, STOCKPULSE_SHARE_GROUP: 'ingest', STOCKPULSE_MQTT_ALERTS: 'false' };
    const [a, b] = await Promise.all([
      startCloudProcess('sp-cloud-a', await freePort(), env, join(dir, 'cloud-a.log')),
      startCloudProcess('sp-cloud-b', await freePort(), env, join(dir, 'cloud-b.log')),
    ]) as [CloudProcess, CloudProcess];
    cleanups.push(() => a.stop(), () => b.stop());
    const db: Db = await openDb({ url: fresh.url, poolSize: 2 });
    for (let g = 0; g < GATEWAYS; g++) await registerGateway(db, `gw-${g}`);
    cleanups.push(() => db.close());

    // a browser on each instance
    const { token } = await createApiToken(db, { role: 'viewer', name: 'wall-screen' });
    const [sseA, sseB] = await Promise.all([openEventStream(a.url, token), openEventStream(b.url, token)]) as [SseStream, SseStream];
    cleanups.push(async () => { sseA.close(); sseB.close(); });
    const originOf = async (s: SseStream) => (await waitFor(() => s.events.find((e) => e.type === 'hello'), 'hello event')).data.origin as string;
    const [originA, originB] = [await originOf(sseA), await originOf(sseB)];
    expect(originA).not.toBe(originB);

    // the fleet: the edge's own uplink over a memory outbox, MQTT 3.1.1 like a real gateway
    const log = pino({ level: 'silent' });
    const fleet = await Promise.all(Array.from({ length: GATEWAYS }, async (_, g) => {
      const id = `gw-${g}`;
      const client: MqttClient = await mqtt.connectAsync(broker.url, { clientId: `sp-scale-${id}`, protocolVersion: 4 });
      const outbox = new MemoryOutbox();
      const uplink = new Uplink({ gateway: id, client, outbox, log, deadLetters: new MemoryDeadLetters(), flushMs: 20, batchMaxItems: 100, ackTimeoutMs: 1000 });
      await uplink.start();
      cleanups.push(async () => { await uplink.stop(); await client.endAsync(); });
      return { id, client, outbox, uplink, generated: 0 };
    }));

    const t0 = Date.parse('2026-11-25T00:00:00Z');
    const runStart = Date.now();
    let chunksDone = 0;
    const produce = Promise.all(fleet.map(async (gw, g) => {
      gw.outbox.append([{ type: 'manifest', manifest: {
        site: `shop-${g}`, zones: [{ id: `z-${g}`, name: `Cold room ${g}`, profile: { low: 0, high: 8 }, delaySec: 60, hysteresis: 0.5 }],
        sensors: Array.from({ length: SENSORS }, (_, s) => ({ id: `${gw.id}-t${s}`, zone: `z-${g}`, kind: 'temperature', unit: '°C', protocol: 'mqtt-json' })),
        devices: [],
      } }]);
      for (let c = 0; c < CHUNKS; c++) {
        const readings = Array.from({ length: CHUNK_READINGS }, (_, k) => ({
          type: 'reading' as const,
          reading: { sensor: `${gw.id}-t${k % SENSORS}`, kind: 'temperature' as const, ts: t0 + (c * CHUNK_READINGS + k) * 1000, value: 4 + (k % 7) / 10, quality: 'good' as const },
        }));
        gw.outbox.append(readings);
        gw.generated += readings.length;
        // one alert per gateway, raised and cleared: the clear must not overtake the raise
        if (c === 10 || c === 60) {
          const ts = t0 + c * CHUNK_READINGS * 1000;
          gw.outbox.append([{ type: 'alert', alert: { id: `${gw.id}-high-1`, transition: c === 10 ? 'raised' : 'cleared', rule: 'high', zone: `z-${g}`, severity: 'critical', ts, since: t0 + 10 * CHUNK_READINGS * 1000, message: 'too warm' } }]);
        }
        gw.uplink.notify(c === 10 || c === 60);
        chunksDone++;
        await pace(CHUNK_MS);
      }
    }));

    const committed = 'stockpulse_cloud_batches_committed_total';
    const crossEvents = (s: SseStream, from: string) => s.events.filter((e) => e.type === 'ingest' && e.data.origin === from).length;
    // both instances take a share while both are up, and a browser on either sees the other's
    // commits; the kill comes once 40 % of the load is out, so the survivor carries the rest
    await waitFor(async () => (await a.metric(committed)) >= 5 && (await b.metric(committed)) >= 5, 'both instances committing', 20_000, 100);
    await waitFor(() => crossEvents(sseA, originB) > 0 && crossEvents(sseB, originA) > 0, 'live events across instances', 10_000);
    const crossAtA = crossEvents(sseA, originB);   // A's stream ends with A
    await waitFor(() => chunksDone >= 0.4 * GATEWAYS * CHUNKS, '40 % of the load', 20_000);

    // Catch A with a batch in hand: hold the batch table so no instance can commit, wait until
    // one of A's sessions is blocked on it, then kill -9 A. That batch is received, not
    // committed, not acked: only the gateway's resend (to B, the one left in the group) saves it.
    const admin = new pg.Client({ connectionString: fresh.url });
    await admin.connect();
    cleanups.push(() => admin.end());
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE uplink_batches IN EXCLUSIVE MODE');
    const blocked = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`;
    await waitFor(async () => (await admin.query(blocked, ['sp-cloud-a'])).rows[0].n > 0, 'instance A blocked with a batch in hand', 10_000, 20);
    const committedByA = await a.metric(committed);   // final: A cannot commit while the table is held
    const killedAt = Date.now() - runStart;
    await a.kill9();
    await admin.query('ROLLBACK');

    await produce;
    await waitFor(() => fleet.every((gw) => gw.uplink.idle()), 'every batch acked (all outboxes empty)', 30_000, 100);

    // ---- what the database holds
    const generated = fleet.reduce((s, gw) => s + gw.generated, 0);
    const [{ n, distinct }] = (await db.query<{ n: number; distinct: number }>('SELECT count(*)::int AS n, count(DISTINCT (sensor, ts))::int AS distinct FROM readings')) as [{ n: number; distinct: number }];
    const perGateway = await db.query<{ gateway: string; batches: number; max_seq: number; readings: number; out_of_order: number }>(
      `SELECT gateway, count(*)::int AS batches, max(seq)::int AS max_seq, sum(readings)::int AS readings,
              count(*) FILTER (WHERE received_at < prev)::int AS out_of_order
       FROM (SELECT *, lag(received_at) OVER (PARTITION BY gateway ORDER BY seq) AS prev FROM uplink_batches) x
       GROUP BY gateway ORDER BY gateway`);
    const batchRows = perGateway.reduce((s, r) => s + r.batches, 0);
    const alerts = await db.query<{ id: string; state: string }>('SELECT id, state FROM alerts ORDER BY id');
    const committedByB = await b.metric(committed);
    const duplicatesAtB = await b.metric('stockpulse_cloud_batches_duplicate_total');
    const resends = fleet.reduce((s, gw) => s + gw.uplink.stats.resends, 0);
    const acked = fleet.reduce((s, gw) => s + gw.uplink.stats.batchesAcked, 0);
    const crossAtB = crossEvents(sseB, originA);

    console.log([
      '', 'scale-out: two cloud instances, $share/ingest on Mosquitto, one PostgreSQL',
      ...[
        ['gateways × readings', `${GATEWAYS} × ${generated / GATEWAYS}`],
        ['readings generated / in cloud / duplicates', `${generated} / ${n} / ${n - distinct}`],
        ['batches committed (rows) / acked by the cloud', `${batchRows} / ${acked}`],
        ['committed by A (kill -9 at ' + killedAt + ' ms) / by B', `${committedByA} / ${committedByB}`],
        ['gateway resends / duplicates acked by B', `${resends} / ${duplicatesAtB}`],
        ['batches committed out of seq order', perGateway.reduce((s, r) => s + r.out_of_order, 0)],
        ['live events from the other instance (at A / at B)', `${crossAtA} / ${crossAtB}`],
      ].map(([k, v]) => `  ${String(k).padEnd(52)} ${v}`),
    ].join('\n'));

    // exactly once: every reading once, every seq once with no gap, the readings of the batches add up
    expect(n).toBe(generated);
    expect(distinct).toBe(n);
    expect(perGateway).toHaveLength(GATEWAYS);
    for (const [g, r] of perGateway.entries()) {
      const gw = fleet.find((x) => x.id === r.gateway)!;
      expect(r, r.gateway).toMatchObject({ batches: r.max_seq, readings: gw.generated, out_of_order: 0 });
      expect(gw.uplink.stats.batchesAcked, `${r.gateway} acks (gateway ${g})`).toBe(r.batches);
      expect(gw.outbox.depth()).toBe(0);
    }
    // each batch was committed by exactly one instance, and both took a share
    expect(committedByA + committedByB).toBe(batchRows);
    expect(committedByA).toBeGreaterThan(0);
    expect(committedByB).toBeGreaterThan(0);
    // the batch A held died with it: it went again and B committed it
    expect(resends).toBeGreaterThan(0);
    // raise and clear arrived in order through both instances
    expect(alerts).toEqual(fleet.map((gw) => ({ id: `${gw.id}-high-1`, state: 'cleared' })));
    // a browser on either instance sees what the other committed
    expect(crossAtA).toBeGreaterThan(0);
    expect(crossAtB).toBeGreaterThan(0);
    // the survivor logged no crash
    expect(readFileSync(join(dir, 'cloud-b.log'), 'utf8')).not.toMatch(/"level":(50|60)/);
  });
});
