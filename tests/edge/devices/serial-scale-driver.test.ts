import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialScaleDriver } from '../../../edge/devices/scale/serial-scale-driver.ts';
import type { WeightSample } from '../../../protocols/scale/weight-sample.ts';
import type { SpError } from '../../../protocols/errors.ts';
import { SerialScale } from '../../../simulators/devices/serial-scale.ts';
import { ScaleModel } from '../../../simulators/devices/scale-model.ts';
import { hasSocat, openPtyPair, type PtyPair } from '../../../simulators/devices/pty-pair.ts';
import { systemClock } from '../../../simulators/clock.ts';
import { createRng } from '../../../simulators/random.ts';
import { waitFor } from '../../helpers/net.ts';

// The serial scale driver on real ptys (socat): real tty I/O, framing, timeouts, reconnect.

const SOCAT = hasSocat();
if (!SOCAT) console.warn('[serial-scale-driver] socat is not installed: serial tests skipped (apt-get install socat)');

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
});

async function rig(mode: 'mt-sics' | 'continuous', dir?: string) {
  const pty = await openPtyPair(dir);
  const model = new ScaleModel({ clock: systemClock, rng: createRng(1), initialKg: 12.345, noiseKg: 0 });
  const sim = new SerialScale({ id: 'sim', zoneId: 'z', path: pty.devicePath, mode, model, intervalMs: 50 });
  await sim.start();
  return { pty, model, sim };
}

function driver(path: string, mode: 'mt-sics' | 'continuous') {
  const samples: WeightSample[] = [];
  const errors: SpError[] = [];
  const d = new SerialScaleDriver({ id: 'scale', path, mode, pollMs: 50, timeoutMs: 300, backoff: { baseMs: 50, maxMs: 200 }, onSample: (s) => samples.push(s), onError: (_id, e) => errors.push(e) });
  cleanup.push(() => d.stop());
  return { d, samples, errors };
}

describe.skipIf(!SOCAT)('serial scale driver over a pty', () => {
  it('continuous mode: ST,GS lines framed and decoded', async () => {
    const { pty, sim } = await rig('continuous');
    cleanup.push(() => pty.close(), () => sim.stop());
    const { d, samples } = driver(pty.hostPath, 'continuous');
    await d.start();
    await waitFor(() => samples.length >= 3, 'stream samples');
    expect(samples.at(-1)).toMatchObject({ kg: 12.345, mode: 'gross', stable: true, raw: { unit: 'kg' } });
  });

  it('MT-SICS: polls SI, zero/tare commands answer; a silent balance times out and recovers', async () => {
    const { pty, sim, model } = await rig('mt-sics');
    cleanup.push(() => pty.close(), () => sim.stop());
    const { d, samples, errors } = driver(pty.hostPath, 'mt-sics');
    await d.start();
    await waitFor(() => samples.length >= 2, 'polled samples');
    expect(await d.command('tare')).toMatchObject({ type: 'tare', status: 'S', kg: 12.345 });
    expect(model.tareValueKg).toBeCloseTo(12.345, 3);
    expect(await d.command('zero')).toMatchObject({ type: 'zero', status: 'A' });

    sim.setFault('dropout', true);
    await waitFor(() => errors.some((e) => /no answer to "SI" within 300 ms/.test(e.message)), 'timeout error');
    sim.setFault('dropout', false);
    const n = samples.length;
    await waitFor(() => samples.length > n + 2, 'samples again');
    sim.setFault('garbage', true);
    await waitFor(() => errors.some((e) => e.code === 'SP_ERR_DECODE'), 'garbage reported as SP_ERR_DECODE');
    sim.setFault('garbage', false);
  });

  it('the port vanishing (cable pulled) and coming back: the driver reopens it by itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-pty-re-'));
    let r: { pty: PtyPair; sim: SerialScale } = await rig('mt-sics', dir);
    cleanup.push(() => r.pty.close(), () => r.sim.stop());
    const { d, samples } = driver(r.pty.hostPath, 'mt-sics');
    await d.start();
    await waitFor(() => samples.length >= 2, 'samples before');
    await r.sim.stop();
    await r.pty.close();
    await waitFor(() => d.status().state === 'failed', 'driver sees the port gone');
    r = await rig('mt-sics', dir); // same paths
    const n = samples.length;
    await waitFor(() => samples.length > n + 2, 'samples after the port came back');
    expect(d.status()).toMatchObject({ state: 'running' });
    expect(d.status().reconnects).toBeGreaterThanOrEqual(1);
  });
});
