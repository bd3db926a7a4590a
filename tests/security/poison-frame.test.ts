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
import { registerGateway } from '../helpers/gateways.ts';
import { faultyDb, sqlError, type FaultyDb } from '../helpers/faulty-db.ts';
import type { AlertEvent } from '../../protocols/uplink/contract.ts';

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
let faulty: FaultyDb;
const localAlerts: AlertEvent[] = [];

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  tdb = await testDatabase();
  await registerGateway(tdb.db, 'gw-poison', { site: 'bakery' });
  storageDir = mkdtempSync(join(tmpdir(), 'sp-poison-'));
  // the real database; a test may make the batch commit fail as a lost connection does
  faulty = faultyDb(tdb.db, (sql) => sql.includes('INSERT INTO uplink_batches'), () => sqlError('08006', 'connection failure'));
  cloud = await startCloud({
    config: cloudConfigFromEnv({}, { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', MQTT_URL: broker.url, STOCKPULSE_MQTT_ALERTS: 'false', STOCKPULSE_UPLINK_STALL_SEC: '1.5' }),
    log, db: faulty.db, jobs: false,
  });
  gw = new Gateway({
    log,
    onAlert: (a) => localAlerts.push(a),
    config: parseEdgeConfig({
      gateway: { id: 'gw-poison', site: 'bakery' },
      storage: { dir: storageDir },
      deviceBroker: { url: broker.url },
      uplink: { url: broker.url, flushMs: 30, batchMaxItems: 50, ackTimeoutMs: 300, stallAfterSec: 1.5 },
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
});

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

  it('a stream that stops advancing degrades health on both sides and raises uplink_stalled, cleared when it moves again', { timeout: 60_000 }, async () => {
    await waitFor(() => gw.outbox.depth() === 0, 'nothing waiting');
    faulty.armed = true; // every commit now fails as if the database connection were lost: no ack
    const ts = Date.now();
    await device.publishAsync('bakery/chiller/t1', JSON.stringify({ ts, temperature: 5 }), { qos: 1 });
    // the edge: /status degraded, and the alarm reaches the local outputs with the cloud not acking
    const raised = await waitFor(() => localAlerts.find((a) => a.rule === 'uplink_stalled' && a.transition === 'raised'), 'uplink_stalled raised on the edge', 20_000);
    expect(raised.zone).toBe('gateway:gw-poison');
    const s = await edgeStatus();
    expect(s.status).toBe('degraded');
    expect(s.uplink.inFlightAgeSec).toBeGreaterThan(1);
    expect(s.uplink.stalledForSec).toBeGreaterThanOrEqual(1.5);
    const edgeMetrics = await (await fetch(`${gw.httpUrl}/metrics`)).text();
    expect(edgeMetrics).toMatch(/^stockpulse_edge_uplink_stalled\{[^}]*\} 1$/m);
    // the cloud: the batch keeps arriving and is never acked → health degraded, its own alert
    const h = await waitFor(async () => { const x = await health(); return x.status === 'degraded' && x; }, 'cloud health degraded', 20_000);
    expect(h.uplink.stalled).toEqual(['gw-poison']);
    expect(h.uplink.oldestUnackedSec).toBeGreaterThanOrEqual(1.5);
    expect(h.uplink.gateways[0].attempts).toBeGreaterThan(1);
    await waitFor(async () => (await count(`SELECT count(*)::int AS n FROM alerts WHERE gateway = 'cloud' AND rule = 'uplink_stalled' AND state = 'active'`)) === 1, 'uplink_stalled raised by the cloud');
    expect(await (await fetch(`${cloud.url}/metrics`)).text()).toMatch(/^stockpulse_cloud_batch_failures_total\{fault="connection"\} [1-9]/m);

    faulty.armed = false; // the database is back: the resend commits, everything flows again
    await waitFor(async () => (await count(`SELECT count(*)::int AS n FROM readings WHERE sensor = 'chiller-t1' AND ts = to_timestamp($1 / 1000.0)`, [ts])) === 1, 'the held reading stored');
    await waitFor(() => localAlerts.find((a) => a.id === raised.id && a.transition === 'cleared'), 'uplink_stalled cleared on the edge');
    await waitFor(async () => (await edgeStatus()).status === 'ok', 'edge status ok again');
    await waitFor(async () => (await health()).status === 'ok', 'cloud health ok again');
    await waitFor(async () => (await count(`SELECT count(*)::int AS n FROM alerts WHERE gateway = 'cloud' AND rule = 'uplink_stalled' AND state = 'cleared'`)) === 1, 'the cloud alert cleared');
    // the edge's own raise and clear reach the cloud once the link moves
    await waitFor(async () => (await count(`SELECT count(*)::int AS n FROM alerts WHERE id = $1 AND state = 'cleared'`, [raised.id])) === 1, 'the edge alert stored, cleared');
  });
});
