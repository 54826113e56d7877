import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/engine/backend.js';
import { seededStart } from '../../src/experiment/seeded.js';
import { parseModelSpec } from '../../src/model/spec.js';
import { decayedRate, resolveRunOptions, Run } from '../../src/train/run.js';

beforeAll(async () => {
  await useBackend('cpu');
});

const spec = parseModelSpec('2-6-6-1 hidden=tanh out=sigmoid');

/** Each block's weights after every epoch of a run. */
async function weightsPerEpoch(schedule: string, epochs: number, lrDecayAt: number[], lrDecay: number): Promise<Float32Array[][]> {
  const start = seededStart(1, spec, { dataset: 'signed_xor' });
  const run = new Run({ schedule, spec, ...start, epochs, step: 'batch', batchSize: 250, optimizer: { name: 'adam', lr: 0.01 }, lrDecayAt, lrDecay });
  const out: Float32Array[][] = [];
  for await (const e of run) if (e.type === 'epoch') out.push(run.network.blocks.map((b) => (b.weight.dataSync() as Float32Array).slice()));
  run.dispose();
  return out;
}

const moved = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

describe('learning-rate milestones', () => {
  it("decays like PyTorch's MultiStepLR: epochs after a milestone use the smaller rate", () => {
    const decay = { at: [10, 15], factor: 0.25 };
    expect(decayedRate(1e-3, decay, 10)).toBe(1e-3);
    expect(decayedRate(1e-3, decay, 11)).toBeCloseTo(2.5e-4, 15);
    expect(decayedRate(1e-3, decay, 16)).toBeCloseTo(6.25e-5, 15);
    expect(decayedRate(1e-3, undefined, 16)).toBe(1e-3);
  });

  it('all but stops back-propagation after a milestone with a tiny factor', async () => {
    const w = await weightsPerEpoch('backprop', 3, [2], 1e-12);
    expect(moved(w[0][0], w[1][0])).toBeGreaterThan(1e-4);
    expect(moved(w[1][0], w[2][0])).toBeLessThan(1e-9);
  });

  it('restarts the milestones in every block phase of local-sequential', async () => {
    // 3 epochs per block, milestone after the 2nd: each block moves in its phase's epochs 1-2 only.
    const w = await weightsPerEpoch('local-sequential', 3, [2], 1e-12);
    expect(moved(w[0][0], w[1][0])).toBeGreaterThan(1e-4);
    expect(moved(w[1][0], w[2][0])).toBeLessThan(1e-9);
    expect(moved(w[2][1], w[3][1])).toBeGreaterThan(1e-4);
    expect(moved(w[3][1], w[4][1])).toBeGreaterThan(1e-4);
    expect(moved(w[4][1], w[5][1])).toBeLessThan(1e-9);
  });

  it('refuses milestones that cannot work, saying how to fix them', () => {
    const base = { schedule: 'backprop', seed: 0, step: 'batch' as const };
    expect(() => resolveRunOptions({ ...base, lrDecay: 0.5 }, 1)).toThrow(/add --lr-decay-at/);
    expect(() => resolveRunOptions({ ...base, lrDecayAt: [15, 10] }, 1)).toThrow(/increasing order/);
    expect(() => resolveRunOptions({ ...base, lrDecayAt: [10], lrDecay: 0 }, 1)).toThrow(/factor > 0/);
    expect(() => resolveRunOptions({ schedule: 'backprop', seed: 0, lrDecayAt: [10] }, 1)).toThrow(/no effect on rprop/);
    expect(resolveRunOptions({ ...base, lrDecayAt: [10, 15], lrDecay: 0.25 }, 1).lrDecay).toEqual({ at: [10, 15], factor: 0.25 });
  });
});
