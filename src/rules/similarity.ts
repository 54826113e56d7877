import { tf } from '../engine/backend.js';

type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

/** Added to each row's norm before dividing, as Nøkland & Eidnes do (it keeps a constant row finite). */
export const SIMILARITY_EPSILON = 1e-8;

/**
 * `clamp(N·Nᵀ, -1, 1)` with the gradient written out: (G + Gᵀ)·N, G the
 * incoming gradient where the product lies within the clamp (inclusive, as
 * PyTorch's clamp passes it) and 0 outside. Explicit transposes, because
 * wasm runs a matMul with a transposed operand many times slower (see dense.ts).
 */
const clampedGram: (n: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(((n: tf.Tensor2D, save: tf.GradSaveFunc) => {
  const product = tf.matMul(n, tf.transpose(n));
  save([n, product]);
  return {
    value: tf.clipByValue(product, -1, 1),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [sn, sp] = saved as [tf.Tensor2D, tf.Tensor2D];
      const inside = tf.logicalAnd(tf.greaterEqual(sp, -1), tf.lessEqual(sp, 1));
      const g = tf.where(inside, dy, tf.zerosLike(dy));
      return [tf.matMul(tf.add(g, tf.transpose(g)), sn)];
    },
  };
}) as unknown as CustomGradientFunc) as unknown as (n: tf.Tensor2D) => tf.Tensor2D;

/**
 * Each row c divided by (‖c‖₂ + 1e-8), with the gradient written out:
 * s·g - s²·(g·c)·c/‖c‖ with s = 1/(‖c‖ + 1e-8), and s·g for a row of
 * zeros. Autodiff through the square root gives such a row NaN (∞·0: the
 * root's slope at 0 times the square's), as PyTorch's does; under ReLU a
 * block's row is all zeros as soon as every unit is off for that example,
 * and one NaN spread by the optimizer over every weight of the block left
 * the network predicting one class with finite losses.
 */
const rowsOverNorm: (c: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(((c: tf.Tensor2D, save: tf.GradSaveFunc) => {
  const norm = tf.sqrt(tf.sum(tf.square(c), 1, true));
  const s = tf.reciprocal(tf.add(norm, SIMILARITY_EPSILON));
  // c/‖c‖, 0 for a zero row (where c itself is 0).
  const direction = tf.div(c, tf.maximum(norm, ZERO_ROW_NORM));
  save([c, s, direction]);
  return {
    value: tf.mul(c, s),
    gradFunc: (g: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [sc, ss, sd] = saved;
      const along = tf.mul(tf.square(ss), tf.sum(tf.mul(g, sc), 1, true));
      return [tf.sub(tf.mul(ss, g), tf.mul(along, sd))];
    },
  };
}) as unknown as CustomGradientFunc) as unknown as (c: tf.Tensor2D) => tf.Tensor2D;

/** Below this a row's norm counts as 0 in {@link rowsOverNorm}'s gradient (far under the 1e-8 added to it). */
const ZERO_ROW_NORM = 1e-30;

/**
 * The batch's similarity matrix as Nøkland & Eidnes define it: each row
 * centred on its own mean, divided by (its L2 norm + 1e-8), then every
 * pair's dot product, clamped to [-1, 1]. [batch, batch], differentiable in
 * `x`, with a finite gradient where a centred row is all zeros.
 */
export function similarityMatrix(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => clampedGram(rowsOverNorm(tf.sub(x, tf.mean(x, 1, true)) as tf.Tensor2D)));
}

/**
 * The sim loss: mean squared difference between the similarity matrix of
 * `h` and that of the targets `y` (one-hot rows), over all batch² entries.
 * The targets' matrix is a constant: no gradient flows into it.
 */
export function similarityLoss(h: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const target = similarityMatrix(y);
    return tf.mean(tf.square(tf.sub(similarityMatrix(h), target))) as tf.Scalar;
  });
}
