import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { ServerTCP, type IServiceVector } from 'modbus-serial';
import { parseEdgeConfig } from '../../../edge/config.ts';
import { Gateway } from '../../../edge/gateway.ts';
import { MemoryOutbox } from '../../../edge/outbox/memory-outbox.ts';
import { MemoryDeadLetters } from '../../../edge/dead-letters.ts';
import { freePort } from '../../../simulators/free-port.ts';
import { startWebhookReceiver, waitFor, type WebhookReceiver } from '../../helpers/net.ts';

// Local alarm outputs with NO cloud at all: the uplink points at a port nobody listens on. A
// probe goes out of band → the gateway raises → the site broker's alert topic holds it
// (retained, for a panel that connects later), the LAN webhook gets it, the siren relay's coil
// switches on (Modbus) and a relay command runs with "on"; after the clear everything goes back.

const log = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'sp-outputs-'));
const relayFile = join(dir, 'relay-states.txt');
const coilWrites: { addr: number; value: boolean; unit: number }[] = [];
let coilServer: ServerTCP;
let hook: WebhookReceiver;
let gw: Gateway;
let brokerUrl: string;
const clients: MqttClient[] = [];

beforeAll(async () => {
  const modbusPort = await freePort();
  const vector: IServiceVector = {
    setCoil: (addr: number, value: boolean, unit: number) => { coilWrites.push({ addr, value, unit }); },
  };
  coilServer = new ServerTCP(vector, { host: '127.0.0.1', port: modbusPort, unitID: 7 });
  await new Promise<void>((resolve) => coilServer.once('initialized', () => resolve()));
  coilServer.on('socketError', () => {});
  hook = await startWebhookReceiver();

  const brokerPort = await freePort();
  brokerUrl = `mqtt://127.0.0.1:${brokerPort}`;
  const config = parseEdgeConfig({
    gateway: { id: 'gw-local', site: 'site-local' },
    broker: {
      port: brokerPort,
      auth: { users: [
        { username: 'edge', password: '${EDGE_PW}', role: 'gateway' },
        { username: 'probe-1', password: '${PROBE_PW}', device: 'probe-1' },
        { username: 'panel', password: 'panel-pw', role: 'panel' },
      ] },
    },
    deviceBroker: { url: brokerUrl, username: 'edge', password: '${EDGE_PW}' },
    uplink: { url: `mqtt://127.0.0.1:${await freePort()}`, ackTimeoutMs: 500 },
    zones: [{ id: 'cold', name: 'Cold room', profile: { low: 0, high: 8 }, alarm: { delaySec: 0, hysteresis: 0.5, doorGraceSec: 60 } }],
    devices: [{ id: 'probe-1', protocol: 'mqtt-json', topic: 'site/cold/probe-1', heartbeatSec: 3600, points: [{ sensor: 'cold-t', zone: 'cold', kind: 'temperature' }] }],
    outputs: [
      { type: 'mqtt', name: 'panel-topic' },
      { type: 'webhook', name: 'lan-hook', url: hook.url, retries: 2, backoff: { baseMs: 20, maxMs: 50 } },
      { type: 'webhook', name: 'dead-hook', url: `http://127.0.0.1:${await freePort()}/nobody`, retries: 1, backoff: { baseMs: 10, maxMs: 20 } },
      { type: 'relay', name: 'siren', driver: { type: 'modbus-coil', host: '127.0.0.1', port: modbusPort, unitId: 7, address: 3 } },
      { type: 'relay', name: 'beacon', driver: { type: 'command', command: `echo >> '${relayFile}'` } },
      { type: 'log', name: 'console' },
    ],
  }, { EDGE_PW: 'edge-pw', PROBE_PW: 'probe-pw' });
  gw = new Gateway({ config, log, outbox: new MemoryOutbox(), deadLetters: new MemoryDeadLetters() });
  await gw.start();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
  await gw?.stop(0);
  await hook?.close();
  await new Promise<void>((r) => (coilServer ? coilServer.close(() => r()) : r()));
});

async function connect(username: string, password: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(brokerUrl, { username, password, reconnectPeriod: 0 });
  clients.push(c);
  return c;
}
const relayStates = () => (existsSync(relayFile) ? readFileSync(relayFile, 'utf8').split('\n').filter(Boolean) : []);

