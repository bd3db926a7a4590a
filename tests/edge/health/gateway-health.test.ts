import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../edge/broker/embedded-broker.ts';
import { parseEdgeConfig } from '../../../edge/config.ts';
import { Gateway } from '../../../edge/gateway.ts';
import { startCloud, type Cloud } from '../../../cloud/cloud.ts';
import { cloudConfigFromEnv } from '../../../cloud/config.ts';
import { createApiToken } from '../../../cloud/auth/tokens.ts';
import { freePort } from '../../../simulators/free-port.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { waitFor } from '../../helpers/net.ts';
import { parsePrometheus, sample } from '../../helpers/prometheus-text.ts';
import { registerGateway } from '../../helpers/gateways.ts';

// A gateway over a real broker, the cloud on a real database: a probe that goes silent shows
// offline in GET /api/devices with a device_offline alert, and online again (alert cleared)
// once it speaks; a Modbus controller nobody answers for shows failed with its error. The
// gateway's own HTTP port serves /status and /metrics.

const log = pino({ level: 'silent' });
let broker: EmbeddedBroker;
let tdb: TestDatabase;
let cloud: Cloud;
let gw: Gateway;
let probe: MqttClient;
let publisher: NodeJS.Timeout | undefined;
let storeDir: string;
const auth = { authorization: '' }; // a viewer's token (the API wants one), set once the cloud is up

const api = async (path: string) => {
  const res = await fetch(cloud.url + path, { headers: auth });
  expect(res.status, path).toBe(200);
  return res.json() as Promise<any>;
};
const device = async (id: string) => (await api('/api/devices')).find((d: any) => d.id === id);

function startProbe(): void {
  publisher = setInterval(() => {
    void probe.publishAsync('site-h/probe', JSON.stringify({ temperature: 4.2, battery: 91, linkquality: -67 }));
  }, 150);
}
function silenceProbe(): void {
  clearInterval(publisher);
  publisher = undefined;
}

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  tdb = await testDatabase();
  await registerGateway(tdb.db, 'gw-h');
  cloud = await startCloud({
    config: cloudConfigFromEnv({}, { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', MQTT_URL: broker.url, STOCKPULSE_MQTT_ALERTS: 'false' }),
    log, db: tdb.db,
  });
  auth.authorization = `Bearer ${(await createApiToken(tdb.db, { role: 'viewer', name: 'test-viewer' })).token}`;
  const deadPort = await freePort(); // nothing listens here: connection refused
  storeDir = mkdtempSync(join(tmpdir(), 'sp-health-')); // the gateway's SQLite outbox, fresh per run
  gw = new Gateway({
    log,
    config: parseEdgeConfig({
      gateway: { id: 'gw-h', site: 'site-h' },
      deviceBroker: { url: broker.url },
      uplink: { url: broker.url, flushMs: 50, ackTimeoutMs: 500 },
      zones: [{ id: 'cold', name: 'Cold room', profile: { low: 0, high: 5 } }, { id: 'deep', name: 'Deep freeze', profile: { high: -18 } }],
      devices: [
        {
          id: 'probe', name: 'Cold room probe', protocol: 'mqtt-json', topic: 'site-h/probe', heartbeatSec: 0.4,
          points: [
            { sensor: 'cold-t', zone: 'cold', kind: 'temperature' },
            { sensor: 'cold-t-battery', zone: 'cold', kind: 'battery' },
            { sensor: 'cold-t-signal', zone: 'cold', kind: 'signal', field: 'linkquality' },
          ],
        },
        {
          id: 'deep-ctrl', protocol: 'modbus-tcp', host: '127.0.0.1', port: deadPort, pollMs: 200, timeoutMs: 200, heartbeatSec: 60,
          points: [{ sensor: 'deep-t', zone: 'deep', kind: 'temperature', register: { address: 0, type: 'float32' } }],
        },
      ],
      http: { port: 0, host: '127.0.0.1' },
      storage: { dir: storeDir, fsync: 'normal' },
    }, {}),
  });
  await gw.start();
  probe = await mqtt.connectAsync(broker.url);
});

afterAll(async () => {
  silenceProbe();
  await probe?.endAsync();
  await gw?.stop(0);
  await cloud?.stop();
  await tdb?.cleanup();
  await broker?.close();
  if (storeDir) rmSync(storeDir, { recursive: true, force: true });
});

