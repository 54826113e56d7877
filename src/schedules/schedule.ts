import type { tf } from '../engine/backend.js';
import type { Session } from '../train/session.js';
import type { GateMetrics } from '../train/events.js';
import type { PlainTensor } from '../model/parameters.js';

/** One epoch of a schedule, trained when `train` is called. */
export interface EpochPlan {
  /** The block this epoch trains, or null when every block learns. */
  block: number | null;
  /** Trains the epoch; returns each block's local loss tensors, one per chunk (empty for blocks that did not learn). */
  train(): tf.Scalar[][];
  /** After `train`: the epoch's drift and gate statistics per block, for schedules that gate. */
  gateMetrics?(): GateMetrics[];
  /**
   * For schedules that carry state from epoch to epoch beyond the network
   * and the optimizer (local-gated's drift trackers): that state after this
   * epoch, as named plain tensors, for a checkpoint.
   */
  saveState?(): Record<string, PlainTensor>;
  /** Before `train`: continue from a {@link EpochPlan.saveState} of the epoch before this one. */
  loadState?(state: Record<string, PlainTensor>): void;
}

/**
 * A training schedule: which blocks learn, on what, and when. A schedule only
 * trains; the run around it evaluates, times and reports, so adding one is
 * writing `plan` and registering it.
 */
export interface Schedule {
  readonly name: string;
  readonly description: string;
  /** Epochs when --epochs is not given (for local-sequential: per block). */
  readonly defaultEpochs: number;
  /** Epochs the whole run takes for an --epochs of `epochs`. */
  totalEpochs(epochs: number, blocks: number): number;
  /** The run's epochs in order; a `finally` in the generator frees what it cached. */
  plan(session: Session, epochs: number): Generator<EpochPlan>;
}
