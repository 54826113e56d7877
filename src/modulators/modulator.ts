import type { tf } from '../engine/backend.js';
import type { PlainTensor } from '../model/parameters.js';
import type { GateMetrics } from '../train/events.js';
import type { BlockEpochAdjustments } from './epoch-adjustments.js';

/**
 * What a modulator asks of one variable's update. `scale` multiplies the
 * change the optimizer's rule computed (broadcast against the variable's
 * shape), for any rule, sign-based Rprop included; `shrinkGate` (Rprop
 * only; the other rules ignore it) tempers the step-size decrease after a
 * sign flip to etaMinus^gate, so a gate of 0 keeps the step size.
 */
export interface StepAdjustment {
  scale?: tf.Tensor;
  shrinkGate?: tf.Tensor;
  /**
   * Rprop only: where 1, the step size is raised back to at least the
   * initial one (lr) before the update; where 0 it is kept. For step sizes
   * that collapsed while the input moved and may grow again once it settled.
   */
  resetStepSize?: tf.Tensor;
  /** Adam only: the first moment is multiplied by this before the update (a stale average of gradients forgotten). */
  firstMomentScale?: tf.Tensor;
  /** Adam only: the second moment is multiplied by this before the update. */
  secondMomentScale?: tf.Tensor;
  /**
   * No update at all: the variable and the optimizer's state for it stay as
   * they are, and its update count does not advance (a block not yet
   * started, or frozen).
   */
  skip?: boolean;
}

/** Whether an adjustment changes the rule's own arithmetic (so no fused kernel may stand in for it). */
export function changesUpdate(a: StepAdjustment | undefined): boolean {
  return a !== undefined && (a.scale !== undefined || a.shrinkGate !== undefined || a.resetStepSize !== undefined || a.firstMomentScale !== undefined || a.secondMomentScale !== undefined);
}

/** What a session asks, at every local block's step, for that step's adjustments (see {@link StepModulator.adjust}). */
export interface StepAdjuster {
  /**
   * The adjustments of block `block`'s next step, one per variable it
   * trains (the session's `trainableOf` order), or undefined for a plain
   * step. `input` gives the block's input without dropout masks, made only
   * when asked. Called inside the step's `tf.tidy`: tensors it returns are freed after the step.
   */
  adjust(block: number, input: () => tf.Tensor2D): (StepAdjustment | undefined)[] | undefined;
}

/**
 * Something applied around every local block's optimizer step, whatever the
 * optimizer: it reads what it follows (the block's input), and asks for
 * adjustments of the step. It keeps its own state (saved in checkpoints)
 * and metrics (reported in epoch events). The drift gates of local-gated
 * are one; a schedule attaches a modulator to its session.
 */
export interface StepModulator extends StepAdjuster {
  /** Before epoch `epoch`'s first step (for one that follows probe rows once an epoch). */
  beginEpoch?(epoch: number): void;
  /**
   * For a modulator whose adjustments are fixed once an epoch has begun
   * (one that measures once an epoch, on probe rows): every block's
   * adjustments for this epoch's steps, as plain data, so threads that hold
   * only some blocks (a pipeline's groups) take the steps this thread would.
   * It stands for the `adjust` calls of the epoch's steps, with the same
   * effect on the modulator's state. Absent for modulators whose
   * adjustments depend on each step.
   */
  epochAdjustments?(): BlockEpochAdjustments[];
  /** Per block, what it measured (for epoch events). */
  metrics(): GateMetrics[];
  /** Its state as named plain tensors, for a checkpoint. */
  saveState(): Record<string, PlainTensor>;
  /** Continues from a {@link StepModulator.saveState}. */
  loadState(state: Record<string, PlainTensor>): void;
  /** Frees the tensors it holds. */
  dispose(): void;
}
