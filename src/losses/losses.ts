import { tf } from '../engine/backend.js';
import type { LossName } from '../model/spec.js';
import { fusedActive } from '../engine/fused/kernel.js';
import { fusedWeightedMse } from '../engine/fused/mse.js';

type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

/** PyTorch's floor on log in binary cross-entropy. */
export const BCE_LOG_FLOOR = -100;
/** PyTorch's floor on p(1-p) in the gradient of binary cross-entropy. */
const BCE_GRAD_EPSILON = 1e-12;

/**
 * Element-wise binary cross-entropy of probabilities `p` against targets `y`
 * with PyTorch's semantics: each log clamped at -100, and the gradient
 * `(p - y) / max(p (1 - p), 1e-12)`. Written with a custom gradient because
 * the autodiff of a clamped log is 0·∞ = NaN where p is exactly 0 or 1.
 */
const bceElementwise: (p: tf.Tensor, y: tf.Tensor) => tf.Tensor = tf.customGrad(((
  p: tf.Tensor,
  y: tf.Tensor,
  save: tf.GradSaveFunc,
) => {
  save([p, y]);
  const logP = tf.maximum(tf.log(p), BCE_LOG_FLOOR);
  const log1mP = tf.maximum(tf.log(tf.sub(1, p)), BCE_LOG_FLOOR);
  const value = tf.neg(tf.add(tf.mul(y, logP), tf.mul(tf.sub(1, y), log1mP)));
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sp, sy] = saved;
      const denom = tf.maximum(tf.mul(sp, tf.sub(1, sp)), BCE_GRAD_EPSILON);
      return [tf.div(tf.mul(dy, tf.sub(sp, sy)), denom), tf.zerosLike(sy)];
    },
  };
}) as unknown as CustomGradientFunc) as unknown as (p: tf.Tensor, y: tf.Tensor) => tf.Tensor;

/**
 * The loss of each example, shape [n]: for `mse` and `bce` the mean over the
 * example's outputs (so that a weighted sum with weights 1/batch reproduces
 * PyTorch's `reduction='mean'` over a batch); for `ce` the softmax
 * cross-entropy of logits against one-hot (or soft) targets.
 *
 * `prediction` is the probability for `bce`, the logits for `ce`, and the raw
 * value for `mse`.
 */
export function perExampleLoss(name: LossName, prediction: tf.Tensor2D, target: tf.Tensor2D): tf.Tensor1D {
  switch (name) {
    case 'mse':
      return rowMeans(tf.squaredDifference(prediction, target));
    case 'bce':
      return rowMeans(bceElementwise(prediction, target));
    case 'ce':
      return tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(prediction)), 1)) as tf.Tensor1D;
  }
}

/**
 * The mean of each row. A single column is only reshaped: wasm's mean over
 * an axis of length 1 took about 1 ms for 1000 rows, more than the layer.
 */
function rowMeans(t: tf.Tensor): tf.Tensor1D {
  const [rows, columns] = t.shape;
  if (columns === 1) return tf.reshape(t, [rows]);
  return tf.mul(tf.sum(t, 1), 1 / columns!) as tf.Tensor1D;
}

/** Σ wᵢ·lossᵢ: with wᵢ = 1/|batch of i| this is the sum of per-batch mean losses of Mertens' protocol. */
export function weightedLoss(name: LossName, prediction: tf.Tensor2D, target: tf.Tensor2D, weights: tf.Tensor1D): tf.Scalar {
  // The hidden decoders' loss in one kernel each way, same numbers (see src/engine/fused/mse.ts).
  if (name === 'mse' && fusedActive(prediction.size)) return fusedWeightedMse(prediction, target, weights);
  return tf.sum(tf.mul(perExampleLoss(name, prediction, target), weights));
}

/** The mean loss over the examples, PyTorch's `reduction='mean'`. */
export function meanLoss(name: LossName, prediction: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  return tf.mean(perExampleLoss(name, prediction, target));
}
