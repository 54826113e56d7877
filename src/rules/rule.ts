import type { tf } from '../engine/backend.js';
import type { LossName, ModelSpec } from '../model/spec.js';
import type { PlainTensor } from '../model/parameters.js';
import type { Rng } from '../util/rng.js';

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
}

/**
 * Whether a rule tensor is held transposed on the backend: 2-D weights are
 * held [in, out] so the forward product needs no transpose, and stored
 * [out, in] as PyTorch does.
 */
export function internalLayout(tensor: RuleTensor): 'transposed' | 'as-is' {
  return tensor.shape.length === 2 ? 'transposed' : 'as-is';
}
