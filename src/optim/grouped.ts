import type { tf } from '../engine/backend.js';
import type { StepAdjustment } from '../modulators/modulator.js';
import type { Optimizer, VariableState } from './optimizer.js';
import { check } from '../util/errors.js';

/**
 * Two optimizers as one, like PyTorch's parameter groups: the variables in
 * `group` are stepped by `grouped` (its own rate and weight decay), every
 * other by `main`. Setting the rate sets both, keeping their ratio, so
 * milestones and cooldowns move the two together. Saved state stays one
 * entry per variable, in the caller's order, as with one optimizer.
 */
export class GroupedOptimizer implements Optimizer {
  private readonly ratio: number;

  constructor(
    private readonly main: Optimizer,
    private readonly grouped: Optimizer,
    private readonly group: ReadonlySet<tf.Variable>,
  ) {
    this.ratio = grouped.learningRate / main.learningRate;
  }

  get name(): string {
    return this.main.name;
  }

  get learningRate(): number {
    return this.main.learningRate;
  }

  set learningRate(lr: number) {
    this.main.learningRate = lr;
    this.grouped.learningRate = lr * this.ratio;
  }

  step(params: tf.Variable[], grads: tf.Tensor[], adjustments?: (StepAdjustment | undefined)[]): void {
    for (const [optimizer, picked] of this.split(params)) {
      if (picked.length === 0) continue;
      optimizer.step(
        picked.map((k) => params[k]),
        picked.map((k) => grads[k]),
        adjustments && picked.map((k) => adjustments[k]),
      );
    }
  }

  saveState(params: tf.Variable[]): (VariableState | null)[] {
    return params.map((p) => this.owner(p).saveState([p])[0]);
  }

  loadState(params: tf.Variable[], states: (VariableState | null)[]): void {
    check(states.length === params.length, `the saved ${this.name} state covers ${states.length} variables but the network has ${params.length}; the checkpoint is for another model`);
    for (const [optimizer, picked] of this.split(params)) {
      optimizer.loadState(
        picked.map((k) => params[k]),
        picked.map((k) => states[k]),
      );
    }
  }

  dispose(): void {
    this.main.dispose();
    this.grouped.dispose();
  }

  private owner(p: tf.Variable): Optimizer {
    return this.group.has(p) ? this.grouped : this.main;
  }

  /** The positions of `params` each optimizer owns. */
  private split(params: tf.Variable[]): [Optimizer, number[]][] {
    const own: number[] = [];
    const other: number[] = [];
    params.forEach((p, k) => (this.group.has(p) ? own : other).push(k));
    return [
      [this.main, other],
      [this.grouped, own],
    ];
  }
}
