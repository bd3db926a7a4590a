import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import pino from 'pino';
import { startEmbeddedBroker } from '../../../edge/broker/embedded-broker.ts';
import { parseEdgeConfig } from '../../../edge/config.ts';
import { Gateway } from '../../../edge/gateway.ts';
import { startCloud } from '../../../cloud/cloud.ts';
import { cloudConfigFromEnv } from '../../../cloud/config.ts';
import { engineLabel, testDatabase } from '../../helpers/db.ts';
import { waitFor } from '../../helpers/net.ts';
import { registerGateway } from '../../helpers/gateways.ts';

// The uplink holds what the cloud has not acknowledged: readings taken while no cloud listens
// arrive once it starts, each exactly once, and a cloud restart mid-stream loses nothing.

const log = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

describe(`uplink delivery (${engineLabel})`, () => {
  it('delivers readings taken before the cloud started, and across a cloud restart, exactly once', async () => {
    const broker = await startEmbeddedBroker();
    cleanups.push(() => broker.close());
    const tdb = await testDatabase();
    await registerGateway(tdb.db, 'gw-r');
    cleanups.push(() => tdb.cleanup());
    const storageDir = mkdtempSync(join(tmpdir(), 'sp-uplink-'));
    cleanups.push(async () => rmSync(storageDir, { recursive: true, force: true }));
    const config = parseEdgeConfig({
      gateway: { id: 'gw-r', site: 'site-r' },
      storage: { dir: storageDir },
      deviceBroker: { url: broker.url },
      uplink: { url: broker.url, flushMs: 50, batchMaxItems: 40, ackTimeoutMs: 300 },
      zones: [{ id: 'cold', name: 'Cold room', profile: { low: 0, high: 5 } }],
      devices: [{ id: 'probe', protocol: 'mqtt-json', topic: 'site-r/probe', points: [{ sensor: 'cold-t', zone: 'cold', kind: 'temperature' }] }],
    }, {});
    const gw = new Gateway({ config, log });
    await gw.start();
    cleanups.push(() => gw.stop(0));
    const device = await mqtt.connectAsync(broker.url);
    cleanups.push(() => device.endAsync());
    let n = 0;
    const publish = async (count: number) => {
      for (let i = 0; i < count; i++, n++) {
        await device.publishAsync('site-r/probe', JSON.stringify({ ts: 1_790_000_000_000 + n * 1000, temperature: 2 + (n % 20) / 10 }));
      }
    };

    await publish(100); // no cloud yet: all of it waits in the outbox
    await waitFor(() => gw.status().readingsIn === 100, 'gateway received 100 readings');
    await waitFor(() => gw.outbox.depth() >= 100, 'readings held in the outbox');

    const cloudCfg = cloudConfigFromEnv({}, { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', MQTT_URL: broker.url, STOCKPULSE_MQTT_ALERTS: 'false' });
    const count = async () => (await tdb.db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings'))[0]!.n;
    let cloud = await startCloud({ config: cloudCfg, log, db: tdb.db });
    await waitFor(async () => (await count()) === 100, '100 readings committed');

    // cloud goes away mid-stream and comes back
    await publish(100);
    await cloud.stop();
    await publish(100);
    cloud = await startCloud({ config: cloudCfg, log, db: tdb.db });
    cleanups.push(() => cloud.stop());
    await waitFor(async () => (await count()) === 300 && gw.outbox.depth() === 0, '300 readings committed and outbox empty', 20_000);

    const dupes = await tdb.db.query<{ n: number }>('SELECT count(*)::int AS n FROM (SELECT ts FROM readings GROUP BY ts HAVING count(*) > 1) d');
    expect(dupes[0]!.n).toBe(0);
    const seqs = await tdb.db.query<{ seq: number }>('SELECT seq::int AS seq FROM uplink_batches ORDER BY seq');
    expect(seqs.map((s) => s.seq)).toEqual(seqs.map((_, i) => i + 1)); // gap-free
  });
});
