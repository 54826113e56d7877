import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUSED_ELEMENT_LIMIT, fusedActive, setFusedKernels } from '../../src/engine/fused/kernel.js';
import { tf, useBackend } from '../../src/engine/backend.js';
import { seedRuns, TEST_BACKEND } from '../support.js';

/**
 * The fused kernels inside training: a run with them gives every epoch's
 * losses and the final parameters bit for bit as the same run on TF.js's
 * own ops, for every schedule of the protocol (and the gated one, whose
 * adjusted steps take the unfused rule), on wasm and (`npm run test:native`)
 * on native, whose element-wise kernels are wasm's.
 */
describe(`training with fused kernels on ${TEST_BACKEND}`, () => {
  const { makeRun } = seedRuns();
  beforeAll(async () => {
    await useBackend(TEST_BACKEND);
  });
  afterAll(() => setFusedKernels(true));

  async function trained(schedule: string, fused: boolean, epochs: number): Promise<{ losses: number[]; parameters: number[]; kernels: string[]; launched: number }> {
    setFusedKernels(fused);
    const kernels = new Set<string>();
    let launched = 0;
    const engine = tf.engine() as unknown as { runKernel: (name: string, ...rest: unknown[]) => unknown };
    const original = engine.runKernel;
    engine.runKernel = function (this: unknown, name: string, ...rest: unknown[]) {
      kernels.add(name);
      launched++;
      return original.call(this, name, ...rest);
    };
    try {
      const run = makeRun({ schedule, epochs });
      expect(tf.getBackend()).toBe(TEST_BACKEND);
      const losses: number[] = [];
      let parameters: number[] = [];
      for await (const e of run) {
        if (e.type !== 'epoch') continue;
        losses.push(e.trainLoss, e.testLoss, e.testAccuracy, ...e.blockLosses.map((l) => l ?? NaN));
        // The parameters and the optimizer's state (Rprop's step sizes) after the epoch.
        const state = run.checkpoint();
        parameters = [...Object.values(state.parameters), ...state.optimizer.flatMap((o) => (o ? Object.values(o.tensors) : []))].flatMap((t) => Array.from(t.data));
      }
      run.dispose();
      return { losses, parameters, kernels: [...kernels], launched };
    } finally {
      engine.runKernel = original;
    }
  }

  it.each([
    ['backprop', 6],
    ['local-parallel', 6],
    ['local-sequential', 8],
    ['local-gated', 6],
  ])('%s: the same losses and parameters, bit for bit, with fewer kernels', async (schedule, epochs) => {
    const plain = await trained(schedule, false, epochs);
    const fused = await trained(schedule, true, epochs);
    expect(plain.kernels.some((k) => k.startsWith('Localprop'))).toBe(false);
    expect(fused.kernels).toContain('LocalpropMishForward');
    // Rprop alone replaces ~23 kernels a variable a step; gated steps keep the unfused rule.
    expect(fused.launched).toBeLessThan(plain.launched * 0.75);
    expect(fused.losses.length).toBe(plain.losses.length);
    fused.losses.forEach((l, k) => expect(Object.is(l, plain.losses[k]), `loss ${k}: ${l} vs ${plain.losses[k]}`).toBe(true));
    expect(fused.parameters).toEqual(plain.parameters);
  });

  it('takes only tensors up to the size where a fused loop wins', () => {
    setFusedKernels(true);
    expect(fusedActive(FUSED_ELEMENT_LIMIT)).toBe(true);
    expect(fusedActive(FUSED_ELEMENT_LIMIT + 1)).toBe(false);
    setFusedKernels(false);
    expect(fusedActive(1)).toBe(false);
  });
});
