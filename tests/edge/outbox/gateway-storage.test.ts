import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import pino from 'pino';
import { startEmbeddedBroker } from '../../../edge/broker/embedded-broker.ts';
import { parseEdgeConfig } from '../../../edge/config.ts';
import { Gateway } from '../../../edge/gateway.ts';
import { openEdgeStore } from '../../../edge/outbox/store.ts';
import { isSpError } from '../../../protocols/errors.ts';
import { waitFor } from '../../helpers/net.ts';
import { drain, tempDir } from './helpers.ts';

// The gateway keeps its outbox and dead letters in <storage.dir>/<gateway id>.sqlite when it is
// not handed other ones: what the cloud has not acknowledged survives a gateway restart.

const log = pino({ level: 'silent' });
const tmp = tempDir('sp-gw-store-');
const cleanups: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  tmp.remove();
});

const baseConfig = (brokerUrl: string, storage?: unknown) => ({
  gateway: { id: 'gw-store', site: 'site-s' },
  deviceBroker: { url: brokerUrl },
  uplink: { url: brokerUrl, flushMs: 50 },
  zones: [{ id: 'cold', name: 'Cold room', profile: { low: 0, high: 5 } }],
  devices: [{ id: 'probe', protocol: 'mqtt-json', topic: 'site-s/probe', points: [{ sensor: 'cold-t', zone: 'cold', kind: 'temperature' }] }],
  ...(storage ? { storage } : {}),
});

describe('storage config', () => {
  it('defaults to ./data/edge, 256 MiB, fsync full; takes sizes with units; names a bad one', () => {
    expect(parseEdgeConfig(baseConfig('mqtt://127.0.0.1:1'), {}).storage).toEqual({ dir: './data/edge', maxBytes: 256 * 1024 * 1024, fsync: 'full' });
    expect(parseEdgeConfig(baseConfig('mqtt://127.0.0.1:1', { dir: '/var/lib/sp', maxBytes: '1.5 GiB', fsync: 'normal' }), {}).storage)
      .toEqual({ dir: '/var/lib/sp', maxBytes: 1.5 * 1024 ** 3, fsync: 'normal' });
    let err: unknown;
    try { parseEdgeConfig(baseConfig('mqtt://127.0.0.1:1', { maxBytes: 'lots', fsync: 'sometimes' }), {}); } catch (e) { err = e; }
    expect(isSpError(err) && err.details.map((d) => d.field).sort()).toEqual(['storage.fsync', 'storage.maxBytes']);
  });
});

describe('gateway on its SQLite store', () => {
  it('keeps unacknowledged readings and dead letters across a restart, on the same stream', async () => {
    const broker = await startEmbeddedBroker();
    cleanups.push(() => broker.close());
    const dir = join(tmp.dir, 'nested', 'edge'); // created by the gateway
    const config = parseEdgeConfig(baseConfig(broker.url, { dir }), {});
    const device = await mqtt.connectAsync(broker.url);
    cleanups.push(() => device.endAsync());

    const gw1 = new Gateway({ config, log });
    await gw1.start();
    const stream = gw1.outbox.stream;
    for (let i = 0; i < 5; i++) await device.publishAsync('site-s/probe', JSON.stringify({ ts: 1_790_000_000_000 + i * 1000, temperature: 3 + i / 10 }));
    await device.publishAsync('site-s/probe', 'garbage frame');
    await waitFor(() => gw1.outbox.depth() >= 6 && gw1.deadLetters.count() === 1, 'manifest, 5 readings and a dead letter stored');
    await gw1.stop(0); // no cloud: nothing was acknowledged
    const held = gw1.outbox.depth(); // manifest, readings, the probe's device status event
    expect(held).toBeGreaterThanOrEqual(6);
    expect(existsSync(join(dir, 'gw-store.sqlite'))).toBe(true);

    const gw2 = new Gateway({ config, log });
    expect(gw2.outbox.stream).toBe(stream);
    expect(gw2.outbox.depth()).toBe(held);
    expect(gw2.deadLetters.count()).toBe(1);
    expect(gw2.deadLetters.list(1)[0]).toMatchObject({ source: 'probe', code: 'SP_ERR_DECODE', payload: 'garbage frame' });
    await gw2.start();
    await gw2.stop(0);

    const store = openEdgeStore(config); // the lock was released by stop()
    const { entries } = drain(store.outbox);
    expect(entries.length).toBeGreaterThanOrEqual(held + 1); // + gw2's manifest (and any device events)
    expect(entries.map((e) => e.type).filter((t) => t !== 'device')).toEqual(['manifest', 'reading', 'reading', 'reading', 'reading', 'reading', 'manifest']);
    expect(entries.flatMap((e) => (e.type === 'reading' ? [e.reading.value] : []))).toEqual([3, 3.1, 3.2, 3.3, 3.4]);
    store.close();
  });
});
