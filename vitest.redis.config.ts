import { defineConfig } from 'vitest/config';

/**
 * `npm run test:redis`: sweeps on a Redis queue, against a real
 * redis-server (Debian's `redis-server` package, which `.ci/run` installs)
 * that the tests start on a free loopback port. Not part of `npm test`,
 * which needs nothing beyond `npm install`; fails, never skips, without
 * redis-server.
 */
export default defineConfig({
  test: {
    include: ['test/redis/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Each test starts worker processes of its own: one file at a time on two cores.
    fileParallelism: false,
  },
});
