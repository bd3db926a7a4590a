import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { parseEdgeConfig } from '../../../edge/config.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../edge/broker/embedded-broker.ts';
import { embeddedBrokerOptions } from '../../../edge/broker/from-config.ts';
import { hashPassword, verifyPassword } from '../../../edge/broker/passwords.ts';
import { filterCovers, topicMatches } from '../../../edge/broker/topics.ts';
import { isSpError } from '../../../protocols/errors.ts';
import { waitFor } from '../../helpers/net.ts';

// The embedded broker with users and ACLs: devices log in with their own credentials, publish
// only to their own topic, subscribe to nothing; anonymous and wrong passwords are refused.

const log = pino({ level: 'silent' });
let broker: EmbeddedBroker;
const clients: MqttClient[] = [];
const env = { PROBE1_PASSWORD: 'p1-Secret!', GW_PASSWORD: 'gw-Secret!' };

const baseConfig = (users: unknown[]) => ({
  gateway: { id: 'gw-sec', site: 'site-sec' },
  deviceBroker: { url: 'mqtt://127.0.0.1:1', username: 'edge', password: '${GW_PASSWORD}' },
  uplink: { url: 'mqtt://127.0.0.1:1' },
  zones: [{ id: 'cold', name: 'Cold room', profile: { high: 8 } }],
  devices: [
    { id: 'probe-1', protocol: 'mqtt-json', topic: 'site/cold/probe-1', points: [{ sensor: 't1', zone: 'cold', kind: 'temperature' }] },
    { id: 'probe-2', protocol: 'mqtt-json', topic: 'site/cold/probe-2', points: [{ sensor: 't2', zone: 'cold', kind: 'temperature' }] },
  ],
  broker: { port: 0, auth: { users } },
});

async function connect(opts: mqtt.IClientOptions): Promise<MqttClient> {
  const c = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 5000, ...opts });
  clients.push(c);
  return c;
}
/** granted QoS per topic; 128 = refused (mqtt.js rejects the whole call then, with the SUBACK attached) */
async function granted(c: MqttClient, topics: string[]): Promise<number[]> {
  try {
    return (await c.subscribeAsync(topics)).map((g) => g.qos);
  } catch (e) {
    const packet = (e as { packet?: { granted?: number[] } }).packet;
    if (!packet?.granted) throw e;
    return packet.granted;
  }
}
const connectError = (opts: mqtt.IClientOptions) => connect(opts).then(() => 'connected', (e: Error) => e.message);

beforeAll(async () => {
  const probe2Hash = await hashPassword('p2-Secret!');
  const config = parseEdgeConfig(baseConfig([
    { username: 'probe-1', password: '${PROBE1_PASSWORD}', device: 'probe-1' },
    { username: 'probe-2', password: probe2Hash, device: 'probe-2' },
    { username: 'edge', password: '${GW_PASSWORD}', role: 'gateway' },
    { username: 'panel', password: 'panel-pw', role: 'panel' },
  ]), env);
  broker = await startEmbeddedBroker(embeddedBrokerOptions(config, log));
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
  await broker?.close();
});

describe('embedded broker: logins', () => {
  it('a device with the right password (plain from ${ENV}, or scrypt hash) publishes its own topic', async () => {
    const gw = await connect({ username: 'edge', password: 'gw-Secret!' });
    const got: { topic: string; body: string }[] = [];
    gw.on('message', (topic, p) => got.push({ topic, body: p.toString() }));
    const granted = await gw.subscribeAsync(['site/cold/probe-1', 'site/cold/probe-2'], { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1, 1]);

    const p1 = await connect({ username: 'probe-1', password: 'p1-Secret!' });
    const p2 = await connect({ username: 'probe-2', password: 'p2-Secret!' });
    await p1.publishAsync('site/cold/probe-1', '{"temperature":4.1}', { qos: 1 });
    await p2.publishAsync('site/cold/probe-2', '{"temperature":4.2}', { qos: 1 });
    await waitFor(() => got.length === 2, 'both device messages');
    expect(got.map((g) => g.topic).sort()).toEqual(['site/cold/probe-1', 'site/cold/probe-2']);
  });

  it('refuses a wrong password, an unknown user and an anonymous connection', async () => {
    const before = broker.stats.authFailures;
    expect(await connectError({ username: 'probe-1', password: 'wrong' })).toMatch(/bad user ?name or password/i);
    expect(await connectError({ username: 'nobody', password: 'p1-Secret!' })).toMatch(/bad user ?name or password/i);
    expect(await connectError({})).toMatch(/not authorized/i);
    expect(await connectError({ username: 'probe-1' })).toMatch(/bad user ?name or password/i);
    expect(broker.stats.authFailures - before).toBe(4);
  });
});

