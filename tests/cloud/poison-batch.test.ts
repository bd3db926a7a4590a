import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../edge/broker/embedded-broker.ts';
import { MqttIngest } from '../../cloud/ingest/mqtt-ingest.ts';
import { createCloudMetrics } from '../../cloud/metrics.ts';
import { PROTOCOL_VERSION, topics, type UplinkAck, type UplinkBatchInput } from '../../protocols/uplink/contract.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../helpers/db.ts';
import { faultyDb, sqlError, type FaultyDb } from '../helpers/faulty-db.ts';
import { waitFor } from '../helpers/net.ts';
import { registerGateway } from '../helpers/gateways.ts';

// The cloud never lets one bad item hold a stream (issue #11). A batch the database refuses for a
// reason that will not change on resend (here: a NUL in an alert message, sent raw on the batch
// topic, which zod accepts and PostgreSQL/PGlite cannot store) is stored item by item: everything
// else commits, only that item is dead-lettered with its reason, the batch is acked and the next
// seq is accepted. A passing fault (deadlock, lost connection) is still retried: no ack, the edge
// resends. A fault that keeps coming back shows in health and raises uplink_stalled.

const GW = 'gw-poison';
const T0 = Date.parse('2026-11-20T10:00:00Z');
const log = pino({ level: 'silent' });

let broker: EmbeddedBroker;
let tdb: TestDatabase;
let faulty: FaultyDb;
let ingest: MqttIngest;
let cloudClient: MqttClient;
let edge: MqttClient;
const metrics = createCloudMetrics();
const acks: UplinkAck[] = [];

const manifest = {
  site: 'bakery',
  zones: [{ id: 'chiller', name: 'Chiller', profile: { low: 2, high: 8 }, delaySec: 60, hysteresis: 0.5 }],
  sensors: [{ id: 'c-t1', zone: 'chiller', kind: 'temperature', unit: '°C', protocol: 'mqtt-json' }, { id: 'c-t2', zone: 'chiller', kind: 'temperature', unit: '°C', protocol: 'mqtt-json' }],
  devices: [{ id: 'probe', protocol: 'mqtt-json', heartbeatSec: 10, sensors: ['c-t1', 'c-t2'] }],
};
const readings = (n: number, from = T0) => Array.from({ length: n }, (_, i) => ({ sensor: i % 2 ? 'c-t2' : 'c-t1', kind: 'temperature' as const, ts: from + i * 1000, value: 4 + (i % 10) / 10, quality: 'good' as const }));
const alert = (id: string, message: string) => ({ id, transition: 'raised' as const, rule: 'high' as const, zone: 'chiller', sensor: 'c-t1', severity: 'warning' as const, ts: T0, since: T0, value: 9, threshold: 8, message });

function batch(stream: string, seq: number, extra: Partial<UplinkBatchInput> = {}): UplinkBatchInput {
  return { v: PROTOCOL_VERSION, gateway: GW, stream, seq, sentAt: Date.now(), readings: [], alerts: [], ...extra };
}
const send = (b: unknown) => edge.publishAsync(topics.batch(GW), JSON.stringify(b), { qos: 1 });
const ackFor = (stream: string, seq: number) => waitFor(() => acks.find((a) => a.stream === stream && a.seq === seq), `ack ${stream}/${seq}`);
const count = async (sql: string, params: unknown[] = []) => (await tdb.db.query<{ n: number }>(sql, params))[0]!.n;
const deadLetters = () => tdb.db.query<{ code: string; reason: string; payload: string }>(`SELECT code, reason, payload FROM dead_letters WHERE source = $1 ORDER BY id`, [`uplink:${GW}`]);

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  tdb = await testDatabase();
  await registerGateway(tdb.db, GW, { site: 'bakery' });
  // the fault point: the batch's first statement, only while a test arms it
  faulty = faultyDb(tdb.db, (sql) => sql.includes('INSERT INTO uplink_batches'), () => fault());
  cloudClient = await mqtt.connectAsync(broker.url);
  ingest = new MqttIngest({ db: faulty.db, client: cloudClient, log, targets: [], metrics, stallAfterSec: 0.6, maxRetries: 3 });
  await ingest.start();
  edge = await mqtt.connectAsync(broker.url);
  await edge.subscribeAsync(topics.ack(GW), { qos: 1 });
  edge.on('message', (_t, p) => acks.push(JSON.parse(p.toString())));
});

