import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { fusedActive } from '../../src/engine/fused/kernel.js';
import { fusedRprop } from '../../src/engine/fused/rprop.js';
import { fusedMish, fusedMishNormalize } from '../../src/engine/fused/mish.js';
import { fusedWeightedMse } from '../../src/engine/fused/mse.js';
import { fusedThresholdAccuracy } from '../../src/engine/fused/accuracy.js';
import { mish, normalizeRows } from '../../src/model/activations.js';
import { Rprop, RPROP_DEFAULTS } from '../../src/optim/rprop.js';
import { Adam } from '../../src/optim/adam.js';
import { fusedAdam, fusedAdamActive } from '../../src/engine/fused/adam.js';
import { TEST_BACKEND } from '../support.js';

/**
 * Every fused kernel against the unfused TF.js ops it replaces, on wasm
 * (and on native under `npm run test:native`, whose element-wise ops are wasm's):
 * the same float32 operations in the same order, so values and gradients
 * must be equal bit for bit (not merely close), on odd shapes and rows of 1.
 */
const SHAPES: [number, number][] = [
  [1, 1],
  [1, 7],
  [5, 1],
  [13, 100],
  [1000, 10],
];

function bits(t: tf.Tensor): Uint32Array {
  return new Uint32Array(Float32Array.from(t.dataSync() as Float32Array).buffer);
}

function expectSameBits(actual: tf.Tensor, expected: tf.Tensor, what: string): void {
  expect(actual.shape, `${what} shape`).toEqual(expected.shape);
  const a = bits(actual);
  const e = bits(expected);
  for (let k = 0; k < e.length; k++) {
    if (a[k] !== e[k]) expect.fail(`${what}: element ${k} is ${actual.dataSync()[k]}, unfused gives ${expected.dataSync()[k]}`);
  }
}

/** Uniform values on ±scale with a few exact zeros, from a fixed seed. */
function random(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tidy(() => {
    const u = tf.randomUniform(shape, -scale, scale, 'float32', seed);
    const zeros = tf.greater(tf.randomUniform(shape, 0, 1, 'float32', seed + 1000), 0.9);
    return tf.where(zeros, tf.zerosLike(u), u);
  });
}

/** A gradient for an optimizer step: random values, with NaN, +∞ and -∞ in its first three elements when `nonFinite`. */
function stepGradient(shape: number[], seed: number, scale: number, nonFinite: boolean): tf.Tensor {
  return tf.tidy(() => {
    const g = random(shape, seed, scale);
    if (!nonFinite || g.size < 4) return g;
    const data = Float32Array.from(g.dataSync() as Float32Array);
    data[0] = NaN;
    data[1] = Infinity;
    data[2] = -Infinity;
    return tf.tensor(data, shape);
  });
}

