import { defineConfig } from 'vitest/config';

/**
 * `npm run test:native`: the engine-dependent tests on the native backend
 * (TF.js wasm with its matrix kernels on the system BLAS). Fails, never
 * skips, where no BLAS loads: `useBackend('native')` throws and names the
 * package to install. Tests with fixed expected numbers stay on wasm in
 * `npm test`; these compare a backend with itself or with hand values.
 */
export default defineConfig({
  test: {
    include: [
      'test/engine/**/*.test.ts',
      'test/node/worker-pipeline.test.ts',
      'test/node/worker-evaluator.test.ts',
      'test/train/resume.test.ts',
      'test/optim/optimizers.test.ts',
      'test/model/activations.test.ts',
      'test/losses/losses.test.ts',
      'test/train/many-classes.test.ts',
    ],
    env: { LOCALPROP_TEST_BACKEND: 'native' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
  },
});
