import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../bin/log.ts';
import { parseEdgeConfig } from '../../../edge/config.ts';
import { Gateway } from '../../../edge/gateway.ts';
import { MemoryOutbox } from '../../../edge/outbox/memory-outbox.ts';
import { MemoryDeadLetters } from '../../../edge/dead-letters.ts';
import { redactUrl } from '../../../edge/broker/redact.ts';
import { freePort } from '../../../simulators/free-port.ts';
import { startWebhookReceiver, waitFor } from '../../helpers/net.ts';

// Secrets never reach the log: a gateway whose broker refuses its password, whose uplink URL
// carries credentials and whose failing webhook has a token in its URL logs all of that
// trouble at debug level — and none of the secrets.

const SECRETS = {
  EDGE_PW: 'edge-Wr0ng-s3cret', PROBE_PW: 'pr0be-s3cret', UPLINK_PW: 'upl1nk-s3cret',
  HOOK_PW: 'h00k-s3cret', HOOK_TOKEN: 't0ken-s3cret',
};
const lines: string[] = [];
const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => { for (const c of cleanups.reverse()) await c().catch(() => {}); });

describe('secrets in logs', () => {
  it('redactUrl keeps the host and drops passwords and tokens', () => {
    expect(redactUrl('mqtts://gw:p%40ss@broker.example:8883/x')).toBe('mqtts://gw:***@broker.example:8883/x');
    expect(redactUrl('https://hooks.example/a?token=abc&zone=cold')).toBe('https://hooks.example/a?token=***&zone=cold');
    expect(redactUrl('not a url://u:pw@h')).not.toContain('pw');
  });

  it('a gateway in trouble logs no password, token or credential-bearing URL', async () => {
    const prevLevel = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = 'debug';
    const log = createLogger('test-edge', sink);
    if (prevLevel === undefined) delete process.env.LOG_LEVEL; else process.env.LOG_LEVEL = prevLevel;

    const hook = await startWebhookReceiver();
    hook.status = 500;
    cleanups.push(() => hook.close());
    const brokerPort = await freePort();
    const hookUrl = new URL(hook.url);
    hookUrl.username = 'hooker';
    hookUrl.password = '${HOOK_PW}';
    const config = parseEdgeConfig({
      gateway: { id: 'gw-logs', site: 'site-logs' },
      broker: { port: brokerPort, auth: { users: [
        { username: 'edge', password: 'the-right-one', role: 'gateway' },
        { username: 'probe-1', password: '${PROBE_PW}', device: 'probe-1' },
      ] } },
      deviceBroker: { url: `mqtt://127.0.0.1:${brokerPort}`, username: 'edge', password: '${EDGE_PW}' },
      uplink: { url: `mqtt://gw:\${UPLINK_PW}@127.0.0.1:${await freePort()}`, password: '${UPLINK_PW}' },
      zones: [{ id: 'cold', name: 'Cold room', profile: { high: 8 }, alarm: { delaySec: 0 } }],
      devices: [{ id: 'probe-1', protocol: 'mqtt-json', topic: 'site/probe-1', points: [{ sensor: 't', zone: 'cold', kind: 'temperature' }] }],
      outputs: [{ type: 'webhook', name: 'hook', url: `${decodeURI(hookUrl.toString())}?token=\${HOOK_TOKEN}`, retries: 1, backoff: { baseMs: 5, maxMs: 10 } }],
    }, SECRETS);
    const gw = new Gateway({ config, log, outbox: new MemoryOutbox(), deadLetters: new MemoryDeadLetters() });
    await gw.start();
    cleanups.push(() => gw.stop(0));

    // an alert makes the webhook fail (500 twice), logged with its URL
    gw.alerts.next({ id: 'a1', transition: 'raised', rule: 'high', zone: 'cold', severity: 'critical', ts: Date.now(), since: Date.now(), message: 'test' });
    await waitFor(() => (gw.status().outputs?.hook?.failures ?? 0) === 1, 'webhook failure counted');
    // the operator logs config-shaped objects and URLs too
    log.info({ config: { deviceBroker: config.deviceBroker, uplink: { password: config.uplink.password } }, url: config.uplink.url, headers: { authorization: `Bearer ${SECRETS.HOOK_TOKEN}` } }, 'effective links');
    log.info({ output: gw.status().outputs?.hook }, 'output status');
    await waitFor(() => lines.some((l) => l.includes('broker login refused')), 'the refused gateway login was logged');

    const text = lines.join('');
    expect(text).toContain('local alarm output failed');
    expect(text).toContain('***');
    expect(text).toContain('127.0.0.1'); // hosts stay readable
    for (const [name, secret] of Object.entries(SECRETS)) expect(text.includes(secret), `${name} leaked into the log`).toBe(false);
    if (process.env.SHOW_LOG) process.stdout.write(text);
  });
});
