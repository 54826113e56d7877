import { tf } from '../engine/backend.js';
import { BaseOptimizer } from './optimizer.js';

export interface RmspropOptions {
  lr: number;
  alpha: number;
  eps: number;
  momentum: number;
  weightDecay: number;
}

/** PyTorch's defaults for `torch.optim.RMSprop`. */
export const RMSPROP_DEFAULTS: RmspropOptions = { lr: 0.01, alpha: 0.99, eps: 1e-8, momentum: 0, weightDecay: 0 };

type RmspropState = { square: tf.Tensor; buffer: tf.Tensor };

/** RMSprop with PyTorch's rule (not centred): eps is added to √v, momentum buffers the scaled gradient. */
export class Rmsprop extends BaseOptimizer<RmspropState> {
  readonly name = 'rmsprop';
  private readonly o: RmspropOptions;

  constructor(options: Partial<RmspropOptions> = {}) {
    const o = { ...RMSPROP_DEFAULTS, ...options };
    super(o.lr);
    this.o = o;
  }

  protected initialState(param: tf.Variable): RmspropState {
    return { square: tf.zerosLike(param), buffer: tf.zerosLike(param) };
  }

  protected update(param: tf.Variable, grad: tf.Tensor, state: RmspropState): { delta: tf.Tensor; state: RmspropState } {
    const { alpha, eps, momentum, weightDecay } = this.o;
    const g = weightDecay ? tf.add(grad, tf.mul(param, weightDecay)) : grad;
    const square = tf.add(tf.mul(state.square, alpha), tf.mul(tf.square(g), 1 - alpha));
    const scaled = tf.div(g, tf.add(tf.sqrt(square), eps));
    const buffer = momentum > 0 ? tf.add(tf.mul(state.buffer, momentum), scaled) : state.buffer;
    const direction = momentum > 0 ? buffer : scaled;
    return { delta: tf.mul(direction, -this.learningRate), state: { square, buffer } };
  }
}
