import type { tf } from '../backend.js';
import { runFused, type FusedKernel } from './kernel.js';

const f = Math.fround;

/**
 * One Rprop update of a variable in one pass: the new value, the remembered
 * gradient and the new step sizes. Every element goes through the unfused
 * rule's float32 operations in the same order (see `src/optim/rprop.ts`:
 * agreement, the factor as a sum of three terms, the clamp, the kept
 * gradient, sign times minus the step size, the add), so the numbers are the
 * same bit for bit, NaN and infinite gradients included.
 */
export const rpropKernel: FusedKernel = {
  name: 'LocalpropRprop',
  outputShapes: ([param]) => [param, param, param],
  compute({ inputs: [param, grad, prev, stepSize], outputs: [nextParam, kept, nextStep], attrs }) {
    const etaPlus = f(attrs.etaPlus);
    const etaMinus = f(attrs.etaMinus);
    const stepMin = f(attrs.stepMin);
    const stepMax = f(attrs.stepMax);
    for (let k = 0; k < param.length; k++) {
      const g = grad[k];
      const agreement = f(g * prev[k]);
      const grew = agreement > 0 ? 1 : 0;
      const flipped = agreement < 0 ? 1 : 0;
      const factor = f(f(f(grew * etaPlus) + f(flipped * etaMinus)) + f(1 - (grew + flipped)));
      const step = Math.min(Math.max(f(stepSize[k] * factor), stepMin), stepMax);
      const keptGrad = f(g * (1 - flipped));
      const sign = (keptGrad > 0 ? 1 : 0) - (keptGrad < 0 ? 1 : 0);
      nextParam[k] = param[k] + f(sign * -step);
      kept[k] = keptGrad;
      nextStep[k] = step;
    }
  },
};

/** The fused Rprop update (see {@link rpropKernel}); its options as in {@link rpropKernel}'s attributes. */
export function fusedRprop(
  param: tf.Tensor,
  grad: tf.Tensor,
  prev: tf.Tensor,
  stepSize: tf.Tensor,
  o: { etaPlus: number; etaMinus: number; stepMin: number; stepMax: number },
): { param: tf.Tensor; prev: tf.Tensor; stepSize: tf.Tensor } {
  const [p, kept, s] = runFused(rpropKernel, [param, grad, prev, stepSize], { etaPlus: o.etaPlus, etaMinus: o.etaMinus, stepMin: o.stepMin, stepMax: o.stepMax });
  return { param: p, prev: kept, stepSize: s };
}
