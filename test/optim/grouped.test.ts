import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { seededStart } from '../../src/experiment/seeded.js';
import { cloneParameters } from '../../src/model/parameters.js';
import { parseModelSpec } from '../../src/model/spec.js';
import { GroupedOptimizer } from '../../src/optim/grouped.js';
import { createOptimizer } from '../../src/optim/index.js';
import { Run, resolveRunOptions, type RunOptions } from '../../src/train/run.js';
import { TEST_BACKEND } from '../support.js';

beforeAll(async () => {
  await useBackend(TEST_BACKEND);
});

const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe('two parameter groups as one optimizer', () => {
  it("steps each variable with its group's rate and weight decay, by hand, and moves both rates together", () => {
    const a = tf.variable(tf.tensor1d([1, 2]));
    const b = tf.variable(tf.tensor1d([4]));
    const grouped = new GroupedOptimizer(createOptimizer({ name: 'sgd', lr: 0.1 }), createOptimizer({ name: 'sgd', lr: 1, weightDecay: 0.5 }), new Set([b]));
    grouped.step([a, b], [tf.tensor1d([1, -1]), tf.tensor1d([2])]);
    // a: 1 - 0.1·1, 2 + 0.1·1; b: 4 - 1·(2 + 0.5·4).
    expect(values(a).map((v) => +v.toFixed(6))).toEqual([0.9, 2.1]);
    expect(values(b)).toEqual([0]);
    grouped.learningRate = 0.05;
    expect(grouped.learningRate).toBe(0.05);
    grouped.step([b], [tf.tensor1d([1])]);
    // The group's rate keeps its ratio, 10: 0 - 0.5·(1 + 0.5·0).
    expect(values(b)).toEqual([-0.5]);
    grouped.dispose();
    tf.dispose([a, b]);
  });

  it('saves one state per variable in the given order and continues from it as if never stopped', () => {
    const make = () => new GroupedOptimizer(createOptimizer({ name: 'adam', lr: 0.01 }), createOptimizer({ name: 'adam', lr: 0.1 }), new Set([second]));
    const first = tf.variable(tf.tensor1d([1, 2]));
    const second = tf.variable(tf.tensor1d([3]));
    const grads = (k: number) => [tf.tensor1d([k, -k]), tf.tensor1d([2 * k])];
    const straight = make();
    straight.step([first, second], grads(1));
    const saved = straight.saveState([first, second]);
    expect(saved.map((s) => s!.step)).toEqual([1, 1]);
    expect(saved[1]!.tensors.m.shape).toEqual([1]);
    const atStop = [values(first), values(second)];
    straight.step([first, second], grads(2));
    const after = [values(first), values(second)];
    first.assign(tf.tensor1d(atStop[0]));
    second.assign(tf.tensor1d(atStop[1]));
    const again = make();
    again.loadState([first, second], saved);
    again.step([first, second], grads(2));
    expect([values(first), values(second)]).toEqual(after);
    expect(() => again.loadState([first, second], saved.slice(1))).toThrow(/covers 1 variables but the network has 2/);
    [straight, again].forEach((o) => o.dispose());
    tf.dispose([first, second]);
  });
});

describe('--output-lr and --output-weight-decay', () => {
  const spec = parseModelSpec('2-16-16-1 hidden=relu,normalize');
  const start = () => seededStart(0, spec, { dataset: 'signed_xor' });
  const train = async (options: Partial<RunOptions>) => {
    const s = start();
    const run = new Run({ schedule: 'local-parallel', spec, parameters: cloneParameters(s.parameters), train: s.train, test: s.test, seed: 0, epochs: 3, step: 'batch', batchSize: 64, optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-4 }, ...options });
    await run.complete();
    const params = run.network.toParameters();
    run.dispose();
    return params;
  };

  it("give the output block its own rate: the blocks' own losses train them as before, the output block otherwise; equal to the blocks' rate, nothing changes", async () => {
    const one = await train({});
    const same = await train({ outputOptimizer: { lr: 0.05, weightDecay: 1e-4 } });
    const own = await train({ outputOptimizer: { lr: 0.5, weightDecay: 1e-3 } });
    expect(same).toEqual(one);
    expect(own['blocks.0.weight']).toEqual(one['blocks.0.weight']);
    expect(own['blocks.1.bias']).toEqual(one['blocks.1.bias']);
    expect(own['blocks.2.weight']).not.toEqual(one['blocks.2.weight']);
  }, 60_000);

  it("are recorded only when given, the missing one from the blocks' optimizer, and refused where they mean nothing", () => {
    const base = { schedule: 'local-parallel', seed: 0, step: 'batch' as const, optimizer: { name: 'sgd' as const, lr: 0.001, weightDecay: 3e-4 } };
    expect(resolveRunOptions(base, 1)).not.toHaveProperty('outputOptimizer');
    expect(resolveRunOptions({ ...base, outputOptimizer: { lr: 0.01 } }, 1).outputOptimizer).toEqual({ lr: 0.01, weightDecay: 3e-4 });
    expect(() => resolveRunOptions({ schedule: 'local-parallel', seed: 0, step: 'epoch', outputOptimizer: { lr: 0.01 } }, 1)).toThrow(/which rprop does not take; use them with adam, rmsprop or sgd/);
    expect(() => resolveRunOptions({ ...base, outputOptimizer: { lr: -1 } }, 1)).toThrow(/--output-lr must be a rate > 0/);
  });
});
