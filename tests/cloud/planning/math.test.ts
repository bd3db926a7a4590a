import { describe, expect, it } from 'vitest';
import { inverseNormal } from '../../../cloud/planning/normal.ts';
import { dayOfWeekIndex, sampleSd } from '../../../cloud/planning/stats.ts';
import { holtForecast } from '../../../cloud/planning/analytics/holt.ts';
import { dayFromIso, weekday } from '../../../cloud/planning/days.ts';

// The pure arithmetic under replenishment and the sales forecast, against values taken from
// the standard normal table and worked out by hand.

describe('planning arithmetic', () => {
  it('z from the service level matches the normal table', () => {
    // Φ⁻¹ values from the standard normal table (to 6 decimals)
    for (const [p, z] of [[0.5, 0], [0.8, 0.841621], [0.9, 1.281552], [0.95, 1.644854], [0.975, 1.959964], [0.99, 2.326348], [0.999, 3.090232], [0.01, -2.326348]] as const) {
      expect(inverseNormal(p), `p=${p}`).toBeCloseTo(z, 6);
    }
    for (const bad of [0, 1, 1.2, -0.1, Number.NaN]) expect(() => inverseNormal(bad), String(bad)).toThrow(/strictly between 0 and 1/);
  });

  it('sample standard deviation divides by n − 1', () => {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, Σ(y − 5)² = 32, 32 / 7
    expect(sampleSd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12);
  });

  it('the day-of-week index is the mean ratio to the centred 7-day average, scaled to average 1', () => {
    // 4 weeks from Monday 2026-01-05 of a rising level (+7 a week) with Saturday double:
    // day t has level 10 + t, Saturday's value is 2 × level.
    const first = dayFromIso('2026-01-05');
    expect(weekday(first)).toBe(0);
    const y = Array.from({ length: 28 }, (_, t) => (t % 7 === 5 ? 2 : 1) * (10 + t));
    // By hand: the centred average at t (3 ≤ t ≤ 24) is the mean of 7 consecutive days, one of
    // them a Saturday: (Σ (10+s) for s=t−3..t+3 + (10 + sat)) / 7 = (7(10+t) + 10 + sat) / 7.
    const ratios: number[][] = [[], [], [], [], [], [], []];
    for (let t = 3; t <= 24; t++) {
      const sat = t - 3 + ((5 - (t - 3)) % 7 + 7) % 7;   // the Saturday inside t−3 … t+3
      const cma = (7 * (10 + t) + 10 + sat) / 7;
      ratios[t % 7]!.push(y[t]! / cma);
    }
    const raw = ratios.map((r) => r.reduce((a, x) => a + x, 0) / r.length);
    const expected = raw.map((r) => (r * 7) / raw.reduce((a, x) => a + x, 0));
    const got = dayOfWeekIndex(y, first);
    expect(got.method).toBe('ratio-to-centred-moving-average');
    got.indices.forEach((v, k) => expect(v, `weekday ${k}`).toBeCloseTo(expected[k]!, 10));
    expect(got.indices.reduce((a, x) => a + x, 0) / 7).toBeCloseTo(1, 12);
    expect(got.indices[5]).toBeGreaterThan(1.6);
    // too short a history: flat, and it says why
    expect(dayOfWeekIndex(y.slice(0, 14), first)).toMatchObject({ method: 'flat', indices: [1, 1, 1, 1, 1, 1, 1] });
  });

  it('Holt continues a straight line exactly; fewer than 3 points repeat the last', () => {
    expect(holtForecast([10, 12, 14, 16, 18], 3).forecast).toEqual([20, 22, 24]);
    expect(holtForecast([10, 12, 14, 16, 18], 3).sse).toBe(0);
    expect(holtForecast([5, 7], 2)).toMatchObject({ method: 'naive', forecast: [7, 7] });
    // a falling line stops at zero: demand is never negative
    expect(holtForecast([9, 6, 3], 3).forecast).toEqual([0, 0, 0]);
  });
});
