import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { createHash } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../edge/broker/embedded-broker.ts';
import { MqttJsonDriver } from '../../edge/devices/mqtt-json/driver.ts';
import { MqttJsonDevice } from '../../edge/config.schema.ts';
import { MemoryDeadLetters } from '../../edge/dead-letters.ts';
import { MqttIngest } from '../../cloud/ingest/mqtt-ingest.ts';
import { createCloudMetrics } from '../../cloud/metrics.ts';
import { DEAD_LETTER_LIMITS, pruneDeadLetters, recordDeadLetter } from '../../cloud/ingest/dead-letters.ts';
import { deadLetterRetentionJob } from '../../cloud/ingest/dead-letter-job.ts';
import { jobs } from '../../cloud/jobs/registry.ts';
import { PROTOCOL_VERSION, topics, type UplinkAck } from '../../protocols/uplink/contract.ts';
import { UPLINK_LIMITS } from '../../protocols/uplink/parse.ts';
import type { Reading } from '../../protocols/reading.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../helpers/db.ts';
import { waitFor } from '../helpers/net.ts';
import { registerGateway } from '../helpers/gateways.ts';
import { BoundedLineParser } from '../../protocols/serial/bounded-lines.ts';

// Issue #11 item 7, payload caps, against the real parts: a real aedes broker on a loopback
// port, real MQTT clients and raw sockets, the cloud's real MQTT ingest on a real database.
// An oversized device frame costs its sender the connection (or the frame), never the
// gateway's memory, and the other devices keep reporting; an oversized uplink batch is acked
// rejected with a code, kept truncated, and the stream goes on; dead letters stay bounded.

const MiB = 1024 * 1024;

/** an MQTT 3.1.1 CONNECT for clientId (clean session, no login) */
function connectPacket(clientId: string): Buffer {
  const id = Buffer.from(clientId);
  const body = Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, id.length]), id]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}

/** the fixed header and topic of a QoS 0 PUBLISH announcing `payloadBytes` of payload */
function publishHeader(topic: string, payloadBytes: number): Buffer {
  const t = Buffer.from(topic);
  let remaining = 2 + t.length + payloadBytes;
  const len: number[] = [];
  do {
    let b = remaining % 128;
    remaining = Math.floor(remaining / 128);
    if (remaining > 0) b |= 0x80;
    len.push(b);
  } while (remaining > 0);
  return Buffer.concat([Buffer.from([0x30, ...len, t.length >> 8, t.length & 0xff]), t]);
}

/** streams `totalBytes` at the broker behind a PUBLISH header; resolves with the bytes the socket took before it was cut */
async function floodPublish(port: number, totalBytes: number): Promise<{ written: number; closed: boolean }> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  let closed = false;
  sock.on('close', () => { closed = true; });
  sock.on('error', () => { closed = true; });
  sock.write(connectPacket('flooder'));
  sock.write(publishHeader('bakery/chiller/t1', totalBytes));
  const chunk = Buffer.alloc(MiB, 0x41);   // one reused buffer: the test's own memory does not grow
  let written = 0;
  while (written < totalBytes && !closed) {
    const ok = sock.write(chunk);
    written += chunk.length;
    if (!ok) await new Promise<void>((resolve) => { sock.once('drain', resolve); sock.once('close', resolve); });
  }
  await waitFor(() => closed, 'the broker cuts the flooding connection', 10_000);
  return { written, closed };
}

