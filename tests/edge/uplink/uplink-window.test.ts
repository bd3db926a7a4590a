import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../edge/broker/embedded-broker.ts';
import { SqliteOutbox } from '../../../edge/outbox/sqlite-outbox.ts';
import { Uplink } from '../../../edge/uplink/uplink.ts';
import { topics } from '../../../protocols/uplink/contract.ts';
import { MemoryDeadLetters } from '../../../edge/dead-letters.ts';
import type { OutboxEntry } from '../../../edge/outbox/queue.ts';
import { startCloud, type Cloud } from '../../../cloud/cloud.ts';
import { cloudConfigFromEnv } from '../../../cloud/config.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { waitFor } from '../../helpers/net.ts';
import { quietFor } from '../../helpers/pause.ts';
import { registerGateway } from '../../helpers/gateways.ts';

// The seq window (issue #12): catching up after an outage, the uplink keeps several batches in
// flight instead of waiting for each ack, and the guarantees stay: every reading stored exactly
// once, the stream's batches committed in seq order, and a gateway stopped with batches in
// flight resends exactly those (same seq, same entries) after its restart.

const log = pino({ level: 'silent' });
const GW = 'gw-window';
const T0 = Date.parse('2026-11-28T00:00:00Z');
const SENSORS = 8;

