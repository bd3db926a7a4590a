import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { PROTOCOL_VERSION, UplinkBatch, type UplinkBatchInput, type DeviceStatusEvent } from '../../../protocols/uplink/contract.ts';
import { storeBatch } from '../../../cloud/ingest/store-batch.ts';
import { startCloud, type Cloud } from '../../../cloud/cloud.ts';
import { cloudConfigFromEnv } from '../../../cloud/config.ts';
import { createApiToken } from '../../../cloud/auth/tokens.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../edge/broker/embedded-broker.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { parsePrometheus, sample } from '../../helpers/prometheus-text.ts';
import { registerGateway } from '../../helpers/gateways.ts';

// The cloud side of device health: the manifest declares devices, status events move their
// state inside the batch transaction (latest event time wins, replays change nothing), and
// GET /api/devices / GET /metrics show the result.

const T = 1_790_000_000_000;
let tdb: TestDatabase;
let broker: EmbeddedBroker;
let cloud: Cloud;
const auth = { authorization: '' }; // a viewer's token (the API wants one), set once the cloud is up

const manifest = {
  site: 'site-d',
  zones: [{ id: 'cold-d', name: 'Cold', profile: { low: 0, high: 5 }, delaySec: 60, hysteresis: 0.5 }],
  sensors: [
    { id: 'd-t', zone: 'cold-d', kind: 'temperature', unit: '°C', protocol: 'mqtt-json' },
    { id: 'd-bat', zone: 'cold-d', kind: 'battery', unit: '%', protocol: 'mqtt-json' },
    { id: 'ctl-t', zone: 'cold-d', kind: 'temperature', unit: '°C', protocol: 'modbus-tcp' },
  ],
  devices: [
    { id: 'probe-d', protocol: 'mqtt-json', name: 'Probe D', heartbeatSec: 60, sensors: ['d-t', 'd-bat'] },
    { id: 'ctl-d', protocol: 'modbus-tcp', heartbeatSec: 2, sensors: ['ctl-t'] },
  ],
};

let seq = 0;
const stream = randomUUID();
const store = (b: Partial<UplinkBatchInput>, s = stream) =>
  storeBatch(tdb.db, UplinkBatch.parse({ v: PROTOCOL_VERSION, gateway: 'gw-d', stream: s, seq: ++seq, sentAt: T, readings: [], alerts: [], ...b }), []);
const ev = (device: string, ts: number, state: DeviceStatusEvent['state'], extra: Partial<DeviceStatusEvent> = {}): DeviceStatusEvent => ({ device, ts, state, ...extra });

async function devices(query = ''): Promise<any[]> {
  const res = await fetch(`${cloud.url}/api/devices${query}`, { headers: auth });
  expect(res.status).toBe(200);
  return res.json() as Promise<any[]>;
}

