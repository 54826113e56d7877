import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/engine/backend.js';
import { seededStart } from '../../src/experiment/seeded.js';
import { parseModelSpec } from '../../src/model/spec.js';
import { cooldownFactor, decayedRate, resolveRunOptions, Run } from '../../src/train/run.js';

beforeAll(async () => {
  await useBackend('cpu');
});

const spec = parseModelSpec('2-6-6-1 hidden=tanh out=sigmoid');

/** Each block's weights after every epoch of a run. */
async function weightsPerEpoch(schedule: string, epochs: number, lrDecayAt: number[], lrDecay: number, more: { lrCooldown?: number } = {}): Promise<Float32Array[][]> {
  const start = seededStart(1, spec, { dataset: 'signed_xor' });
  const milestones = lrDecayAt.length ? { lrDecayAt, lrDecay } : {};
  const run = new Run({ schedule, spec, ...start, epochs, step: 'batch', batchSize: 250, optimizer: { name: 'adam', lr: 0.01 }, ...milestones, ...more });
  const out: Float32Array[][] = [];
  // Event 0 is the untrained network, before any epoch.
  for await (const e of run) if (e.type === 'epoch' && e.epoch > 0) out.push(run.network.blocks.map((b) => (b.parameters[0].dataSync() as Float32Array).slice()));
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

  it("cools down linearly over the second half as loeweX's Forward-Forward does (epochs 100, after 50)", () => {
    // loeweX, 0-based epoch k > 50: lr·2·(1 + 100 - k)/100; our epoch e = k + 1.
    const theirs = (k: number) => (k > 50 ? (2 * (1 + 100 - k)) / 100 : 1);
    for (let e = 1; e <= 100; e++) expect(cooldownFactor(50, 100, e)).toBeCloseTo(theirs(e - 1), 12);
    expect([cooldownFactor(50, 100, 51), cooldownFactor(50, 100, 52), cooldownFactor(50, 100, 53), cooldownFactor(50, 100, 100)]).toEqual([1, 1, 49 / 50, 2 / 50]);
    expect(cooldownFactor(undefined, 100, 100)).toBe(1);
  });

  it('trains as the milestone with the same rates would, and refuses a cooldown outside the run', async () => {
    // E = 4 after epoch 1: epochs 1-3 at the full rate, epoch 4 at 2/3 of it, as a milestone after epoch 3 with factor 2/3.
    const cooled = await weightsPerEpoch('backprop', 4, [], 0.1, { lrCooldown: 1 });
    const stepped = await weightsPerEpoch('backprop', 4, [3], 2 / 3);
    const plain = await weightsPerEpoch('backprop', 4, [], 0.1);
    expect(cooled).toEqual(stepped);
    expect(cooled[2]).toEqual(plain[2]);
    expect(moved(cooled[3][0], plain[3][0])).toBeGreaterThan(1e-6);
    const base = { schedule: 'backprop', seed: 0, step: 'batch' as const, optimizer: { name: 'sgd' as const, lr: 0.1 }, epochs: 10 };
    expect(() => resolveRunOptions({ ...base, lrCooldown: 10 }, 1)).toThrow(/--lr-cooldown takes the epoch after which the rate falls, a whole number from 1 to 9 \(--epochs 10; loeweX: half of them, 5\); got 10/);
    expect(() => resolveRunOptions({ schedule: 'backprop', seed: 0, epochs: 10, lrCooldown: 5 }, 1)).toThrow(/no effect on rprop/);
  });
});
