import { tf } from '../engine/backend.js';
import { BaseOptimizer } from './optimizer.js';
import { fusedAdam, fusedAdamActive, fusedAdamInPlace } from '../engine/fused/adam.js';
import type { StepAdjustment } from '../modulators/modulator.js';

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** PyTorch's defaults for `torch.optim.Adam`. */
export const ADAM_DEFAULTS: AdamOptions = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

type AdamState = { m: tf.Tensor; v: tf.Tensor };

/** Adam with PyTorch's rule: eps is added to the bias-corrected √v, weight decay is L2 added to the gradient. */
export class Adam extends BaseOptimizer<AdamState> {
  readonly name = 'adam';
  private readonly o: AdamOptions;

  constructor(options: Partial<AdamOptions> = {}) {
    const o = { ...ADAM_DEFAULTS, ...options };
    super(o.lr);
    this.o = o;
  }

  protected initialState(param: tf.Variable): AdamState {
    return { m: tf.zerosLike(param), v: tf.zerosLike(param) };
  }

  protected update(param: tf.Variable, grad: tf.Tensor, state: AdamState, step: number, adjustment?: StepAdjustment): { delta: tf.Tensor; state: AdamState } {
    const { beta1, beta2, eps, weightDecay } = this.o;
    const g = weightDecay ? tf.add(grad, tf.mul(param, weightDecay)) : grad;
    // A modulator may forget part of the moments first (their average was taken on an input that has since moved).
    const oldM = adjustment?.firstMomentScale ? tf.mul(state.m, adjustment.firstMomentScale) : state.m;
    const oldV = adjustment?.secondMomentScale ? tf.mul(state.v, adjustment.secondMomentScale) : state.v;
    const m = tf.add(tf.mul(oldM, beta1), tf.mul(g, 1 - beta1));
    const v = tf.add(tf.mul(oldV, beta2), tf.mul(tf.square(g), 1 - beta2));
    const stepSize = this.learningRate / (1 - beta1 ** step);
    const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(1 - beta2 ** step)), eps);
    return { delta: tf.mul(tf.div(m, denom), -stepSize), state: { m, v } };
  }

  protected override fusedUpdate(param: tf.Variable, grad: tf.Tensor, state: AdamState, step: number): { param: tf.Tensor | null; state: AdamState } | null {
    if (this.o.weightDecay || !fusedAdamActive()) return null;
    const o = { lr: this.learningRate, beta1: this.o.beta1, beta2: this.o.beta2, eps: this.o.eps, step };
    if (fusedAdamInPlace(param, grad, state.m, state.v, o)) return { param: null, state };
    const next = fusedAdam(param, grad, state.m, state.v, o);
    return { param: next.param, state: { m: next.m, v: next.v } };
  }
}
