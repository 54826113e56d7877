import { tf } from '../engine/backend.js';
import type { PlainTensor } from '../model/parameters.js';
import { check } from '../util/errors.js';
import { changesUpdate, type StepAdjustment } from '../modulators/modulator.js';

/**
 * What an optimizer keeps for one variable, as plain data: how many updates
 * it has had and its rule's tensors (Adam's `m` and `v`, Rprop's `prev` and
 * `stepSize`, ...), each shaped like the variable as the network holds it.
 */
export interface VariableState {
  step: number;
  tensors: Record<string, PlainTensor>;
}

/**
 * An optimizer with PyTorch's update rules. State is kept per variable, so
 * one instance may serve one block or a whole network.
 */
export interface Optimizer {
  readonly name: string;
  /** The current learning rate (milestone decay changes it). */
  learningRate: number;
  /**
   * One update of each `params[k]` from `grads[k]`, adjusted by
   * `adjustments[k]` when a step modulator asks (see {@link StepAdjustment}:
   * the scale multiplies the change after the rule has computed it, which is
   * why it reaches inside the update rather than wrapping it).
   */
  step(params: tf.Variable[], grads: tf.Tensor[], adjustments?: (StepAdjustment | undefined)[]): void;
  /**
   * The state of each of `params` (null for one never updated), to continue
   * later with {@link Optimizer.loadState} exactly as if never stopped.
   */
  saveState(params: tf.Variable[]): (VariableState | null)[];
  /** Replaces the whole state with `states[k]` for `params[k]`, checking shapes. */
  loadState(params: tf.Variable[], states: (VariableState | null)[]): void;
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
  protected abstract update(param: tf.Variable, grad: tf.Tensor, state: S, step: number, adjustment?: StepAdjustment): { delta: tf.Tensor; state: S };

  /**
   * The same update as {@link BaseOptimizer.update} plus the add, in one
   * fused kernel, when the backend has one and the step is not adjusted:
   * the variable's new value (null when the kernel wrote it into the
   * variable's own memory) and the state to keep, or null for the unfused
   * ops. Must give the unfused numbers bit for bit.
   */
  protected fusedUpdate(_param: tf.Variable, _grad: tf.Tensor, _state: S, _step: number): { param: tf.Tensor | null; state: S } | null {
    return null;
  }

  step(params: tf.Variable[], grads: tf.Tensor[], adjustments?: (StepAdjustment | undefined)[]): void {
    params.forEach((param, k) => {
      if (adjustments?.[k]?.skip) return;
      const id = param.id;
      const stepCount = (this.steps.get(id) ?? 0) + 1;
      this.steps.set(id, stepCount);
      const old = this.states.get(id);
      const next = tf.tidy(() => {
        const state = old ?? this.initialState(param, grads[k]);
        const adjustment = adjustments?.[k];
        const fused = changesUpdate(adjustment) ? null : this.fusedUpdate(param, grads[k], state, stepCount);
        if (fused) {
          if (fused.param) param.assign(fused.param);
          Object.values(fused.state).forEach((t) => tf.keep(t));
          return fused.state;
        }
        const { delta, state: kept } = this.update(param, grads[k], state, stepCount, adjustment);
        const scale = adjustment?.scale;
        param.assign(tf.add(param, scale ? tf.mul(delta, scale) : delta));
        Object.values(kept).forEach((t) => tf.keep(t));
        return kept;
      });
      if (old) for (const [key, t] of Object.entries(old)) if (next[key] !== t) t.dispose();
      this.states.set(id, next);
    });
  }

  saveState(params: tf.Variable[]): (VariableState | null)[] {
    return params.map((param) => {
      const state = this.states.get(param.id);
      if (!state) return null;
      const tensors: Record<string, PlainTensor> = {};
      for (const [key, t] of Object.entries(state)) tensors[key] = { shape: [...t.shape], data: (t.dataSync() as Float32Array).slice() };
      return { step: this.steps.get(param.id)!, tensors };
    });
  }

  loadState(params: tf.Variable[], states: (VariableState | null)[]): void {
    check(states.length === params.length, `the saved ${this.name} state covers ${states.length} variables but the network has ${params.length}; the checkpoint is for another model`);
    // Checked in full before anything changes, so a bad state leaves the optimizer as it was.
    params.forEach((param, k) => {
      const saved = states[k];
      if (!saved) return;
      check(Number.isInteger(saved.step) && saved.step >= 1, `the saved ${this.name} state of ${param.name} has step ${saved.step}; expected a count ≥ 1`);
      for (const [key, t] of Object.entries(saved.tensors)) {
        const fits = t.shape.length === param.shape.length && t.shape.every((d, i) => d === param.shape[i]) && t.data.length === param.size;
        check(fits, `the saved ${this.name} state "${key}" of ${param.name} has shape [${t.shape.join(', ')}] but the variable is [${param.shape.join(', ')}]; the checkpoint is for another model`);
      }
    });
    this.dispose();
    params.forEach((param, k) => {
      const saved = states[k];
      if (!saved) return;
      const state = Object.fromEntries(Object.entries(saved.tensors).map(([key, t]) => [key, tf.tensor(t.data, t.shape)])) as S;
      this.states.set(param.id, state);
      this.steps.set(param.id, saved.step);
    });
  }

  dispose(): void {
    for (const s of this.states.values()) Object.values(s).forEach((t) => t.dispose());
    this.states.clear();
    this.steps.clear();
  }
}
