import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteOutbox } from '../../../edge/outbox/sqlite-outbox.ts';
import type { OutboxEntry } from '../../../edge/outbox/queue.ts';
import type { MovementEvent } from '../../../protocols/uplink/contract.ts';
import { systemClock } from '../../../simulators/clock.ts';
import { createRng } from '../../../simulators/random.ts';
import { ModbusScaleSim } from '../../../simulators/devices/modbus-scale.ts';
import { ScaleModel } from '../../../simulators/devices/scale-model.ts';
import { waitFor } from '../../helpers/net.ts';
import { unchangedFor } from '../../helpers/pause.ts';
import { startEmbeddedBroker, startGatewayRig, type EmbeddedBroker } from './helpers/gateway-rig.ts';

// Goods taken from a scale while its gateway is down are still booked: the booked level is kept
// in the edge store (with the movement that moved it, in one commit), so the restarted gateway
// compares the shelf with what was booked, not with a fresh baseline — once.

const dir = mkdtempSync(join(tmpdir(), 'sp-scale-restart-'));
const store = join(dir, 'gw.sqlite');
let broker: EmbeddedBroker;
let sim: ScaleModel;
let silo: ModbusScaleSim;
const device = () => ({
  id: 'bins', protocol: 'modbus-scale', host: '127.0.0.1', port: silo.listenPort, pollMs: 100, timeoutMs: 500,
  points: [{ sensor: 'bins-weight', zone: 'dry', kind: 'weight' }],
  weighing: { item: { sku: 'SUGAR-1KG' }, bin: 'B-1', pieceWeightKg: 1, stableBandKg: 0.2, stableMinMs: 600 },
});

/** the movements the store holds (nothing is acknowledged: there is no cloud) */
function movementsIn(o: SqliteOutbox): MovementEvent[] {
  const out: OutboxEntry[] = [];
  for (let b = o.nextBatch(10_000); b; b = o.nextBatch(10_000)) { out.push(...b.entries); o.ack(b.seq); }
  return out.flatMap((e) => (e.type === 'movement' ? [e.movement] : []));
}

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  sim = new ScaleModel({ clock: systemClock, rng: createRng(7), initialKg: 40, noiseKg: 0.01, resolutionKg: 0.01 });
  silo = new ModbusScaleSim({ id: 'bins', zoneId: 'dry', host: '127.0.0.1', port: 0, unitId: 1, model: sim });
  await silo.start();
});
afterAll(async () => {
  await silo?.stop();
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('scale booked level across a gateway restart', () => {
  it('a change made while the gateway was down is booked once when it is back', async () => {
    // first life: baseline 40 pcs, then 5 taken → one consumption
    let o = SqliteOutbox.open(store);
    let { gw } = await startGatewayRig(broker, [device()], o);
    await waitFor(() => o.savedState('scale-booked:bins') !== undefined, 'baseline kept');
    expect(Number(o.savedState('scale-booked:bins'))).toBeCloseTo(40, 1);
    sim.load(-5);
    await waitFor(() => Number(o.savedState('scale-booked:bins')) < 36, 'first movement booked');
    await gw.stop(0);
    const first = movementsIn(o);
    expect(first.map((m) => [m.type, m.quantity])).toEqual([['consumption', 5]]);
    o.close();

    // down: 12 more taken (the gateway is stopped and its store closed: the change is made while down)
    sim.load(-12);

    // second life: the same store → exactly one consumption of 12, from the booked 35
    o = SqliteOutbox.open(store);
    expect(Number(o.savedState('scale-booked:bins'))).toBeCloseTo(35, 1);
    ({ gw } = await startGatewayRig(broker, [device()], o));
    await waitFor(() => Number(o.savedState('scale-booked:bins')) < 24, 'the change made while down booked');
    await unchangedFor(1000, () => o.savedState('scale-booked:bins'), 'the booked level (no second movement)');
    await gw.stop(0);
    const second = movementsIn(o);
    expect(second.map((m) => [m.type, m.quantity])).toEqual([['consumption', 12]]);
    expect(second[0]!.evidence.previousNetKg).toBeCloseTo(35, 1); // counted from what was booked before the restart
    o.close();
  });
});
