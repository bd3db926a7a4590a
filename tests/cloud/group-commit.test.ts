import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../edge/broker/embedded-broker.ts';
import { MqttIngest } from '../../cloud/ingest/mqtt-ingest.ts';
import { createCloudMetrics } from '../../cloud/metrics.ts';
import { PROTOCOL_VERSION, topics, type UplinkAck, type UplinkBatchInput } from '../../protocols/uplink/contract.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../helpers/db.ts';
import { faultyDb, sqlError, type FaultyDb } from '../helpers/faulty-db.ts';
import { registerGateway } from '../helpers/gateways.ts';
import { waitFor } from '../helpers/net.ts';

// Group commit (issue #16): many gateways' small batches that arrive together are committed in
// one transaction and each is acked only after it. What a site relies on: every batch acked once,
// every reading stored once and in order, and a neighbour's bad batch (garbage, a forged seq, an
// item the database refuses) costs only that neighbour. A lost connection fails the group: nothing
// is acked, and the resends are committed exactly once.

const G = 24;
const ROUNDS = 5;
const T0 = Date.parse('2026-11-20T10:00:00Z');
const gw = (g: number) => `gc-gw-${g}`;
const sensor = (g: number) => `gc-s${g}`;

let broker: EmbeddedBroker;
let tdb: TestDatabase;
let faulty: FaultyDb;
let ingest: MqttIngest;
let cloud: MqttClient;
const edges: MqttClient[] = [];
const acks: UplinkAck[] = [];
const metrics = createCloudMetrics();
let fault = () => sqlError('08006', 'connection failure');

const manifest = (g: number) => ({
  site: `shop-${g}`,
  zones: [{ id: `gc-z${g}`, name: `zone ${g}`, profile: { low: 2, high: 8 }, delaySec: 60, hysteresis: 0.5 }],
  sensors: [{ id: sensor(g), zone: `gc-z${g}`, kind: 'temperature', unit: '°C', protocol: 'mqtt-json' }],
  devices: [],
});
function batch(g: number, seq: number, extra: Partial<UplinkBatchInput> = {}): UplinkBatchInput {
  const readings = Array.from({ length: 10 }, (_, i) => ({ sensor: sensor(g), kind: 'temperature' as const, ts: T0 + ((seq - 1) * 10 + i) * 1000, value: 4 + i / 10, quality: 'good' as const }));
  return { v: PROTOCOL_VERSION, gateway: gw(g), stream: 'st', seq, sentAt: Date.now(), readings, alerts: [], ...(seq === 1 ? { manifest: manifest(g) } : {}), ...extra };
}
const send = (g: number, b: unknown) => edges[g]!.publishAsync(topics.batch(gw(g)), typeof b === 'string' ? b : JSON.stringify(b), { qos: 1 });
const acksOf = (g: number, seq: number) => acks.filter((a) => a.gateway === gw(g) && a.seq === seq);
const rows = (g: number) => tdb.db.query<{ ms: number }>(`SELECT (extract(epoch FROM ts) * 1000)::float8 AS ms FROM readings WHERE sensor = $1 ORDER BY ts`, [sensor(g)]);
const groups = async () => {
  const m = (await metrics.groupSize.get()).values;
  return { count: m.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0, sum: m.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0 };
};

/** every gateway sends stop-and-wait, as the edge does: the next seq after the ack of the last */
async function closedLoop(from: number, to: number, only: number[] = [...Array(G).keys()]): Promise<void> {
  await Promise.all(only.map(async (g) => {
    for (let seq = from; seq <= to; seq++) {
      await send(g, batch(g, seq));
      await waitFor(() => acksOf(g, seq).length > 0, `ack ${gw(g)}/${seq}`);
    }
  }));
}

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  tdb = await testDatabase();
  for (let g = 0; g < G; g++) await registerGateway(tdb.db, gw(g), { site: `shop-${g}` });
  faulty = faultyDb(tdb.db, (sql) => sql.includes('INSERT INTO uplink_batches'), () => fault());
  cloud = await mqtt.connectAsync(broker.url);
  ingest = new MqttIngest({ db: faulty.db, client: cloud, log: pino({ level: 'silent' }), targets: [], metrics, maxRetries: 3, groupCommit: true });
  await ingest.start();
  for (let g = 0; g < G; g++) {
    const c = await mqtt.connectAsync(broker.url);
    await c.subscribeAsync(topics.ack(gw(g)), { qos: 1 });
    c.on('message', (_t, p) => acks.push(JSON.parse(p.toString())));
    edges.push(c);
  }
});

afterAll(async () => {
  for (const e of edges) await e.endAsync();
  await ingest?.stop();
  await cloud?.endAsync();
  await broker?.close();
  await tdb?.cleanup();
});

