import { describe, expect, it } from 'vitest';
import { WeighTracker } from '../../../edge/scale/weigh-tracker.ts';
import { ScaleTuning, type ScaleTuningInput } from '../../../edge/scale/scale-config.ts';
import { ScaleModel } from '../../../simulators/devices/scale-model.ts';
import { ManualClock } from '../../../simulators/clock.ts';
import { createRng } from '../../../simulators/random.ts';
import { MovementEvent } from '../../../protocols/uplink/contract.ts';
import type { WeightSample } from '../../../protocols/scale/weight-sample.ts';

// Scale logic on an injected clock: the simulator's scale model sampled every 100 ms.

const tuning = (over: Partial<ScaleTuningInput> = {}) => ScaleTuning.parse({ zone: 'bakehouse', bin: 'B-07', item: { sku: 'BUTTER-250' }, pieceWeightKg: 0.25, ...over });

function rig(seed: number, over: Partial<ScaleTuningInput> = {}, initialKg = 5, motionBandKg?: number) {
  const clock = new ManualClock();
  const model = new ScaleModel({ clock, rng: createRng(seed), initialKg, noiseKg: 0.0008, motionBandKg });
  const tracker = new WeighTracker('bench-scale', tuning(over));
  const movements: MovementEvent[] = [];
  const step = (ms: number) => {
    for (let t = 0; t < ms; t += 100) {
      clock.advance(100);
      const r = model.read();
      const s: WeightSample = { ts: clock.now(), kg: r.overload ? undefined : r.kg, mode: 'gross', stable: r.stable, overload: r.overload, underload: r.underload, raw: {} };
      movements.push(...tracker.ingest(s));
    }
  };
  return { clock, model, tracker, movements, step };
}

describe('scale: stable changes → movements', () => {
  it('loaded in 3 swings → exactly one refill of the right quantity, with the weights as evidence', () => {
    const r = rig(1);
    r.step(3000); // baseline 5 kg = 20 pieces
    expect(r.movements).toEqual([]);
    r.model.load(12 * 0.25, { swings: 3, periodMs: 900, amplitudeKg: 2 });
    r.step(8000);
    expect(r.movements).toHaveLength(1);
    const m = MovementEvent.parse(r.movements[0]);
    expect(m).toMatchObject({ type: 'refill', quantity: 12, unit: 'pcs', item: { sku: 'BUTTER-250' }, location: { zone: 'bakehouse', bin: 'B-07' }, source: { device: 'bench-scale', kind: 'scale' } });
    expect(m.evidence).toMatchObject({ pieceWeightKg: 0.25, tareKg: 0, previousNetKg: expect.closeTo(5, 2), netKg: expect.closeTo(8, 2) });
  });

  it('the device flag alone would be fooled at the turning points; our window is not', () => {
    const r = rig(2, {}, 5, 0.1); // a coarse motion filter, slow swing: flags "stable" at turning points
    r.step(3000);
    let deviceStableMidSwing = 0;
    r.model.load(3, { swings: 4, periodMs: 2000, amplitudeKg: 2.5 });
    for (let i = 0; i < 80; i++) {
      r.step(100);
      if (r.tracker.state().lastSample?.stable && Math.abs(r.tracker.state().lastSample!.kg! - 8) > 0.3) deviceStableMidSwing++;
    }
    expect(deviceStableMidSwing).toBeGreaterThan(0);
    r.step(6000);
    expect(r.movements.map((m) => [m.type, m.quantity])).toEqual([['refill', 12]]);
  });

  it('a wobble inside the tolerance never books back-and-forth movements', () => {
    const r = rig(3);
    r.step(3000);
    for (let i = 0; i < 10; i++) {
      r.model.load(i % 2 === 0 ? 0.1 : -0.1, { swings: 2, periodMs: 700 }); // ±0.4 piece
      r.step(2500);
    }
    expect(r.movements).toEqual([]);
  });

  it('taking pieces off → consumption; rounding never accumulates', () => {
    const r = rig(4, {}, 10);
    r.step(3000);
    for (let i = 0; i < 4; i++) {
      r.model.load(-3 * 0.25 + (i % 2 ? 0.08 : -0.08), { swings: 1 }); // 3 pieces, a third of a piece off either way
      r.step(3000);
    }
    expect(r.movements.map((m) => [m.type, m.quantity])).toEqual([['consumption', 3], ['consumption', 3], ['consumption', 3], ['consumption', 3]]);
    expect(r.tracker.bookedQuantity()).toBe(40 - 12);
  });

  it('bulk mode (no piece weight): kilograms; overload books nothing and resets the window', () => {
    const r = rig(5, { pieceWeightKg: undefined, item: { sku: 'FLOUR-T55' }, changeToleranceKg: 1 }, 200);
    r.step(3000);
    r.model.setOverload(true);
    r.step(2000);
    expect(r.tracker.state().stable).toBe(false);
    r.model.setOverload(false);
    r.model.load(-25.4, { swings: 2 });
    r.step(4000);
    expect(r.movements).toHaveLength(1);
    expect(r.movements[0]).toMatchObject({ type: 'consumption', unit: 'kg', quantity: expect.closeTo(25.4, 1) });
  });

  it('a container tare is subtracted from the gross', () => {
    const r = rig(6, { tareKg: 1.2 }, 1.2 + 2.5);
    r.step(3000);
    r.model.load(0.5, { swings: 1 });
    r.step(3000);
    expect(r.movements[0]!.evidence).toMatchObject({ tareKg: 1.2, previousNetKg: expect.closeTo(2.5, 2), netKg: expect.closeTo(3, 2) });
  });
});
