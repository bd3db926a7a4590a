import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { startCloud, type Cloud } from '../../../cloud/cloud.ts';
import { createApiToken } from '../../../cloud/auth/tokens.ts';
import { cloudConfigFromEnv } from '../../../cloud/config.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../edge/broker/embedded-broker.ts';
import { PROTOCOL_VERSION, topics, type UplinkAck, type UplinkBatchInput } from '../../../protocols/uplink/contract.ts';
import { engineLabel, testDatabase, usingPostgres, type TestDatabase } from '../../helpers/db.ts';
import { waitFor } from '../../helpers/net.ts';
import { openEventStream, type SseStream } from '../../helpers/sse-client.ts';
import { registerGateway } from '../../helpers/gateways.ts';

// Live updates in one process: a batch committed by the ingest reaches a browser connected to
// GET /api/events through the database's LISTEN/NOTIFY (on PGlite its in-process listen()),
// behind the same token check as every /api route. The cross-instance case (the event of a
// batch committed by the other process) is in two-instances.test.ts.

const GW = 'gw-live';
let broker: EmbeddedBroker;
let tdb: TestDatabase;
let cloud: Cloud;
let edge: MqttClient;
const acks: UplinkAck[] = [];
const streams: SseStream[] = [];

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  tdb = await testDatabase();
  await registerGateway(tdb.db, GW);
  // the demo's broker is aedes: plain subscription, MQTT 3.1.1
  const config = cloudConfigFromEnv({}, { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', MQTT_URL: broker.url, STOCKPULSE_MQTT_ALERTS: 'false' });
  cloud = await startCloud({ config, log: pino({ level: 'silent' }), db: tdb.db });
  edge = await mqtt.connectAsync(broker.url, { clientId: 'live-edge' });
  edge.on('message', (_t, p) => acks.push(JSON.parse(p.toString())));
  await edge.subscribeAsync(topics.ack(GW), { qos: 1 });
});

afterAll(async () => {
  await edge?.endAsync();
  // with a browser still connected: the cloud ends open event streams itself, or this would hang
  await cloud?.stop();
  for (const s of streams) s.close();
  await tdb?.cleanup();
  await broker?.close();
});

