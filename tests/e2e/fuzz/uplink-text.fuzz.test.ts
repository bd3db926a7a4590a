import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../edge/broker/embedded-broker.ts';
import { openEdgeStore, type EdgeStore } from '../../../edge/outbox/store.ts';
import { Uplink } from '../../../edge/uplink/uplink.ts';
import type { OutboxEntry } from '../../../edge/outbox/queue.ts';
import { MqttIngest } from '../../../cloud/ingest/mqtt-ingest.ts';
import { createCloudMetrics } from '../../../cloud/metrics.ts';
import { cleanAlert, cleanDeviceEvent, cleanMovement, cleanReading } from '../../../protocols/uplink/clean.ts';
import { cleanText } from '../../../protocols/text.ts';
import { PROTOCOL_VERSION, topics, type AlertEvent, type DeviceStatusEvent, type GatewayManifest, type MovementEvent, type UplinkAck } from '../../../protocols/uplink/contract.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { waitFor } from '../../helpers/net.ts';
import { registerGateway } from '../../helpers/gateways.ts';
import { SEED } from '../../helpers/coded.ts';

// Every text field of every uplink message, fed the whole space of strings — NUL and the other
// controls, lone surrogates, astral characters, empty, 1 MB — through the real path: the edge's
// SQLite outbox → uplink → MQTT broker → cloud ingest → database (issue #11). Whatever the text,
// the stream advances (every batch acked, the outbox empties), the clean reading sent beside the
// fuzzed items is stored, and each fuzzed item is either stored (cleaned) or in dead_letters.
// Each run is a full round trip, so the budget is small for `npm test`; FUZZ_RUNS raises it
// (npm run test:fuzz: 20 000 → 400 round trips).

const RUNS = process.env.FUZZ_RUNS ? Math.max(1, Math.ceil(Number(process.env.FUZZ_RUNS) / 50)) : 10;
/** the raw path stores strings uncleaned (PGlite takes a while per batch): a fifth of the budget */
const RAW_RUNS = Math.max(1, Math.ceil(RUNS / 5));
const GW = 'gw-fuzz';
const T0 = Date.parse('2026-11-20T10:00:00Z');
const MB = 1 << 20;
const log = pino({ level: 'silent' });

let broker: EmbeddedBroker;
let tdb: TestDatabase;
let ingest: MqttIngest;
let cloudClient: MqttClient;
let edgeClient: MqttClient;
let store: EdgeStore;
let uplink: Uplink;
let dir: string;

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  tdb = await testDatabase();
  await registerGateway(tdb.db, GW);
  cloudClient = await mqtt.connectAsync(broker.url);
  ingest = new MqttIngest({ db: tdb.db, client: cloudClient, log: process.env.FUZZ_TIMING ? pino({ level: 'warn' }) : log, targets: [], metrics: createCloudMetrics() });
  await ingest.start();
  dir = mkdtempSync(join(tmpdir(), 'sp-fuzz-uplink-'));
  store = openEdgeStore({ gateway: { id: GW }, storage: { dir, fsync: 'normal' } });
  edgeClient = await mqtt.connectAsync(broker.url);
  uplink = new Uplink({ gateway: GW, client: edgeClient, outbox: store.outbox, log, deadLetters: store.deadLetters, flushMs: 10, batchMaxItems: 100, ackTimeoutMs: 2000 });
  await uplink.start();
});

afterAll(async () => {
  await uplink?.stop();
  await edgeClient?.endAsync();
  await ingest?.stop();
  await cloudClient?.endAsync();
  await broker?.close();
  store?.close();
  await tdb?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** any string: every UTF-16 unit (lone surrogates included), every code point, the known poisons, and huge ones */
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 3, arbitrary: fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }).map((u) => String.fromCharCode(...u)) },
  { weight: 2, arbitrary: fc.constantFrom('', '\u0000', 'a\u0000b', '\u0000bad', '\ud800', 'x\udfff', '\udfff\ud800', '\u001b[31m', '\t\n\r', '😀\u0000😀', '\\u0000') },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(MB), '\u0000'.repeat(MB), '\ud800'.repeat(MB), '😀'.repeat(MB / 2)) },
);
const texts = fc.record({
  site: text, zoneId: text, zoneName: text, sensorId: text, sensorUnit: text, sensorName: text, deviceName: text,
  readingSensor: text, alertId: text, alertZone: text, alertSensor: text, alertMessage: text,
  device: text, errorCode: text, errorMessage: text,
  movementId: text, gtin: text, sku: text, unit: text, bin: text, lot: text, document: text, sourceDevice: text,
  evidenceKey: text, evidenceValue: text,
});

const count = async (sql: string, params: unknown[] = []) => (await tdb.db.query<{ n: number }>(sql, params))[0]!.n;

