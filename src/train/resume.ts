import type { PlainTensor, ParameterMap } from '../model/parameters.js';
import type { VariableState } from '../optim/optimizer.js';
import type { DecoderMode, EpochEvent } from './events.js';
import type { ResolvedRunOptions } from './run.js';
import type { SessionState } from './session.js';

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
  /** Epochs finished (events number them; 0 before the first). */
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
  /**
   * The epoch events so far, 0 to `epoch`, replayed to listeners when the
   * run resumes. Event `epoch` is missing from a checkpoint taken at the
   * start event and from one converted from version 1 (whose events came
   * before their epochs): the resumed run scores that network first.
   */
  history: EpochEvent[];
  /** What epoch `epoch` trained, when its event is missing from `history` (a checkpoint of version 1). */
  unscored?: TrainedEpoch;
  /** The epoch after `epoch`, when the run stopped inside it (see {@link RunOptions.signal}). */
  partial?: PartialEpoch;
}

/** What an epoch's event reports of its training steps; its scores come after. */
export interface TrainedEpoch {
  block: number | null;
  blockLosses: (number | null)[];
  gates?: EpochEvent['gates'];
}

/** An epoch stopped between two steps: what it had done (its batches are those the checkpoint's shuffle stream draws). */
export interface PartialEpoch {
  /** Chunks (mini-batches) trained. */
  chunks: number;
  /** Each block's local loss of each trained chunk. */
  losses: number[][];
  /** Milliseconds of the run's own work in the epoch so far. */
  milliseconds: number;
}
