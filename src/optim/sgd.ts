import { tf } from '../engine/backend.js';
import { BaseOptimizer } from './optimizer.js';
import { check } from '../util/errors.js';

export interface SgdOptions {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
}

/** PyTorch's `torch.optim.SGD` has no default learning rate; 0.01 is ours. */
export const SGD_DEFAULTS: SgdOptions = { lr: 0.01, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 };

type SgdState = { buffer: tf.Tensor };

/** SGD with PyTorch's momentum: the buffer starts as the first gradient, undamped. */
export class Sgd extends BaseOptimizer<SgdState> {
  readonly name = 'sgd';
  private readonly o: SgdOptions;

  constructor(options: Partial<SgdOptions> = {}) {
    const o = { ...SGD_DEFAULTS, ...options };
    check(!o.nesterov || (o.momentum > 0 && o.dampening === 0), 'sgd: Nesterov momentum needs --momentum > 0 and --dampening 0 (as in PyTorch)');
    super(o.lr);
    this.o = o;
  }

  protected initialState(_param: tf.Variable, grad: tf.Tensor): SgdState {
    // PyTorch's first momentum buffer is the gradient itself; marking it with
    // a NaN-free sentinel would cost an op, so the first step is detected by count.
    return { buffer: tf.zerosLike(grad) };
  }

  protected update(param: tf.Variable, grad: tf.Tensor, state: SgdState, step: number): { delta: tf.Tensor; state: SgdState } {
    const { momentum, dampening, nesterov, weightDecay } = this.o;
    const g = weightDecay ? tf.add(grad, tf.mul(param, weightDecay)) : grad;
    if (momentum === 0) return { delta: tf.mul(g, -this.learningRate), state };
    const buffer = step === 1 ? tf.clone(g) : tf.add(tf.mul(state.buffer, momentum), tf.mul(g, 1 - dampening));
    const direction = nesterov ? tf.add(g, tf.mul(buffer, momentum)) : buffer;
    return { delta: tf.mul(direction, -this.learningRate), state: { buffer } };
  }
}
