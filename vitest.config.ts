import { defineConfig } from 'vitest/config';

// Two cores on CI: run test files in a small pool, and give socket-heavy tests room.
// `npm test` includes a short chaos run (3 000 readings); `npm run test:chaos` runs only the
// chaos suite, with 100 000 readings.
const chaosOnly = Boolean(process.env.STOCKPULSE_CHAOS);

export default defineConfig({
  test: {
    include: chaosOnly ? ['tests/e2e/chaos/**/*.test.ts'] : ['tests/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
