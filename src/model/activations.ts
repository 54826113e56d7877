import { tf } from '../engine/backend.js';

/** Activations a block may end with. `softmax` is only allowed on the output block. */
export const ACTIVATIONS = ['mish', 'relu', 'leaky-relu', 'relu-full-grad', 'tanh', 'sigmoid', 'identity', 'softmax'] as const;
/** An activation by name: every hidden block ends with one, and so does the output block (which may also be softmax). */
export type Activation = (typeof ACTIVATIONS)[number];

/** PyTorch's default negative slope for LeakyReLU. */
export const LEAKY_RELU_SLOPE = 0.01;

/** Applies `name` element-wise (softmax row-wise). */
export function activate(name: Activation, z: tf.Tensor2D): tf.Tensor2D {
  switch (name) {
    case 'mish':
      return mish(z);
    case 'relu':
      return tf.relu(z);
    case 'leaky-relu':
      return tf.leakyRelu(z, LEAKY_RELU_SLOPE);
    case 'relu-full-grad':
      return reluFullGrad(z);
    case 'tanh':
      return tf.tanh(z);
    case 'sigmoid':
      return tf.sigmoid(z);
    case 'identity':
      return z;
    case 'softmax':
      return tf.softmax(z);
  }
}

type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

/**
 * ReLU forward, the identity backward: the gradient reaches every unit,
 * below zero too, so a unit pushed negative can come back. loeweX's
 * Forward-Forward trains with it; it changes nothing there without peer
 * normalisation (`--ff-peer-norm`), since goodness Σa² has no gradient
 * where a = 0.
 */
export const reluFullGrad: (z: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(((z: tf.Tensor2D) => ({
  value: tf.relu(z),
  gradFunc: (dy: tf.Tensor2D) => [dy],
})) as unknown as CustomGradientFunc) as unknown as (z: tf.Tensor2D) => tf.Tensor2D;

/**
 * Mish, x·tanh(softplus(x)), written through s = sigmoid(x):
 * tanh(softplus(x)) = a / (2 - a) with a = s(2 - s), exact algebra that is
 * stable at both ends (→ s for x → -∞, → 1 for x → +∞). wasm's tanh and
 * softplus cost ~20× its sigmoid, and mish dominated the seed network's step.
 * The gradient is t + x·s·(1 - t²), from dt/dx = (1 - t²)·sigmoid(x).
 */
export const mish: (z: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(((z: tf.Tensor2D, save: tf.GradSaveFunc) => {
  const s = tf.sigmoid(z);
  const a = tf.mul(s, tf.sub(2, s));
  const t = tf.div(a, tf.sub(2, a));
  save([z, s, t]);
  return {
    value: tf.mul(z, t),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [sz, ss, st] = saved;
      return [tf.mul(dy, tf.add(st, tf.mul(tf.mul(sz, ss), tf.sub(1, tf.square(st)))))];
    },
  };
}) as unknown as CustomGradientFunc) as unknown as (z: tf.Tensor2D) => tf.Tensor2D;

/**
 * Divides each row by max(‖row‖₂, 1e-12), as PyTorch's `F.normalize`.
 * The gradient is written out, r·(g - y·Σ(g·y)) with r = 1/‖row‖ (just r·g
 * for a row at the clamp): TF.js's autodiff of rsqrt goes through pow and
 * several copies, and this op runs on every hidden block of the seed network.
 */
export const normalizeRows: (h: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(((h: tf.Tensor2D, save: tf.GradSaveFunc) => {
  const squared = tf.sum(tf.square(h), 1, true);
  const unclamped = tf.cast(tf.greater(squared, NORM_EPSILON ** 2), 'float32');
  const r = tf.rsqrt(tf.maximum(squared, NORM_EPSILON ** 2));
  const y = tf.mul(h, r);
  save([y, r, unclamped]);
  return {
    value: y,
    gradFunc: (g: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [sy, sr, sUnclamped] = saved;
      const along = tf.mul(tf.sum(tf.mul(g, sy), 1, true), sUnclamped);
      return [tf.mul(sr, tf.sub(g, tf.mul(sy, along)))];
    },
  };
}) as unknown as CustomGradientFunc) as unknown as (h: tf.Tensor2D) => tf.Tensor2D;

/** Each row scaled to mean square 1: {@link normalizeRows} times √width (loeweX's layer norm, for hidden outputs and Forward-Forward's inputs alike). */
export function rmsNormalizeRows(h: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(normalizeRows(h), Math.sqrt(h.shape[1]));
}

/** PyTorch's floor on the norm in `F.normalize`. */
const NORM_EPSILON = 1e-12;
