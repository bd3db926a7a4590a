import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModbusScaleDriver } from '../../../edge/devices/scale/modbus-scale-driver.ts';
import type { WeightSample } from '../../../protocols/scale/weight-sample.ts';
import { ModbusScaleSim } from '../../../simulators/devices/modbus-scale.ts';
import { ScaleModel } from '../../../simulators/devices/scale-model.ts';
import { systemClock } from '../../../simulators/clock.ts';
import { createRng } from '../../../simulators/random.ts';
import { waitFor } from '../../helpers/net.ts';

// Modbus TCP floor scale on loopback: the shared poller reads gross/net/tare/status in one
// request; the command register zeroes and tares the real (simulated) indicator.

let sim: ModbusScaleSim;
let model: ScaleModel;
let drv: ModbusScaleDriver;
const samples: WeightSample[] = [];

beforeAll(async () => {
  model = new ScaleModel({ clock: systemClock, rng: createRng(3), initialKg: 150, noiseKg: 0, resolutionKg: 0.01, capacityKg: 600 });
  sim = new ModbusScaleSim({ id: 'floor', zoneId: 'z', host: '127.0.0.1', port: 0, unitId: 5, model });
  await sim.start();
  drv = new ModbusScaleDriver({ id: 'floor', host: '127.0.0.1', port: sim.listenPort, unitId: 5, pollMs: 60, timeoutMs: 300, onSample: (s) => samples.push(s) });
  await drv.start();
});

afterAll(async () => {
  await drv?.stop();
  await sim?.stop();
});

describe('Modbus TCP scale', () => {
  it('gross in gross mode; tare command → net mode with tare; zero; overload flagged', async () => {
    await waitFor(() => samples.length >= 3, 'samples');
    expect(samples.at(-1)).toMatchObject({ mode: 'gross', kg: 150, grossKg: 150, tareKg: 0, stable: true });

    await drv.command('tare');
    await waitFor(() => samples.at(-1)?.mode === 'net', 'net mode');
    expect(samples.at(-1)).toMatchObject({ mode: 'net', kg: 0, grossKg: 150, tareKg: 150 });
    model.load(20);
    await waitFor(() => samples.at(-1)?.kg === 20, 'net 20 kg');

    await drv.command('clearTare');
    await drv.command('zero');
    await waitFor(() => samples.at(-1)?.mode === 'gross' && samples.at(-1)?.kg === 0, 'zeroed gross');

    model.setOverload(true);
    await waitFor(() => samples.at(-1)?.overload === true, 'overload');
    expect(samples.at(-1)).not.toHaveProperty('kg');
    model.setOverload(false);
    expect(drv.status().state).toBe('running');
  });
});
