import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../simulators/clock.ts';
import { createRng } from '../../simulators/random.ts';
import { ThermalZone, type ThermalZoneOptions } from '../../simulators/thermal-model.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

function zone(o: Partial<ThermalZoneOptions> = {}) {
  const clock = new ManualClock();
  const z = new ThermalZone({ setPoint: 4, ambient: 20, coolingTauSec: 600, doorTauSec: 900, failureTauSec: 4 * 3600, clock, rng: createRng(42), ...o });
  return { clock, z };
}

/** samples every `stepMs` for `totalMs`, returning the noisy readings */
function sampleFor(clock: ManualClock, z: ThermalZone, totalMs: number, stepMs = MIN): number[] {
  const out: number[] = [];
  for (let t = 0; t < totalMs; t += stepMs) {
    clock.advance(stepMs);
    out.push(z.measure());
  }
  return out;
}

describe('thermal model', () => {
  it('holds the set point with small noise and drift, no two readings identical', () => {
    const { clock, z } = zone();
    const xs = sampleFor(clock, z, 24 * HOUR);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(Math.abs(mean - 4)).toBeLessThan(0.3);
    expect(Math.min(...xs)).toBeGreaterThan(3);
    expect(Math.max(...xs)).toBeLessThan(5);
    expect(new Set(xs).size).toBeGreaterThan(xs.length * 0.9);
  });

  it('replays exactly with the same seed', () => {
    const a = zone();
    const b = zone();
    expect(sampleFor(a.clock, a.z, HOUR)).toEqual(sampleFor(b.clock, b.z, HOUR));
  });

  it('defrosts on schedule: ~+8 °C for 20 min with the compressor off, then recovers', () => {
    const { clock, z } = zone({ setPoint: -21, defrost: { everySec: 6 * 3600, durationSec: 20 * 60, riseC: 8 } });
    // the cycle starts with a defrost
    clock.advance(19 * MIN);
    const during = z.state();
    expect(during.defrosting).toBe(true);
    expect(during.compressorRunning).toBe(false);
    expect(during.air).toBeGreaterThan(-14.5);
    expect(during.air).toBeLessThan(-12.5);
    clock.advance(HOUR);
    const after = z.state();
    expect(after.defrosting).toBe(false);
    expect(after.compressorRunning).toBe(true);
    expect(Math.abs(after.air + 21)).toBeLessThan(1);
    // next defrost comes 6 h after the first
    clock.advance(6 * HOUR - 80 * MIN + 10 * MIN);
    expect(z.state().defrosting).toBe(true);
  });

  it('warms while the door is open and recovers once it closes', () => {
    const { clock, z } = zone();
    clock.advance(HOUR);
    z.setDoorOpen(true);
    clock.advance(10 * MIN);
    const open = z.state();
    expect(open.doorOpen).toBe(true);
    expect(open.air).toBeGreaterThan(8);
    z.setDoorOpen(false);
    clock.advance(HOUR);
    expect(Math.abs(z.state().air - 4)).toBeLessThan(1);
  });

  it('tells door listeners about changes only', () => {
    const { z } = zone();
    const seen: boolean[] = [];
    z.onDoorChange((o) => seen.push(o));
    z.setDoorOpen(true);
    z.setDoorOpen(true);
    z.setDoorOpen(false);
    expect(seen).toEqual([true, false]);
  });

  it('with a dead compressor approaches ambient first-order, and cools again once repaired', () => {
    const { clock, z } = zone();
    z.setCompressorFailed(true);
    clock.advance(4 * 3600 * 1000); // one time constant
    const s = z.state();
    expect(s.compressorRunning).toBe(false);
    // 20 − 16·e⁻¹ ≈ 14.1 °C, drift-free since the thermostat is not in charge
    expect(s.air).toBeCloseTo(20 - 16 * Math.exp(-1), 1);
    clock.advance(48 * HOUR);
    expect(z.state().air).toBeGreaterThan(19.9);
    expect(z.state().air).toBeLessThanOrEqual(20);
    z.setCompressorFailed(false);
    clock.advance(2 * HOUR);
    expect(Math.abs(z.state().air - 4)).toBeLessThan(1);
  });

  it('timeScale compresses model time: 6 min of clock at ×60 runs a 6 h defrost cycle', () => {
    const { clock, z } = zone({ setPoint: -21, timeScale: 60, defrost: { everySec: 6 * 3600, durationSec: 20 * 60, riseC: 8, offsetSec: 3600 } });
    const states: boolean[] = [];
    for (let i = 0; i < 36; i++) {
      clock.advance(10_000);
      states.push(z.state().defrosting);
    }
    expect(states.some(Boolean)).toBe(true);
    expect(z.elapsedModelSec()).toBeCloseTo(6 * 3600, 0);
  });

  it('rejects a non-positive timeScale', () => {
    expect(() => new ThermalZone({ setPoint: 4, timeScale: 0 })).toThrow(/timeScale/);
  });
});