describe('device frames at the embedded broker and the mqtt-json driver', () => {
  let broker: EmbeddedBroker;
  let gateway: MqttClient;
  let goodDevice: MqttClient;
  let driver: MqttJsonDriver;
  const deadLetters = new MemoryDeadLetters();
  const received: Reading[] = [];
  let ticker: NodeJS.Timeout;

  beforeAll(async () => {
    broker = await startEmbeddedBroker({ port: 0 });
    gateway = await mqtt.connectAsync(broker.url, { clientId: 'gw', clean: true });
    const devices = [
      MqttJsonDevice.parse({ id: 'probe-good', protocol: 'mqtt-json', topic: 'bakery/chiller/t2', points: [{ sensor: 't2', zone: 'chiller', kind: 'temperature' }] }),
      MqttJsonDevice.parse({ id: 'probe-big', protocol: 'mqtt-json', topic: 'bakery/chiller/t1', points: [{ sensor: 't1', zone: 'chiller', kind: 'temperature' }] }),
    ];
    driver = new MqttJsonDriver(gateway, devices, (rs) => { received.push(...rs); }, deadLetters);
    await driver.start();
    goodDevice = await mqtt.connectAsync(broker.url, { clientId: 'probe-good' });
    let v = 4;
    ticker = setInterval(() => { void goodDevice.publishAsync('bakery/chiller/t2', JSON.stringify({ temperature: (v += 0.01) }), { qos: 1 }).catch(() => {}); }, 50);
    await waitFor(() => received.some((r) => r.sensor === 't2'), 'the good probe reports');
  });
  afterAll(async () => {
    clearInterval(ticker);
    await driver?.stop();
    await goodDevice?.endAsync(true);
    await gateway?.endAsync(true);
    await broker?.close();
  });

  it('a 100 MB PUBLISH is cut at its header: memory stays bounded and the other devices keep reporting', async () => {
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const { written, closed } = await floodPublish(broker.port, 100 * MiB);
    const rssAfter = process.memoryUsage().rss;
    expect(closed).toBe(true);
    expect(written).toBeLessThan(100 * MiB);
    expect(broker.stats.oversized).toBe(1);
    // loose: before the cap the broker buffered the whole 100 MB (and more) before parsing it
    expect(rssAfter - rssBefore).toBeLessThan(60 * MiB);
    const n = received.filter((r) => r.sensor === 't2').length;
    await waitFor(() => received.filter((r) => r.sensor === 't2').length >= n + 5, 'the good probe still reports after the flood');
    expect(received.some((r) => r.sensor === 't1')).toBe(false);
  });

  it('a multi-MB frame from a normal client is refused: that client is disconnected, nothing decoded', async () => {
    const big = await mqtt.connectAsync(broker.url, { clientId: 'probe-big', reconnectPeriod: 0 });
    const closed = new Promise<void>((resolve) => big.once('close', () => resolve()));
    big.publish('bakery/chiller/t1', Buffer.alloc(6 * MiB, 0x20), { qos: 0 });
    await closed;
    expect(broker.stats.oversized).toBe(2);
    big.end(true);
    const n = received.filter((r) => r.sensor === 't2').length;
    await waitFor(() => received.filter((r) => r.sensor === 't2').length >= n + 3, 'the good probe still reports');
  });

  it('a frame over the driver cap (64 KiB) but under the broker cap is a coded dead letter, kept short', async () => {
    const dev = await mqtt.connectAsync(broker.url, { clientId: 'probe-big-2' });
    const frame = JSON.stringify({ temperature: 4.5, junk: 'x'.repeat(200 * 1024) });
    await dev.publishAsync('bakery/chiller/t1', frame, { qos: 1 });
    const dl = await waitFor(() => deadLetters.list(100).find((d) => d.source === 'probe-big'), 'dead letter for the big frame');
    expect(dl.code).toBe('SP_ERR_TOO_LARGE');
    expect(dl.reason).toContain(`${frame.length} bytes`);
    expect(dl.payload.length).toBeLessThanOrEqual(64 * 1024);
    expect(received.some((r) => r.sensor === 't1')).toBe(false);
    expect(driver.deviceStatus('probe-big')!.lastError?.code).toBe('SP_ERR_TOO_LARGE');
    // the same device's next normal frame is decoded
    await dev.publishAsync('bakery/chiller/t1', JSON.stringify({ temperature: 4.6 }), { qos: 1 });
    await waitFor(() => received.some((r) => r.sensor === 't1'), 'the next normal frame');
    await dev.endAsync();
  });
});