afterAll(async () => {
  await edge?.endAsync();
  await ingest?.stop();
  await cloudClient?.endAsync();
  await broker?.close();
  await tdb?.cleanup();
});

let fault = () => sqlError('40P01', 'deadlock detected');

describe(`a batch with one item the database refuses (${engineLabel})`, () => {
  it('stores everything else, dead-letters only that item, acks, and takes the next seq', { timeout: 30_000 }, async () => {
    const first = batch('s1', 1, {
      manifest, readings: readings(40),
      alerts: [alert('chiller:high:c-t1:1', 'chiller too warm'), alert('chiller:high:c-t2:1', 'forged \u0000 message'), alert('chiller:high:c-t1:2', 'still warm')],
      devices: [{ device: 'probe', ts: T0, state: 'online', lastSeen: T0 }],
    });
    await send(first);
    const ack = await ackFor('s1', 1);
    expect(ack).toMatchObject({ status: 'committed', rejectedItems: 1 });
    expect(await count('SELECT count(*)::int AS n FROM readings')).toBe(40);
    expect((await tdb.db.query<{ id: string }>('SELECT id FROM alerts ORDER BY id')).map((a) => a.id)).toEqual(['chiller:high:c-t1:1', 'chiller:high:c-t1:2']);
    expect(await count(`SELECT count(*)::int AS n FROM devices WHERE id = 'probe' AND state = 'online'`)).toBe(1);
    expect(await count(`SELECT count(*)::int AS n FROM zones WHERE id = 'chiller'`)).toBe(1);
    const dl = await deadLetters();
    expect(dl).toHaveLength(1);
    expect(dl[0]!.code).toBe('SP_ERR_UPLINK_BATCH');
    expect(dl[0]!.reason).toMatch(/^alerts\.1: .*SQLSTATE 22021/);
    expect(JSON.parse(dl[0]!.payload).value.message).toBe('forged \u0000 message'); // kept whole
    expect(await metrics.itemsRejected.get()).toMatchObject({ values: [{ value: 1 }] });

    // the stream goes on: seq 2 is a normal batch, committed
    await send(batch('s1', 2, { readings: readings(5, T0 + 100_000) }));
    expect(await ackFor('s1', 2)).toMatchObject({ status: 'committed' });
    expect(await count('SELECT count(*)::int AS n FROM readings')).toBe(45);
    // a resend of the bad batch (the same content: a different one would be a seq conflict) is a
    // duplicate: nothing is stored twice, no second dead letter
    await send(first);
    await waitFor(() => acks.filter((a) => a.stream === 's1' && a.seq === 1).length === 2, 'second ack of seq 1');
    expect(acks.filter((a) => a.seq === 1 && a.stream === 's1')[1]!.status).toBe('duplicate');
    expect(await deadLetters()).toHaveLength(1);
  });

  it('bisects the readings down to the bad ones and keeps the rest of the same batch', { timeout: 30_000 }, async () => {
    const rs = readings(64, T0 + 200_000);
    rs[17] = { ...rs[17]!, sensor: 'bad\u0000sensor' };
    rs[50] = { ...rs[50]!, sensor: 'bad\u0000sensor-2' };
    const before = await count('SELECT count(*)::int AS n FROM readings');
    await send(batch('s2', 1, { readings: rs }));
    expect(await ackFor('s2', 1)).toMatchObject({ status: 'committed', rejectedItems: 2 });
    expect(await count('SELECT count(*)::int AS n FROM readings')).toBe(before + 62);
    const reasons = (await deadLetters()).map((d) => d.reason).filter((r) => r.startsWith('readings.'));
    expect(reasons.map((r) => r.split(':')[0])).toEqual(['readings.17', 'readings.50']);
  });

  it('an item breaking the contract costs that item only: the rest of its batch is stored', { timeout: 30_000 }, async () => {
    const rs: unknown[] = readings(6, T0 + 300_000);
    rs[2] = { ...(rs[2] as object), value: 'NaN' };
    const before = await count('SELECT count(*)::int AS n FROM readings');
    await send(batch('s4', 1, { readings: rs as never, alerts: [{ ...alert('chiller:bogus:1', 'x'), rule: 'bogus' } as never, alert('chiller:high:c-t1:9', 'ok')] }));
    expect(await ackFor('s4', 1)).toMatchObject({ status: 'committed', rejectedItems: 2 });
    expect(await count('SELECT count(*)::int AS n FROM readings')).toBe(before + 5);
    expect(await count(`SELECT count(*)::int AS n FROM alerts WHERE id = 'chiller:high:c-t1:9'`)).toBe(1);
    const reasons = (await deadLetters()).slice(-2).map((d) => d.reason);
    expect(reasons[0]).toMatch(/^readings\.2: contract: value/);
    expect(reasons[1]).toMatch(/^alerts\.0: contract: rule/);
  });

  it('a batch whose key itself cannot be stored is rejected whole, kept whole, and the next one goes on', { timeout: 30_000 }, async () => {
    await send(batch('s3\u0000', 1, { readings: readings(3, T0 + 400_000) }));
    const ack = await ackFor('s3\u0000', 1);
    expect(ack).toMatchObject({ status: 'rejected', error: { code: 'SP_ERR_UPLINK_BATCH' } });
    const last = (await deadLetters()).at(-1)!;
    expect(last.payload).toContain('s3\\u0000'); // the NUL escaped, nothing lost
    await send(batch('s3', 1, { readings: readings(3, T0 + 400_000) }));
    expect(await ackFor('s3', 1)).toMatchObject({ status: 'committed' });
  });
});