type Texts = typeof texts extends fc.Arbitrary<infer T> ? T : never;

/**
 * The raw path has no edge to cap its strings, but the broker and the cloud cap a batch's size
 * (README "Limits"; tests/security/oversized.test.ts): 1 MB strings, escaped six-fold as JSON,
 * would be refused as a whole before a single item is looked at. 32 Ki units a field keeps a raw
 * batch under the caps, so each item is judged on its own.
 */
const underTheCaps = (t: Texts): Texts => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.slice(0, 32 * 1024)])) as Texts;

/** one message of each kind carrying the fuzzed texts; a prefix keeps runs apart, the fuzzed text follows it unchanged */
function messages(t: Texts, run: number) {
  const ts = T0 + run * 1000;
  const p = (s: string) => `r${run}:${s}`;
  const manifest: GatewayManifest = {
    site: t.site || 'site',
    zones: [{ id: p(t.zoneId), name: t.zoneName || 'zone', profile: { low: 2, high: 8 }, delaySec: 60, hysteresis: 0.5 }],
    sensors: [{ id: p(t.sensorId), zone: p(t.zoneId), kind: 'temperature', unit: t.sensorUnit, protocol: 'mqtt-json', name: t.sensorName }],
    devices: [{ id: p(t.device), protocol: 'mqtt-json', name: t.deviceName, heartbeatSec: 10, sensors: [p(t.sensorId)] }],
  };
  const alert: AlertEvent = { id: p(t.alertId), transition: 'raised', rule: 'high', zone: p(t.alertZone), sensor: t.alertSensor, severity: 'warning', ts, since: ts, value: 9, threshold: 8, message: t.alertMessage };
  const device: DeviceStatusEvent = { device: p(t.device), ts, state: 'failed', error: { code: t.errorCode, message: t.errorMessage } };
  const movement: MovementEvent = {
    id: p(t.movementId), type: 'receipt', ts, item: { gtin: t.gtin, sku: p(t.sku) }, quantity: 1, unit: t.unit || 'pcs',
    location: { zone: p(t.zoneId), bin: t.bin }, lot: t.lot, document: t.document, source: { device: p(t.sourceDevice), kind: 'rfid' },
    evidence: { [t.evidenceKey]: t.evidenceValue, epcs: [t.evidenceValue] },
  };
  const reading = { sensor: p(t.readingSensor), kind: 'temperature' as const, ts, value: 4.5, quality: 'good' as const };
  // a clean reading of another sensor in the same batch: it must always be stored
  const sentinel = { sensor: 'fuzz-clean', kind: 'temperature' as const, ts, value: 3, quality: 'good' as const };
  return { ts, manifest, alert, device, movement, reading, sentinel };
}

type Messages = ReturnType<typeof messages>;

/** lone surrogates as the drivers send them (U+FFFD): what a text column holds of a string */
const asStored = (s: string) => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

/**
 * The (stream, seq, item) a refused item's dead letter names. Its payload is
 * {gateway, stream, seq, item, value}; a big value is cut at the dead-letter cap (64 KiB, README
 * "Limits"), so a payload that is no longer whole JSON is read from its head.
 */
function deadLetterKey(payload: string): { stream: string; seq: number; item: string } | undefined {
  try {
    const x = JSON.parse(payload);
    return { stream: x.stream, seq: x.seq, item: String(x.item) };
  } catch {
    const m = /^\{"gateway":"(?:[^"\\]|\\.)*","stream":("(?:[^"\\]|\\.)*"),"seq":(\d+),"item":"([a-z]+\.\d+)"/.exec(payload);
    return m ? { stream: JSON.parse(m[1]!) as string, seq: Number(m[2]), item: m[3]! } : undefined;
  }
}

/** each message stored (as `text` makes its strings) or dead-lettered by the cloud under (stream, seq) */
async function expectStoredOrDeadLettered(run: number, m: Messages, stream: string, seq: number, text: (s: string) => string, idText: (s: string) => string): Promise<void> {
  expect(await count(`SELECT count(*)::int AS n FROM readings WHERE sensor = 'fuzz-clean' AND ts = to_timestamp($1 / 1000.0)`, [m.ts])).toBe(1);
  const dead = new Set((await tdb.db.query<{ payload: string }>(`SELECT payload FROM dead_letters WHERE source = $1`, [`uplink:${GW}`]))
    .map((d) => { const x = deadLetterKey(d.payload); return x?.stream === stream && x.seq === seq ? x.item : ''; }));
  // a text the database cannot hold (a NUL) fails the lookup itself: such an item cannot be stored
  const has = (sql: string, params: unknown[]) => count(sql, params).then((n) => n === 1, () => false);
  const stored = {
    'readings.0': await has(`SELECT count(*)::int AS n FROM readings WHERE sensor = $1 AND ts = to_timestamp($2 / 1000.0)`, [idText(m.reading.sensor), m.ts]),
    'alerts.0': await has(`SELECT count(*)::int AS n FROM alerts WHERE id = $1 AND message = $2`, [idText(m.alert.id), text(m.alert.message)]),
    'devices.0': await has(`SELECT count(*)::int AS n FROM devices WHERE gateway = $1 AND id = $2 AND last_error->>'message' = $3`, [GW, idText(m.device.device), text(m.device.error!.message)]),
    'movements.0': await has(`SELECT count(*)::int AS n FROM device_movements WHERE event_id = $1`, [`${GW}:${idText(m.movement.id)}`]),
    'manifest.0': await has(`SELECT count(*)::int AS n FROM sensors WHERE id = $1`, [idText(m.manifest.sensors[0]!.id)]),
  };
  // the raw path may also refuse an item at the contract (salvage.ts): dead-lettered under its list index
  for (const [item, ok] of Object.entries(stored)) {
    expect(ok || dead.has(item), `run ${run}: ${item} neither stored nor dead-lettered`).toBe(true);
  }
}

