import type { Schedule } from '../schedules/schedule.js';
import type { tf } from '../engine/backend.js';
import type { LossName, ModelSpec } from '../model/spec.js';
import type { PlainTensor } from '../model/parameters.js';
import type { Rng } from '../util/rng.js';
import type { Chunk } from '../train/session.js';
import type { Network } from '../model/network.js';
import type { OptionDef } from '../options/option.js';

/** One tensor a rule adds to the model, in PyTorch's layout, as checkpoints name and store it. */
export interface RuleTensor {
  /** Checkpoint name, e.g. `decoders.0.weight`. */
  name: string;
  /** Shape in PyTorch's layout ([out, in] for a linear map). */
  shape: number[];
  /**
   * Whether the rule's optimizer steps change it when decoders are learned
   * (`--decoders learned`); a fixed feedback matrix is never trained.
   */
  trainable: boolean;
}

/** What a hidden block's local loss is computed on, one optimizer step. */
export interface LocalLossInput {
  /** The block's output (after its activation and normalisation), masked by dropout when on. */
  output: tf.Tensor2D;
  /** The step's targets, one row per example. */
  y: tf.Tensor2D;
  /** Per-example weights: 1/|batch|, so a weighted sum is the mean of per-batch means. */
  weights: tf.Tensor1D;
  /** The loss the run chose for hidden blocks (`--hidden-loss`). */
  hiddenLoss: LossName;
  /**
   * Optional: the block's output before its length normalisation (after the
   * activation, masked as `output` is); the same tensor as `output` when the
   * spec does not normalise. Forward-Forward's goodness reads it, since after
   * normalisation every row has length 1.
   */
  activated?: tf.Tensor2D;
  /** Optional: what the rule's {@link LocalRule.prepareChunk} attached to this step's chunk. */
  context?: Record<string, tf.Tensor>;
}

/** Where a rule's {@link LocalRule.prepareChunk} runs: the network as it stands and the rule's own random stream. */
export interface ChunkContext {
  /** The network whose blocks the chunk will train. */
  network: Network;
  /** The run's stream for the rule (forked from the seed as `rule`), saved in checkpoints. */
  rng: Rng;
}

/** A chunk a rule prepared, and how to free the tensors it made for it. */
export interface PreparedChunk {
  /** The chunk the steps train on instead of the session's. */
  chunk: Chunk;
  /** Frees the tensors the rule made for the chunk, once its steps are done. */
  release(): void;
}

/**
 * A rule bound to one hidden block: the loss the block learns from and how
 * its output reads as a prediction. Its tensors live in the network (so
 * checkpoints, snapshots and threads carry them); it only computes.
 */
export interface BlockRule {
  /** The variables the rule trains with the block when decoders are learned. */
  readonly trainable: tf.Variable[];
  /** Every variable the rule holds for this block, in {@link LocalRule.tensors} order. */
  readonly variables: tf.Variable[];
  /** The block's local loss: a weighted scalar, differentiable in the block's output and the rule's variables. */
  loss(input: LocalLossInput): tf.Scalar;
  /**
   * What the block's output predicts, as accuracy reads it (the class is
   * the argmax, or for one output the value ≥ 0.5): probabilities for bce,
   * logits for ce, raw values for mse. Null when the rule has no read-out
   * of its own.
   */
  probe(output: tf.Tensor2D, hiddenLoss: LossName): tf.Tensor2D | null;
}


/**
 * What a hidden block learns from: a local learning rule. A rule declares
 * the tensors it adds per hidden block (with their names in checkpoints),
 * how they start, and, bound to a block, its loss and its read-out.
 * Adding a rule is one module exporting a `LocalRule` and one call to
 * {@link registerRule}; every schedule then trains with it (`--rule NAME`).
 */
export interface LocalRule {
  readonly name: string;
  /** One line: what the rule is, and the paper or note it comes from. */
  readonly description: string;
  /** The tensors this rule adds for hidden block `block` of `spec`. */
  tensors(spec: ModelSpec, block: number): RuleTensor[];
  /**
   * Initial values of {@link LocalRule.tensors} for hidden block `block`,
   * drawn from `rng` in the order listed (the stream continues from the
   * blocks' own initialisation, so the blocks start the same under every rule).
   */
  initialize(spec: ModelSpec, block: number, rng: Rng): Record<string, PlainTensor>;
  /** Binds the rule to hidden block `block`, given its variables by checkpoint name (held in the network's internal layout: see `internalLayout`). */
  bind(spec: ModelSpec, block: number, variables: Record<string, tf.Variable>): BlockRule;

  // The members below are optional: a rule without them behaves as the decoder rule does.

