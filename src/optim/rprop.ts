import { tf } from '../engine/backend.js';
import { BaseOptimizer } from './optimizer.js';
import type { StepAdjustment } from '../modulators/modulator.js';
import { fusedActive } from '../engine/fused/kernel.js';
import { fusedRprop } from '../engine/fused/rprop.js';

export interface RpropOptions {
  lr: number;
  etaMinus: number;
  etaPlus: number;
  stepMin: number;
  stepMax: number;
}

/** PyTorch's defaults for `torch.optim.Rprop`. */
export const RPROP_DEFAULTS: RpropOptions = { lr: 0.01, etaMinus: 0.5, etaPlus: 1.2, stepMin: 1e-6, stepMax: 50 };

/**
 * The largest variable the fused update takes: it was faster than the
 * unfused ops up to 10⁴ weights here (0.6 against 1.1 ms) and even at 10⁵.
 */
const RPROP_FUSED_LIMIT = 131072;

type RpropState = { prev: tf.Tensor; stepSize: tf.Tensor };

/**
 * Resilient back-propagation with PyTorch's rule: each weight's step size
 * grows by etaPlus while its gradient keeps its sign and shrinks by etaMinus
 * when the sign flips (clamped to [stepMin, stepMax]); after a flip the
 * weight does not move and its remembered gradient is set to 0, so the next
 * step neither grows nor shrinks.
 */
export class Rprop extends BaseOptimizer<RpropState> {
  readonly name = 'rprop';
  private readonly o: RpropOptions;

  constructor(options: Partial<RpropOptions> = {}) {
    const o = { ...RPROP_DEFAULTS, ...options };
    super(o.lr);
    this.o = o;
  }

  protected initialState(param: tf.Variable): RpropState {
    return { prev: tf.zerosLike(param), stepSize: tf.fill(param.shape, this.learningRate) };
  }

  protected override fusedUpdate(param: tf.Variable, grad: tf.Tensor, state: RpropState): { param: tf.Tensor; state: RpropState } | null {
    if (!fusedActive(param.size, RPROP_FUSED_LIMIT)) return null;
    const next = fusedRprop(param, grad, state.prev, state.stepSize, this.o);
    return { param: next.param, state: { prev: next.prev, stepSize: next.stepSize } };
  }

  protected update(_param: tf.Variable, grad: tf.Tensor, state: RpropState, _step: number, adjustment?: StepAdjustment): { delta: tf.Tensor; state: RpropState } {
    const { etaPlus, etaMinus, stepMin, stepMax } = this.o;
    const shrinkGate = adjustment?.shrinkGate;
    const reset = adjustment?.resetStepSize;
    const before = reset ? tf.add(tf.mul(reset, tf.maximum(state.stepSize, this.learningRate)), tf.mul(tf.sub(1, reset), state.stepSize)) : state.stepSize;
    // Comparisons, not tf.sign: wasm's sign returns 0 for |x| below ~1.2e-7,
    // which would freeze small gradients and miss sign flips.
    const agreement = tf.mul(grad, state.prev);
    const grew = tf.cast(tf.greater(agreement, 0), 'float32');
    const flipped = tf.cast(tf.less(agreement, 0), 'float32');
    // etaPlus, etaMinus or 1, exactly: one term is 1·eta, the others 0. (tf.where
    // with broadcast scalars takes a slow path on wasm, ~100× a plain multiply.)
    // A shrink gate g makes the decrease etaMinus^g: a flip caused by a moving input need not mean overshoot.
    const shrink = shrinkGate ? tf.exp(tf.mul(shrinkGate, Math.log(etaMinus))) : etaMinus;
    const factor = tf.add(tf.add(tf.mul(grew, etaPlus), tf.mul(flipped, shrink)), tf.sub(1, tf.add(grew, flipped)));
    const stepSize = tf.clipByValue(tf.mul(before, factor), stepMin, stepMax);
    // After a sign flip the weight stays put and forgets its gradient.
    const kept = tf.mul(grad, tf.sub(1, flipped));
    return { delta: tf.mul(exactSign(kept), tf.neg(stepSize)), state: { prev: kept, stepSize } };
  }
}

/** −1, 0 or 1 for every element, however small (see the note in `update`). */
function exactSign(x: tf.Tensor): tf.Tensor {
  return tf.sub(tf.cast(tf.greater(x, 0), 'float32'), tf.cast(tf.less(x, 0), 'float32'));
}
