import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { activate, LEAKY_RELU_SLOPE, mish, normalizeRows } from '../../src/model/activations.js';
import { BACKENDS, expectClose } from '../support.js';

/** Mish in plain JS doubles, straight from its definition x·tanh(softplus(x)). */
function mishDouble(x: number): number {
  return x * Math.tanh(Math.log1p(Math.exp(x)));
}

/** Central difference of the double-precision mish: error O(h²) ≈ 1e-12, far below float32. */
function mishSlopeDouble(x: number): number {
  const h = 1e-5;
  return (mishDouble(x + h) - mishDouble(x - h)) / (2 * h);
}

const POINTS = [-20, -5, -1, 0, 0.5, 3, 20];

describe.each(BACKENDS)('activations on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('runs on the requested backend', () => {
    expect(tf.getBackend()).toBe(backend);
  });

  describe('mish', () => {
    it('equals x·tanh(log1p(exp(x))) at both tails and in between (rel 1e-5)', () => {
      const z = tf.tensor2d([POINTS]);
      const got = mish(z).dataSync();
      // e.g. mish(-20) = -20·tanh(log1p(e^-20)) ≈ -20·2.061e-9 = -4.122e-8; mish(0) = 0; mish(20) ≈ 20.
      const want = POINTS.map(mishDouble);
      expectClose(got, want, 1e-30, 1e-5);
      expect(got[3]).toBe(0);
      tf.dispose(z);
    });

    it('is reached through activate("mish")', () => {
      const z = tf.tensor2d([[-1, 0.5]]);
      expectClose(activate('mish', z).dataSync(), [mishDouble(-1), mishDouble(0.5)], 1e-30, 1e-5);
      tf.dispose(z);
    });

    it('has the derivative of x·tanh(softplus(x)) (vs a double-precision central difference)', () => {
      const z = tf.tensor2d([POINTS]);
      const got = tf.grad((t: tf.Tensor) => tf.sum(mish(t as tf.Tensor2D)))(z).dataSync();
      // mish'(0) = tanh(ln 2) = 0.6 exactly (tanh(ln 2) = (2 - 1/2)/(2 + 1/2)); mish'(20) ≈ 1; mish'(-20) ≈ -19·e^-20.
      expect(got[3]).toBeCloseTo(0.6, 6);
      expectClose(got, POINTS.map(mishSlopeDouble), 1e-7, 1e-4);
      tf.dispose(z);
    });

    it('has the same gradient as autodiff of the naive TF formula, under an upstream gradient', () => {
      const middle = [-5, -1, 0, 0.5, 3];
      const z = tf.tensor2d([middle, middle.map((v) => v / 2)]);
      const dy = tf.tensor2d([[1, -2, 0.5, 3, -1], [0.25, 1, -1, 2, 4]]);
      const got = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(mish(t as tf.Tensor2D), dy)))(z);
      const naive = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mul(t, tf.tanh(tf.softplus(t))), dy)))(z);
      expectClose(got.dataSync(), naive.dataSync(), 1e-6, 1e-5);
      tf.dispose([z, dy, got, naive]);
    });
  });

  describe('relu-full-grad', () => {
    it('is ReLU forward and passes the upstream gradient unchanged, below zero too', () => {
      const z = tf.tensor2d([[-2, -0.5, 0, 1.5]]);
      const dy = tf.tensor2d([[0.3, -1, 2, 4]]);
      expect(Array.from(activate('relu-full-grad', z).dataSync())).toEqual([0, 0, 0, 1.5]);
      const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(activate('relu-full-grad', x as tf.Tensor2D), dy)))(z);
      expect(Array.from(grad.dataSync()).map((v) => Number(v.toFixed(6)))).toEqual([0.3, -1, 2, 4]);
      // Plain ReLU stops it where z ≤ 0.
      const plain = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(activate('relu', x as tf.Tensor2D), dy)))(z);
      expect(Array.from(plain.dataSync()).map((v) => v + 0)).toEqual([0, 0, 0, 4]);
      tf.dispose([z, dy, grad, plain]);
    });
  });

  describe('normalizeRows', () => {
    it('gives rows of unit L2 norm pointing the same way', () => {
      // Row [3, 4] has norm 5 → [0.6, 0.8]; the small row [0, 0.001] (norm 0.001, above the clamp) → [0, 1].
      const h = tf.tensor2d([[3, 4], [0, 0.001], [-2, 1]]);
      const y = normalizeRows(h).arraySync();
      expectClose(y[0], [0.6, 0.8], 1e-6);
      expectClose(y[1], [0, 1], 1e-6);
      // [-2, 1] / √5 = [-0.894427, 0.447214]
      expectClose(y[2], [-2 / Math.sqrt(5), 1 / Math.sqrt(5)], 1e-6);
      for (const row of y) expect(Math.hypot(...row)).toBeCloseTo(1, 6);
      tf.dispose(h);
    });

    it('leaves an all-zero row at zero, with the finite gradient g / 1e-12 (PyTorch clamps the norm)', () => {
      const h = tf.tensor2d([[0, 0, 0], [1, 2, 2]]);
      const g = tf.tensor2d([[1, -2, 0.5], [0, 0, 0]]);
      const y = normalizeRows(h).arraySync();
      expect(y[0]).toEqual([0, 0, 0]);
      const grad = (tf.grad((t: tf.Tensor) => tf.sum(tf.mul(normalizeRows(t as tf.Tensor2D), g)))(h) as tf.Tensor2D).arraySync();
      // At the clamp the row is divided by the constant 1e-12, so d/dh = g / 1e-12 = [1e12, -2e12, 5e11].
      for (const v of grad[0]) expect(Number.isFinite(v)).toBe(true);
      expectClose(grad[0], [1e12, -2e12, 5e11], 0, 1e-5);
      tf.dispose([h, g]);
    });

    it('has the gradient of autodiff of the naive x / max(‖x‖, 1e-12)', () => {
      const h = tf.tensor2d([[3, 4, 0, -1], [0.1, -0.2, 0.3, 0.05], [-5, 2, 7, 1]]);
      const g = tf.tensor2d([[1, -1, 2, 0.5], [3, 0, -2, 1], [0.2, 0.4, -0.6, 1]]);
      const got = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(normalizeRows(t as tf.Tensor2D), g)))(h);
      const naive = tf.grad((t: tf.Tensor) =>
        tf.sum(tf.mul(tf.div(t, tf.maximum(tf.norm(t, 'euclidean', 1, true), 1e-12)), g)),
      )(h);
      expectClose(got.dataSync(), naive.dataSync(), 1e-5, 1e-5);
      // By hand for row 0 (norm √26): grad = (g - y·(g·y)) / ‖h‖ is orthogonal to h.
      const row0 = (got as tf.Tensor2D).arraySync()[0];
      expect(row0[0] * 3 + row0[1] * 4 + row0[2] * 0 + row0[3] * -1).toBeCloseTo(0, 6);
      tf.dispose([h, g, got, naive]);
    });
  });

  describe('activate', () => {
    it('leaky-relu has slope 0.01 below zero (PyTorch default)', () => {
      expect(LEAKY_RELU_SLOPE).toBe(0.01);
      const z = tf.tensor2d([[-2, -0.5, 0, 3]]);
      // -2·0.01 = -0.02, -0.5·0.01 = -0.005, 0 → 0, 3 → 3
      expectClose(activate('leaky-relu', z).dataSync(), [-0.02, -0.005, 0, 3], 1e-7);
      // Its derivative: 0.01 below zero, 1 above.
      const g = tf.grad((t: tf.Tensor) => tf.sum(activate('leaky-relu', t as tf.Tensor2D)))(z).dataSync();
      expectClose([g[0], g[1], g[3]], [0.01, 0.01, 1], 1e-7);
      tf.dispose(z);
    });

    it('relu, tanh, sigmoid, identity and softmax have their textbook values', () => {
      const z = tf.tensor2d([[-1, 0, 2]]);
      expectClose(activate('relu', z).dataSync(), [0, 0, 2], 0);
      expectClose(activate('tanh', z).dataSync(), [Math.tanh(-1), 0, Math.tanh(2)], 1e-6);
      // sigmoid(-1) = 1/(1+e) ≈ 0.268941, sigmoid(2) = 1/(1+e^-2) ≈ 0.880797
      expectClose(activate('sigmoid', z).dataSync(), [1 / (1 + Math.E), 0.5, 1 / (1 + Math.exp(-2))], 1e-6);
      expectClose(activate('identity', z).dataSync(), [-1, 0, 2], 0);
      // softmax: e^-1, e^0, e^2 over their sum (0.367879 + 1 + 7.389056 = 8.756935)
      const s = Math.exp(-1) + 1 + Math.exp(2);
      expectClose(activate('softmax', z).dataSync(), [Math.exp(-1) / s, 1 / s, Math.exp(2) / s], 1e-6);
      tf.dispose(z);
    });
  });
});