describe(`device health: gateway → broker → cloud (${engineLabel})`, () => {
  it('a probe that goes silent is offline in /api/devices with an alert, and online again when it speaks', async () => {
    startProbe();
    const online = await waitFor(async () => { const d = await device('probe'); return d?.state === 'online' && d.battery !== null && d; }, 'probe online');
    expect(online).toMatchObject({ gateway: 'gw-h', zone: 'cold', protocol: 'mqtt-json', name: 'Cold room probe', heartbeatSec: 0.4, signal: -67 });
    expect(online.battery).toBe(91);
    expect(online.ageSec).toBeLessThan(5);
    expect(online.sensors.map((s: any) => s.id).sort()).toEqual(['cold-t', 'cold-t-battery', 'cold-t-signal']);

    silenceProbe();
    const offline = await waitFor(async () => { const d = await device('probe'); return d?.state === 'offline' && d; }, 'probe offline', 10_000);
    expect(offline.lastSeen).toBeGreaterThan(0);
    const alerts = await api('/api/alerts?state=active');
    const raised = alerts.find((a: any) => a.rule === 'device_offline' && a.zone === 'cold');
    expect(raised).toMatchObject({ severity: 'warning', sensor: null, gateway: 'gw-h' });
    expect(raised.message).toMatch(/^Cold room: device Cold room probe \(probe\) offline — silent for \d+ s \(expected every 400 ms\)$/);

    startProbe();
    await waitFor(async () => (await device('probe'))?.state === 'online', 'probe online again', 10_000);
    await waitFor(async () => (await api('/api/alerts?state=all')).find((a: any) => a.id === raised.id && a.state === 'cleared'), 'alert cleared');
    silenceProbe();

    // only changes travel: online, offline, online (not one event per reading)
    const rows = await tdb.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM alerts WHERE rule = 'device_offline' AND zone = 'cold'`);
    expect(rows[0]!.n).toBe(1);
  });

  it('a Modbus controller refusing the connection is failed, with the error', async () => {
    const d = await waitFor(async () => { const x = await device('deep-ctrl'); return x?.state === 'failed' && x; }, 'controller failed');
    expect(d.lastError.code).toBe('SP_ERR_DEVICE');
    expect(d.lastError.message).toContain('connection refused');
    expect(d.lastSeen).toBeNull();
    expect((await api('/api/devices?state=failed')).map((x: any) => x.id)).toEqual(['deep-ctrl']);
  });

  it('the gateway serves /status and /metrics; the cloud /metrics counts devices by state and dead letters', async () => {
    expect(gw.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // the refused Modbus port is retried with backoff: wait until /status shows it failed
    const status = await waitFor(async () => {
      const st = await (await fetch(`${gw.httpUrl}/status`)).json() as any;
      return st.health['deep-ctrl']?.state === 'failed' && st;
    }, 'deep-ctrl failed in /status');
    expect(status.gateway).toBe('gw-h');
    expect(status.health['deep-ctrl']).toMatchObject({ state: 'failed', zone: 'deep' });
    expect(status.health.probe.battery).toBe(91);

    const edgeRes = await fetch(`${gw.httpUrl}/metrics`);
    expect(edgeRes.headers.get('content-type')).toContain('text/plain');
    const edge = parsePrometheus(await edgeRes.text());
    // the probe may still be publishing: the scrape is at most what status() counts just after
    const readingsIn = sample(edge, 'stockpulse_edge_readings_in_total');
    expect(readingsIn).toBeGreaterThan(0);
    expect(readingsIn).toBeLessThanOrEqual(gw.status().readingsIn);
    expect(sample(edge, 'stockpulse_edge_readings_out_total')).toBeGreaterThan(0);
    // the SQLite outbox knows its size: bytes whenever something waits (it may all be acked by now)
    const depth = sample(edge, 'stockpulse_edge_outbox_depth')!;
    const bytes = sample(edge, 'stockpulse_edge_outbox_bytes')!;
    expect(depth).toBeGreaterThanOrEqual(0);
    expect(bytes).toBeGreaterThanOrEqual(0);
    expect(depth > 0 ? bytes > 0 : true).toBe(true);
    expect(sample(edge, 'stockpulse_edge_uplink_batches_acked_total')).toBeGreaterThan(0);
    for (const name of ['stockpulse_edge_dead_letters_total', 'stockpulse_edge_outbox_thinned_total', 'stockpulse_edge_uplink_resends_total',
      'stockpulse_edge_uplink_reconnects_total', 'stockpulse_edge_uplink_batches_sent_total', 'stockpulse_edge_uplink_ack_latency_seconds']) {
      expect(sample(edge, name), name).toBeGreaterThanOrEqual(0);
    }
    expect(sample(edge, 'stockpulse_edge_device_status', { device: 'deep-ctrl', state: 'failed' })).toBe(1);
    expect(sample(edge, 'stockpulse_edge_device_status', { device: 'deep-ctrl', state: 'online' })).toBe(0);
    expect(sample(edge, 'stockpulse_edge_device_battery_percent', { device: 'probe' })).toBeGreaterThan(0);
    expect(edge.find((s) => s.name === 'stockpulse_edge_readings_in_total')!.labels.gateway).toBe('gw-h');
    expect((await fetch(`${gw.httpUrl}/nope`)).status).toBe(404);

    const cloudText = await (await fetch(`${cloud.url}/metrics`)).text();
    const c = parsePrometheus(cloudText);
    expect(sample(c, 'stockpulse_cloud_devices', { state: 'failed' })).toBe(1);
    expect(sample(c, 'stockpulse_cloud_devices', { state: 'online' }) + sample(c, 'stockpulse_cloud_devices', { state: 'offline' })).toBe(1);
    expect(sample(c, 'stockpulse_cloud_dead_letters')).toBe(0);
    expect(sample(c, 'stockpulse_cloud_readings_ingested_total')).toBeGreaterThan(0);
  });
});
