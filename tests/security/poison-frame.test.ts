import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../edge/broker/embedded-broker.ts';
import { parseEdgeConfig } from '../../edge/config.ts';
import { Gateway } from '../../edge/gateway.ts';
import { startCloud, type Cloud } from '../../cloud/cloud.ts';
import { cloudConfigFromEnv } from '../../cloud/config.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../helpers/db.ts';
import { waitFor } from '../helpers/net.ts';

// Issue #11, attack 1: a device (any device credential may publish on its own topic) sends the
// 4 bytes `\x00bad`. Before the fix, the decode error text carried the NUL into a device status
// event, the database refused the whole batch, the gateway resent it for ever and the site
// stopped. Now: the frame costs that frame only (dead-lettered on the gateway), the other
// devices' readings of the same second reach the database, the stream keeps advancing and
// health is not left degraded.

const log = pino({ level: 'silent' });
let broker: EmbeddedBroker;
let tdb: TestDatabase;
let cloud: Cloud;
let gw: Gateway;
let device: MqttClient;
let storageDir: string;

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  tdb = await testDatabase();
  storageDir = mkdtempSync(join(tmpdir(), 'sp-poison-'));
  cloud = await startCloud({
    config: cloudConfigFromEnv({}, { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', MQTT_URL: broker.url, STOCKPULSE_MQTT_ALERTS: 'false' }),
    log, db: tdb.db, jobs: false,
  });
  gw = new Gateway({
    log,
    config: parseEdgeConfig({
      gateway: { id: 'gw-poison', site: 'bakery' },
      storage: { dir: storageDir },
      deviceBroker: { url: broker.url },
      uplink: { url: broker.url, flushMs: 30, batchMaxItems: 50, ackTimeoutMs: 300 },
      http: { port: 0, host: '127.0.0.1' },
      zones: [{ id: 'chiller', name: 'Chiller', profile: { low: 2, high: 8 } }],
      devices: [
        // heartbeat long enough that silence never decides anything during the test
        { id: 'chiller-door', protocol: 'mqtt-json', topic: 'bakery/chiller/door', heartbeatSec: 600, points: [{ sensor: 'chiller-door', zone: 'chiller', kind: 'door' }] },
        { id: 'probe-1', protocol: 'mqtt-json', topic: 'bakery/chiller/t1', heartbeatSec: 600, points: [{ sensor: 'chiller-t1', zone: 'chiller', kind: 'temperature' }] },
        { id: 'probe-2', protocol: 'mqtt-json', topic: 'bakery/chiller/t2', heartbeatSec: 600, points: [{ sensor: 'chiller-t2', zone: 'chiller', kind: 'temperature' }] },
      ],
    }, {}),
  });
  await gw.start();
  device = await mqtt.connectAsync(broker.url);
}, 60_000);

afterAll(async () => {
  await device?.endAsync();
  await gw?.stop(0);
  await cloud?.stop();
  await broker?.close();
  await tdb?.cleanup();
  rmSync(storageDir, { recursive: true, force: true });
});

const count = async (sql: string, params: unknown[] = []) => (await tdb.db.query<{ n: number }>(sql, params))[0]!.n;
const committed = async () => {
  const text = await (await fetch(`${cloud.url}/metrics`)).text();
  return Number(/^stockpulse_cloud_batches_committed_total (\d+)/m.exec(text)?.[1] ?? 0);
};
const health = async () => (await fetch(`${cloud.url}/api/health`)).json() as Promise<any>;
const edgeStatus = async () => (await fetch(`${gw.httpUrl}/status`)).json() as Promise<any>;

describe(`a NUL frame on a device topic (${engineLabel})`, () => {
  it('costs that frame only: the other devices of the same second reach the database and the stream goes on', { timeout: 60_000 }, async () => {
    await waitFor(async () => (await count('SELECT count(*)::int AS n FROM uplink_batches')) >= 1, 'the manifest batch committed');
    const ts = Date.now();
    await device.publishAsync('bakery/chiller/door', Buffer.from('\x00bad', 'latin1'), { qos: 1 });
    await device.publishAsync('bakery/chiller/t1', JSON.stringify({ ts, temperature: 4.1 }), { qos: 1 });
    await device.publishAsync('bakery/chiller/t2', JSON.stringify({ ts, temperature: 4.3 }), { qos: 1 });

    // the gateway kept the frame with its coded reason
    await waitFor(() => gw.deadLetters.list().find((d) => d.source === 'chiller-door' && d.code === 'SP_ERR_DECODE'), 'the NUL frame dead-lettered on the gateway');
    // device health samples the failure (tick every second) and reports it as a device status event
    await waitFor(() => gw.health.snapshot()['chiller-door']?.state === 'failed', 'the door contact marked failed');
    await waitFor(async () => (await count(`SELECT count(*)::int AS n FROM devices WHERE id = 'chiller-door' AND state = 'failed'`)) === 1, 'the failed state stored in the cloud', 20_000);
    const [dev] = await tdb.db.query<{ message: string | null }>(`SELECT last_error->>'message' AS message FROM devices WHERE id = 'chiller-door'`);
    expect(dev?.message).toMatch(/not JSON/);
    expect(dev?.message).not.toContain('\u0000');
    await waitFor(async () => (await count(`SELECT count(*)::int AS n FROM readings WHERE sensor IN ('chiller-t1', 'chiller-t2') AND ts = to_timestamp($1 / 1000.0)`, [ts])) === 2,
      'both probes of the same second stored', 20_000);

    // the stream keeps advancing: later readings arrive and batches_committed keeps rising
    const before = await committed();
    for (let i = 1; i <= 3; i++) {
      await device.publishAsync('bakery/chiller/t1', JSON.stringify({ ts: ts + i * 1000, temperature: 4 + i / 10 }), { qos: 1 });
      await waitFor(async () => (await count(`SELECT count(*)::int AS n FROM readings WHERE sensor = 'chiller-t1' AND ts = to_timestamp($1 / 1000.0)`, [ts + i * 1000])) === 1, `reading ${i} after the poison stored`);
    }
    expect(await committed()).toBeGreaterThan(before);
    await waitFor(() => gw.outbox.depth() === 0, 'the edge outbox drained');

    // health tells the truth and is not stuck degraded once everything is acknowledged
    const h = await waitFor(async () => { const x = await health(); return x.status === 'ok' && x; }, 'cloud health ok');
    expect(h.uplink.oldestUnackedSec).toBe(0);
    const s = await waitFor(async () => { const x = await edgeStatus(); return x.status === 'ok' && x; }, 'edge status ok');
    expect(s.uplink.inFlightAgeSec).toBe(0);
  });
});
