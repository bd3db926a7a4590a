import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../edge/gateway.ts';
import { systemClock } from '../../../simulators/clock.ts';
import { createRng } from '../../../simulators/random.ts';
import { waitFor } from '../../helpers/net.ts';
import { unchangedFor } from '../../helpers/pause.ts';
import { startEmbeddedBroker, startGatewayRig, type EmbeddedBroker, type RecordingOutbox } from './helpers/gateway-rig.ts';
import { SerialScale } from '../../../simulators/devices/serial-scale.ts';
import { ModbusScaleSim } from '../../../simulators/devices/modbus-scale.ts';
import { ScaleModel } from '../../../simulators/devices/scale-model.ts';
import { hasSocat, openPtyPair, type PtyPair } from '../../../simulators/devices/pty-pair.ts';

// Scales through real sockets: a simulated balance answers MT-SICS on a socat pty, a simulated
// silo indicator serves Modbus TCP on loopback; the real Gateway books their stable changes.

const SOCAT = hasSocat();
if (!SOCAT) console.warn('[gateway-scales] socat is not installed: the serial (pty) scale test is skipped (apt-get install socat)');

let broker: EmbeddedBroker;
let gw: Gateway;
let outbox: RecordingOutbox;
let pty: PtyPair | undefined;
let bench: SerialScale | undefined;
let benchModel: ScaleModel;
let silo: ModbusScaleSim;
let siloModel: ScaleModel;

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  const rng = createRng(43);
  siloModel = new ScaleModel({ clock: systemClock, rng, initialKg: 812.4, capacityKg: 2000, noiseKg: 0.02, resolutionKg: 0.1, motionBandKg: 0.3 });
  silo = new ModbusScaleSim({ id: 'silo', zoneId: 'dry', host: '127.0.0.1', port: 0, unitId: 1, model: siloModel });
  await silo.start();
  benchModel = new ScaleModel({ clock: systemClock, rng, initialKg: 2.5, noiseKg: 0.0005 });
  if (SOCAT) {
    pty = await openPtyPair();
    bench = new SerialScale({ id: 'bench', zoneId: 'bakehouse', path: pty.devicePath, mode: 'mt-sics', model: benchModel });
    await bench.start();
  }
  ({ gw, outbox } = await startGatewayRig(broker, [
    {
      id: 'silo', protocol: 'modbus-scale', host: '127.0.0.1', port: silo.listenPort, pollMs: 100, timeoutMs: 500,
      points: [{ sensor: 'silo-weight', zone: 'dry', kind: 'weight' }],
      weighing: { item: { sku: 'FLOUR-T55' }, bin: 'SILO-1', stableBandKg: 0.2, changeToleranceKg: 2, stableMinMs: 800 },
    },
    ...(SOCAT ? [{
      id: 'bench', protocol: 'serial-scale', path: pty!.hostPath, mode: 'mt-sics', pollMs: 80, timeoutMs: 500,
      points: [{ sensor: 'bench-weight', zone: 'bakehouse', kind: 'weight' }],
      weighing: { item: { sku: 'BUTTER-250' }, bin: 'B-07', pieceWeightKg: 0.25 },
    }] : []),
  ]));
});

afterAll(async () => {
  await gw?.stop(0);
  await Promise.allSettled([silo?.stop(), bench?.stop()]);
  await pty?.close();
  await broker?.close();
});

describe('scales → consumption / refill movements (real pty, Modbus TCP)', () => {
  it('flour silo on Modbus TCP: 25 kg drawn off → one consumption in kg, weight readings flow', async () => {
    await waitFor(() => gw.stock?.deviceStatuses().silo?.state === 'running', 'silo polled');
    await waitFor(() => outbox.savedState('scale-booked:silo') !== undefined, 'the silo baseline booked');
    siloModel.load(-25, { swings: 2, periodMs: 600 });
    const [m] = await waitFor(() => { const x = outbox.movements('silo'); return x.length ? x : undefined; }, 'silo consumption');
    expect(m).toMatchObject({ type: 'consumption', unit: 'kg', item: { sku: 'FLOUR-T55' }, location: { zone: 'dry', bin: 'SILO-1' } });
    expect(m!.quantity).toBeCloseTo(25, 0);
    expect(outbox.appended.some((e) => e.type === 'reading' && e.reading.sensor === 'silo-weight')).toBe(true);
  });

  it.skipIf(!SOCAT)('bench balance on a pty (MT-SICS): loaded in 3 swings → exactly one refill of the right quantity', async () => {
    await waitFor(() => gw.stock?.deviceStatuses().bench?.state === 'running', 'bench port open');
    await waitFor(() => outbox.savedState('scale-booked:bench') !== undefined, 'the bench baseline booked (2.5 kg = 10 pieces)');
    benchModel.load(16 * 0.25, { swings: 3, periodMs: 700, amplitudeKg: 1.5 });
    const [m] = await waitFor(() => { const x = outbox.movements('bench'); return x.length ? x : undefined; }, 'bench refill');
    await unchangedFor(1500, () => outbox.movements('bench').length, 'the bench movements (nothing after the refill)');
    expect(outbox.movements('bench')).toHaveLength(1);
    expect(m).toMatchObject({ type: 'refill', quantity: 16, unit: 'pcs', item: { sku: 'BUTTER-250' }, location: { zone: 'bakehouse', bin: 'B-07' } });
    expect(m!.evidence).toMatchObject({ pieceWeightKg: 0.25, previousNetKg: expect.closeTo(2.5, 1), netKg: expect.closeTo(6.5, 1) });
  });
});