describe(`a transient fault (${engineLabel})`, () => {
  it('is retried: no ack while the database fails, committed on the resend once it recovers', { timeout: 30_000 }, async () => {
    fault = () => sqlError('08006', 'connection failure');
    faulty.armed = true;
    const hits = faulty.hits;
    await send(batch('t1', 1, { readings: readings(4, T0 + 500_000) }));
    await waitFor(() => faulty.hits >= hits + 1, 'the commit attempted');
    await ingest.drain();
    expect(acks.find((a) => a.stream === 't1')).toBeUndefined(); // no ack: the edge will resend
    // resends keep failing: counted per (gateway, stream, seq); never stored item by item
    await send(batch('t1', 1, { readings: readings(4, T0 + 500_000) }));
    await send(batch('t1', 1, { readings: readings(4, T0 + 500_000) }));
    await send(batch('t1', 1, { readings: readings(4, T0 + 500_000) }));
    await waitFor(() => faulty.hits >= hits + 4, 'four attempts');
    await ingest.drain();
    expect(acks.find((a) => a.stream === 't1')).toBeUndefined();
    const g = ingest.health().gateways.find((x) => x.gateway === GW)!;
    expect(g.attempts).toBe(4);
    // past the threshold (0.6 s here): health says stalled and the cloud raises uplink_stalled
    await waitFor(() => ingest.health().stalled.includes(GW), 'gateway reported stalled');
    await waitFor(async () => (await count(`SELECT count(*)::int AS n FROM alerts WHERE rule = 'uplink_stalled' AND state = 'active' AND zone = $1`, [`gateway:${GW}`])) === 1, 'uplink_stalled raised');
    expect((await metrics.batchFailures.get()).values.find((v) => v.labels.fault === 'connection')?.value).toBeGreaterThanOrEqual(4);

    faulty.armed = false;
    await send(batch('t1', 1, { readings: readings(4, T0 + 500_000) }));
    expect(await ackFor('t1', 1)).toMatchObject({ status: 'committed' });
    expect(ingest.health().stalled).toEqual([]);
    expect(ingest.health().oldestUnackedSec).toBe(0);
    await waitFor(async () => (await count(`SELECT count(*)::int AS n FROM alerts WHERE rule = 'uplink_stalled' AND state = 'cleared'`)) === 1, 'uplink_stalled cleared');
  });

  it('a passing fault that keeps coming back is not retried for ever: past maxRetries the batch is stored item by item', { timeout: 30_000 }, async () => {
    fault = () => sqlError('40P01', 'deadlock detected');
    faulty.armed = true;
    for (let i = 0; i < 2; i++) await send(batch('t2', 1, { readings: readings(4, T0 + 600_000) }));
    await waitFor(() => ingest.health().gateways.find((x) => x.gateway === GW)?.attempts === 2, 'two attempts');
    await ingest.drain();
    expect(acks.find((a) => a.stream === 't2')).toBeUndefined();
    // third attempt = maxRetries: item by item. The key insert still fails (the fault is armed),
    // so the batch is refused whole with its reason and kept — the stream is not held.
    await send(batch('t2', 1, { readings: readings(4, T0 + 600_000) }));
    expect(await ackFor('t2', 1)).toMatchObject({ status: 'rejected', error: { code: 'SP_ERR_UPLINK_BATCH' } });
    expect((await deadLetters()).at(-1)!.reason).toMatch(/40P01/);
    faulty.armed = false;
  });
});
