/**
 * What a run tells its listeners. Every event is plain, serialisable data
 * (JSON.stringify keeps all of it), so the same run can feed a terminal, a
 * file, a worker's message port or a browser.
 */
export type RunEvent = RunStartEvent | EpochEvent | RunEndEvent;

/** Identifies a run in every event. */
export interface RunIdentity {
  schedule: string;
  seed: number;
  decoders: DecoderMode;
  /** The rule the hidden blocks learn from, when not the default decoder rule. */
  rule?: string;
}

/** `fixed`: random decoders that never learn (Mertens' code); `learned`: trained with their block. */
export type DecoderMode = 'fixed' | 'learned';

export interface RunStartEvent extends RunIdentity {
  type: 'start';
  /** Epochs the run will take in all (for local-sequential: per block × blocks). */
  epochs: number;
  blocks: number;
  step: 'epoch' | 'batch';
}

/**
 * The network after `epoch` epochs: `trainLoss`, `testLoss`, `testAccuracy`
 * and `blockAccuracy` are that network's scores, `blockLosses` and `gates`
 * those of epoch `epoch`'s steps. Epoch 0 is the untrained network (no block
 * has stepped: its block losses are null); the last epoch's scores are the
 * final model's, as the end event reports them. (Mertens' notebook records
 * its losses before each epoch's update: its sequence is events 0 to n − 1.)
 */
export interface EpochEvent extends RunIdentity {
  type: 'epoch';
  /** Epochs trained, counted over the whole run: 0 before the first, then 1 to `epochs`. */
  epoch: number;
  epochs: number;
  /** The block being trained (local-sequential), or null when all blocks learn. */
  block: number | null;
  /** Output loss on the training set: sum of per-batch mean losses / number of batches (the next epoch's batches). */
  trainLoss: number;
  /** Output loss on the test set: mean of per-batch mean losses. */
  testLoss: number;
  testAccuracy: number;
  /**
   * Each block's local loss in this epoch's steps (hidden blocks through their
   * decoder, the last block on the output loss), averaged over batches; null
   * for a block that did not learn this epoch (every block at epoch 0).
   * Back-propagation reports the output loss for the last block only.
   */
  blockLosses: (number | null)[];
  /**
   * Each block's decoder accuracy on the test set after the epoch (how
   * linearly separable its output is); the last block's is the network's
   * test accuracy.
   */
  blockAccuracy: number[];
  /**
   * With --eval-every above 1: the epoch after which the network that
   * `testLoss`, `testAccuracy` and `blockAccuracy` score stood (the latest
   * scored at or before this one: 0, k, 2k, ... and the last); absent when
   * every epoch is scored.
   */
  evaluatedAt?: number;
  /** Stability gates (local-gated only): per block, this epoch's drift and gate statistics. */
  gates?: GateMetrics[];
  /**
   * Why this network has collapsed, when it has, in words: test accuracy
   * back at a constant guess's after the run had learned, or a hidden block
   * whose output is zero for every test example. Losses can stay finite
   * through either, so the divergence check does not see them.
   */
  collapsed?: string;
  /** Seconds of training and evaluation so far (time spent by listeners between events is not counted). */
  seconds: number;
}

/**
 * How much a block's input moved and how far its gates were open in an
 * epoch; null for the first block, whose input (the data) never moves, and
 * before the first drift is measured.
 */
export interface GateMetrics {
  /** The smoothed drift over input axes: Σ drift / Σ mean|h| for a relative gate, the mean drift for an absolute one. */
  drift: number | null;
  /** Mean gate over input axes, in [floor, 1]. */
  gate: number;
  /** Share of input axes whose gate is ≥ 0.5. */
  open: number;
}

/** The final model's metrics. */
export interface RunEndEvent extends RunIdentity {
  type: 'end';
  epochs: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  /** The training loop with its evaluations; not data generation, start-up or listeners. */
  seconds: number;
  /** The first epoch event that found the network collapsed (see {@link EpochEvent.collapsed}), when one did. */
  collapsed?: { epoch: number; reason: string };
}