describe('serial lines (scales) are bounded', () => {
  it('a line with no break is dropped past 4096 bytes, reported once with its size; the lines around it flow on', async () => {
    const oversized: number[] = [];
    const lines: string[] = [];
    const parser = new BoundedLineParser(4096, (n) => oversized.push(n));
    parser.on('data', (l: string) => lines.push(l));
    parser.write(Buffer.from('S S      12.345 kg\r\n'));
    const junk = Buffer.alloc(MiB, 0x7e);
    for (let i = 0; i < 20; i++) parser.write(junk);   // 20 MB from a wrong baud rate, no line break
    parser.write(Buffer.from('\nS S      12.350 kg\r\n'));
    parser.end();
    await new Promise((resolve) => parser.on('end', resolve).resume());
    expect(lines).toEqual(['S S      12.345 kg\r', 'S S      12.350 kg\r']);
    expect(oversized).toEqual([20 * MiB]);
  });
});

describe(`uplink batches at the cloud (${engineLabel})`, () => {
  const GW = 'gw-big';
  let broker: EmbeddedBroker;
  let tdb: TestDatabase;
  let cloudClient: MqttClient;
  let edge: MqttClient;
  let ingest: MqttIngest;
  const acks: UplinkAck[] = [];
  const ackFor = (seq: number) => waitFor(() => acks.find((a) => a.seq === seq), `ack ${seq}`, 30_000);
  const reading = (i: number) => ({ sensor: 'chiller-t1', kind: 'temperature', ts: Date.parse('2026-11-20T10:00:00Z') + i * 1000, value: 4 + (i % 10) / 10, quality: 'good' });
  const batch = (seq: number, readings: unknown[]) => ({ v: PROTOCOL_VERSION, gateway: GW, stream: 's-1', seq, sentAt: Date.now(), readings, alerts: [] });

  beforeAll(async () => {
    broker = await startEmbeddedBroker({ port: 0 });
    tdb = await testDatabase();
    await registerGateway(tdb.db, GW);
    cloudClient = await mqtt.connectAsync(broker.url, { clientId: 'cloud' });
    ingest = new MqttIngest({ db: tdb.db, client: cloudClient, log: pino({ level: 'silent' }), targets: [], metrics: createCloudMetrics() });
    await ingest.start();
    edge = await mqtt.connectAsync(broker.url, { clientId: 'edge' });
    edge.on('message', (_t, p) => acks.push(JSON.parse(p.toString())));
    await edge.subscribeAsync(topics.ack(GW), { qos: 1 });
  });
  afterAll(async () => {
    await edge?.endAsync();
    await ingest?.stop();
    await cloudClient?.endAsync();
    await tdb?.cleanup();
    await broker?.close();
  });

  it('a batch over 4 MiB is acked rejected (coded), kept truncated with its size and digest, and the next batch is committed', async () => {
    // 48 000 readings: ~4.5 MB, 24× what an edge sends in one batch (2000), under the broker's 5 MiB packet cap
    const payload = JSON.stringify(batch(1, Array.from({ length: 48_000 }, (_, i) => reading(i))));
    expect(Buffer.byteLength(payload)).toBeGreaterThan(UPLINK_LIMITS.maxBytes);
    const started = performance.now();
    await edge.publishAsync(topics.batch(GW), payload, { qos: 1 });
    const ack = await ackFor(1);
    expect(ack).toMatchObject({ status: 'rejected', stream: 's-1', error: { code: 'SP_ERR_TOO_LARGE' } });
    expect(performance.now() - started).toBeLessThan(5000);
    const [dl] = await tdb.db.query<{ code: string; payload: string; payload_bytes: string; payload_sha256: string; truncated: boolean }>(
      `SELECT code, payload, payload_bytes, payload_sha256, truncated FROM dead_letters WHERE source = 'uplink:${GW}'`);
    expect(dl).toMatchObject({ code: 'SP_ERR_TOO_LARGE', truncated: true, payload_sha256: createHash('sha256').update(payload).digest('hex') });
    expect(Number(dl!.payload_bytes)).toBe(Buffer.byteLength(payload));
    expect(dl!.payload.length).toBe(DEAD_LETTER_LIMITS.payloadBytes);
    expect(Number((await tdb.db.query<{ n: string }>('SELECT count(*) AS n FROM readings'))[0]!.n)).toBe(0);

    await edge.publishAsync(topics.batch(GW), JSON.stringify(batch(2, [reading(1), reading(2)])), { qos: 1 });
    expect((await ackFor(2)).status).toBe('committed');
    expect(Number((await tdb.db.query<{ n: string }>('SELECT count(*) AS n FROM readings'))[0]!.n)).toBe(2);
  });

  it('a small batch with more than 5000 entries is rejected the same way', async () => {
    const tiny = Array.from({ length: UPLINK_LIMITS.maxItems + 1 }, () => ({}));
    const payload = JSON.stringify({ ...batch(3, []), alerts: tiny });
    expect(Buffer.byteLength(payload)).toBeLessThan(UPLINK_LIMITS.maxBytes);
    await edge.publishAsync(topics.batch(GW), payload, { qos: 1 });
    expect(await ackFor(3)).toMatchObject({ status: 'rejected', error: { code: 'SP_ERR_TOO_LARGE', message: expect.stringContaining('5001 entries') } });
    await edge.publishAsync(topics.batch(GW), JSON.stringify(batch(4, [reading(3)])), { qos: 1 });
    expect((await ackFor(4)).status).toBe('committed');
  });
});

