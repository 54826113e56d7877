import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { getRule } from '../../src/rules/registry.js';
import { predsimRule } from '../../src/rules/predsim.js';
import { similarityLoss } from '../../src/rules/similarity.js';
import { Network } from '../../src/model/network.js';
import { initialParameters } from '../../src/model/parameters.js';
import { parseModelSpec } from '../../src/model/spec.js';
import { makeDataset, oneHot } from '../../src/data/dataset.js';
import { Run, resolveRunOptions } from '../../src/train/run.js';
import { Rng } from '../../src/util/rng.js';
import { localpropErrorOf } from '../support.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const spec = parseModelSpec('3-4-2');

describe('the pred rule', () => {
  it("holds decoders.{i}.weight (zero) and decoders.{i}.bias (PyTorch's ±1/√hidden), and zeroes the output block's weight; the hidden blocks draw as under the decoder rule", () => {
    const pred = getRule('pred');
    const p = initialParameters(spec, new Rng(4), pred);
    const plain = initialParameters(spec, new Rng(4));
    expect(p['decoders.0.weight'].shape).toEqual([2, 4]);
    expect(p['decoders.0.weight'].data.every((v) => v === 0)).toBe(true);
    expect(p['decoders.0.bias'].shape).toEqual([2]);
    expect(p['decoders.0.bias'].data.every((v) => Math.abs(v) <= 0.5)).toBe(true);
    expect(p['blocks.0.weight'].data).toEqual(plain['blocks.0.weight'].data);
    expect(p['blocks.1.bias'].data).toEqual(plain['blocks.1.bias'].data);
    expect(p['blocks.1.weight'].data.every((v) => v === 0)).toBe(true);
  });

  it('learns by cross-entropy on h·W + b, and its probe is those logits', () => {
    const pred = getRule('pred');
    const p = initialParameters(spec, new Rng(4), pred);
    p['decoders.0.weight'].data.set([1, 0, -1, 0.5, 0, 2, 0, -1]);
    p['decoders.0.bias'].data.set([0.25, -0.25]);
    const net = Network.fromParameters(spec, p, 'test', pred);
    const h = tf.tensor2d([1, 2, 0, 1, 0, 0, 3, 1], [2, 4]);
    const y = tf.tensor2d([1, 0, 0, 1], [2, 2]);
    // Logits by hand: row 0: [1 + 0.5 + 0.25, 4 - 1 - 0.25] = [1.75, 2.75]; row 1: [-3 + 0.5 + 0.25, -1 - 0.25] = [-2.25, -1.25].
    expect(Array.from(net.rules[0].probe(h, 'ce')!.dataSync())).toEqual([1.75, 2.75, -2.25, -1.25]);
    const ce = (logits: number[], k: number) => Math.log(logits.reduce((s, l) => s + Math.exp(l), 0)) - logits[k];
    const expected = (ce([1.75, 2.75], 0) + ce([-2.25, -1.25], 1)) / 2;
    expect(net.rules[0].loss({ output: h, y, weights: tf.tensor1d([0.5, 0.5]), hiddenLoss: 'ce' }).dataSync()[0]).toBeCloseTo(expected, 5);
    net.dispose();
  });
});

describe('the predsim rule', () => {
  it('mixes (1-β)·pred + β·sim on the same block, reads out through pred, and scales the output loss by 1-β', () => {
    const rule = predsimRule(0.75);
    expect(rule.outputLossScale).toBeCloseTo(0.25, 12);
    const p = initialParameters(spec, new Rng(1), rule);
    expect(Object.keys(p).filter((n) => !n.startsWith('blocks.'))).toEqual(['decoders.0.weight', 'decoders.0.bias', 'sim.0.weight']);
    p['decoders.0.weight'].data.set([1, 0, -1, 0.5, 0, 2, 0, -1]);
    const both = Network.fromParameters(spec, p, 'test', rule);
    const predOnly = Network.fromParameters(spec, p, 'test', predsimRule(0));
    const simOnly = Network.fromParameters(spec, p, 'test', predsimRule(1));
    const input = { output: tf.tensor2d([1, 2, 0, 1, 0, 0, 3, 1, 2, 2, 1, 0], [3, 4]), y: tf.tensor2d(oneHot([0, 1, 1], 2), [3, 2]), weights: tf.fill([3], 1 / 3) as tf.Tensor1D, hiddenLoss: 'ce' as const };
    const lp = predOnly.rules[0].loss(input).dataSync()[0];
    const ls = simOnly.rules[0].loss(input).dataSync()[0];
    expect(both.rules[0].loss(input).dataSync()[0]).toBeCloseTo(0.25 * lp + 0.75 * ls, 5);
    // sim is the similarity loss of the block's output through its own map.
    const map = simOnly.variables.find((v) => v.name.endsWith('sim.0.weight'))!;
    expect(ls).toBeCloseTo(similarityLoss(tf.matMul(input.output, map) as tf.Tensor2D, input.y).dataSync()[0], 5);
    expect(Array.from(both.rules[0].probe(input.output, 'ce')!.dataSync())).toEqual(Array.from(predOnly.rules[0].probe(input.output, 'ce')!.dataSync()));
    [both, predOnly, simOnly].forEach((n) => n.dispose());
  });

  it('takes --predsim-beta (recorded with the run), 0.99 by default, and refuses a share outside [0, 1]', () => {
    const base = { schedule: 'local-parallel', seed: 0, step: 'batch' as const, rule: 'predsim' };
    expect(resolveRunOptions(base, 2).ruleOptions).toEqual({ predsimBeta: 0.99 });
    expect(resolveRunOptions({ ...base, ruleOptions: { predsimBeta: 0.5 } }, 2).ruleOptions).toEqual({ predsimBeta: 0.5 });
    expect(resolveRunOptions({ ...base, rule: 'pred', ruleOptions: { predsimBeta: 0.5 } }, 2).ruleOptions).toBeUndefined();
    expect(localpropErrorOf(() => resolveRunOptions({ ...base, ruleOptions: { predsimBeta: 1.5 } }, 2))).toMatch(/--predsim-beta .* in \[0, 1\]/);
  });

  it("trains the output block on its loss scaled by 1-β: with β = 1 it never moves from zero", async () => {
    const rng = new Rng(3);
    const labels = Array.from({ length: 32 }, () => rng.int(2));
    const data = makeDataset(Float32Array.from({ length: 96 }, () => rng.normal()), oneHot(labels, 2), 3, 2);
    const rule = predsimRule(1);
    const run = new Run({ schedule: 'local-parallel', rule, spec, parameters: initialParameters(spec, new Rng(0), rule), train: data, test: data, seed: 0, epochs: 2, step: 'batch', batchSize: 8, optimizer: { name: 'sgd', lr: 0.1 } });
    await run.complete();
    const out = run.network.toParameters();
    expect(out['blocks.1.weight'].data.every((v) => v === 0)).toBe(true);
    expect(out['blocks.0.weight'].data.some((v, k) => v !== initialParameters(spec, new Rng(0), rule)['blocks.0.weight'].data[k])).toBe(true);
    run.dispose();
  });
});
