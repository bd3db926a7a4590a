import { expect } from 'vitest';
import { ERROR_CATALOGUE, isSpError } from '../../protocols/errors.ts';

// What every fuzz property checks: the input either gives a value or a coded SpError from the
// catalogue, with field/reason details — never any other exception. FUZZ_RUNS / FUZZ_SEED set
// the budget (npm run test:fuzz uses 20 000 runs per property).

export const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
export const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
export const params = { numRuns: RUNS, seed: SEED };

/** runs fn; a thrown error must be a coded SpError from the catalogue, with details */
export function codedOrValue<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!isSpError(e)) throw new Error(`uncoded rejection: ${(e as Error)?.stack ?? String(e)}`);
    expect(Object.keys(ERROR_CATALOGUE)).toContain(e.code);
    expect(e.details.length).toBeGreaterThan(0);
    for (const d of e.details) expect(typeof d.field === 'string' && typeof d.reason === 'string').toBe(true);
    return undefined;
  }
}