describe(`group commit across gateways (${engineLabel})`, () => {
  it('acks every batch once, stores every reading once and in order, in fewer transactions than batches', { timeout: 60_000 }, async () => {
    await closedLoop(1, ROUNDS);
    await ingest.drain();
    for (let g = 0; g < G; g++) {
      for (let seq = 1; seq <= ROUNDS; seq++) expect(acksOf(g, seq).map((a) => a.status)).toEqual(['committed']);
      const r = await rows(g);
      expect(r.map((x) => x.ms)).toEqual(Array.from({ length: ROUNDS * 10 }, (_, i) => T0 + i * 1000));
    }
    const { count, sum } = await groups();
    expect(sum).toBe(G * ROUNDS);
    expect(count).toBeLessThan(G * ROUNDS); // batches shared transactions
  });

  it('a garbage batch, a forged seq and a batch the database refuses in the middle of a group cost only themselves', { timeout: 60_000 }, async () => {
    const before = await groups();
    const seq = ROUNDS + 1;
    // all in one burst, so they land in the same group(s)
    await Promise.all([
      ...[...Array(G).keys()].filter((g) => g > 2).map((g) => send(g, batch(g, seq))),
      send(0, '\u0000garbage{'),                                                        // unreadable: dead-lettered, no ack possible
      send(1, batch(1, 1, { readings: [{ sensor: sensor(1), kind: 'temperature', ts: T0, value: 99, quality: 'good' }] })), // seq 1 with other content: forged
      send(2, batch(2, seq, { alerts: [{ id: 'gc:nul', transition: 'raised', rule: 'high', zone: 'gc-z2', sensor: sensor(2), severity: 'warning', ts: T0, since: T0, value: 9, threshold: 8, message: 'bad \u0000 text' }] })),
    ]);
    for (let g = 3; g < G; g++) await waitFor(() => acksOf(g, seq).length > 0, `ack ${gw(g)}/${seq}`);
    for (let g = 3; g < G; g++) expect(acksOf(g, seq).map((a) => a.status)).toEqual(['committed']);
    // the forged one: refused alone, its seq 1 untouched
    const forged = await waitFor(() => acks.filter((a) => a.gateway === gw(1) && a.seq === 1)[1], 'ack of the forged seq');
    expect(forged).toMatchObject({ status: 'rejected', error: { code: 'SP_ERR_UPLINK_SEQ_CONFLICT' } });
    expect((await rows(1)).find((r) => r.ms === T0)).toBeDefined();
    expect((await tdb.db.query<{ value: number }>(`SELECT value FROM readings WHERE sensor = $1 AND ts = to_timestamp($2 / 1000.0)`, [sensor(1), T0]))[0]!.value).not.toBe(99);
    // the NUL alert: only that item lost, its readings stored (item-wise, as without group commit)
    const bad = await waitFor(() => acksOf(2, seq)[0], 'ack of the batch with a NUL');
    expect(bad).toMatchObject({ status: 'committed', rejectedItems: 1 });
    expect(await rows(2)).toHaveLength(seq * 10);
    // the garbage: dead-lettered
    await waitFor(async () => (await tdb.db.query(`SELECT 1 FROM dead_letters WHERE source = $1`, [`uplink:${gw(0)}`])).length > 0, 'garbage dead-lettered');
    const after = await groups();
    expect(after.sum - before.sum).toBeGreaterThanOrEqual(G - 2);
    expect((await metrics.groupIsolated.get()).values[0]!.value).toBeGreaterThanOrEqual(1);
  });

  it('a lost connection fails the whole group: nothing acked; the resends commit exactly once', { timeout: 60_000 }, async () => {
    const seq = ROUNDS + 2;
    const who = [...Array(G).keys()].filter((g) => g > 2);
    faulty.armed = true;
    const hitsBefore = faulty.hits;
    const acked = acks.length;
    await Promise.all(who.map((g) => send(g, batch(g, seq))));
    await waitFor(() => faulty.hits - hitsBefore >= 1 && ingest.progress.health().gateways.filter((x) => who.includes(Number(x.gateway.slice(6)))).every((x) => x.attempts >= 1), 'the group attempted');
    await ingest.drain();
    expect(acks.length).toBe(acked);
    faulty.armed = false;
    await Promise.all(who.map((g) => send(g, batch(g, seq)))); // the edges resend
    for (const g of who) await waitFor(() => acksOf(g, seq).length > 0, `ack ${gw(g)}/${seq}`);
    for (const g of who) {
      expect(acksOf(g, seq).map((a) => a.status)).toEqual(['committed']);
      expect(await rows(g)).toHaveLength(seq * 10);
      expect((await tdb.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM uplink_batches WHERE gateway = $1 AND seq = $2`, [gw(g), seq]))[0]!.n).toBe(1);
    }
  });
});
