import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { startEmbeddedBroker } from '../../edge/broker/embedded-broker.ts';
import { topics } from '../../protocols/uplink/contract.ts';
import { CLOUD_BROKER_USER } from '../../cloud/gateways/registry.ts';
import { uplinkBrokerSecurity } from '../../bin/uplink-broker.ts';
import { engineLabel, freshPostgresDatabase, testDatabase, usingPostgres } from '../helpers/db.ts';
import { registerGateway } from '../helpers/gateways.ts';
import { runCli } from '../helpers/cli.ts';
import { waitFor } from '../helpers/net.ts';
import { MOSQUITTO, startMosquitto } from '../helpers/chaos-harness.ts';

// "A gateway publishes only on its own topics", on a real broker: the demo's embedded aedes
// (logins checked against the cloud's gateway registry) and a real Mosquitto run on the password
// file and ACL that `stockpulse gateway mosquitto` writes. Gateway A may publish its own batches;
// a batch it publishes on B's topic never reaches the cloud; it cannot read B's acks; a revoked
// or unknown gateway, a wrong password and (on the demo broker) an anonymous client cannot send.

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => { for (const c of cleanups.reverse()) await c(); });

const connect = async (url: string, username?: string, password?: string): Promise<MqttClient> => {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 5000, ...(username ? { username, password } : {}) });
  cleanups.push(() => c.endAsync(true).catch(() => {}));
  return c;
};
const loginError = (url: string, username?: string, password?: string) => connect(url, username, password).then(() => 'connected', (e: Error) => e.message);
const subAck = (c: MqttClient, topic: string) => c.subscribeAsync(topic, { qos: 1 }).then((g) => g[0]!.qos, (e: { packet?: { granted?: number[] } }) => e.packet?.granted?.[0] ?? -1);

/** what a gateway login can get through to the cloud: each publish on its own connection (a denied one may cost the connection) */
async function checkBinding(url: string, creds: { cloud: string; a: string; b: string }, anonymousMayConnect: boolean) {
  const cloud = await connect(url, CLOUD_BROKER_USER, creds.cloud);
  const seen: string[] = [];
  cloud.on('message', (t, p) => seen.push(`${t} ${p.toString()}`));
  expect(await subAck(cloud, topics.batchSubscription())).toBe(1);

  const publish = async (user: string | undefined, pass: string | undefined, topic: string, body: string) => {
    const c = await connect(url, user, pass);
    await new Promise<void>((resolve) => { c.publish(topic, body, { qos: 0 }, () => resolve()); });
    await c.endAsync().catch(() => {});
  };
  await publish('gw-a', creds.a, topics.batch('gw-b'), 'forged by A');
  if (anonymousMayConnect) await publish(undefined, undefined, topics.batch('evil-gw'), 'anonymous');
  await publish('gw-a', creds.a, topics.batch('gw-a'), 'own by A');
  await waitFor(() => seen.some((s) => s.endsWith('own by A')), "A's own batch at the cloud");
  // the marker came through after the forged ones: they would have arrived first
  expect(seen).toEqual([`${topics.batch('gw-a')} own by A`]);

  // A cannot read B's acks (the stream and seq a thief needs): whatever the SUBACK says, nothing is delivered
  const a = await connect(url, 'gw-a', creds.a);
  const got: string[] = [];
  a.on('message', (t) => got.push(t));
  for (const f of [topics.ack('gw-b'), 'stockpulse/v1/gw/+/ack', topics.ack('gw-a')]) await subAck(a, f);
  await cloud.publishAsync(topics.ack('gw-b'), 'ack for B', { qos: 1 });
  await cloud.publishAsync(topics.ack('gw-a'), 'ack for A', { qos: 1 });
  await waitFor(() => got.includes(topics.ack('gw-a')), "A's own ack");
  expect(got.filter((t) => t !== topics.ack('gw-a'))).toEqual([]);
  expect(await loginError(url, 'gw-a', 'not-the-credential')).toMatch(/Bad username or password|Not authorized/);
  expect(await loginError(url, 'evil-gw', creds.a)).toMatch(/Bad username or password|Not authorized/);
}

