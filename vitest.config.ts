import { configDefaults, defineConfig } from 'vitest/config';

// Two cores on CI: run test files in a small pool, and give socket-heavy tests room.
// The chaos run (tests/chaos) kills processes and restarts brokers for minutes; it runs with
// `npm run test:chaos`, not inside `npm test` (see README, Tests).
const chaos = Boolean(process.env.STOCKPULSE_CHAOS);

export default defineConfig({
  test: {
    include: chaos ? ['tests/chaos/**/*.test.ts'] : ['tests/**/*.test.ts'],
    exclude: chaos ? configDefaults.exclude : [...configDefaults.exclude, 'tests/chaos/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