describe('local alarm outputs with no cloud', () => {
  it('raise → retained local topic, LAN webhook, siren coil on; clear → retained removed, coil off', async () => {
    // the relays are driven to a known OFF state at start
    await waitFor(() => coilWrites.length === 1 && relayStates().length === 1, 'relays set off at start');
    expect(coilWrites[0]).toEqual({ addr: 3, value: false, unit: 7 });
    expect(relayStates()).toEqual(['off']);

    const probe = await connect('probe-1', 'probe-pw');
    const t0 = Date.now();
    await probe.publishAsync('site/cold/probe-1', JSON.stringify({ ts: t0, temperature: 4 }), { qos: 1 });
    await probe.publishAsync('site/cold/probe-1', JSON.stringify({ ts: t0 + 1000, temperature: 12.5 }), { qos: 1 });

    await waitFor(() => hook.calls.length === 1, 'the LAN webhook got the raise');
    expect(hook.calls[0]!.body).toMatchObject({ type: 'stockpulse.alert', source: 'edge', transition: 'raised', alert: { zone: 'cold', rule: 'high', severity: 'critical', gateway: 'gw-local', value: 12.5 } });
    await waitFor(() => coilWrites.at(-1)?.value === true, 'siren coil switched on');
    await waitFor(() => relayStates().at(-1) === 'on', 'beacon command ran with "on"');

    // a panel that connects only now still sees the active alarm (retained)
    const panel = await connect('panel', 'panel-pw');
    const seen: { topic: string; payload: string; retain: boolean }[] = [];
    panel.on('message', (topic, p, packet) => seen.push({ topic, payload: p.toString(), retain: packet.retain }));
    await panel.subscribeAsync('stockpulse/v1/local/alerts/#', { qos: 1 });
    await waitFor(() => seen.length === 1, 'retained zone alarm');
    expect(seen[0]!.topic).toBe('stockpulse/v1/local/alerts/cold');
    expect(seen[0]!.retain).toBe(true);
    const msg = JSON.parse(seen[0]!.payload);
    expect(msg).toMatchObject({ type: 'stockpulse.local-alerts', zone: 'cold', gateway: 'gw-local', last: { transition: 'raised', rule: 'high' } });
    expect(msg.active).toHaveLength(1);

    // back in band (below high − hysteresis) → cleared everywhere
    await probe.publishAsync('site/cold/probe-1', JSON.stringify({ ts: t0 + 2000, temperature: 5 }), { qos: 1 });
    await waitFor(() => hook.calls.length === 2, 'the LAN webhook got the clear');
    expect(hook.calls[1]!.body).toMatchObject({ transition: 'cleared', alert: { id: hook.calls[0]!.body.alert.id } });
    await waitFor(() => coilWrites.at(-1)?.value === false, 'siren coil switched off');
    await waitFor(() => relayStates().at(-1) === 'off', 'beacon command ran with "off"');
    expect(coilWrites.map((w) => w.value)).toEqual([false, true, false]);
    expect(relayStates()).toEqual(['off', 'on', 'off']);
    await waitFor(() => seen.length === 2, 'connected panel told the zone is clear');
    expect(seen[1]).toMatchObject({ topic: 'stockpulse/v1/local/alerts/cold', payload: '' });

    // a panel connecting after the clear finds no retained alarm: only a retained marker the
    // test left under the same prefix (delivered from the same retained-message scan)
    const edge = await connect('edge', 'edge-pw');
    await edge.publishAsync('stockpulse/v1/local/alerts/zz-marker', 'marker', { qos: 1, retain: true });
    const late = await connect('panel', 'panel-pw');
    const lateSeen: string[] = [];
    late.on('message', (topic) => lateSeen.push(topic));
    await late.subscribeAsync('stockpulse/v1/local/alerts/#', { qos: 1 });
    await waitFor(() => lateSeen.includes('stockpulse/v1/local/alerts/zz-marker'), 'retained marker');
    await edge.publishAsync('stockpulse/v1/local/alerts/zz-marker', '', { qos: 1, retain: true });
    await waitFor(() => lateSeen.length >= 2, 'marker removal');
    expect(lateSeen).not.toContain('stockpulse/v1/local/alerts/cold');

    // nothing reached a cloud, and the failing webhook did not hold the others back
    const st = gw.status();
    expect(st.uplink.connected).toBe(false);
    expect(st.uplink.batchesAcked).toBe(0);
    await waitFor(() => (gw.status().outputs?.['dead-hook']?.failures ?? 0) === 2, 'dead webhook failures counted');
    const outputs = gw.status().outputs!;
    expect(outputs['dead-hook']!.lastError?.message).toMatch(/127\.0\.0\.1.*after 2 attempts/);
    for (const name of ['panel-topic', 'lan-hook', 'siren', 'beacon', 'console']) expect(outputs[name]!.failures).toBe(0);
    expect(outputs.siren).toMatchObject({ state: 'off', activeAlarms: 0, delivered: 2 });
    expect(outputs['panel-topic']).toMatchObject({ connected: true, published: 2, activeAlarms: 0 });
  });
});
