import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The native backend's own kernel tests need a BLAS (`npm run test:native`), the queue's a redis-server (`npm run test:redis`).
    exclude: ['test/browser/**', 'test/engine/native/**', 'test/redis/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: more workers only make the training tests fight for them.
    maxWorkers: 2,
  },
});