describe(`gateway topics bound to credentials (${engineLabel})`, () => {
  it('embedded broker (npm start): logins against the registry, own topics only, anonymous kept off the uplink', async () => {
    const tdb = await testDatabase();
    cleanups.push(() => tdb.cleanup());
    const a = await registerGateway(tdb.db, 'gw-a');
    const b = await registerGateway(tdb.db, 'gw-b');
    const broker = await startEmbeddedBroker({ port: 0, security: uplinkBrokerSecurity('cloud-pw', () => tdb.db) });
    cleanups.push(() => broker.close());
    await checkBinding(broker.url, { cloud: 'cloud-pw', a, b }, true);
    expect(broker.stats.publishDenied).toBe(2);

    // anonymous (the demo's simulated devices): any topic but the uplink's
    // the embedded broker says no at SUBACK already
    const gwA = await connect(broker.url, 'gw-a', a);
    expect(await subAck(gwA, topics.ack('gw-b'))).toBe(128);
    expect(await subAck(gwA, 'stockpulse/v1/gw/+/ack')).toBe(128);
    const anon = await connect(broker.url);
    expect(await subAck(anon, 'bakery/chiller/probe-1')).toBe(1);
    expect(await subAck(anon, '#')).toBe(128);
    expect(await subAck(anon, topics.ack('gw-a'))).toBe(128);
    // revoked: refused at the next login
    await tdb.db.query(`UPDATE gateway_registry SET revoked_at = now() WHERE id = 'gw-b'`);
    expect(await loginError(broker.url, 'gw-b', b)).toMatch(/Bad username or password/);
  });

  const reason = !existsSync(MOSQUITTO) ? `${MOSQUITTO} is not installed` : undefined;
  if (reason) console.warn(`skipped: Mosquitto with the generated password file and ACL — ${reason}`);
  it.skipIf(!!reason)('Mosquitto on the password file and ACL written by `stockpulse gateway mosquitto` (CLI add/list/revoke too)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-gw-mosq-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    let target = ['--data-dir', join(dir, 'data')];
    if (usingPostgres) {
      const fresh = await freshPostgresDatabase();
      cleanups.push(() => fresh.drop());
      target = ['--database-url', fresh.url];
    }
    const env = { ...process.env, DATABASE_URL: '', MQTT_PASSWORD: 'cloud-Secret!' };
    const cli = (args: string[]) => runCli([...args, ...target], { env });

    const bad = await cli(['gateway', 'add', '--id', 'evil/gw']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/SP_ERR_VALIDATION[\s\S]*--id/);
    const addA = await cli(['gateway', 'add', '--id', 'gw-a', '--site', 'site-a', '--zones', 'chiller,freezer']);
    expect(addA.code, addA.stderr).toBe(0);
    const credA = addA.stdout.trim();
    expect(credA).toMatch(/^spg_[A-Za-z0-9_-]{43}$/);
    const addB = await cli(['gateway', 'add', '--id', 'gw-b']);
    const credB = addB.stdout.trim();
    const again = await cli(['gateway', 'add', '--id', 'gw-a']);
    expect(again.stderr).toMatch(/SP_ERR_CONFLICT[\s\S]*revoke it first/);

    const files = join(dir, 'broker');
    const written = await cli(['gateway', 'mosquitto', '--out', files]);
    expect(written.code, written.stderr).toBe(0);
    const passwd = readFileSync(join(files, 'passwd'), 'utf8');
    expect(passwd).toMatch(/^stockpulse-cloud:\$7\$101\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]{88}$/m);
    expect(passwd).toMatch(/^gw-a:\$7\$/m);
    expect(passwd).not.toContain(credA);
    expect(readFileSync(join(files, 'acl'), 'utf8')).toContain('pattern write stockpulse/v1/gw/%u/batch');

    const mosq = await startMosquitto(join(dir, 'mosquitto'), { auth: { passwordFile: join(files, 'passwd'), aclFile: join(files, 'acl') } });
    cleanups.push(() => mosq.stop());
    expect(await loginError(mosq.url)).toMatch(/Not authorized|Bad username or password/);
    await checkBinding(mosq.url, { cloud: 'cloud-Secret!', a: credA, b: credB }, false);

    // list, revoke, rewrite: B is out of the password file
    const listed = await cli(['gateway', 'list']);
    expect(listed.stdout).toMatch(/gw-a\s+site-a\s+#1 spg_\S+…\s+zones: chiller,freezer/);
    expect((await cli(['gateway', 'revoke', '--id', 'gw-b'])).stdout).toMatch(/revoked gateway "gw-b"/);
    await cli(['gateway', 'mosquitto', '--out', files]);
    expect(readFileSync(join(files, 'passwd'), 'utf8')).not.toMatch(/^gw-b:/m);
  }, 400_000); // seven CLI processes (tsx start-up each) on a loaded 2-core box
});
