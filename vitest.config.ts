import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: more workers only make the training tests fight for them.
    maxWorkers: 2,
  },
});
