import { tf } from '../backend.js';
import { runFused, type FusedKernel } from './kernel.js';

const f = Math.fround;

/**
 * Σᵢ wᵢ·mean_j (pᵢⱼ - yᵢⱼ)² in one pass, from [p, y, w]: the unfused
 * `weightedLoss('mse', …)`'s float32 operations in its order (the squared
 * difference, the row mean as a left-to-right sum times 1/columns, or the
 * value itself for one column, then the weighted sum left to right).
 */
export const weightedMseKernel: FusedKernel = {
  name: 'LocalpropWeightedMse',
  outputShapes: () => [[]],
  compute({ inputs: [p, y, w], inputShapes: [[rows, columns]], outputs: [out] }) {
    const inverse = f(1 / columns);
    let total = 0;
    for (let i = 0; i < rows; i++) {
      const row = i * columns;
      let loss: number;
      if (columns === 1) {
        const d = f(p[row] - y[row]);
        loss = f(d * d);
      } else {
        let sum = 0;
        for (let j = 0; j < columns; j++) {
          const d = f(p[row + j] - y[row + j]);
          sum = f(sum + f(d * d));
        }
        loss = f(sum * inverse);
      }
      total = f(total + f(loss * w[i]));
    }
    out[0] = total;
  },
};

/**
 * The gradient of {@link weightedMseKernel} with respect to p, from
 * [dy, p, y, w]: TF.js's chain rule for the unfused ops, step by step
 * (dy·wᵢ, times 1/columns for several columns, times 2·(p - y)).
 */
export const weightedMseGradKernel: FusedKernel = {
  name: 'LocalpropWeightedMseGrad',
  outputShapes: ([, p]) => [p],
  compute({ inputs: [dy, p, y, w], inputShapes: [, [rows, columns]], outputs: [dp] }) {
    const inverse = f(1 / columns);
    const upstream = dy[0];
    for (let i = 0; i < rows; i++) {
      const row = i * columns;
      let g = f(upstream * w[i]);
      if (columns !== 1) g = f(g * inverse);
      for (let j = 0; j < columns; j++) dp[row + j] = g * f(2 * f(p[row + j] - y[row + j]));
    }
  },
};

type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

/**
 * The weighted mean squared error of `prediction` against `target` with
 * example weights `weights`, differentiated with respect to the prediction
 * only (targets and weights are data), in one kernel each way.
 */
export function fusedWeightedMse(prediction: tf.Tensor2D, target: tf.Tensor2D, weights: tf.Tensor1D): tf.Scalar {
  const op = tf.customGrad(((p: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([p]);
    return {
      value: runFused(weightedMseKernel, [p, target, weights])[0],
      gradFunc: (dy: tf.Scalar, [sp]: tf.Tensor[]) => [runFused(weightedMseGradKernel, [dy, sp, target, weights])[0]],
    };
  }) as unknown as CustomGradientFunc) as unknown as (p: tf.Tensor2D) => tf.Scalar;
  return op(prediction);
}
