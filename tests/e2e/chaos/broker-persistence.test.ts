import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { waitFor } from '../../helpers/net.ts';
import { MOSQUITTO, startMosquitto, type Mosquitto } from '../../helpers/chaos-harness.ts';

// The chaos run relies on the harness broker keeping a persistent session's QoS 1 queue across
// restart(): that is what stands in for the gateway while it is away. When Mosquitto silently
// could not write its persistence file (privilege drop to the `mosquitto` user, root-owned temp
// dir), a restart dropped everything queued and the chaos run "lost" readings that the gateway
// never received. This pins the harness itself.

const dirs: string[] = [];
let broker: Mosquitto | undefined;
afterAll(async () => {
  await broker?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.runIf(existsSync(MOSQUITTO))('chaos harness broker', () => {
  it('keeps an offline persistent session\'s QoS 1 queue across restart()', { timeout: 15_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-mosq-'));
    dirs.push(dir);
    broker = await startMosquitto(join(dir, 'mosquitto'));
    const sub = await mqtt.connectAsync(broker.url, { clientId: 'away', clean: false });
    await sub.subscribeAsync('q/t', { qos: 1 });
    await sub.endAsync();
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'fleet' });
    for (let i = 0; i < 20; i++) await pub.publishAsync('q/t', `m${i}`, { qos: 1 });
    await pub.endAsync();

    await broker.restart();
    expect(existsSync(join(dir, 'mosquitto', 'mosquitto.db'))).toBe(true);

    const got = new Set<string>();
    const back = mqtt.connect(broker.url, { clientId: 'away', clean: false, reconnectPeriod: 200 });
    back.on('message', (_t, p) => got.add(p.toString()));
    try {
      await waitFor(async () => got.size === 20, 'the 20 queued frames after the restart', 5_000, 50);
    } finally {
      await back.endAsync();
    }
    expect(got.size).toBe(20);
  });
});