beforeAll(async () => {
  tdb = await testDatabase();
  await registerGateway(tdb.db, 'gw-d');
  broker = await startEmbeddedBroker();
  cloud = await startCloud({
    config: cloudConfigFromEnv({}, { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', MQTT_URL: broker.url, STOCKPULSE_MQTT_ALERTS: 'false' }),
    log: pino({ level: 'silent' }), db: tdb.db,
  });
  auth.authorization = `Bearer ${(await createApiToken(tdb.db, { role: 'viewer', name: 'test-viewer' })).token}`;
}); // migrations on PGlite take seconds on a busy 2-core box: the config's hook timeout (120 s) covers them

afterAll(async () => {
  await cloud?.stop();
  await broker?.close();
  await tdb?.cleanup();
});

describe(`devices table and GET /api/devices (${engineLabel})`, () => {
  it('lists manifest devices as unknown until their gateway reports them', async () => {
    await store({ manifest });
    const list = await devices();
    expect(list.map((d) => d.id)).toEqual(['ctl-d', 'probe-d']);
    expect(list.find((d) => d.id === 'probe-d')).toMatchObject({
      gateway: 'gw-d', zone: 'cold-d', protocol: 'mqtt-json', name: 'Probe D', heartbeatSec: 60,
      state: 'unknown', stateSince: null, lastSeen: null, ageSec: null, battery: null, signal: null, lastError: null,
    });
    expect(list.find((d) => d.id === 'probe-d').sensors.map((s: any) => s.id)).toEqual(['d-t', 'd-bat']);
  });

  it('applies status events in event-time order: a late, older event does not overwrite a newer state', async () => {
    await store({ devices: [ev('probe-d', T + 1000, 'online', { lastSeen: T + 1000, battery: 80, signal: -70 })] });
    await store({ devices: [ev('probe-d', T + 9000, 'offline', { lastSeen: T + 1000, battery: 80, signal: -70 })] });
    // a batch from an older stream arrives late, with an event from before the offline one
    await store({ devices: [ev('probe-d', T + 5000, 'online', { lastSeen: T + 5000 })] }, randomUUID());
    const d = (await devices()).find((x) => x.id === 'probe-d');
    expect(d).toMatchObject({ state: 'offline', stateSince: T + 9000, lastSeen: T + 1000, battery: 80, signal: -70 });
    expect(d.ageSec).toBe(Math.round((Date.now() - (T + 1000)) / 1000));
  });

  it('keeps the last error after recovery, and a replayed batch changes nothing', async () => {
    const refused = { code: 'SP_ERR_DEVICE', message: 'connection refused' };
    await store({ devices: [ev('ctl-d', T + 2000, 'failed', { error: refused })] });
    const r = await store({ devices: [ev('ctl-d', T + 8000, 'online', { lastSeen: T + 8000 })] });
    expect(r.status).toBe('committed');
    const replay = UplinkBatch.parse({ v: PROTOCOL_VERSION, gateway: 'gw-d', stream, seq: seq - 1, sentAt: T, readings: [], alerts: [], devices: [ev('ctl-d', T + 9999, 'failed', { error: refused })] });
    // same (gateway, stream, seq), other content: not a resend, so refused as a seq conflict (issue #11)
    expect(await storeBatch(tdb.db, replay, [])).toMatchObject({ status: 'rejected', error: { code: 'SP_ERR_UPLINK_SEQ_CONFLICT' } });
    expect((await devices()).find((x) => x.id === 'ctl-d')).toMatchObject({ state: 'online', lastSeen: T + 8000, lastError: refused });
  });

  it('fresh readings keep lastSeen and battery current between status events', async () => {
    const now = Date.now();
    await store({ readings: [{ sensor: 'd-t', kind: 'temperature', ts: now - 2000, value: 3.5 }, { sensor: 'd-bat', kind: 'battery', ts: now - 2000, value: 64 }] });
    const d = (await devices()).find((x) => x.id === 'probe-d');
    expect(d).toMatchObject({ battery: 64, state: 'offline' });
    expect(Math.abs(d.lastSeen - (now - 2000))).toBeLessThanOrEqual(1); // stored as timestamptz (µs) via float seconds
    expect(d.ageSec).toBeLessThan(10);
  });

  it('filters by state, and rejects an unknown state naming the field', async () => {
    expect((await devices('?state=offline')).map((d) => d.id)).toEqual(['probe-d']);
    expect((await devices('?state=online&gateway=gw-d')).map((d) => d.id)).toEqual(['ctl-d']);
    const res = await fetch(`${cloud.url}/api/devices?state=asleep`, { headers: auth });
    expect(res.status).toBe(400);
    const body = await res.json() as any;
    expect(body.code).toBe('SP_ERR_VALIDATION');
    expect(body.details[0].field).toBe('querystring.state');
  });

  it('GET /metrics counts devices by state and dead letters', async () => {
    await tdb.db.query(`INSERT INTO dead_letters (source, code, reason, payload) VALUES ('uplink:gw-d', 'SP_ERR_UPLINK_BATCH', 'test', '{}')`);
    const m = parsePrometheus(await (await fetch(`${cloud.url}/metrics`)).text());
    expect(sample(m, 'stockpulse_cloud_devices', { state: 'offline' })).toBe(1);
    expect(sample(m, 'stockpulse_cloud_devices', { state: 'online' })).toBe(1);
    expect(sample(m, 'stockpulse_cloud_devices', { state: 'failed' })).toBe(0);
    expect(sample(m, 'stockpulse_cloud_devices', { state: 'unknown' })).toBe(0);
    expect(sample(m, 'stockpulse_cloud_dead_letters')).toBe(1);
    expect(sample(m, 'stockpulse_cloud_batches_committed_total')).toBeGreaterThanOrEqual(0);
  });
  it('a device back online clears the offline alert a restarted gateway no longer knows about', async () => {
    const offline = { id: 'cold-d:device_offline:probe-d:' + (T + 20_000), transition: 'raised' as const, rule: 'device_offline' as const, zone: 'cold-d', severity: 'warning' as const, ts: T + 20_000, since: T + 1000, message: 'Probe D offline' };
    const other = { ...offline, id: 'cold-d:device_offline:ctl-d:' + (T + 20_000) };
    await store({ alerts: [offline, other] });
    // the gateway restarts: a new stream, no memory of the alert, just the device's state
    await store({ devices: [ev('probe-d', T + 30_000, 'online', { lastSeen: T + 30_000 })] }, randomUUID());
    const rows = await tdb.db.query<{ id: string; state: string; cleared_at: Date | null }>(`SELECT id, state, cleared_at FROM alerts WHERE rule = 'device_offline' ORDER BY id`);
    expect(rows.map((r) => [r.id.split(':')[2], r.state])).toEqual([['ctl-d', 'active'], ['probe-d', 'cleared']]);
    expect(rows.find((r) => r.id === offline.id)!.cleared_at!.getTime()).toBe(T + 30_000);
    // the raise still in the restarted gateway's outbox and the device's return in ONE batch
    const late = { ...offline, id: 'cold-d:device_offline:ctl-d:' + (T + 40_000), ts: T + 40_000 };
    await store({ alerts: [late], devices: [ev('ctl-d', T + 50_000, 'online', { lastSeen: T + 50_000 })] }, randomUUID());
    const [again] = await tdb.db.query<{ state: string }>(`SELECT state FROM alerts WHERE id = $1`, [late.id]);
    expect(again!.state).toBe('cleared');
  });
});