describe(`fused kernels on ${TEST_BACKEND}`, () => {
  beforeAll(async () => {
    await useBackend(TEST_BACKEND);
  });
  afterAll(() => {
    expect(tf.memory().numTensors).toBeLessThan(50);
  });

  it('are active on wasm and native, not on the other backends', async () => {
    expect(fusedActive()).toBe(true);
    await useBackend('cpu');
    expect(fusedActive()).toBe(false);
    await useBackend(TEST_BACKEND);
  });

  it('Rprop on a hand-computed element: growth, flip and clamp', () => {
    const param = tf.tensor([1, 1, 1, 1]);
    const grad = tf.tensor([2, -3, 0, 5]);
    const prev = tf.tensor([1, 4, 7, 1]);
    const step = tf.tensor([0.1, 0.1, 0.1, 49]);
    const out = fusedRprop(param, grad, prev, step, { etaPlus: 1.2, etaMinus: 0.5, stepMin: 1e-6, stepMax: 50 });
    const f = Math.fround;
    // Agreeing signs: step ×1.2, move against the gradient; a flip: step ×0.5, no move, gradient forgotten
    // (as -3·0 = -0);
    // a zero gradient: step kept, no move; growth past the cap: clamped to 50.
    expect(Array.from(out.stepSize.dataSync())).toEqual([f(f(0.1) * f(1.2)), f(f(0.1) * 0.5), f(0.1), 50]);
    expect(Array.from(out.param.dataSync())).toEqual([f(1 - f(f(0.1) * f(1.2))), 1, 1, -49]);
    expect(Array.from(out.prev.dataSync())).toEqual([2, -0, 0, 5]);
    [param, grad, prev, step, out.param, out.prev, out.stepSize].forEach((t) => t.dispose());
  });

  it('Adam on a hand-computed element: the first step moves by lr against the gradient', () => {
    expect(fusedAdamActive()).toBe(true);
    const param = tf.tensor([1, -2]);
    const grad = tf.tensor([0.5, -4]);
    const zero = tf.zeros([2]);
    const out = fusedAdam(param, grad, zero, zero, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 1 });
    const f = Math.fround;
    // m = 0.1·g, v = 0.001·g², so m̂/√v̂ = sign(g) and the step is lr (up to ε and float32 rounding).
    expect(Array.from(out.m.dataSync())).toEqual([f(f(0.5) * f(0.1)), f(f(-4) * f(0.1))]);
    expect(Array.from(out.v.dataSync())).toEqual([f(f(0.25) * f(1 - 0.999)), f(f(16) * f(1 - 0.999))]);
    const moved = out.param.dataSync();
    expect(moved[0]).toBeCloseTo(0.999, 6);
    expect(moved[1]).toBeCloseTo(-1.999, 6);
    [param, grad, zero, out.param, out.m, out.v].forEach((t) => t.dispose());
  });

  it('Adam writes in place on native where no other tensor shares the memory (new buffers on wasm, whose product keeps weights it packed by tensor id), and never changes a shared buffer', () => {
    const own = tf.variable(tf.tidy(() => random([3, 5], 60)), true, 'adamInPlaceOwn');
    const adam = new Adam({ lr: 0.01 });
    const grad = random([3, 5], 61);
    adam.step([own], [grad]);
    const [dataId, m] = [own.dataId, adam.saveState([own])[0]!.tensors.m.data];
    adam.step([own], [grad]);
    expect(own.dataId === dataId, 'the same buffer after the step').toBe(TEST_BACKEND === 'native');
    expect(Array.from(adam.saveState([own])[0]!.tensors.m.data)).not.toEqual(Array.from(m));
    // A reshape shares the variable's memory: the step must not change what the reshape holds.
    const view = tf.reshape(own, [15]);
    const before = Array.from(view.dataSync());
    const at = own.dataId;
    adam.step([own], [grad]);
    expect(Array.from(view.dataSync())).toEqual(before);
    expect(Array.from(own.dataSync())).not.toEqual(before);
    expect(own.dataId).not.toBe(at);
    tf.dispose([view, grad, own]);
    adam.dispose();
  });

  it.each([[1, 2], [1, 6], [3, 3], ...SHAPES])('Adam on [%i, %i]: value and moments equal the unfused rule bit for bit over several steps', (rows, columns) => {
    const shape = [rows, columns];
    const fusedParam = tf.variable(random(shape, 3), true, `adamFused${rows}x${columns}`);
    const plainParam = tf.variable(fusedParam.clone(), true, `adamPlain${rows}x${columns}`);
    const fused = new Adam({ lr: 0.01 });
    const plain = new Adam({ lr: 0.01 });
    (plain as unknown as { fusedUpdate: () => null }).fusedUpdate = () => null;
    for (let step = 0; step < 5; step++) {
      // Gradients of very different scales; NaN and ±Infinity in the last step.
      const grad = stepGradient(shape, 40 + step, step % 2 ? 1e-4 : 30, step === 4);
      if (step === 3) fused.learningRate = plain.learningRate = 0.0025; // a milestone: the rate is read at every step
      fused.step([fusedParam], [grad]);
      plain.step([plainParam], [grad]);
      grad.dispose();
      expectSameBits(fusedParam, plainParam, `value after step ${step + 1}`);
      const [fs] = fused.saveState([fusedParam]);
      const [ps] = plain.saveState([plainParam]);
      for (const key of ['m', 'v']) {
        const [a, b] = [tf.tensor(fs!.tensors[key].data), tf.tensor(ps!.tensors[key].data)];
        expectSameBits(a, b, `${key} after step ${step + 1}`);
        tf.dispose([a, b]);
      }
    }
    for (const o of [fused, plain]) o.dispose();
    fusedParam.dispose();
    plainParam.dispose();
  });

  describe.each(SHAPES)('on [%i, %i]', (rows, columns) => {
    it('Rprop updates value, remembered gradient and step sizes as the unfused rule does over several steps', () => {
      const shape = [rows, columns];
      const fusedParam = tf.variable(random(shape, 1), true, `fused${rows}x${columns}`);
      const plainParam = tf.variable(fusedParam.clone(), true, `plain${rows}x${columns}`);
      const fused = new Rprop();
      const plain = new Rprop();
      for (let step = 0; step < 6; step++) {
        // Gradients that keep, flip and zero their signs between steps; NaN and ±Infinity in the last.
        const grad = stepGradient(shape, 10 + step, step % 2 ? 1e-3 : 10, step === 5);
        fused.step([fusedParam], [grad]);
        // The unfused rule: the same optimizer with fusion switched off for this call.
        (plain as unknown as { fusedUpdate: () => null }).fusedUpdate = () => null;
        plain.step([plainParam], [grad]);
        grad.dispose();
        expectSameBits(fusedParam, plainParam, `value after step ${step + 1}`);
        const [fs] = fused.saveState([fusedParam]);
        const [ps] = plain.saveState([plainParam]);
        for (const key of ['prev', 'stepSize']) expect(Array.from(fs!.tensors[key].data), `${key} after step ${step + 1}`).toEqual(Array.from(ps!.tensors[key].data));
      }
      // Step sizes did move: grown by etaPlus where signs agreed, so the comparison is not of untouched state.
      const [state] = fused.saveState([fusedParam]);
      expect(state!.tensors.stepSize.data.some((s) => s !== Math.fround(RPROP_DEFAULTS.lr))).toBe(true);
      for (const o of [fused, plain]) o.dispose();
      fusedParam.dispose();
      plainParam.dispose();
    });

    it.each([
      ['mish', fusedMish, (z: tf.Tensor2D) => mish(z)],
      ['mish + normalize', fusedMishNormalize, (z: tf.Tensor2D) => normalizeRows(mish(z))],
    ] as const)('%s: values and gradients equal the unfused ops', (_name, fusedOp, plainOp) => {
      // Large inputs reach both tails of the sigmoid; a zero row exercises the normalisation's clamp.
      const z = tf.tidy(() => {
        const r = random([rows, columns], 20 + columns, 8) as tf.Tensor2D;
        if (rows < 2) return r;
        const mask = tf.concat([tf.zeros([1, columns]), tf.ones([rows - 1, columns])]);
        return tf.mul(r, mask) as tf.Tensor2D;
      });
      const dy = random([rows, columns], 30 + rows) as tf.Tensor2D;
      const grad = (op: (x: tf.Tensor2D) => tf.Tensor2D) => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(op(x as tf.Tensor2D), dy)))(z);
      tf.tidy(() => {
        expectSameBits(fusedOp(z), plainOp(z), 'value');
        expectSameBits(grad(fusedOp), grad(plainOp), 'gradient');
      });
      // Not trivially equal: mish(0) is 0, mish of a large positive input is that input.
      tf.tidy(() => {
        const probe = tf.tensor2d([[0, 20, -1]]);
        expect(Array.from(fusedMish(probe).dataSync())).toEqual([0, 20, Math.fround(-0.3034014613)]);
      });
      z.dispose();
      dy.dispose();
    });
  });
});

