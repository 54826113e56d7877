import type { tf } from '../backend.js';
import { runFused, type FusedKernel } from './kernel.js';

/**
 * The share of rows whose one-output prediction falls on the target's side
 * of 0.5 (both ≥ 0.5 or both below), from [prediction, target] of shape
 * [rows, 1]: the count is exact, and the share is the count over the rows
 * rounded once to float32, as wasm's mean of the 0/1 hits gives it.
 */
export const thresholdAccuracyKernel: FusedKernel = {
  name: 'LocalpropThresholdAccuracy',
  outputShapes: () => [[]],
  compute({ inputs: [p, y], outputs: [out] }) {
    let hits = 0;
    for (let i = 0; i < p.length; i++) if (p[i] >= 0.5 === y[i] >= 0.5) hits++;
    out[0] = hits / p.length;
  },
};

/** {@link thresholdAccuracyKernel} on a [rows, 1] prediction and target. */
export function fusedThresholdAccuracy(prediction: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  return runFused(thresholdAccuracyKernel, [prediction, target])[0] as tf.Scalar;
}
