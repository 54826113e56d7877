import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { linear } from '../../src/engine/dense.js';
import { similarityLoss, similarityMatrix } from '../../src/rules/similarity.js';
import { getRule } from '../../src/rules/registry.js';
import { Run } from '../../src/train/run.js';
import { initialParameters } from '../../src/model/parameters.js';
import { parseModelSpec } from '../../src/model/spec.js';
import { makeDataset, oneHot } from '../../src/data/dataset.js';
import { Rng } from '../../src/util/rng.js';
import { expectClose, localpropErrorOf } from '../support.js';

// From PyTorch (test/fixtures/torch/reference.py): nn.Linear(4, 4, bias=False) with weight W, then
// Nøkland & Eidnes' similarity matrix and F.mse_loss against the labels'.
const H = [0.2, -0.4, 1.0, 0.0, 1.2, 0.3, -0.7, 0.5, -0.3, 0.8, 0.1, 0.9];
const W = [0.5, 0.1, 0.0, -0.2, 0.0, 1.0, 0.3, 0.1, 0.2, -0.3, 0.7, 0.0, 0.1, 0.0, -0.1, 0.6];
const Y = [1, 0, 0, 1, 1, 0];
const TORCH = {
  rh: [0.9999999, -0.8443564, -0.6603312, -0.8443564, 0.9999999, 0.1823265, -0.6603312, 0.1823265, 0.9999999],
  loss: 0.92862678,
  gradH: [0.2688872, -0.3681889, -0.201053, -0.1804385, -0.2339884, 0.513562, -0.0259, 0.2171749, 0.2005726, 0.1120619, -0.6267676, 0.0368879],
  gradW: [-0.566476, 0.1636001, 0.932258, 0.3800234, 0.5484226, 0.1806196, -0.8145753, 0.0773854, -0.0574771, -0.6467134, -0.0162444, -0.8074966, 0.0755306, 0.3024938, -0.1014384, 0.3500879],
};

beforeAll(async () => {
  await useBackend('wasm');
});

/** W as the network holds it: [in, out], the transpose of PyTorch's [out, in]. */
const held = () => tf.transpose(tf.tensor2d(W, [4, 4])) as tf.Tensor2D;

describe('the similarity matrix', () => {
  it('of one-hot labels is 1 within a class and -1/2 across, for three classes (rows centred: [2/3, -1/3, -1/3], norm √6/3)', () => {
    const r = similarityMatrix(tf.tensor2d(oneHot([0, 1, 0, 2], 3), [4, 3])).dataSync();
    expectClose(r, [1, -0.5, 1, -0.5, -0.5, 1, -0.5, -0.5, 1, -0.5, 1, -0.5, -0.5, -0.5, -0.5, 1], 1e-6);
  });

  it('is clamped to [-1, 1]: rows that are positive multiples of each other give at most 1, opposite ones at least -1', () => {
    const r = similarityMatrix(tf.tensor2d([1e3, 2e3, -3e3, 1, 2, -3, -7, -14, 21], [3, 3])).dataSync();
    for (const v of r) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    expect(r[1]).toBeCloseTo(1, 6);
    expect(r[2]).toBeCloseTo(-1, 6);
    // A constant row centres to zero: the 1e-8 keeps it finite, its similarities 0.
    expectClose(similarityMatrix(tf.tensor2d([2, 2, 2, 1, 0, 3], [2, 3])).dataSync(), [0, 0, 0, 1], 1e-6);
  });
});

describe('the sim loss', () => {
  it("matches PyTorch's matrices, loss and gradients on a hand-made batch", () => {
    const h = tf.tensor2d(H, [3, 4]);
    const y = tf.tensor2d(Y, [3, 2]);
    const w = held();
    expectClose(similarityMatrix(linear(h, w)).dataSync(), TORCH.rh, 2e-6);
    expect(similarityLoss(linear(h, w), y).dataSync()[0]).toBeCloseTo(TORCH.loss, 5);
    const [gh, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => similarityLoss(linear(a as tf.Tensor2D, b as tf.Tensor2D), y))([h, w]);
    expectClose(gh.dataSync(), TORCH.gradH, 2e-5);
    // The held weight's gradient is the transpose of PyTorch's.
    expectClose(tf.transpose(gw).dataSync(), TORCH.gradW, 2e-5);
  });

  it('has the gradient finite differences give, on a random batch', () => {
    const rng = new Rng(5);
    const rows = 6;
    const width = 5;
    const hData = Float64Array.from({ length: rows * width }, () => rng.normal());
    const y = tf.tensor2d(oneHot([0, 1, 2, 0, 1, 1], 3), [rows, 3]);
    const lossAt = (data: Float64Array) => similarityLoss(tf.tensor2d(Float32Array.from(data), [rows, width]), y).dataSync()[0];
    const grad = tf.grad((a: tf.Tensor) => similarityLoss(a as tf.Tensor2D, y))(tf.tensor2d(Float32Array.from(hData), [rows, width])).dataSync();
    const eps = 1e-2;
    for (let k = 0; k < hData.length; k++) {
      const up = hData.slice();
      const down = hData.slice();
      up[k] += eps;
      down[k] -= eps;
      const numeric = (lossAt(up) - lossAt(down)) / (2 * eps);
      expect(Math.abs(grad[k] - numeric), `element ${k}: analytic ${grad[k]}, numeric ${numeric}`).toBeLessThan(2e-3 + 2e-2 * Math.abs(numeric));
    }
  });
});

