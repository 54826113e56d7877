import type { PlainTensor, ParameterMap } from '../model/parameters.js';
import type { VariableState } from '../optim/optimizer.js';
import type { DecoderMode, EpochEvent } from './events.js';
import type { ResolvedRunOptions } from './run.js';
import type { SessionState } from './session.js';
import type { Evaluation } from './evaluation.js';
import type { RngState } from '../util/rng.js';

/**
 * Everything a run needs to continue after `epoch` finished epochs exactly
 * as if it had never stopped, as plain data (see {@link Run.checkpoint} and
 * `src/io/run-checkpoint.ts` for the file). What is not here is rebuilt:
 * the data and the test evaluator come from the run's options, and
 * local-sequential's frozen features from the restored blocks.
 */
export interface RunCheckpoint {
  schedule: string;
  seed: number;
  decoders: DecoderMode;
  /** The rule, when not the default decoder rule. */
  rule?: string;
  /** The run's resolved options; a run resumes only with the same ones. */
  options: ResolvedRunOptions;
  /** Epochs finished (1-based count over the run, as events number them). */
  epoch: number;
  /** Epochs of the whole run. */
  epochs: number;
  /** Seconds of the run's own work so far (events go on counting from here). */
  seconds: number;
  /** The network's parameters, PyTorch layout. */
  parameters: ParameterMap;
  /** Per variable of {@link Network.variables}, in order: the optimizer's state, or null before its first update. */
  optimizer: (VariableState | null)[];
  /** The shuffle and dropout streams, and the cached training loss. */
  session: SessionState;
  /** What the schedule carries between epochs (local-gated's trackers), by name; empty for the others. */
  scheduleState: Record<string, PlainTensor>;
  /** The epoch events so far, replayed to listeners when the run resumes. */
  history: EpochEvent[];
  /** The epoch after `epoch`, when the run stopped inside it (see {@link RunOptions.signal}). */
  partial?: PartialEpoch;
}

/**
 * An epoch stopped between two steps: what it had done, and what was
 * measured before its first step (its event reports those numbers).
 */
export interface PartialEpoch {
  /** Chunks (mini-batches) trained. */
  chunks: number;
  /** Each block's local loss of each trained chunk. */
  losses: number[][];
  /** The shuffle stream before the epoch drew its batches, so a resumed run draws the same ones. */
  shuffle: RngState;
  /** The network's training loss before the epoch (null when the run does not measure it). */
  trainLoss: number | null;
  /** The test set's scores before the epoch. */
  test: Evaluation;
  /** Milliseconds of the run's own work in the epoch so far. */
  milliseconds: number;
}
