import { tf } from '../engine/backend.js';
import { BaseOptimizer } from './optimizer.js';

export interface RpropOptions {
  lr: number;
  etaMinus: number;
  etaPlus: number;
  stepMin: number;
  stepMax: number;
}

/** PyTorch's defaults for `torch.optim.Rprop`. */
export const RPROP_DEFAULTS: RpropOptions = { lr: 0.01, etaMinus: 0.5, etaPlus: 1.2, stepMin: 1e-6, stepMax: 50 };

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

  protected update(_param: tf.Variable, grad: tf.Tensor, state: RpropState): { delta: tf.Tensor; state: RpropState } {
    const agreement = tf.sign(tf.mul(grad, state.prev));
    const factor = tf.where(
      tf.greater(agreement, 0),
      tf.fill(grad.shape, this.o.etaPlus),
      tf.where(tf.less(agreement, 0), tf.fill(grad.shape, this.o.etaMinus), tf.onesLike(grad)),
    );
    const stepSize = tf.clipByValue(tf.mul(state.stepSize, factor), this.o.stepMin, this.o.stepMax);
    const kept = tf.where(tf.less(agreement, 0), tf.zerosLike(grad), grad);
    return { delta: tf.neg(tf.mul(tf.sign(kept), stepSize)), state: { prev: kept, stepSize } };
  }
}
