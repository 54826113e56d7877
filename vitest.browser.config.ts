import { defineConfig } from 'vitest/config';

/** `npm run test:browser`: tests that drive Debian's Chromium (see test/browser/chromium.ts). */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 1,
  },
});
