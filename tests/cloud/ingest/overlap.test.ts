import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { startCloud, type Cloud } from '../../../cloud/cloud.ts';
import { cloudConfigFromEnv } from '../../../cloud/config.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../edge/broker/embedded-broker.ts';
import { PROTOCOL_VERSION, topics, type UplinkAck, type UplinkBatchInput } from '../../../protocols/uplink/contract.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { waitFor } from '../../helpers/net.ts';
import { registerGateway } from '../../helpers/gateways.ts';

// Overlap (issue #12, the drain after an outage): the cloud stores a stream's readings-only
// batches side by side instead of one after the other (handed to the group commit at once, which
// still commits them in seq order, a run of big ones in one transaction). What the edge relies on is unchanged:
// acks are cumulative at the edge, so an ack of seq n must mean every batch up to n is stored.
// Checked here through the real broker and the real ingest: acks leave in seq order, and when
// a batch in the middle fails, nothing above it is acked — the batches after it that were stored
// meanwhile are answered `gap` (settling nothing), and their resends are acked as duplicates.

const GW = 'gw-overlap';
const STREAM = 'stream-overlap';
const T0 = Date.parse('2026-11-21T10:00:00Z');

let broker: EmbeddedBroker;
let tdb: TestDatabase;
let cloud: Cloud;
let edge: MqttClient;
const acks: UplinkAck[] = [];

const batch = (seq: number, readings: UplinkBatchInput['readings'], extra: Partial<UplinkBatchInput> = {}): UplinkBatchInput =>
  ({ v: PROTOCOL_VERSION, gateway: GW, stream: STREAM, seq, sentAt: Date.now(), readings, alerts: [], ...extra });
const readings = (sensor: string, from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({ sensor, kind: 'temperature' as const, ts: T0 + (from + i) * 1000, value: 4, quality: 'good' as const }));
const send = (b: unknown) => edge.publishAsync(topics.batch(GW), JSON.stringify(b), { qos: 1 });
const count = async (sensor: string) => (await tdb.db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings WHERE sensor = $1', [sensor]))[0]!.n;

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  tdb = await testDatabase();
  await registerGateway(tdb.db, GW);
  const config = cloudConfigFromEnv({}, { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', MQTT_URL: broker.url, STOCKPULSE_INGEST_OVERLAP: '3' });
  cloud = await startCloud({ config, log: pino({ level: 'silent' }), db: tdb.db });
  edge = await mqtt.connectAsync(broker.url, { clientId: 'overlap-edge' });
  edge.on('message', (_t, p) => acks.push(JSON.parse(p.toString())));
  await edge.subscribeAsync(topics.ack(GW), { qos: 1 });
  // the stream opens with a manifest (the sensors become this gateway's), seq 1
  await send(batch(1, [], { manifest: { site: 's', zones: [{ id: 'z', name: 'Z', profile: { low: 0, high: 8 }, delaySec: 60, hysteresis: 0.5 }],
    sensors: ['o-a', 'o-b', 'poison'].map((id) => ({ id, zone: 'z', kind: 'temperature' as const, unit: '°C', protocol: 'mqtt-json' })) } }));
  await waitFor(() => acks.some((a) => a.seq === 1 && a.status === 'committed'), 'manifest committed');
});

afterAll(async () => {
  await edge?.endAsync();
  await cloud?.stop();
  await tdb?.cleanup();
  await broker?.close();
});

describe(`readings-only batches of one stream stored side by side (${engineLabel})`, () => {
  it('eight batches sent at once: every one committed, the acks published in seq order', async () => {
    const from = acks.length;
    for (let seq = 2; seq <= 9; seq++) await send(batch(seq, readings('o-a', seq * 1000, 300)));
    await waitFor(() => acks.filter((a) => a.seq === 9).length > 0, 'ack 9');
    const got = acks.slice(from);
    expect(got.map((a) => a.seq)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(got.every((a) => a.status === 'committed')).toBe(true);
    expect(await count('o-a')).toBe(8 * 300);
    // and committed in seq order too (group-commit.ts: a gateway's next group waits for the COMMIT
    // of the one holding it; on PostgreSQL a run of these 300-reading batches commits as one)
    const commits = await tdb.db.query<{ seq: number; late: boolean }>(
      `SELECT seq::int AS seq, received_at < lag(received_at) OVER (ORDER BY seq) AS late FROM uplink_batches WHERE gateway = $1 ORDER BY seq`, [GW]);
    expect(commits.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(commits.filter((c) => c.late)).toEqual([]);
  });

  it('a batch that fails in the middle: nothing above it is acked, the batches stored after it are answered gap, their resends are duplicates', async () => {
    // every attempt at a reading of sensor `poison` fails as a passing fault would (no ack, the edge resends)
    await tdb.db.exec(`
      CREATE OR REPLACE FUNCTION test_overlap_fault() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.sensor = 'poison' THEN RAISE EXCEPTION 'test: could not serialize access' USING ERRCODE = '40001'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER test_overlap_fault BEFORE INSERT ON readings FOR EACH ROW EXECUTE FUNCTION test_overlap_fault();`);
    const from = acks.length;
    await send(batch(10, readings('o-b', 0, 200)));
    await send(batch(11, readings('poison', 0, 200)));
    await send(batch(12, readings('o-b', 200, 200)));
    await send(batch(13, readings('o-b', 400, 200)));
    await waitFor(() => acks.slice(from).some((a) => a.seq === 13), 'an answer for 13');
    const first = acks.slice(from);
    expect(first.find((a) => a.seq === 10)?.status).toBe('committed');
    expect(first.filter((a) => a.seq === 11)).toEqual([]); // failed: no ack
    for (const seq of [12, 13]) expect(first.filter((a) => a.seq === seq)).toEqual([expect.objectContaining({ status: 'gap', expected: 11 })]);
    // 12 and 13 were stored all the same (readings are order-free); only their acks waited
    expect(await count('o-b')).toBe(600);

    await tdb.db.exec('DROP TRIGGER test_overlap_fault ON readings; DROP FUNCTION test_overlap_fault();');
    const again = acks.length;
    // the edge resends from the batch that was not acked, as its window does
    for (const seq of [11, 12, 13]) await send(batch(seq, seq === 11 ? readings('poison', 0, 200) : readings('o-b', (seq - 12) * 200 + 200, 200)));
    await waitFor(() => acks.slice(again).some((a) => a.seq === 13), 'the resends answered');
    expect(acks.slice(again).map((a) => [a.seq, a.status])).toEqual([[11, 'committed'], [12, 'duplicate'], [13, 'duplicate']]);
    expect(await count('poison')).toBe(200);
    expect(await count('o-b')).toBe(600);
  });
});
