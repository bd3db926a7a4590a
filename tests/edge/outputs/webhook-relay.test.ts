import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { AlertEvent } from '../../../protocols/uplink/contract.ts';
import { WebhookOutput } from '../../../edge/outputs/webhook.ts';
import { RelayOutput } from '../../../edge/outputs/relay.ts';
import { CommandRelayDriver, LogRelayDriver } from '../../../edge/outputs/relay-drivers.ts';
import { LogAlarmOutput } from '../../../edge/outputs/log-output.ts';
import { OutputHub } from '../../../edge/outputs/hub.ts';
import { startWebhookReceiver, waitFor } from '../../helpers/net.ts';

// The LAN webhook's retry and bounded queue, and the relay's "on while any alarm is active",
// against a real HTTP receiver and real shell commands.

const log = pino({ level: 'silent' });
const gateway = { id: 'gw-o', site: 'site-o' };
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => { for (const c of cleanups.reverse()) await c().catch(() => {}); });

const alert = (id: string, transition: 'raised' | 'cleared' = 'raised', severity: AlertEvent['severity'] = 'critical'): AlertEvent =>
  ({ id, transition, rule: 'high', zone: 'cold', severity, ts: 1_790_000_000_000, since: 1_790_000_000_000, message: `${id} ${transition}` });

describe('webhook output', () => {
  it('retries until the receiver recovers; a full queue drops the oldest waiting transition', async () => {
    const hook = await startWebhookReceiver();
    cleanups.push(() => hook.close());
    hook.status = 503;
    const out = new WebhookOutput({ name: 'hook', url: hook.url, timeoutMs: 2000, retries: 1000, backoff: { baseMs: 5, maxMs: 20 }, maxQueue: 2, gateway, log });
    cleanups.push(() => out.close());
    const results = ['a1', 'a2', 'a3', 'a4'].map((id) => out.deliver(alert(id)).then(() => 'ok', (e: Error) => e.message));
    // a1 is in flight; a2..a4 wait in a queue of 2, so a2 is dropped at once
    expect(await results[1]).toMatch(/dropped/);
    await waitFor(() => (out.status().attempts as number) >= 3, 'a1 retried');
    hook.status = 200;
    expect(await Promise.all([results[0], results[2], results[3]])).toEqual(['ok', 'ok', 'ok']);
    expect(hook.calls.map((c) => c.body.alert.id)).toEqual(['a1', 'a3', 'a4']);
    expect(out.status()).toMatchObject({ sent: 3, dropped: 1, queued: 0 });
  });

  it('does not retry a 4xx answer (the request itself is wrong)', async () => {
    const hook = await startWebhookReceiver();
    cleanups.push(() => hook.close());
    hook.status = 404;
    const out = new WebhookOutput({ name: 'hook', url: hook.url, timeoutMs: 2000, retries: 5, backoff: { baseMs: 5, maxMs: 20 }, maxQueue: 10, gateway, log });
    await expect(out.deliver(alert('x'))).rejects.toThrow(/HTTP 404/);
    expect(out.status().attempts).toBe(1);
  });
});

describe('relay output', () => {
  it('is on while any alarm is active and off when the last one clears', async () => {
    const relay = new RelayOutput({ name: 'siren', driver: new LogRelayDriver(log, 'siren'), retries: 0, backoff: { baseMs: 1, maxMs: 1 }, log });
    await relay.start();
    await relay.deliver(alert('a'));
    await relay.deliver(alert('b'));
    expect(relay.state).toBe('on');
    await relay.deliver(alert('a', 'cleared'));
    expect(relay.status()).toMatchObject({ state: 'on', activeAlarms: 1 });
    await relay.deliver(alert('b', 'cleared'));
    expect(relay.status()).toMatchObject({ state: 'off', activeAlarms: 0, switches: 3 }); // off at start, on, off
  });

  it('a failing relay is counted and does not stop the other outputs', async () => {
    const broken = new RelayOutput({ name: 'broken', driver: new CommandRelayDriver('exit 3 #', 5000), retries: 1, backoff: { baseMs: 1, maxMs: 5 }, log });
    const logOut = new LogAlarmOutput('console', log);
    const hub = new OutputHub([
      { output: broken, minSeverity: 'critical' },
      { output: logOut, minSeverity: 'info' },
    ], log);
    cleanups.push(() => hub.close(0));
    hub.push(alert('w1', 'raised', 'warning')); // below the relay's severity: not sent to it
    hub.push(alert('c1'));
    await waitFor(() => hub.status().broken!.failures === 1 && hub.status().console!.delivered === 2, 'both outputs settled');
    expect(hub.status().broken!.lastError?.message).toMatch(/relay command \(on\) failed: exit code 3/);
    expect(hub.status().broken).toMatchObject({ state: 'unknown', delivered: 0 });
  });
});
