import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { startCloud, type Cloud } from '../../cloud/cloud.ts';
import { createApiToken } from '../../cloud/auth/tokens.ts';
import { cloudConfigFromEnv } from '../../cloud/config.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../edge/broker/embedded-broker.ts';
import { PROTOCOL_VERSION, topics, type UplinkAck, type UplinkBatchInput as UplinkBatch } from '../../protocols/uplink/contract.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../helpers/db.ts';
import { startWebhookReceiver, waitFor, type WebhookReceiver } from '../helpers/net.ts';
import { registerGateway } from '../helpers/gateways.ts';

// The cloud half of the spine, through real sockets: an MQTT client plays the gateway,
// the cloud commits and acks, the API serves what was stored, the webhook receives the alert.

const GW = 'gw-test';
const T0 = Date.parse('2026-11-20T10:00:00Z');

let broker: EmbeddedBroker;
let tdb: TestDatabase;
let hook: WebhookReceiver;
let cloud: Cloud;
let edge: MqttClient;
const auth = { authorization: '' };   // a viewer-and-more (admin) token, set once the cloud is up
const acks: UplinkAck[] = [];

function batch(seq: number, extra: Partial<UplinkBatch> = {}): UplinkBatch {
  return { v: PROTOCOL_VERSION, gateway: GW, stream: 'stream-a', seq, sentAt: Date.now(), readings: [], alerts: [], ...extra };
}

async function send(b: unknown): Promise<void> {
  await edge.publishAsync(topics.batch(GW), JSON.stringify(b), { qos: 1 });
}

const ackFor = (seq: number, n = 1) => waitFor(() => acks.filter((a) => a.seq === seq).length >= n && acks.filter((a) => a.seq === seq), `ack ${seq}`);

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  tdb = await testDatabase();
  await registerGateway(tdb.db, GW);
  hook = await startWebhookReceiver();
  const config = cloudConfigFromEnv({}, { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', MQTT_URL: broker.url, STOCKPULSE_WEBHOOKS: hook.url });
  cloud = await startCloud({ config, log: pino({ level: 'silent' }), db: tdb.db });
  auth.authorization = `Bearer ${(await createApiToken(tdb.db, { role: 'admin', name: 'test' })).token}`;
  edge = await mqtt.connectAsync(broker.url, { clientId: 'fake-edge' });
  edge.on('message', (_t, p) => acks.push(JSON.parse(p.toString())));
  await edge.subscribeAsync(topics.ack(GW), { qos: 1 });
});

afterAll(async () => {
  await edge?.endAsync();
  await cloud?.stop();
  await hook?.close();
  await tdb?.cleanup();
  await broker?.close();
});

