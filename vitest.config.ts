import { defineConfig } from 'vitest/config';

// Two cores on CI: run test files in a small pool, and give socket-heavy tests room.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