describe(`every text field through edge → cloud (${engineLabel})`, () => {
  it('through the edge outbox: the stream keeps advancing and each item is stored cleaned or dead-lettered', { timeout: 60_000 + RUNS * 5_000 }, async () => {
    let run = 0;
    await fc.assert(fc.asyncProperty(texts, async (t) => {
      run++;
      const t0 = performance.now();
      const m = messages(t, run);
      const entries: OutboxEntry[] = [
        { type: 'manifest', manifest: m.manifest }, { type: 'reading', reading: m.reading }, { type: 'reading', reading: m.sentinel },
        { type: 'alert', alert: m.alert }, { type: 'device', device: m.device }, { type: 'movement', movement: m.movement },
      ];
      const acked = uplink.stats.batchesAcked;
      store.outbox.append(entries);
      uplink.notify(true);
      await waitFor(() => uplink.idle() && uplink.stats.batchesAcked > acked, `run ${run}: the batch acked and the outbox empty`, 20_000, 10);
      await ingest.drain();
      expect(uplink.stats.rejected).toBe(0); // never a whole batch refused
      // what the edge sends is what protocols/uplink/clean.ts makes of it, capped
      const clean = { alert: cleanAlert(m.alert), device: cleanDeviceEvent(m.device), movement: cleanMovement(m.movement) };
      expect(clean.alert.message.length).toBeLessThanOrEqual(4096);
      await expectStoredOrDeadLettered(run, m, store.outbox.stream, uplink.stats.batchesAcked, (s) => cleanText(s), (s) => cleanReading({ ...m.reading, sensor: s }).sensor);
      if (process.env.FUZZ_TIMING) console.log(`edge run ${run}: ${Math.round(performance.now() - t0)} ms`);
    }), { numRuns: RUNS, seed: SEED });
    expect(ingest.health().oldestUnackedSec).toBe(0);
  });

  it('raw on the batch topic (a forged or pre-fix gateway): acked, the clean reading stored, each item stored or dead-lettered', { timeout: 60_000 + RAW_RUNS * 20_000 }, async () => {
    const raw = await mqtt.connectAsync(broker.url);
    const acks: UplinkAck[] = [];
    await raw.subscribeAsync(topics.ack(GW), { qos: 1 });
    raw.on('message', (_t, b) => { const a = JSON.parse(b.toString()) as UplinkAck; if (a.stream === 'raw') acks.push(a); });
    try {
      let run = 1000; // ids apart from the runs above
      await fc.assert(fc.asyncProperty(texts, async (t) => {
        run++;
        const seq = run - 1000; // the stream begins at seq 1 and goes on without a gap (cloud/ingest/stream-order.ts)
        const t0 = performance.now();
        const m = messages(underTheCaps(t), run);
        await raw.publishAsync(topics.batch(GW), JSON.stringify({
          v: PROTOCOL_VERSION, gateway: GW, stream: 'raw', seq, sentAt: Date.now(), manifest: m.manifest,
          readings: [m.reading, m.sentinel], alerts: [m.alert], devices: [m.device], movements: [m.movement],
        }), { qos: 1 });
        const ack = await waitFor(() => acks.find((a) => a.seq === seq), `run ${run}: ack`, 30_000, 10);
        expect(ack.status).toBe('committed'); // the clean reading is always there to commit
        await expectStoredOrDeadLettered(run, m, 'raw', seq, asStored, asStored);
        if (process.env.FUZZ_TIMING) console.log(`raw run ${run}: ${Math.round(performance.now() - t0)} ms`);
      }), { numRuns: RAW_RUNS, seed: SEED });
      expect(ingest.health().oldestUnackedSec).toBe(0);
    } finally {
      await raw.endAsync();
    }
  });
});