describe(`cloud dead letters: caps and retention (${engineLabel})`, () => {
  let tdb: TestDatabase;
  beforeAll(async () => { tdb = await testDatabase(); });
  afterAll(async () => { await tdb?.cleanup(); });
  const rows = async (source: string) => tdb.db.query<{ id: string; reason: string }>('SELECT id, reason FROM dead_letters WHERE source = $1 ORDER BY id', [source]);

  it('keeps the newest rows per source (a flood from one source does not evict another) and stores any bytes', async () => {
    const limits = { ...DEAD_LETTER_LIMITS, perSource: 5 };
    await recordDeadLetter(tdb.db, { source: 'dev-quiet', code: 'SP_ERR_DECODE', reason: 'quiet', payload: '\u0000bad' }, limits);
    for (let i = 0; i < 12; i++) {
      await recordDeadLetter(tdb.db, { source: 'dev-noisy', code: 'SP_ERR_DECODE', reason: `n${i}`, payload: Buffer.from([0xff, 0x00, i]) }, limits);
    }
    expect((await rows('dev-noisy')).map((r) => r.reason)).toEqual(['n7', 'n8', 'n9', 'n10', 'n11']);
    expect((await rows('dev-quiet')).map((r) => r.reason)).toEqual(['quiet']);
  });

  it('the retention job deletes rows past retention and cuts sources over the cap; a second run deletes nothing', async () => {
    expect(jobs.map((j) => j.name)).toContain('dead-letter-retention');
    await tdb.db.query(`UPDATE dead_letters SET received_at = now() - interval '40 days' WHERE source = 'dev-quiet'`);
    // over the cap (written with a bigger cap than the default, as after a lowered limit)
    for (let i = 0; i < 8; i++) await recordDeadLetter(tdb.db, { source: 'dev-old-cap', code: 'SP_ERR_DECODE', reason: `o${i}`, payload: 'x' }, { ...DEAD_LETTER_LIMITS, perSource: 100 });
    const r = await pruneDeadLetters(tdb.db, new Date(), { ...DEAD_LETTER_LIMITS, perSource: 3 });
    expect(r).toEqual({ expired: 1, overCap: 5 + 2 });
    expect(await rows('dev-quiet')).toEqual([]);
    expect((await rows('dev-old-cap')).map((x) => x.reason)).toEqual(['o5', 'o6', 'o7']);
    const again = await deadLetterRetentionJob.run({
      db: tdb.db, now: new Date(), period: { from: new Date(), to: new Date() }, log: pino({ level: 'silent' }), progress: () => {},
    });
    expect(again).toEqual({ expired: 0, over_cap: 0 });
  });
});
