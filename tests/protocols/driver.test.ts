import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../protocols/driver.ts';

describe('backoffDelay', () => {
  const opts = { baseMs: 100, maxMs: 1000 };
  it('caps grow exponentially from baseMs and stop at maxMs (random → 1)', () => {
    const top = () => 0.999999;
    expect([1, 2, 3, 4, 5, 6, 50, 5000].map((a) => backoffDelay(a, opts, top))).toEqual([99, 199, 399, 799, 999, 999, 999, 999]);
  });
  it('full jitter: uniform between 0 and the cap', () => {
    expect(backoffDelay(3, opts, () => 0)).toBe(0);
    expect(backoffDelay(3, opts, () => 0.5)).toBe(200);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(4, opts);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(800);
    }
  });
  it('treats nonsense attempts as the first one', () => {
    expect(backoffDelay(0, opts, () => 0.5)).toBe(50);
    expect(backoffDelay(-3, opts, () => 0.5)).toBe(50);
    expect(backoffDelay(Number.NaN, opts, () => 0.5)).toBe(50);
  });
});
