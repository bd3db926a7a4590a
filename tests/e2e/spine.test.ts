import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { startDemoStack, type DemoStack } from '../../bin/demo-stack.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../helpers/db.ts';
import { startWebhookReceiver, waitFor, type WebhookReceiver } from '../helpers/net.ts';

// The whole spine through real sockets: simulated MQTT probes and a Modbus TCP controller →
// edge gateway (decode, alarm rules, uplink) → embedded broker → cloud ingest → database →
// REST API → webhook. Simulated time runs 3600× so a dead compressor warms the chiller in
// about a second; the alarm delay (2 s) runs on real time, as on site.

const DELAY_SEC = 2;
let tdb: TestDatabase;
let hook: WebhookReceiver;
let stack: DemoStack;
let dataDir: string;

const api = async (path: string) => {
  const res = await fetch(stack.url + path, { headers: { authorization: `Bearer ${stack.token}` } });
  expect(res.status, path).toBe(200);
  return res.json() as Promise<any>;
};

beforeAll(async () => {
  tdb = await testDatabase();
  hook = await startWebhookReceiver();
  dataDir = mkdtempSync(join(tmpdir(), 'sp-e2e-'));
  stack = await startDemoStack({
    log: pino({ level: 'silent' }), httpPort: 0, mqttPort: 0, dataDir, db: tdb.db,
    publishMs: 200, timeScale: 3600, delaySec: DELAY_SEC, webhooks: [hook.url], inbox: false,
  });
});

afterAll(async () => {
  await stack?.stop();
  await hook?.close();
  await tdb?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

describe(`spine: simulator → edge → cloud → ${engineLabel} → API → webhook`, () => {
  it('shows live temperatures of every zone, from MQTT and Modbus sensors', async () => {
    const zones = await waitFor(async () => {
      const z = await api('/api/zones');
      const latest = new Set(z.flatMap((x: any) => x.latest.map((l: any) => l.sensor)));
      // the freezer defrosts on a schedule (every 6 s at this time scale): read it between defrosts
      const freezerCold = z.find((x: any) => x.id === 'freezer')?.latest.find((l: any) => l.sensor === 'freezer-t1')?.value < -15;
      return ['chiller-t1', 'chiller-t2', 'freezer-t1'].every((s) => latest.has(s)) && freezerCold && z;
    }, 'latest values for chiller and freezer sensors, the freezer between defrosts');
    const chiller = zones.find((z: any) => z.id === 'chiller');
    const freezer = zones.find((z: any) => z.id === 'freezer');
    expect(chiller.profile).toEqual({ low: 2, high: 8 });
    const t1 = chiller.latest.find((l: any) => l.sensor === 'chiller-t1');
    expect(t1.value).toBeGreaterThan(1);
    expect(t1.value).toBeLessThan(8);
    expect(freezer.latest.find((l: any) => l.sensor === 'freezer-t1').value).toBeLessThan(-15);
    expect(chiller.activeAlerts).toBe(0);
  });

  it('a compressor failure raises an alert after the delay, reaches the webhook once, and clears on recovery', async () => {
    stack.sim.setFault('chiller', 'compressor_failure', true);
    const raised = await waitFor(() => hook.calls.find((c) => c.body.transition === 'raised' && c.body.alert?.zone === 'chiller' && c.body.alert.rule === 'high'), 'raised webhook', 30_000);
    const alert = raised.body.alert;
    expect(alert.rule).toBe('high');
    expect(alert.value).toBeGreaterThanOrEqual(8);
    // raised no earlier than the delay after the excursion began
    expect(Date.parse(alert.at) - Date.parse(alert.since)).toBeGreaterThanOrEqual(DELAY_SEC * 1000);

    const active = await api('/api/alerts?state=active');
    expect(active.map((a: any) => a.id)).toContain(alert.id);
    const series = await api(`/api/readings?sensor=${alert.sensor}&from=${Date.now() - 120_000}&bucket=1`);
    expect(Math.max(...series.points.map((p: any) => p.max))).toBeGreaterThanOrEqual(8);

    stack.sim.setFault('chiller', 'compressor_failure', false);
    const cleared = await waitFor(() => hook.calls.find((c) => c.body.transition === 'cleared' && c.body.alert?.id === alert.id), 'cleared webhook', 30_000);
    expect(Date.parse(cleared.body.alert.at)).toBeGreaterThan(Date.parse(alert.at));
    const stored = (await api('/api/alerts?state=all')).find((a: any) => a.id === alert.id);
    expect(stored.state).toBe('cleared');
    // every alert transition reached the webhook exactly once (the demo's expiry digests reach it too: not alerts)
    const keys = hook.calls.filter((c) => c.body.alert).map((c) => `${c.body.alert.id}/${c.body.transition}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('garbage frames from one device are dead-lettered while the others keep reporting', async () => {
    const before = stack.gateway.status();
    stack.sim.setFault('chiller-probe-1', 'garbage', true);
    await waitFor(() => stack.gateway.status().deadLetters > before.deadLetters, 'dead letters from garbage frames');
    const freezerBefore = (await api('/api/sensors')).find((s: any) => s.id === 'freezer-t1').lastTs;
    await waitFor(async () => (await api('/api/sensors')).find((s: any) => s.id === 'freezer-t1').lastTs > freezerBefore, 'freezer still reporting');
    stack.sim.setFault('chiller-probe-1', 'garbage', false);
    const dl = stack.gateway.deadLetters.list(5);
    expect(dl[0]).toMatchObject({ source: 'chiller-probe-1', code: 'SP_ERR_DECODE' });
  });
});
