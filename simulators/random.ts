// Seeded randomness so a scenario run (and a failing test) can be replayed exactly.

export interface Rng {
  /** uniform in [0, 1) */
  next(): number;
  /** standard normal (mean 0, sd 1) */
  gaussian(): number;
  /** integer in [0, n) */
  int(n: number): number;
}

/** mulberry32: tiny, fast, good enough for noise; not for anything secret. */
export function createRng(seed: number = Date.now()): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    // Box–Muller; 1 - next() keeps log() away from 0
    gaussian: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
    int: (n: number) => Math.floor(next() * n),
  };
}