let broker: EmbeddedBroker;
let tdb: TestDatabase;
let cloud: Cloud;
let dir: string;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  tdb = await testDatabase();
  await registerGateway(tdb.db, GW, { site: 'site-w' });
  dir = mkdtempSync(join(tmpdir(), 'sp-window-'));
  const cfg = cloudConfigFromEnv({}, { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', MQTT_URL: broker.url, STOCKPULSE_MQTT_ALERTS: 'false' });
  cloud = await startCloud({ config: cfg, log, db: tdb.db });
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  await cloud?.stop();
  await broker?.close();
  await tdb?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const readings = (from: number, n: number): OutboxEntry[] => Array.from({ length: n }, (_, k) => {
  const i = from + k;
  return { type: 'reading', reading: { sensor: `w-s${i % SENSORS}`, kind: 'temperature', ts: T0 + Math.floor(i / SENSORS) * 1000, value: i, quality: 'good' } };
});
const stored = async () => (await tdb.db.query<{ n: number; distinct_values: number }>(
  'SELECT count(*)::int AS n, count(DISTINCT value)::int AS distinct_values FROM readings WHERE gateway = $1', [GW]))[0]!;

async function startUplink(outbox: SqliteOutbox, window: number): Promise<{ uplink: Uplink; client: MqttClient; maxInFlight: () => number }> {
  const client = await mqtt.connectAsync(broker.url, { clientId: `${GW}-${Math.random().toString(36).slice(2)}` });
  const uplink = new Uplink({ gateway: GW, client, outbox, log, deadLetters: new MemoryDeadLetters(), flushMs: 20, batchMaxItems: 250, ackTimeoutMs: 2000, window });
  let max = 0;
  const watch = setInterval(() => { max = Math.max(max, uplink.inFlightBatches()); }, 1);
  cleanups.push(async () => { clearInterval(watch); await uplink.stop(); await client.endAsync(); });
  await uplink.start();
  return { uplink, client, maxInFlight: () => max };
}

describe(`the uplink's seq window (${engineLabel})`, () => {
  it('drains a backlog with several batches in flight, each reading stored once, the batches committed in seq order', async () => {
    const outbox = SqliteOutbox.open(join(dir, 'drain.sqlite'));
    cleanups.push(async () => outbox.close());
    outbox.append(readings(0, 8000)); // held while the link was down: 32 batches of 250
    const { uplink, maxInFlight } = await startUplink(outbox, 4);
    await waitFor(() => uplink.idle(), 'the backlog drained', 60_000, 10);

    expect(await stored()).toEqual({ n: 8000, distinct_values: 8000 });
    expect(uplink.stats.batchesAcked).toBe(32);
    expect(maxInFlight()).toBeGreaterThan(1); // a window, not stop-and-wait
    expect(maxInFlight()).toBeLessThanOrEqual(4);
    // committed in seq order. received_at is the start of the transaction that committed the key:
    // a run's transaction starts after the one it follows began, and should that one fail, the
    // follower rolls back and starts again after it (group-commit.ts), so it rises with seq
    const keys = await tdb.db.query<{ seq: number }>('SELECT seq FROM uplink_batches WHERE gateway = $1 AND stream = $2 ORDER BY received_at, seq', [GW, outbox.stream]);
    expect(keys.map((k) => Number(k.seq))).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    const [gw] = await tdb.db.query<{ last_seq: number }>('SELECT last_seq FROM gateways WHERE id = $1', [GW]);
    expect(Number(gw!.last_seq)).toBe(32);
  });

  it('a gateway stopped with batches in flight resends exactly those after its restart: nothing lost, nothing twice', async () => {
    const path = join(dir, 'restart.sqlite');
    let outbox = SqliteOutbox.open(path);
    outbox.append(readings(100_000, 5000));
    const first = await startUplink(outbox, 6);
    await waitFor(() => first.uplink.stats.batchesAcked >= 3 && first.uplink.inFlightBatches() >= 2, 'some batches acked and more in flight', 30_000, 1);
    await first.uplink.stop(); // as a kill would: the window is left in the file
    await first.client.endAsync(true);
    const held = outbox.handedOut();
    expect(held.length).toBeGreaterThan(0);
    outbox.close();

    outbox = SqliteOutbox.open(path);
    cleanups.push(async () => outbox.close());
    expect(outbox.handedOut()).toEqual(held); // same seqs, same entries
    const second = await startUplink(outbox, 6);
    await waitFor(() => second.uplink.idle(), 'everything acked after the restart', 60_000, 10);

    const [n] = await tdb.db.query<{ n: number; distinct_values: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT value)::int AS distinct_values FROM readings WHERE gateway = $1 AND value >= 100000', [GW]);
    expect(n).toEqual({ n: 5000, distinct_values: 5000 });
    const [keys] = await tdb.db.query<{ n: number; max: number }>('SELECT count(*)::int AS n, max(seq)::int AS max FROM uplink_batches WHERE gateway = $1 AND stream = $2', [GW, outbox.stream]);
    expect(keys).toEqual({ n: 20, max: 20 });
  });
});

describe('the ack timeout backs off while no ack comes', () => {
  it('a cloud that answers nothing is sent the window again at growing intervals, not every ackTimeoutMs', async () => {
    // a broker of its own, no cloud on it: the batches go nowhere but to the counter below
    const quiet = await startEmbeddedBroker();
    cleanups.push(() => quiet.close());
    const gw = 'gw-unanswered';
    const watcher = await mqtt.connectAsync(quiet.url);
    cleanups.push(() => watcher.endAsync());
    const sendsAt: number[] = [];
    await watcher.subscribeAsync(topics.batch(gw), { qos: 1 });
    watcher.on('message', () => sendsAt.push(Date.now()));
    const outbox = SqliteOutbox.open(join(dir, 'unanswered.sqlite'));
    cleanups.push(async () => outbox.close());
    outbox.append(readings(0, 10));
    const client = await mqtt.connectAsync(quiet.url);
    const uplink = new Uplink({ gateway: gw, client, outbox, log, deadLetters: new MemoryDeadLetters(), flushMs: 5, batchMaxItems: 250, ackTimeoutMs: 100, window: 4 });
    cleanups.push(async () => { await uplink.stop(); await client.endAsync(); });
    await uplink.start();
    uplink.notify(true);
    await quietFor(2000, 'the cloud answers nothing: only the gateway\'s resends happen');
    // a fixed 100 ms timeout would have sent the batch ~20 times by now; backing off: at 0, 100,
    // 200, 400, 800, then every 400 ms (4×) — 8 sends
    expect(sendsAt.length).toBeGreaterThanOrEqual(4);
    expect(sendsAt.length).toBeLessThanOrEqual(10);
    const gaps = sendsAt.slice(1).map((t, i) => t - sendsAt[i]!);
    expect(gaps.at(-1)!).toBeGreaterThan(gaps[0]! * 2); // the intervals grow
  });
});