describe(`cloud ingest and API on ${engineLabel}`, () => {
  const readings = Array.from({ length: 120 }, (_, i) => ({
    sensor: 'chiller-t1', kind: 'temperature' as const, ts: T0 + i * 30_000, value: 4 + (i % 10) / 10, quality: 'good' as const,
  }));
  const raised = {
    id: 'alert-1', transition: 'raised' as const, rule: 'high' as const, zone: 'chiller', sensor: 'chiller-t1', severity: 'critical' as const,
    ts: T0 + 3_600_000, since: T0 + 3_300_000, value: 9.1, threshold: 8, message: 'Chiller: chiller-t1 at 9.1 °C ≥ 8 °C for 5 min',
  };

  it('commits a batch once, acks it, and acks a redelivery as duplicate without writing twice', async () => {
    const first = batch(1, {
      manifest: {
        site: 'bakery-main',
        zones: [{ id: 'chiller', name: 'Chiller', profile: { low: 2, high: 8 }, delaySec: 300, hysteresis: 0.5 }],
        sensors: [{ id: 'chiller-t1', zone: 'chiller', kind: 'temperature', unit: '°C', protocol: 'mqtt-json' }],
      },
      readings,
      alerts: [raised],
    });
    await send(first);
    expect((await ackFor(1))[0]!.status).toBe('committed');
    await send(first);
    const both = await ackFor(1, 2);
    expect(both[1]!.status).toBe('duplicate');
    const { n } = (await tdb.db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings'))[0]!;
    expect(n).toBe(120);
    const { z } = (await tdb.db.query<{ z: string }>('SELECT zone AS z FROM readings LIMIT 1'))[0]!;
    expect(z).toBe('chiller');
  });

  it('delivers the raised alert to the webhook exactly once and records the delivery', async () => {
    const call = await waitFor(() => hook.calls[0], 'webhook call');
    expect(call.body).toMatchObject({ type: 'stockpulse.alert', transition: 'raised', alert: { id: 'alert-1', zone: 'chiller', rule: 'high', value: 9.1 } });
    const rows = await waitFor(async () => {
      const r = await tdb.db.query<{ channel: string; status: string; attempts: number }>(
        "SELECT channel, status, attempts FROM notification_deliveries WHERE alert_id = 'alert-1' ORDER BY channel");
      return r.every((x) => x.status === 'sent') && r;
    }, 'deliveries sent');
    expect(rows.map((r) => r.channel)).toEqual(['mqtt', 'webhook']);
    expect(hook.calls).toHaveLength(1);
  });

  it('rejects a malformed batch with a coded ack and keeps it in dead letters', async () => {
    await send({ v: 1, gateway: GW, stream: 'stream-a', seq: 2, sentAt: Date.now(), readings: [{ sensor: 'x', kind: 'temperature', ts: 'yesterday', value: 'hot' }], alerts: [] });
    const [ack] = await ackFor(2);
    expect(ack).toMatchObject({ status: 'rejected', error: { code: 'SP_ERR_UPLINK_BATCH' } });
    expect(ack!.error!.message).toContain('readings.0.ts');
    await edge.publishAsync(topics.batch(GW), '{"truncated', { qos: 1 });
    const dl = await waitFor(async () => {
      const r = await tdb.db.query<{ code: string; reason: string }>('SELECT code, reason FROM dead_letters ORDER BY id');
      return r.length === 2 && r;
    }, 'two dead letters');
    expect(dl[1]!.reason).toMatch(/not JSON/);
  });

  it('serves zones with profile, latest value and active alert count', async () => {
    const res = await cloud.app.inject({ headers: auth, method: 'GET', url: '/api/zones' });
    expect(res.statusCode).toBe(200);
    const [zone] = res.json();
    expect(zone).toMatchObject({ id: 'chiller', site: 'bakery-main', profile: { low: 2, high: 8 }, activeAlerts: 1 });
    expect(zone.latest[0]).toMatchObject({ sensor: 'chiller-t1', value: readings.at(-1)!.value, ts: readings.at(-1)!.ts });
  });

  it('serves raw and bucketed readings; buckets carry min/avg/max', async () => {
    const q = `sensor=chiller-t1&from=${T0}&to=${T0 + 3_600_000}`;
    const raw = (await cloud.app.inject({ headers: auth, url: `/api/readings?${q}` })).json();
    expect(raw.source).toBe('raw');
    expect(raw.points).toHaveLength(120);
    const b = (await cloud.app.inject({ headers: auth, url: `/api/readings?${q}&bucket=600` })).json();
    expect(b.points).toHaveLength(6);
    for (const p of b.points) {
      expect(p.n).toBe(20);
      expect(p.min).toBeCloseTo(4.0);
      expect(p.max).toBeCloseTo(4.9);
      expect(p.avg).toBeCloseTo(4.45);
    }
  });

  it('answers bad requests with 400 naming the field', async () => {
    const noSensor = await cloud.app.inject({ headers: auth, url: '/api/readings?bucket=60' });
    expect(noSensor.statusCode).toBe(400);
    expect(noSensor.json()).toMatchObject({ code: 'SP_ERR_VALIDATION', details: [{ field: 'querystring.sensor' }] });
    const badBucket = await cloud.app.inject({ headers: auth, url: '/api/readings?sensor=a&bucket=-5' });
    expect(badBucket.json().details[0].field).toBe('querystring.bucket');
    const noBy = await cloud.app.inject({ headers: auth, method: 'POST', url: '/api/alerts/alert-1/ack', payload: {} });
    expect(noBy.statusCode).toBe(400);
    expect(noBy.json().details[0].field).toBe('body.by');
    const unknown = await cloud.app.inject({ headers: auth, method: 'POST', url: '/api/alerts/nope/ack', payload: { by: 'anna' } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('SP_ERR_NOT_FOUND');
  });

  it('acknowledges an alert once; a clear later keeps the acknowledgement', async () => {
    const ack = await cloud.app.inject({ headers: auth, method: 'POST', url: '/api/alerts/alert-1/ack', payload: { by: 'anna', note: 'door was ajar' } });
    expect(ack.statusCode).toBe(200);
    expect(ack.json()).toMatchObject({ id: 'alert-1', ackedBy: 'anna', ackNote: 'door was ajar', state: 'active' });
    const again = await cloud.app.inject({ headers: auth, method: 'POST', url: '/api/alerts/alert-1/ack', payload: { by: 'ben' } });
    expect(again.json().ackedBy).toBe('anna');

    await send(batch(3, { alerts: [{ ...raised, transition: 'cleared', ts: T0 + 4_000_000 }] }));
    expect((await ackFor(3))[0]!.status).toBe('committed');
    const list = (await cloud.app.inject({ headers: auth, url: '/api/alerts?state=cleared' })).json();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: 'alert-1', state: 'cleared', clearedAt: T0 + 4_000_000, ackedBy: 'anna', raisedAt: T0 + 3_600_000 });
    expect((await cloud.app.inject({ headers: auth, url: '/api/alerts?state=active' })).json()).toHaveLength(0);
  });

  it('exposes Prometheus metrics and an OpenAPI document', async () => {
    const m = await cloud.app.inject({ headers: auth, url: '/metrics' });
    expect(m.body).toMatch(/stockpulse_cloud_batches_committed_total 2/);
    expect(m.body).toMatch(/stockpulse_cloud_batches_duplicate_total 1/);
    const doc = await cloud.app.inject({ headers: auth, url: '/docs/json' });
    expect(Object.keys(doc.json().paths)).toEqual(expect.arrayContaining(['/api/readings', '/api/alerts/{id}/ack', '/api/zones']));
  });

  it('stores a reading once even when a new batch carries it again (QoS 1 redelivery at the edge)', async () => {
    const before = (await tdb.db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings'))[0]!.n;
    const again = readings.slice(0, 5);
    const fresh = { ...readings[0]!, ts: T0 + 10_000_000 };
    await send(batch(4, { readings: [...again, fresh, fresh] }));
    expect((await ackFor(4))[0]!.status).toBe('committed');
    const after = (await tdb.db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings'))[0]!.n;
    expect(after).toBe(before + 1);
    const m = await cloud.app.inject({ url: '/metrics' });
    expect(m.body).toMatch(/stockpulse_cloud_readings_duplicate_total 6/);
  });
});
