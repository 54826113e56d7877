import { tf } from '../engine/backend.js';
import { linear } from '../engine/dense.js';
import { weightedLoss } from '../losses/losses.js';
import type { LossName, ModelSpec } from '../model/spec.js';
import type { PlainTensor } from '../model/parameters.js';
import type { Rng } from '../util/rng.js';
import type { BlockRule, LocalLossInput, LocalRule } from './rule.js';
import { blockOutputSize, outputSize } from '../model/shapes.js';

/** The linear map without bias from a hidden block's output to the targets; weight held as [hidden, outputs]. */
export class Decoder implements BlockRule {
  constructor(readonly index: number, readonly weight: tf.Variable<tf.Rank.R2>) {}

  /** The decoder's read-out of a block's output `h`. */
  apply(h: tf.Tensor2D): tf.Tensor2D {
    return linear(h, this.weight);
  }

  get trainable(): tf.Variable[] {
    return [this.weight];
  }

  get variables(): tf.Variable[] {
    return [this.weight];
  }

  loss(input: LocalLossInput): tf.Scalar {
    return readoutLoss(this.apply(input.output), input);
  }

  probe(output: tf.Tensor2D, hiddenLoss: LossName): tf.Tensor2D {
    return readoutScores(this.apply(output), hiddenLoss);
  }
}

/** A linear read-out's output as accuracy reads it: probabilities for bce, the raw values (logits for ce) otherwise. */
export function readoutScores(decoded: tf.Tensor2D, hiddenLoss: LossName): tf.Tensor2D {
  return hiddenLoss === 'bce' ? tf.sigmoid(decoded) : decoded;
}

/** The hidden loss of a linear read-out's output against the step's targets. */
export function readoutLoss(decoded: tf.Tensor2D, { y, weights, hiddenLoss }: LocalLossInput): tf.Scalar {
  return weightedLoss(hiddenLoss, readoutScores(decoded, hiddenLoss), y, weights);
}

/** The model's output width: what a read-out predicts. */
export const outputsOf = (spec: ModelSpec) => outputSize(spec);

/**
 * Mertens' rule, localprop's default: each hidden block learns through a
 * bias-free linear decoder `Linear(hidden, outputs, bias=False)` to the
 * targets, initialised as PyTorch initialises `nn.Linear` (uniform on
 * ±1/√hidden), trained with the block unless decoders are fixed.
 */
export const decoderRule: LocalRule = {
  name: 'decoder',
  description: "a bias-free linear decoder from the block to the targets (Mertens' note; the default)",
  tensors: (spec, block) => [{ name: `decoders.${block}.weight`, shape: [outputsOf(spec), blockOutputSize(spec, block)], trainable: true }],
  initialize(spec, block, rng: Rng): Record<string, PlainTensor> {
    const [t] = this.tensors(spec, block);
    const bound = 1 / Math.sqrt(t.shape[1]);
    const data = new Float32Array(t.shape[0] * t.shape[1]);
    for (let k = 0; k < data.length; k++) data[k] = rng.uniformIn(-bound, bound);
    return { [t.name]: { shape: t.shape, data } };
  },
  bind: (_spec, block, variables) => new Decoder(block, variables[`decoders.${block}.weight`] as tf.Variable<tf.Rank.R2>),
};
