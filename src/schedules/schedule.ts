import type { Session } from '../train/session.js';
import type { GateMetrics } from '../train/events.js';
import type { PlainTensor } from '../model/parameters.js';
import type { ModelSpec } from '../model/spec.js';
import type { GateOptions } from '../modulators/gates.js';
import type { DriftOptions } from '../modulators/drift-options.js';
import type { StepMode } from '../train/session.js';
import type { OptionDef } from '../options/option.js';
import type { BlockEpochAdjustments } from '../modulators/epoch-adjustments.js';

/** One epoch of a schedule, trained when `train` is called. */
export interface EpochPlan {
  /** The block this epoch trains, or null when every block learns. */
  block: number | null;
  /**
   * Trains the epoch, yielding after every chunk's steps (a step boundary,
   * where a run may stop and checkpoint); each block's local loss of each
   * chunk goes to {@link Session.recordLoss}. Starts at the session's
   * {@link Session.startChunk} (above 0 when a run resumes mid-epoch).
   */
  train(): Generator<void, void, void>;
  /**
   * On a worker pipeline, in place of `train`, for a pipelinable schedule
   * whose steps a modulator adjusts (local-gated): what the epoch does on
   * the run's thread before its steps (the gates measure their probe rows
   * on the whole network), returning every block's step adjustments, fixed
   * for the epoch, which the pipeline's groups apply. Absent: plain steps.
   */
  pipelineEpoch?(): BlockEpochAdjustments[];
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
  /** One short sentence for a page beside the schedule's column: what it does, without defaults. */
  readonly note: string;
  /** Two sentences for a newcomer looking at its pictures (the playground's "What am I looking at?"); pages fall back to the description. */
  readonly explanation?: string;
  /**
   * Whether hidden blocks learn from their rule (their decoders train);
   * false for back-propagation, whose rule tensors stay as they started.
   */
  readonly trainsRule: boolean;
  /** Whether it trains one block at a time, each on the frozen blocks before it (its epochs name the block). */
  readonly oneBlockAtATime?: boolean;
  /**
   * Whether its epochs can run on a worker pipeline ({@link EpochPipeline})
   * with the single thread's results. The groups take local-parallel's
   * steps (`stepBlockRun` in local-parallel.ts), not the plan's `train`: true only for a
   * schedule whose epochs are those steps, adjusted at most as its
   * {@link EpochPlan.pipelineEpoch} fixes for each epoch.
   */
  readonly pipelinable: boolean;
  /**
   * Groups of options it reads beyond the common ones, by their flag
   * prefix (local-gated's `gate`: --gate, --gate-tau, ...); pages show
   * those options only when the schedule runs.
   */
  readonly optionGroups?: readonly string[];
  /** The rows of the option table it declares (local-gated's gate options): flags, config keys, the playground's controls. */
  readonly optionTable?: readonly OptionDef[];
  /** Its own options, checked and with defaults filled in, as the run records them. */
  resolveOptions?(options: { gate?: Partial<GateOptions>; drift?: Partial<DriftOptions> }): { gate?: GateOptions; drift?: DriftOptions };
  /**
   * Bytes it keeps between steps besides the parameters and the optimizer's
   * state (local-sequential's frozen features, local-gated's trackers); 0 when absent.
   */
  stateBytes?(spec: ModelSpec, step: StepMode, trainRows: number, bytesPerNumber: number): number;
  /** Epochs when --epochs is not given (for local-sequential: per block). */
  readonly defaultEpochs: number;
  /** Epochs the whole run takes for an --epochs of `epochs`. */
  totalEpochs(epochs: number, blocks: number): number;
  /** The run's epochs in order; a `finally` in the generator frees what it cached. */
  plan(session: Session, epochs: number): Generator<EpochPlan>;
}

/** Trains a whole epoch of `steps` (an {@link EpochPlan.train}) without stopping between chunks. */
export function trainToEnd(steps: Generator<void, void, void>): void {
  for (let r = steps.next(); !r.done; r = steps.next());
}