describe('the sim loss on a block whose units are all off for an example', () => {
  // A ReLU block 2 → 3 and its map 3 → 3: row 2 of x turns every unit off, so its output row is all zeros.
  const x = () => tf.tensor2d([[1, 0.5], [-0.5, 1], [-3, -3], [0.8, -0.2]]);
  const y = () => tf.tensor2d(oneHot([0, 1, 0, 1], 2), [4, 2]);
  const w = () => tf.tensor2d([[0.6, -0.4, 0.3], [0.2, 0.5, 0.4]]);
  const b = () => tf.tensor1d([0.1, 0.2, 0.05]);
  const map = () => tf.tensor2d([[0.5, 0.1, 0.0], [-0.2, 0.4, 0.3], [0.1, -0.3, 0.6]]);
  const lossOf = (xs: tf.Tensor2D, ys: tf.Tensor2D) => (wv: tf.Tensor, bv: tf.Tensor, mv: tf.Tensor) =>
    similarityLoss(linear(tf.relu(tf.add(tf.matMul(xs, wv as tf.Tensor2D), bv)) as tf.Tensor2D, mv as tf.Tensor2D), ys);

  it('gives finite gradients: the zero row only scales the others\' by (B-1)²/B² (autodiff through the norm gave NaN)', () => {
    const h = tf.relu(tf.add(tf.matMul(x(), w()), b()));
    expect(Array.from(h.dataSync()).slice(6, 9)).toEqual([0, 0, 0]);
    const grads = tf.grads(lossOf(x(), y()))([w(), b(), map()]);
    for (const g of grads) expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    // Without the row: its similarities are 0 whatever the weights, so the loss is a constant plus 9/16 of the 3-row one.
    const keep = tf.tensor1d([0, 1, 3], 'int32');
    const without = tf.grads(lossOf(tf.gather(x(), keep) as tf.Tensor2D, tf.gather(y(), keep) as tf.Tensor2D))([w(), b(), map()]);
    grads.forEach((g, k) => expectClose(g.dataSync(), Array.from(without[k].dataSync()).map((v) => (9 / 16) * v), 1e-6));
  });
});

describe('the sim rule', () => {
  const spec = parseModelSpec('4-6-6-2 hidden=leaky-relu,batchnorm');
  const rng = new Rng(2);
  const labels = Array.from({ length: 64 }, () => rng.int(2));
  // Two classes apart along the first input.
  const x = Float32Array.from({ length: 64 * 4 }, (_, k) => rng.normal() * 0.5 + (k % 4 === 0 ? (labels[Math.floor(k / 4)] ? 1.5 : -1.5) : 0));
  const data = makeDataset(x, oneHot(labels, 2), 4, 2);

  it('names its maps sim.{i}.weight [hidden, hidden], starts the output weight at zero, and trains each block to a fitted probe accuracy', async () => {
    const rule = getRule('sim');
    const parameters = initialParameters(spec, new Rng(0), rule);
    expect(parameters['sim.1.weight'].shape).toEqual([6, 6]);
    expect(parameters['decoders.0.weight']).toBeUndefined();
    expect(parameters['blocks.2.weight'].data.every((v) => v === 0)).toBe(true);
    const run = new Run({ schedule: 'local-parallel', rule, spec, parameters, train: data, test: data, seed: 0, epochs: 5, step: 'batch', batchSize: 16, optimizer: { name: 'adam', lr: 0.01 } });
    const probes: number[][] = [];
    const end = await run.complete((e) => {
      if (e.type === 'epoch') probes.push(e.blockAccuracy);
    });
    run.dispose();
    // Events 0 (untrained) to 5.
    expect(probes).toHaveLength(6);
    // Every block has a probe accuracy every epoch (the fitted read-out), the output block's is the network's.
    for (const p of probes) expect(p.every((a) => Number.isFinite(a))).toBe(true);
    expect(probes[5][0]).toBeGreaterThan(0.9);
    expect(end.testAccuracy).toBeGreaterThan(0.9);
  });

  it('refuses one step per epoch, whose sum has no batch to compare within', () => {
    const rule = getRule('sim');
    const plain = parseModelSpec('4-6-2');
    const message = localpropErrorOf(() => new Run({ schedule: 'local-parallel', rule, spec: plain, parameters: initialParameters(plain, new Rng(0), rule), train: data, test: data, seed: 0, step: 'epoch' }));
    expect(message).toMatch(/rule sim compares the examples of each mini-batch.*use --step batch/);
  });
});
