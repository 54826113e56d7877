import { tf } from '../engine/backend.js';
import { dense } from '../engine/dense.js';
import type { LossName, ModelSpec } from '../model/spec.js';
import type { PlainTensor } from '../model/parameters.js';
import type { Rng } from '../util/rng.js';
import type { BlockRule, LocalLossInput, LocalRule, RuleTensor } from './rule.js';
import { outputsOf, readoutLoss, readoutScores } from './decoder.js';
import { blockOutputSize } from '../model/shapes.js';

/** A linear decoder with bias from a hidden block to the targets; weight held as [hidden, outputs]. */
export class PredDecoder implements BlockRule {
  constructor(readonly weight: tf.Variable<tf.Rank.R2>, readonly bias: tf.Variable<tf.Rank.R1>) {}

  get trainable(): tf.Variable[] {
    return [this.weight, this.bias];
  }

  get variables(): tf.Variable[] {
    return [this.weight, this.bias];
  }

  /** The decoder's logits (the block's output is the decoder's input, whose gradient the block learns from). */
  apply(h: tf.Tensor2D): tf.Tensor2D {
    return dense(h, this.weight, this.bias);
  }

  loss(input: LocalLossInput): tf.Scalar {
    return readoutLoss(this.apply(input.output), input);
  }

  probe(output: tf.Tensor2D, hiddenLoss: LossName): tf.Tensor2D {
    return readoutScores(this.apply(output), hiddenLoss);
  }
}

/** pred's tensors for hidden block `block`: `decoders.{i}.weight` [outputs, hidden], `decoders.{i}.bias` [outputs]. */
export function predTensors(spec: ModelSpec, block: number): RuleTensor[] {
  const outputs = outputsOf(spec);
  return [
    { name: `decoders.${block}.weight`, shape: [outputs, blockOutputSize(spec, block)], trainable: true },
    { name: `decoders.${block}.bias`, shape: [outputs], trainable: true },
  ];
}

/**
 * pred's initial tensors: the weight zero (as Nøkland & Eidnes set it), the
 * bias as PyTorch's `nn.Linear` draws it, uniform on ±1/√hidden.
 */
export function predInitialize(spec: ModelSpec, block: number, rng: Rng): Record<string, PlainTensor> {
  const [w, b] = predTensors(spec, block);
  const bound = 1 / Math.sqrt(w.shape[1]);
  const bias = new Float32Array(b.shape[0]);
  for (let k = 0; k < bias.length; k++) bias[k] = rng.uniformIn(-bound, bound);
  return { [w.name]: { shape: w.shape, data: new Float32Array(w.shape[0] * w.shape[1]) }, [b.name]: { shape: b.shape, data: bias } };
}

export function bindPred(block: number, variables: Record<string, tf.Variable>): PredDecoder {
  return new PredDecoder(variables[`decoders.${block}.weight`] as tf.Variable<tf.Rank.R2>, variables[`decoders.${block}.bias`] as tf.Variable<tf.Rank.R1>);
}

/**
 * Nøkland & Eidnes' `pred` (ICML 2019): each hidden block learns through a
 * linear decoder with bias `Linear(hidden, outputs)`, weight starting at
 * zero, by the hidden loss (cross-entropy on its logits by default, theirs).
 * The output block's weight starts at zero too, as in their code.
 */
export const predRule: LocalRule = {
  name: 'pred',
  description: "a linear decoder with bias (weight from zero) to the targets, cross-entropy (Nøkland & Eidnes 2019, 'pred')",
  tensors: predTensors,
  initialize: predInitialize,
  bind: (_spec, block, variables) => bindPred(block, variables),
  zeroOutputWeight: true,
};
