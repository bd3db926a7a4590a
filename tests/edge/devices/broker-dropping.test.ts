import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { stringify } from 'yaml';
import { parseEdgeConfig } from '../../../edge/config.ts';
import { Gateway } from '../../../edge/gateway.ts';
import type { AlertEvent } from '../../../protocols/uplink/contract.ts';
import { freePort } from '../../../simulators/free-port.ts';
import { publishReadings, sensorId, sensorTopic } from '../../../bench/lib/device-publisher.ts';
import { waitFor } from '../../helpers/net.ts';
import { runCli } from '../../helpers/cli.ts';
import { MOSQUITTO, startMosquitto } from '../../helpers/chaos-harness.ts';

// No silent loss in the broker. A Mosquitto left on its defaults keeps 1000 queued messages per
// client and drops the rest, having PUBACKed every publisher: a burst while the gateway is away
// is cut short outside the gateway. The gateway watches the broker's own drop counter and raises
// `broker_dropping` naming the broker (cleared after a quiet period), and `stockpulse edge
// --check` warns when the declared queue limit is smaller than the declared outage or burst.

const haveMosquitto = existsSync(MOSQUITTO);
if (!haveMosquitto) console.warn(`broker_dropping test skipped: ${MOSQUITTO} not found (apt-get install mosquitto)`);

const log = pino({ level: 'silent' });
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
});
const dir = mkdtempSync(join(tmpdir(), 'sp-drops-'));
cleanups.push(() => rmSync(dir, { recursive: true, force: true }));

const SENSORS = 20;
const devices = [...Array(SENSORS).keys()].map((i) => ({
  id: `dev-${i}`, protocol: 'mqtt-json', topic: sensorTopic('drop', i), heartbeatSec: 3600,
  points: [{ sensor: sensorId(i), zone: 'cold', kind: 'temperature', field: 'value' }],
}));

describe.runIf(haveMosquitto)('broker_dropping with a Mosquitto on its default queue limit', () => {
  it('a burst while the gateway is away overruns the broker queue: the gateway raises broker_dropping naming the broker, then clears it', { timeout: 60_000 }, async () => {
    // Mosquitto's defaults (max_queued_messages 1000, no byte limit); $SYS every second so the test is quick
    const broker = await startMosquitto(join(dir, 'mosquitto'), { queue: 'defaults', sysInterval: 1 });
    cleanups.push(() => broker.stop());
    const config = parseEdgeConfig({
      gateway: { id: 'gw-drops', site: 'site-d' },
      deviceBroker: { url: broker.url, watch: { quietSec: 2 } },
      uplink: { url: `mqtt://127.0.0.1:${await freePort()}` }, // no cloud: the alerts are read locally
      storage: { dir: join(dir, 'edge') },
      zones: [{ id: 'cold', name: 'Cold room', profile: { low: -50, high: 50 } }],
      devices,
    }, {});
    const alerts: AlertEvent[] = [];
    const gw1 = new Gateway({ config, log, onAlert: (a) => alerts.push(a) });
    await gw1.start();
    await waitFor(() => gw1.brokerDrops?.state(), 'the broker\'s drop counter seen once (baseline)');
    await gw1.stop(0); // its persistent session stays: the broker queues for it

    const pub = await publishReadings({ url: broker.url, prefix: 'drop', sensors: SENSORS, perSensor: 150, mode: 'bridge' });
    expect(pub.published).toBe(3000); // every publisher was PUBACKed

    const gw2 = new Gateway({ config, log, onAlert: (a) => alerts.push(a) });
    await gw2.start();
    cleanups.push(() => gw2.stop(0));
    const raised = await waitFor(() => alerts.find((a) => a.rule === 'broker_dropping' && a.transition === 'raised'), 'broker_dropping raised');
    const host = new URL(broker.url).host;
    expect(raised.message).toContain(host);
    expect(raised.zone).toBe('site-d');
    expect(raised.value).toBeGreaterThanOrEqual(1000); // ≥ 3000 − 1000 queued − the in-flight window
    // what the gateway got is what the broker kept: the rest is gone, and now it is known
    await waitFor(() => gw2.status().readingsIn >= 3000 - raised.value!, 'the frames the broker kept delivered');
    expect(gw2.status().readingsIn).toBeLessThan(3000);
    const cleared = await waitFor(() => alerts.find((a) => a.rule === 'broker_dropping' && a.transition === 'cleared'), 'broker_dropping cleared after 2 s without drops');
    expect(cleared.id).toBe(raised.id);
    console.log(`burst of 3000 with the gateway away: broker dropped ${raised.value}, gateway received ${gw2.status().readingsIn}; alert: ${raised.message}`);
  });
});

describe('stockpulse edge --check: the device broker queue against the declared load', () => {
  const check = async (deviceBroker: object, extra: object = {}) => {
    const file = join(dir, `check-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, stringify({
      gateway: { id: 'gw-check', site: 'site-c' }, deviceBroker, uplink: { url: 'mqtt://127.0.0.1:1' },
      zones: [{ id: 'cold', name: 'Cold room', profile: { low: 0, high: 8 } }], devices, ...extra,
    }));
    return runCli(['edge', '--config', file, '--check']);
  };

  it('warns when an outage of the declared length would overrun the broker\'s queue, and says what to set', async () => {
    const r = await check({ url: 'mqtt://127.0.0.1:1', queue: { maxMessages: 1000 }, load: { devices: 200, framesPerMinute: 1, outageMinutes: 10 } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/warning: deviceBroker\.queue\.maxMessages: an outage of 10 min at 200 devices × 1\/min queues 2000 frames, but the broker keeps 1000 .* max_queued_messages ≥ 3000/);
  });

  it('warns on a burst larger than the queue in bytes, and when the limits are not declared at all', async () => {
    const bytes = await check({ url: 'mqtt://127.0.0.1:1', queue: { maxMessages: 0, maxBytes: 100_000 }, load: { framesPerMinute: 0.1, burstFrames: 5000, frameBytes: 100 } });
    expect(bytes.stdout).toMatch(/warning: deviceBroker\.queue\.maxBytes: a burst of 5000 frames .* max_queued_bytes ≥ 750000/);
    const undeclared = await check({ url: 'mqtt://127.0.0.1:1' });
    expect(undeclared.stdout).toMatch(/warning: deviceBroker\.queue: .*1000 messages per client by default/);
  });

  it('is quiet when the queue holds the outage and the burst, and for the embedded broker', async () => {
    const ok = await check({ url: 'mqtt://127.0.0.1:1', queue: { maxMessages: 100_000, maxBytes: 64 * 1024 * 1024 }, load: { framesPerMinute: 1, outageMinutes: 60, burstFrames: 5000 } });
    expect(ok.code).toBe(0);
    expect(ok.stdout).not.toContain('warning');
    const embedded = await check({ url: 'mqtt://127.0.0.1:1' }, { broker: { enabled: true, port: 0 } });
    expect(embedded.stdout).not.toContain('warning');
  });
});
