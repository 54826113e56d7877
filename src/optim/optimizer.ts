import { tf } from '../engine/backend.js';

/**
 * An optimizer with PyTorch's update rules. State is kept per variable, so
 * one instance may serve one block or a whole network.
 */
export interface Optimizer {
  readonly name: string;
  /** The current learning rate (milestone decay changes it). */
  learningRate: number;
  /**
   * One update of each `params[k]` from `grads[k]`. `scales[k]`, when given,
   * multiplies the parameter's change (broadcast against its shape) after the
   * rule has computed it; that is how a schedule slows part of a layer down
   * for any rule, sign-based Rprop included. `shrinkGates[k]` (Rprop only;
   * other rules ignore it) tempers the step-size decrease after a sign flip:
   * the step shrinks by etaMinus^gate, so a gate of 0 keeps the step size.
   */
  step(params: tf.Variable[], grads: tf.Tensor[], scales?: (tf.Tensor | undefined)[], shrinkGates?: (tf.Tensor | undefined)[]): void;
  /** Frees the optimizer's state. */
  dispose(): void;
}

type State = Record<string, tf.Tensor>;

/**
 * The shared part of every rule: per-variable state that survives `tf.tidy`,
 * and applying the change a rule computes, scaled when asked.
 */
export abstract class BaseOptimizer<S extends State> implements Optimizer {
  abstract readonly name: string;
  private readonly states = new Map<number, S>();
  private readonly steps = new Map<number, number>();

  constructor(public learningRate: number) {}

  /** The state of a variable at its first update. */
  protected abstract initialState(param: tf.Variable, grad: tf.Tensor): S;

  /**
   * The change to add to `param`, and the state to keep. Called inside
   * `tf.tidy`; `step` counts this variable's updates from 1, as PyTorch does.
   */
  protected abstract update(param: tf.Variable, grad: tf.Tensor, state: S, step: number, shrinkGate?: tf.Tensor): { delta: tf.Tensor; state: S };

  step(params: tf.Variable[], grads: tf.Tensor[], scales?: (tf.Tensor | undefined)[], shrinkGates?: (tf.Tensor | undefined)[]): void {
    params.forEach((param, k) => {
      const id = param.id;
      const stepCount = (this.steps.get(id) ?? 0) + 1;
      this.steps.set(id, stepCount);
      const old = this.states.get(id);
      const next = tf.tidy(() => {
        const state = old ?? this.initialState(param, grads[k]);
        const { delta, state: kept } = this.update(param, grads[k], state, stepCount, shrinkGates?.[k]);
        const scale = scales?.[k];
        param.assign(tf.add(param, scale ? tf.mul(delta, scale) : delta));
        Object.values(kept).forEach((t) => tf.keep(t));
        return kept;
      });
      if (old) for (const [key, t] of Object.entries(old)) if (next[key] !== t) t.dispose();
      this.states.set(id, next);
    });
  }

  dispose(): void {
    for (const s of this.states.values()) Object.values(s).forEach((t) => t.dispose());
    this.states.clear();
    this.steps.clear();
  }
}
