import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { startCloud, type Cloud } from '../../../cloud/cloud.ts';
import { cloudConfigFromEnv } from '../../../cloud/config.ts';
import { canCopy, copyReadings } from '../../../cloud/ingest/copy-readings.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../edge/broker/embedded-broker.ts';
import { PROTOCOL_VERSION, topics, UplinkBatch, type UplinkAck, type UplinkBatchInput } from '../../../protocols/uplink/contract.ts';
import { engineLabel, usingPostgres, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { waitFor } from '../../helpers/net.ts';
import { registerGateway } from '../../helpers/gateways.ts';

// The readings write of an uplink batch, through the real broker and the real cloud ingest:
// on PostgreSQL it is the COPY path (cloud/ingest/copy-readings.ts), on PGlite the multi-row
// insert. Both must give the same user-visible result: exactly the batch's rows, once.

const GW = 'gw-copy';
const T0 = Date.parse('2026-11-20T10:00:00Z');
const path = usingPostgres ? 'COPY' : 'multi-row insert';

let broker: EmbeddedBroker;
let tdb: TestDatabase;
let cloud: Cloud;
let edge: MqttClient;
const acks: UplinkAck[] = [];

const manifest = {
  site: 'copy-site',
  zones: [{ id: 'chiller', name: 'Chiller', profile: { low: 2, high: 8 }, delaySec: 300, hysteresis: 0.5 }],
  sensors: [
    { id: 'c-t1', zone: 'chiller', kind: 'temperature', unit: '°C', protocol: 'mqtt-json' },
    { id: 'c-t2', zone: 'chiller', kind: 'temperature', unit: '°C', protocol: 'mqtt-json' },
  ],
};

function batch(seq: number, extra: Partial<UplinkBatchInput> = {}): UplinkBatchInput {
  return { v: PROTOCOL_VERSION, gateway: GW, stream: 'stream-copy', seq, sentAt: Date.now(), readings: [], alerts: [], ...extra };
}
const reading = (sensor: string, i: number, value = 4 + i / 100) => ({ sensor, kind: 'temperature' as const, ts: T0 + i * 1000, value, quality: 'good' as const });
const send = (b: unknown) => edge.publishAsync(topics.batch(GW), JSON.stringify(b), { qos: 1 });
const ackFor = (seq: number, n = 1) => waitFor(() => { const a = acks.filter((x) => x.seq === seq); return a.length >= n && a; }, `ack ${seq}`);
const count = async (where = 'true', params: unknown[] = []) =>
  (await tdb.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM readings WHERE ${where}`, params))[0]!.n;

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  tdb = await testDatabase();
  await registerGateway(tdb.db, GW);
  const config = cloudConfigFromEnv({}, { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', MQTT_URL: broker.url });
  cloud = await startCloud({ config, log: pino({ level: 'silent' }), db: tdb.db });
  edge = await mqtt.connectAsync(broker.url, { clientId: 'copy-edge' });
  edge.on('message', (_t, p) => acks.push(JSON.parse(p.toString())));
  await edge.subscribeAsync(topics.ack(GW), { qos: 1 });
});

afterAll(async () => {
  await edge?.endAsync();
  await cloud?.stop();
  await tdb?.cleanup();
  await broker?.close();
});

describe(`readings write on ${engineLabel} (${path})`, () => {
  it(`uses the ${path} path on this engine`, async () => {
    expect(await tdb.db.tx(async (q) => canCopy(q))).toBe(usingPostgres);
  });

  it('commits exactly the batch rows: values, zones, gateway, quality, millisecond timestamps', async () => {
    const readings = [
      ...Array.from({ length: 500 }, (_, i) => reading('c-t1', i)),
      ...Array.from({ length: 500 }, (_, i) => ({ ...reading('c-t2', i, -0.5 - 1.25e-3 * i), ts: T0 + i * 1000 + 7 })),
      { ...reading('not-in-manifest', 0), quality: 'uncertain' as const },
    ];
    await send(batch(1, { manifest, readings }));
    expect((await ackFor(1))[0]!.status).toBe('committed');
    const rows = await tdb.db.query<{ ts: number; sensor: string; zone: string; gateway: string; value: number; quality: string }>(
      `SELECT (extract(epoch FROM ts) * 1000)::float8 AS ts, sensor, zone, gateway, value, quality FROM readings ORDER BY sensor, ts`);
    const expected = readings
      .map((r) => ({ ts: r.ts, sensor: r.sensor, zone: r.sensor === 'not-in-manifest' ? 'unassigned' : 'chiller', gateway: GW, value: r.value, quality: r.quality }))
      .sort((a, b) => a.sensor.localeCompare(b.sensor) || a.ts - b.ts);
    expect(rows.map((r) => ({ ...r, ts: Math.round(r.ts) }))).toEqual(expected);
    const [t1] = await tdb.db.query<{ last_value: number }>(`SELECT last_value FROM sensors WHERE id = 'c-t1'`);
    expect(t1!.last_value).toBe(4 + 499 / 100);
  });

  it('a redelivered batch is acked duplicate and adds nothing', async () => {
    const b = batch(2, { readings: Array.from({ length: 50 }, (_, i) => reading('c-t1', 1000 + i)) });
    await send(b);
    expect((await ackFor(2))[0]!.status).toBe('committed');
    const before = await count();
    await send(b);
    expect((await ackFor(2, 2))[1]!.status).toBe('duplicate');
    expect(await count()).toBe(before);
  });

  it('duplicate (sensor, ts) inside a batch and readings stored by an earlier batch do not fail it', async () => {
    const before = await count();
    const readings = [
      reading('c-t1', 2000), reading('c-t1', 2000, 99), reading('c-t1', 2001), // twice in this batch
      reading('c-t1', 1000), reading('c-t1', 1001),                            // stored by batch 2
      reading('c-t2', 2000),
    ];
    await send(batch(3, { readings }));
    expect((await ackFor(3))[0]!.status).toBe('committed');
    expect(await count()).toBe(before + 3);
    // a reading repeated inside the batch is stored once (which copy is the engine's choice)
    expect(await count(`sensor = 'c-t1' AND ts = $1`, [new Date(T0 + 2000_000)])).toBe(1);
    // a reading stored by an earlier batch is not overwritten
    const [v] = await tdb.db.query<{ value: number }>(`SELECT value FROM readings WHERE sensor = 'c-t1' AND ts = $1`, [new Date(T0 + 1000_000)]);
    expect(v!.value).toBe(4 + 1000 / 100);
  });

  it('sensor ids with tab, newline and backslash round-trip exactly', async () => {
    const odd = ["o'quote", 'a\tb', 'line\nbreak', 'back\\slash', 'cr\rx', '温度-1'];
    await send(batch(4, { readings: odd.map((s, i) => reading(s, 5000 + i)) }));
    expect((await ackFor(4))[0]!.status).toBe('committed');
    const got = await tdb.db.query<{ sensor: string }>(`SELECT sensor FROM readings WHERE ts >= $1 ORDER BY ts`, [new Date(T0 + 5000_000)]);
    expect(got.map((g) => g.sensor)).toEqual(odd);
  });

  // A passing fault (here a serialization failure raised by a trigger, SQLSTATE 40001) in the
  // middle of a batch rolls all of it back and sends no ack: the edge resends it whole. A
  // refusal that will not pass (a CHECK) costs only the refused row (issue #11, below).
  const transientFaultOn = (table: string, column: string) => tdb.db.exec(`
    CREATE OR REPLACE FUNCTION test_transient_fault() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.${column} = 'poison' THEN RAISE EXCEPTION 'test: could not serialize access' USING ERRCODE = '40001'; END IF; RETURN NEW; END $$;
    CREATE TRIGGER test_transient_fault BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION test_transient_fault();`);
  const transientFaultOff = (table: string) => tdb.db.exec(`DROP TRIGGER test_transient_fault ON ${table}; DROP FUNCTION test_transient_fault();`);

  it('a passing failure in the middle of the readings rolls the whole batch back and sends no ack; a resend then commits it', async () => {
    await transientFaultOn('readings', 'sensor');
    const readings = [...Array.from({ length: 300 }, (_, i) => reading('c-t2', 8000 + i)), reading('poison', 8300), reading('c-t2', 8301)];
    const before = await count();
    await send(batch(5, { readings }));
    // batches of one gateway are handled in order: once 6 is answered (gap: 5 is undecided), 5 has been handled
    await send(batch(6));
    expect((await ackFor(6))[0]).toMatchObject({ status: 'gap', expected: 5 });
    expect(acks.filter((a) => a.seq === 5)).toEqual([]);
    expect(await count()).toBe(before);
    expect(await tdb.db.query(`SELECT 1 FROM uplink_batches WHERE gateway = $1 AND seq = 5`, [GW])).toEqual([]);

    await transientFaultOff('readings');
    await send(batch(5, { readings }));
    expect((await ackFor(5))[0]!.status).toBe('committed');
    expect(await count()).toBe(before + readings.length);
    await send(batch(6)); // the edge resends what was answered gap
    await waitFor(() => acks.find((a) => a.seq === 6 && a.status === 'committed'), 'seq 6 committed on its resend');
  });

  it('a reading the database will never take costs that reading only: the rest is committed and acked, the row dead-lettered', async () => {
    await tdb.db.exec(`ALTER TABLE readings ADD CONSTRAINT test_refused CHECK (sensor <> 'refused')`);
    const readings = [...Array.from({ length: 300 }, (_, i) => reading('c-t2', 8500 + i)), reading('refused', 8800), reading('c-t2', 8801)];
    const before = await count();
    await send(batch(7, { readings }));
    expect((await ackFor(7))[0]).toMatchObject({ status: 'committed', rejectedItems: 1 });
    expect(await count()).toBe(before + readings.length - 1);
    const [dl] = await tdb.db.query<{ reason: string }>(`SELECT reason FROM dead_letters WHERE source = $1 ORDER BY id DESC LIMIT 1`, [`uplink:${GW}`]);
    expect(dl!.reason).toMatch(/^readings\.300: SQLSTATE 23514/);
    await tdb.db.exec(`ALTER TABLE readings DROP CONSTRAINT test_refused`);
  });

  it('a timestamp past year 9999 (a microsecond clock) costs that reading only, with a coded reason, never retried', async () => {
    await send(batch(8, { readings: [reading('c-t1', 9500), { ...reading('c-t1', 9501), ts: 1_764_096_000_000_000 }] }));
    const [ack] = await ackFor(8);
    expect(ack).toMatchObject({ status: 'committed', rejectedItems: 1 });
    expect(await count('sensor = $1 AND ts = to_timestamp($2 / 1000.0)', ['c-t1', T0 + 9500 * 1000])).toBe(1);
    const [dl] = await tdb.db.query<{ code: string; reason: string }>(`SELECT code, reason FROM dead_letters WHERE source = $1 ORDER BY id DESC LIMIT 1`, [`uplink:${GW}`]);
    expect(dl).toMatchObject({ code: 'SP_ERR_UPLINK_BATCH' });
    expect(dl!.reason).toMatch(/^readings\.1: contract: ts: /);
  });

  it('a passing failure after the readings were written (an alert) rolls the readings back too', async () => {
    await transientFaultOn('alerts', 'message');
    const readings = Array.from({ length: 200 }, (_, i) => reading('c-t1', 9000 + i));
    const alert = { id: 'poison-1', transition: 'raised' as const, rule: 'high' as const, zone: 'chiller', severity: 'critical' as const, ts: T0, since: T0, message: 'poison' };
    const before = await count();
    await send(batch(9, { readings, alerts: [alert] }));
    await send(batch(10));
    await ackFor(10); // gap: 9 was not decided
    expect(acks.filter((a) => a.seq === 9)).toEqual([]);
    expect(await count()).toBe(before);
    await transientFaultOff('alerts');
  });
});

describe(`readings write on ${engineLabel} (${path}): the values at the edges`, () => {
  // More than COPY_MIN_READINGS readings, so on PostgreSQL this goes through the binary COPY
  // (copy-binary.ts): timestamps before and after PostgreSQL's epoch (2000), at the first and the
  // last millisecond the contract takes, and values at the float limits must come back exactly.
  it('timestamps from 1970 to 9999 and values from the float limits come back to the millisecond and the bit', async () => {
    const edges: { ts: number; value: number }[] = [
      { ts: 0, value: 0 },
      { ts: Date.UTC(1999, 11, 31, 23, 59, 59, 999), value: -0.1 },
      { ts: Date.UTC(2000, 0, 1), value: 5e-324 },
      { ts: Date.UTC(2000, 0, 1, 0, 0, 0, 1), value: 1.7976931348623157e308 },
      { ts: 2 ** 32 * 1000, value: -1.7976931348623157e308 },
      { ts: 253_402_300_799_999, value: 2.5e-7 }, // 9999-12-31T23:59:59.999Z, the contract's MAX_TS
    ];
    const odd = ['edge\ttab', 'edge\nnewline', 'edge\\backslash', 'edge-温度', "edge-'quote'"];
    const readings = [
      ...edges.map((e, i) => ({ sensor: odd[i % odd.length]!, kind: 'temperature' as const, ts: e.ts, value: e.value, quality: 'good' as const })),
      ...Array.from({ length: 100 }, (_, i) => ({ sensor: odd[i % odd.length]!, kind: 'humidity' as const, ts: T0 + 50_000_000 + i * 37, value: i / 3, quality: 'bad' as const })),
    ];
    await send(batch(1, { stream: 'stream-edges', readings }));
    // its own stream: seq 9 of the stream above is left undecided on purpose
    const ack = await waitFor(() => acks.find((a) => a.stream === 'stream-edges'), 'ack of stream-edges 1');
    expect(ack).toMatchObject({ seq: 1, status: 'committed' });
    const rows = await tdb.db.query<{ ms: string; sensor: string; kind: string; value: number; quality: string; zone: string }>(
      `SELECT (extract(epoch FROM ts) * 1000)::numeric(20, 0)::text AS ms, sensor, kind, value, quality, zone FROM readings WHERE sensor LIKE 'edge%' ORDER BY ts, sensor`);
    const expected = [...readings].sort((a, b) => a.ts - b.ts || (a.sensor < b.sensor ? -1 : 1))
      .map((r) => ({ ms: String(r.ts), sensor: r.sensor, kind: r.kind, value: r.value, quality: r.quality, zone: 'unassigned' }));
    expect(rows).toEqual(expected);
  });
});

describe.runIf(usingPostgres)('COPY strategies on PostgreSQL (skipped on PGlite: it has no COPY path)', () => {
  // The 'staging' strategy is the fallback of 'direct' (taken on a unique violation, covered
  // above); here it runs on its own so both stay correct.
  it('staging strategy: new rows only, duplicates skipped, count of new rows returned', async () => {
    const b = UplinkBatch.parse(batch(100, { readings: [reading('c-t1', 20_000), reading('c-t1', 20_000), reading('c-t1', 20_001), reading('c-t1', 1000)] }));
    const before = await count();
    const stored = await tdb.db.tx(async (q) => (canCopy(q) ? copyReadings(q, b, 'staging') : -1));
    expect(stored).toBe(2);
    expect(await count()).toBe(before + 2);
    // the staging table is emptied by the commit: the next batch on a pooled connection starts clean
    const again = UplinkBatch.parse(batch(101, { readings: [reading('c-t1', 20_002)] }));
    expect(await tdb.db.tx(async (q) => (canCopy(q) ? copyReadings(q, again, 'staging') : -1))).toBe(1);
  });
});
