import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { parseEdgeConfig } from '../../../edge/config.ts';
import { Gateway } from '../../../edge/gateway.ts';
import { MemoryOutbox } from '../../../edge/outbox/memory-outbox.ts';
import { MemoryDeadLetters } from '../../../edge/dead-letters.ts';
import { freePort } from '../../../simulators/free-port.ts';
import { waitFor } from '../../helpers/net.ts';
import { hasOpenssl, makeTestPki, type TestPki } from './certs.ts';

// The gateway hosts its devices' broker over TLS with client certificates: a device logs in
// with its certificate (CN = device id) and no password; the gateway's own device link is an
// mqtts:// client with CA, cert and key from the config. No certificate, no connection.

const log = pino({ level: 'silent' });
const openssl = hasOpenssl();
let pki: TestPki;
let gw: Gateway;
let url: string;
const clients: MqttClient[] = [];

beforeAll(async () => {
  if (!openssl) return;
  pki = makeTestPki(['probe-1', 'probe-2', 'edge-gw']);
  const port = await freePort();
  url = `mqtts://127.0.0.1:${port}`;
  const gwCert = pki.client('edge-gw');
  const config = parseEdgeConfig({
    gateway: { id: 'gw-tls', site: 'site-tls' },
    broker: {
      port,
      auth: { users: [{ username: 'edge-gw', role: 'gateway' }] }, // certificate login only
      tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requireClientCert: true },
    },
    deviceBroker: { url, ca: pki.ca, cert: gwCert.cert, key: gwCert.key },
    uplink: { url: `mqtt://127.0.0.1:${await freePort()}` }, // no cloud at all
    zones: [{ id: 'cold', name: 'Cold room', profile: { high: 8 } }],
    devices: [
      { id: 'probe-1', protocol: 'mqtt-json', topic: 'site/cold/probe-1', points: [{ sensor: 't1', zone: 'cold', kind: 'temperature' }] },
      { id: 'probe-2', protocol: 'mqtt-json', topic: 'site/cold/probe-2', points: [{ sensor: 't2', zone: 'cold', kind: 'temperature' }] },
    ],
  }, {});
  gw = new Gateway({ config, log, outbox: new MemoryOutbox(), deadLetters: new MemoryDeadLetters() });
  await gw.start();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
  await gw?.stop(0);
});

const tlsConnect = async (opts: mqtt.IClientOptions) => {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ca: readFileSync(pki.ca), ...opts });
  clients.push(c);
  return c;
};

/** 'connected', the CONNACK error, or 'closed' (a refused TLS handshake just closes the socket) */
const attempt = (opts: mqtt.IClientOptions) => new Promise<string>((resolve) => {
  const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ca: readFileSync(pki.ca), ...opts });
  clients.push(c);
  c.once('connect', () => resolve('connected'));
  c.once('error', (e) => resolve(e.message));
  c.once('close', () => resolve('closed'));
});

describe.skipIf(!openssl)('embedded broker over TLS with client certificates', () => {
  it("a device with its certificate publishes its topic and the gateway's mqtts:// link receives it", async () => {
    const { key, cert } = pki.client('probe-1');
    const device = await tlsConnect({ key: readFileSync(key), cert: readFileSync(cert) });
    await device.publishAsync('site/cold/probe-1', JSON.stringify({ ts: Date.now(), temperature: 4.2 }), { qos: 1 });
    await waitFor(() => gw.status().readingsIn >= 1, 'the gateway received the reading over TLS');
    expect(gw.broker?.url).toBe(url);
  });

  it("the certificate's CN is the identity: probe-1 cannot publish as probe-2", async () => {
    const { key, cert } = pki.client('probe-1');
    const device = await tlsConnect({ key: readFileSync(key), cert: readFileSync(cert) });
    const closed = new Promise<void>((r) => device.once('close', () => r()));
    const before = gw.broker!.stats.publishDenied;
    device.publish('site/cold/probe-2', JSON.stringify({ ts: Date.now(), temperature: 30 }));
    await closed;
    expect(gw.broker!.stats.publishDenied).toBe(before + 1);
    expect(gw.status().devices['probe-2']?.lastOkAt).toBeUndefined();
  });

  it('refuses a client without a certificate, and one whose username contradicts its certificate', async () => {
    const before = gw.broker!.stats.authFailures;
    expect(await attempt({})).not.toBe('connected');
    await waitFor(() => gw.broker!.stats.authFailures === before + 1, 'the broker counted the refused handshake');
    const { key, cert } = pki.client('probe-2');
    expect(await attempt({ key: readFileSync(key), cert: readFileSync(cert), username: 'probe-1' })).toMatch(/not authorized/i);
  });

  it('refuses a certificate from another CA', async () => {
    const other = makeTestPki(['probe-1']);
    const { key, cert } = other.client('probe-1');
    const before = gw.broker!.stats.authFailures;
    expect(await attempt({ key: readFileSync(key), cert: readFileSync(cert) })).not.toBe('connected');
    await waitFor(() => gw.broker!.stats.authFailures === before + 1, 'the broker counted the refused handshake');
  });
});

if (!openssl) console.warn('broker TLS tests skipped: the openssl command is missing (apt-get install openssl)');