describe(`fused weighted MSE on ${TEST_BACKEND}`, () => {
  beforeAll(async () => {
    await useBackend(TEST_BACKEND);
  });

  /** The unfused ops of `weightedLoss('mse', …)`, written out here so the fused path cannot stand in for them. */
  function plainWeightedMse(p: tf.Tensor2D, y: tf.Tensor2D, w: tf.Tensor1D): tf.Scalar {
    const squared = tf.squaredDifference(p, y);
    const columns = p.shape[1];
    const perExample = columns === 1 ? tf.reshape(squared, [p.shape[0]]) : tf.mul(tf.sum(squared, 1), 1 / columns);
    return tf.sum(tf.mul(perExample, w));
  }

  it.each(SHAPES)('on [%i, %i]: value and gradient equal the unfused ops', (rows, columns) => {
    tf.tidy(() => {
      const p = random([rows, columns], 40 + rows, 3) as tf.Tensor2D;
      const y = random([rows, columns], 50 + columns) as tf.Tensor2D;
      // Batch-mean weights of uneven batches, as an epoch of full-batch Rprop has.
      const w = tf.tensor1d(Array.from({ length: rows }, (_, i) => 1 / (i % 3 === 0 ? 7 : 3)));
      expectSameBits(fusedWeightedMse(p, y, w), plainWeightedMse(p, y, w), 'value');
      // An upstream gradient other than 1 (a loss scaled further on) goes through the same chain.
      const grad = (op: typeof plainWeightedMse) => tf.grad((x: tf.Tensor) => tf.mul(op(x as tf.Tensor2D, y, w), 0.37))(p);
      expectSameBits(grad(fusedWeightedMse), grad(plainWeightedMse), 'gradient');
    });
  });

  it('gives the hand-computed value', () => {
    tf.tidy(() => {
      const p = tf.tensor2d([[1, 2], [0, 0]]);
      const y = tf.tensor2d([[0, 0], [3, 1]]);
      const w = tf.tensor1d([0.5, 0.25]);
      // Row means (1 + 4)/2 = 2.5 and (9 + 1)/2 = 5; weighted: 0.5·2.5 + 0.25·5 = 2.5.
      expect(fusedWeightedMse(p, y, w).dataSync()[0]).toBe(2.5);
      // d/dp of 0.5·((p00)² + (p01)²)/2 is p/2 on row 0; row 1: 0.25·2·(p - y)/2.
      expect(Array.from(tf.grad((x: tf.Tensor) => fusedWeightedMse(x as tf.Tensor2D, y, w))(p).dataSync())).toEqual([0.5, 1, -0.75, -0.25]);
    });
  });
});