describe(`live events over /api/events (${engineLabel})`, () => {
  it('asks for a token like every /api route, and refuses the device role', async () => {
    expect((await openEventStream(cloud.url)).status).toBe(401);
    const device = await createApiToken(tdb.db, { role: 'device', name: 'portal' });
    expect((await openEventStream(cloud.url, device.token)).status).toBe(403);
  });

  it('streams an ingest event once a batch is committed, counts and zones included', async () => {
    const viewer = await createApiToken(tdb.db, { role: 'viewer', name: 'wall-screen' });
    const s = await openEventStream(cloud.url, viewer.token);
    streams.push(s);
    expect(s.status).toBe(200);
    await waitFor(() => s.events.some((e) => e.type === 'hello' && e.data.origin === cloud.events.origin), 'hello');

    const t0 = Date.parse('2026-11-25T08:00:00Z');
    const batch: UplinkBatchInput = {
      v: PROTOCOL_VERSION, gateway: GW, stream: 'live-1', seq: 1, sentAt: Date.now(),
      readings: Array.from({ length: 30 }, (_, i) => ({ sensor: 'live-t1', kind: 'temperature' as const, ts: t0 + i * 1000, value: 4 + i / 100 })),
      alerts: [{ id: 'live-a1', transition: 'raised', rule: 'high', zone: 'chiller', sensor: 'live-t1', severity: 'critical', ts: t0 + 29_000, since: t0, value: 9, threshold: 8, message: 'too warm' }],
    };
    await edge.publishAsync(topics.batch(GW), JSON.stringify(batch), { qos: 1 });
    await waitFor(() => acks.some((a) => a.seq === 1 && a.status === 'committed'), 'ack of batch 1');
    const ev = await waitFor(() => s.events.find((e) => e.type === 'ingest' && e.data.gateways?.includes(GW)), 'ingest event');
    expect(ev.data).toMatchObject({ origin: cloud.events.origin, batches: 1, readings: 30, alerts: 1, zones: ['chiller'] });

    // a resend is acked as a duplicate and changes nothing, so it is not counted: the next
    // event (whether or not it shares a window with the resend) holds batch 2 alone
    const seen = s.events.length;
    await edge.publishAsync(topics.batch(GW), JSON.stringify(batch), { qos: 1 });
    await edge.publishAsync(topics.batch(GW), JSON.stringify({ ...batch, seq: 2, readings: batch.readings.slice(0, 5).map((r) => ({ ...r, ts: r.ts + 60_000 })), alerts: [] }), { qos: 1 });
    await waitFor(() => acks.some((a) => a.seq === 1 && a.status === 'duplicate') && acks.some((a) => a.seq === 2 && a.status === 'committed'), 'duplicate ack, then batch 2 committed');
    const next = await waitFor(() => s.events.slice(seen).find((e) => e.type === 'ingest'), 'event for batch 2');
    expect(next.data).toMatchObject({ batches: 1, readings: 5, alerts: 0 });
  });

  it.runIf(usingPostgres)('a lost LISTEN connection comes back and tells browsers to resync', async () => {
    const viewer = await createApiToken(tdb.db, { role: 'viewer', name: 'wall-screen-2' });
    const s = await openEventStream(cloud.url, viewer.token);
    streams.push(s);
    await waitFor(() => s.events.some((e) => e.type === 'hello'), 'hello');
    const killed = await tdb.db.query<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN stockpulse_events'`);
    expect(killed[0]!.n).toBe(1);
    await waitFor(() => s.events.some((e) => e.type === 'resync'), 'resync after the listener reconnected');
    await edge.publishAsync(topics.batch(GW), JSON.stringify({
      v: PROTOCOL_VERSION, gateway: GW, stream: 'live-1', seq: 3, sentAt: Date.now(), alerts: [],
      readings: [{ sensor: 'live-t1', kind: 'temperature', ts: Date.parse('2026-11-25T10:00:00Z'), value: 5 }],
    }), { qos: 1 });
    await waitFor(() => s.events.some((e) => e.type === 'ingest' && e.data.readings === 1 && e.data.batches === 1), 'events flow again');
  });
  if (!usingPostgres) console.warn('live events: the LISTEN-reconnect test needs PostgreSQL (PGlite listens in process, there is no connection to lose)');

  it("the dashboard's live-events module connects with the stored token and hands over each event", async () => {
    const viewer = await createApiToken(tdb.db, { role: 'viewer', name: 'browser' });
    // the cloud takes a stream's batches in seq order: after the LISTEN test's seq 3 where it ran
    const nextSeq = usingPostgres ? 4 : 3;
    // just enough of a browser for dashboards/web/token.js and live-events.js
    const stored = new Map([['stockpulse.token', viewer.token]]);
    vi.stubGlobal('localStorage', { getItem: (k: string) => stored.get(k) ?? null, setItem: (k: string, v: string) => stored.set(k, v) });
    vi.stubGlobal('location', { hash: '', pathname: '/', search: '' });
    vi.stubGlobal('history', { replaceState() {} });
    const nodeFetch = globalThis.fetch;
    vi.stubGlobal('fetch', (u: string, o: RequestInit) => nodeFetch(new URL(u, cloud.url), o));
    const seen: { type: string; data: any }[] = [];
    let opened = 0;
    const mod = '../../../dashboards/web/live-events.js';
    const { connectLiveEvents } = await import(mod) as { connectLiveEvents: (h: object) => () => void };
    const stop = connectLiveEvents({ onEvent: (type: string, data: unknown) => seen.push({ type, data }), onOpen: () => opened++ });
    try {
      await waitFor(() => seen.some((e) => e.type === 'hello'), 'hello in the dashboard');
      expect(opened).toBe(1);
      await edge.publishAsync(topics.batch(GW), JSON.stringify({
        v: PROTOCOL_VERSION, gateway: GW, stream: 'live-1', seq: nextSeq, sentAt: Date.now(), alerts: [],
        readings: [{ sensor: 'live-t1', kind: 'temperature', ts: Date.parse('2026-11-25T09:00:00Z'), value: 5 }],
      }), { qos: 1 });
      const ev = await waitFor(() => seen.find((e) => e.type === 'ingest'), 'ingest event in the dashboard');
      expect(ev.data).toMatchObject({ gateways: [GW], batches: 1, readings: 1 });
    } finally {
      stop();
      vi.unstubAllGlobals();
    }
  });
});