  /**
   * The rule with its own options (`--ff-threshold` reaches Forward-Forward
   * as `ffThreshold`); keys of other rules are ignored, its own are checked.
   */
  withOptions?(options: Record<string, unknown>): LocalRule;
  /**
   * The options the rule reads (`--ff-*`), as rows of the option table: the
   * CLI's flags, config keys and the playground's controls are made from them.
   */
  readonly optionTable?: readonly OptionDef[];
  /** The rule's resolved options, as a run records them (absent: none). */
  readonly options?: Record<string, unknown>;
  /** Why `schedule` cannot train with this rule (one line, with what to do instead), or null. */
  refuseSchedule?(schedule: Pick<Schedule, 'name' | 'trainsRule' | 'oneBlockAtATime' | 'optionGroups'>): string | null;
  /** The data's input width for `spec` (Forward-Forward on 2-D data appends the label); default `layers[0]`. */
  dataInputs?(spec: ModelSpec): number;
  /**
   * The first block's input for data rows `x` outside training: in
   * evaluation, prediction and pictures (Forward-Forward: `x` with the
   * neutral label). Default `x` itself.
   */
  evaluationInput?(x: tf.Tensor2D, spec: ModelSpec): tf.Tensor2D;
  /**
   * Rewrites a training chunk before any block steps on it: Forward-Forward
   * stacks positive, negative and neutral rows; DFA adds the output error of
   * one forward pass (`context`) and every block's input from that pass
   * (`blockInputs`). Schedules then step on the prepared chunk.
   */
  prepareChunk?(chunk: Chunk, context: ChunkContext): PreparedChunk;
  /**
   * The network's prediction for data rows `x` when it is not the output
   * block's (Forward-Forward's goodness over labels): scores [rows, outputs]
   * whose argmax is the class; null to use the output block.
   */
  predict?(network: Network, x: tf.Tensor2D): tf.Tensor2D | null;
  /**
   * True when the blocks have no read-out of their own ({@link BlockRule.probe}
   * gives null): evaluation then fits a linear probe per block on the
   * training set (see `src/rules/probe.ts`) and reports its accuracy.
   */
  readonly fitsProbes?: boolean;
  /**
   * Optional. Under this rule the output block's loss is multiplied by this
   * factor when it learns locally (predsim's 1-β, as Nøkland & Eidnes do);
   * back-propagation's loss is never scaled. Absent: 1.
   */
  readonly outputLossScale?: number;
  /**
   * Optional. True when the rule's loss compares the examples of a batch
   * with one another (sim), so it has no per-example form: one step per
   * epoch on summed batch losses (`--step epoch`) is refused.
   */
  readonly needsBatches?: boolean;
  /**
   * Optional. False when the hidden blocks' local loss is not the run's
   * hidden loss on a read-out (Forward-Forward's logistic loss around θ),
   * so the divergence check's bound of ten uniform guesses does not apply
   * to it: with summed goodness and θ at the width it starts in the
   * hundreds and trains. Non-finite losses still count as diverged.
   */
  readonly hiddenLossIsReadout?: boolean;
  /**
   * Optional. True when the output block's weight starts at zero under this
   * rule (Nøkland & Eidnes' local losses); {@link initialParameters} zeroes
   * it after every draw, so the other tensors are as without it.
   */
  readonly zeroOutputWeight?: boolean;
  /**
   * Optional. How {@link initialParameters} draws the blocks' weights and
   * biases: PyTorch's `nn.Linear` default (`torch`, when absent), or
   * `normal-by-width`: weights normal with std 1/√(the block's output
   * width) and biases 0 (loeweX's Forward-Forward), from the same stream.
   */
  readonly blockInit?: 'torch' | 'normal-by-width';
  /**
   * Optional. True when every block's weight and bias start at zero under
   * this rule (DFA's `--dfa-init zero`, Nøkland's start); batch norm keeps
   * its own start. {@link initialParameters} zeroes them after every draw,
   * so the rule's own tensors are those drawn without it.
   */
  readonly zeroBlocks?: boolean;
  /**
   * Optional. How a local step's memory under this rule differs from the
   * decoder rule's, for the estimates of src/metrics/memory.ts: the rows a
   * step holds per example (Forward-Forward stacks positive, negative and
   * neutral copies), and numbers per example it keeps besides (DFA: every
   * block's input from its one forward pass and the output error; sim: its
   * map's output and the batch's similarity matrices, `rows` wide). Absent:
   * one row, nothing more.
   */
  stepMemory?(spec: ModelSpec, rows: number): StepMemory;
}

/** See {@link LocalRule.stepMemory}. */
export interface StepMemory {
  rowsPerExample: number;
  extraPerExample: number;
}

/**
 * Whether a rule tensor is held transposed on the backend: 2-D weights are
 * held [in, out] so the forward product needs no transpose, and stored
 * [out, in] as PyTorch does.
 */
export function internalLayout(tensor: RuleTensor): 'transposed' | 'as-is' {
  return tensor.shape.length === 2 ? 'transposed' : 'as-is';
}
