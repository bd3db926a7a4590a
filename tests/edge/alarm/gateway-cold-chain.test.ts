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

// A freezer controller publishing its air temperature and defrost output over MQTT, a real
// gateway, a real cloud: the defrost holds the high alarm and reaches the cloud as its `info`
// record, and the simulated product temperature is stored as a sensor of its own.

const log = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

describe(`gateway → cloud: defrost and product temperature (${engineLabel})`, () => {
  it('a controller defrost raises no high alarm, its record is stored and cleared, the product series is stored', async () => {
    const broker = await startEmbeddedBroker();
    cleanups.push(() => broker.close());
    const tdb = await testDatabase();
    await registerGateway(tdb.db, 'gw-cc', { site: 'site-cc' });
    cleanups.push(() => tdb.cleanup());
    const storageDir = mkdtempSync(join(tmpdir(), 'sp-coldchain-'));
    cleanups.push(async () => rmSync(storageDir, { recursive: true, force: true }));
    const config = parseEdgeConfig({
      gateway: { id: 'gw-cc', site: 'site-cc' },
      storage: { dir: storageDir },
      deviceBroker: { url: broker.url },
      uplink: { url: broker.url, flushMs: 50, ackTimeoutMs: 1000 },
      // short times: one second of delay, 12 s maximum, 3 s recovery
      zones: [{
        id: 'freezer', name: 'Freezer', profile: { high: -18 }, alarm: { delaySec: 1 },
        defrost: { maxDurationMin: 0.2, recoveryMin: 0.05 }, product: { tauMin: 1 },
      }],
      devices: [{ id: 'ctrl', protocol: 'mqtt-json', topic: 'site-cc/ctrl', points: [
        { sensor: 'freezer-t1', zone: 'freezer', kind: 'temperature' },
        { sensor: 'freezer-defrost', zone: 'freezer', kind: 'defrost' },
      ] }],
    }, {});
    const cloud = await startCloud({
      config: cloudConfigFromEnv({}, { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', MQTT_URL: broker.url, STOCKPULSE_MQTT_ALERTS: 'false' }), log, db: tdb.db,
    });
    cleanups.push(() => cloud.stop());
    const gw = new Gateway({ config, log });
    await gw.start();
    cleanups.push(() => gw.stop(0));
    const device = await mqtt.connectAsync(broker.url);
    cleanups.push(() => device.endAsync());

    // the controller's frames, stamped by its own clock: 10 s of defrost (−13 °C) in 14 s
    const t0 = Date.now();
    for (let k = 0; k <= 14; k++) {
      const defrost = k >= 1 && k < 11;
      const temperature = k >= 2 && k < 12 ? -13 : -21;
      await device.publishAsync('site-cc/ctrl', JSON.stringify({ ts: t0 + k * 1000, temperature, defrost }), { qos: 1 });
    }
    type Row = { rule: string; severity: string; state: string; since: Date; cleared_at: Date | null };
    const alerts = () => tdb.db.query<Row>('SELECT rule, severity, state, since, cleared_at FROM alerts ORDER BY raised_at');
    // the hold ends 3 s after the output went off (event time t0 + 14 s), as the gateway's clock passes it
    const rows = await waitFor(async () => {
      const r = await alerts();
      return r.length === 1 && r[0]!.state === 'cleared' && r;
    }, 'the defrost record stored and cleared', 30_000);
    expect(rows).toMatchObject([{ rule: 'defrost', severity: 'info', state: 'cleared' }]);
    expect(rows[0]!.since.getTime()).toBe(t0 + 1000);
    expect(rows[0]!.cleared_at!.getTime()).toBe(t0 + 14_000);

    const product = await waitFor(async () => {
      const r = await tdb.db.query<{ kind: string; value: number }>(
        "SELECT kind, value FROM readings WHERE sensor = 'freezer-t1-product' ORDER BY ts");
      return r.length === 15 && r;
    }, 'the 15 product readings stored');
    expect(new Set(product.map((r) => r.kind))).toEqual(new Set(['product_temperature']));
    // τ = 60 s: 10 s of −13 °C air lifts the product by 8 × (1 − e^(−10/60)) ≈ 1.23 °C, no more
    const peak = Math.max(...product.map((r) => r.value));
    expect(peak).toBeCloseTo(-21 + 8 * (1 - Math.exp(-10 / 60)), 2);
    const sensor = await tdb.db.query<{ kind: string; unit: string }>("SELECT kind, unit FROM sensors WHERE id = 'freezer-t1-product'");
    expect(sensor).toEqual([{ kind: 'product_temperature', unit: '°C' }]);
    // nothing else was raised: not by the air (held), not by the product (never past −18 °C)
    expect((await alerts()).map((a) => a.rule)).toEqual(['defrost']);
  });
});
