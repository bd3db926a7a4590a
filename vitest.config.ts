import { defineConfig } from 'vitest/config';

// Two cores on CI: run test files in a small pool, and give socket-heavy tests room. The
// timeouts are sized for a loaded box (load ~10 on 2 cores with 2 workers, where a PGlite
// migration or a gateway start can take tens of seconds): a timeout here means "hung", never
// "slow"; a test that needs a tighter bound says so with its own waitFor deadline.
// `npm test` includes a short chaos run (3 000 readings); `npm run test:chaos` runs only the
// chaos suite, with 100 000 readings.
const chaosOnly = Boolean(process.env.STOCKPULSE_CHAOS);

export default defineConfig({
  test: {
    include: chaosOnly ? ['tests/e2e/chaos/**/*.test.ts'] : ['tests/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // expect.poll waits for what a page or a process shows next: 1 s (vitest's default) was too
    // short on a loaded box (a phone page still in English 1 s after opening, CI 2026-12-08)
    expect: { poll: { timeout: 15_000 } },
  },
});
