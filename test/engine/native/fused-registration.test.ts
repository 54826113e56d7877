import { afterAll, describe, expect, it, vi } from 'vitest';
import { tf, useBackend } from '../../../src/engine/backend.js';
import { FUSED_KERNELS, registerFusedKernels } from '../../../src/engine/fused/index.js';
import { fusedActive } from '../../../src/engine/fused/kernel.js';
import { fusedThresholdAccuracy } from '../../../src/engine/fused/accuracy.js';

/**
 * The fused kernels on the native backend when they were registered before
 * it (the other order, native first, is what every other native test file
 * does): each ends up on native once, with no "already registered" warning
 * from TF.js, and runs there.
 */
describe('fused kernels registered before the native backend', () => {
  const warn = vi.spyOn(console, 'warn');
  afterAll(() => warn.mockRestore());

  it('are on native once, without warnings, and active there', async () => {
    registerFusedKernels();
    await useBackend('native');
    expect(tf.getBackend()).toBe('native');
    for (const kernel of FUSED_KERNELS) expect(tf.getKernel(kernel.name, 'native'), kernel.name).toBeDefined();
    expect(warn.mock.calls.filter((call) => /already registered/.test(String(call[0])))).toEqual([]);
    expect(fusedActive(100)).toBe(true);
    // The fused accuracy by hand on native: predictions 0.7, 0.2, 0.5 against targets 1, 1, 0 hit once in three.
    const accuracy = fusedThresholdAccuracy(tf.tensor2d([[0.7], [0.2], [0.5]]), tf.tensor2d([[1], [1], [0]]));
    expect(accuracy.dataSync()[0]).toBe(Math.fround(1 / 3));
  });
});