describe(`fused threshold accuracy on ${TEST_BACKEND}`, () => {
  beforeAll(async () => {
    await useBackend(TEST_BACKEND);
  });

  it.each([1, 3, 7, 13, 999, 1000])('on %i rows equals the mean of the unfused hits', (rows) => {
    tf.tidy(() => {
      // Predictions around 0.5, with some exactly 0.5 (counted as class 1), against 0/1 targets.
      const p = tf.tidy(() => {
        const u = tf.randomUniform([rows, 1], 0.3, 0.7, 'float32', rows) as tf.Tensor2D;
        return tf.where(tf.less(tf.randomUniform([rows, 1], 0, 1, 'float32', rows + 1), 0.1), tf.fill([rows, 1], 0.5), u) as tf.Tensor2D;
      });
      const y = tf.cast(tf.greater(tf.randomUniform([rows, 1], 0, 1, 'float32', rows + 2), 0.5), 'float32') as tf.Tensor2D;
      const plain = tf.mean(tf.cast(tf.equal(tf.greaterEqual(p, 0.5), tf.greaterEqual(y, 0.5)), 'float32'));
      expectSameBits(fusedThresholdAccuracy(p, y), plain, 'accuracy');
    });
  });

  it('counts a prediction of exactly 0.5 as class 1', () => {
    tf.tidy(() => {
      const got = fusedThresholdAccuracy(tf.tensor2d([[0.5], [0.49], [0.9]]), tf.tensor2d([[1], [1], [0]]));
      expect(got.dataSync()[0]).toBe(Math.fround(1 / 3));
    });
  });
});