describe('embedded broker: topic ACLs', () => {
  it("drops a device's publish to another device's topic (the subscriber never sees it) and disconnects it", async () => {
    const gw = await connect({ username: 'edge', password: 'gw-Secret!' });
    const got: string[] = [];
    gw.on('message', (_t, p) => got.push(p.toString()));
    expect(await granted(gw, ['site/cold/#'])).toEqual([128]); // only the configured device topics
    await gw.subscribeAsync(['site/cold/probe-1', 'site/cold/probe-2'], { qos: 1 });

    const p1 = await connect({ username: 'probe-1', password: 'p1-Secret!' });
    const closed = new Promise<void>((r) => p1.once('close', () => r()));
    const denied = broker.stats.publishDenied;
    p1.publish('site/cold/probe-2', '{"temperature":99,"forged":true}', { qos: 0 });
    await closed; // MQTT 3.1.1 has no negative ack: the broker closes the connection instead
    expect(broker.stats.publishDenied).toBe(denied + 1);

    // the real probe-2 still gets through; the forged message never arrives
    const p2 = await connect({ username: 'probe-2', password: 'p2-Secret!' });
    await p2.publishAsync('site/cold/probe-2', '{"temperature":4.5,"marker":true}', { qos: 1 });
    await waitFor(() => got.some((m) => m.includes('marker')), 'the marker from probe-2');
    expect(got.filter((m) => m.includes('forged'))).toEqual([]);
  });

  it('a device may subscribe to nothing; a panel reads local alerts only', async () => {
    const p1 = await connect({ username: 'probe-1', password: 'p1-Secret!' });
    expect(await granted(p1, ['#', 'site/cold/probe-2', 'site/cold/probe-1'])).toEqual([128, 128, 128]);

    const panel = await connect({ username: 'panel', password: 'panel-pw' });
    expect(await granted(panel, ['stockpulse/v1/local/alerts/#', 'stockpulse/v1/local/alerts/cold', 'site/cold/probe-1', '#'])).toEqual([0, 0, 128, 128]);
    // and may not publish: a forged alarm would silence or trigger the siren panel
    const closed = new Promise<void>((r) => panel.once('close', () => r()));
    panel.publish('stockpulse/v1/local/alerts/cold', '');
    await closed;
  });
});

describe('broker config', () => {
  it('lists every broker/outputs mistake with its path', () => {
    const raw = baseConfig([
      { username: 'probe-1', password: 'x', device: 'no-such-device' },
      { username: 'probe-1', password: 'y', device: 'probe-1' },
      { username: 'nopass', device: 'probe-2' },
      { username: 'lonely', password: 'z' },
      { username: 'bad-acl', password: 'z', role: 'gateway', subscribe: ['a/#/b'] },
    ]);
    (raw.broker as Record<string, unknown>).tls = { key: '/nonexistent/server.key', cert: '/nonexistent/server.crt', requireClientCert: true };
    (raw as Record<string, unknown>).outputs = [
      { type: 'webhook', url: 'ftp://x' },
      { type: 'relay', driver: { type: 'modbus-coil', host: 'plc' } },
      { type: 'log', zones: ['attic'] },
      { type: 'siren' },
    ];
    let fields: string[] = [];
    try {
      parseEdgeConfig(raw, env);
      expect.unreachable('config should be invalid');
    } catch (e) {
      expect(isSpError(e)).toBe(true);
      fields = (e as { details: { field: string }[] }).details.map((d) => d.field);
    }
    expect(fields).toEqual(expect.arrayContaining([
      'broker.tls.key', 'broker.tls.cert', 'broker.tls.ca',
      'broker.auth.users.0.device', 'broker.auth.users.1.username', 'broker.auth.users.2.password',
      'broker.auth.users.3.device', 'broker.auth.users.4.subscribe.0',
      'outputs.0.url', 'outputs.1.driver.address', 'outputs.2.zones.0', 'outputs.3.type',
    ]));
  });

  it('auth must be chosen explicitly', () => {
    const raw = baseConfig([]);
    delete (raw.broker as Record<string, unknown>).auth;
    expect(() => parseEdgeConfig(raw, env)).toThrow(/broker\.auth/);
  });
});

describe('topic filters and passwords', () => {
  it('matches topics and covers filters as MQTT defines them', () => {
    expect(topicMatches('site/+/probe-1', 'site/cold/probe-1')).toBe(true);
    expect(topicMatches('site/#', 'site')).toBe(true);
    expect(topicMatches('site/cold/probe-1', 'site/cold/probe-1/x')).toBe(false);
    expect(topicMatches('#', '$SYS/broker/x')).toBe(false);
    expect(filterCovers('site/+/t', 'site/a/t')).toBe(true);
    expect(filterCovers('site/+/t', 'site/+/t')).toBe(true);
    expect(filterCovers('site/+/t', 'site/#')).toBe(false);
    expect(filterCovers('site/a/t', 'site/+/t')).toBe(false);
    expect(filterCovers('stockpulse/v1/#', 'stockpulse/v1/gw/+/ack')).toBe(true);
  });

  it('verifies plain and scrypt passwords', async () => {
    const h = await hashPassword('s3cret');
    expect(h).toMatch(/^scrypt:[^:]+:[^:]+$/);
    expect(await verifyPassword(h, 's3cret')).toBe(true);
    expect(await verifyPassword(h, 's3cret ')).toBe(false);
    expect(await verifyPassword('plain', Buffer.from('plain'))).toBe(true);
    expect(await verifyPassword('plain', 'plai')).toBe(false);
    expect(await verifyPassword('plain', undefined)).toBe(false);
  });
});
