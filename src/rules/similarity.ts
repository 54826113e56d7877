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
 * The batch's similarity matrix as Nøkland & Eidnes define it: each row
 * centred on its own mean, divided by (its L2 norm + 1e-8), then every
 * pair's dot product, clamped to [-1, 1]. [batch, batch], differentiable in `x`.
 */
export function similarityMatrix(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const centred = tf.sub(x, tf.mean(x, 1, true));
    const norms = tf.add(tf.sqrt(tf.sum(tf.square(centred), 1, true)), SIMILARITY_EPSILON);
    return clampedGram(tf.div(centred, norms) as tf.Tensor2D);
  });
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
