import { tf } from '../engine/backend.js';
import { linear } from '../engine/dense.js';
import type { ModelSpec } from '../model/spec.js';
import type { PlainTensor } from '../model/parameters.js';
import type { Rng } from '../util/rng.js';
import type { BlockRule, LocalLossInput, LocalRule, RuleTensor, StepMemory } from './rule.js';
import { similarityLoss } from './similarity.js';
import { blockOutputSize, hiddenBlocks } from '../model/shapes.js';

/** A bias-free `Linear(hidden, hidden)` before the similarity matrix; weight held as [hidden, hidden] (in, out). */
export class SimilarityMap implements BlockRule {
  constructor(readonly weight: tf.Variable<tf.Rank.R2>) {}

  get trainable(): tf.Variable[] {
    return [this.weight];
  }

  get variables(): tf.Variable[] {
    return [this.weight];
  }

  /** MSE between the similarity matrices of the mapped output and of the targets; a batch's own mean, so `weights` is not read. */
  loss({ output, y }: LocalLossInput): tf.Scalar {
    return similarityLoss(linear(output, this.weight), y);
  }

  /** No read-out of its own: evaluation fits a probe on training rows (see {@link LocalRule.fitsProbes}). */
  probe(): null {
    return null;
  }
}

/** sim's tensor for hidden block `block`: `sim.{i}.weight` [hidden, hidden]. */
export function simTensors(spec: ModelSpec, block: number): RuleTensor[] {
  const width = blockOutputSize(spec, block);
  return [{ name: `sim.${block}.weight`, shape: [width, width], trainable: true }];
}

/** PyTorch's `nn.Linear` initialisation of the map: uniform on ±1/√hidden. */
export function simInitialize(spec: ModelSpec, block: number, rng: Rng): Record<string, PlainTensor> {
  const [t] = simTensors(spec, block);
  const bound = 1 / Math.sqrt(t.shape[1]);
  const data = new Float32Array(t.shape[0] * t.shape[1]);
  for (let k = 0; k < data.length; k++) data[k] = rng.uniformIn(-bound, bound);
  return { [t.name]: { shape: t.shape, data } };
}

/**
 * What sim holds per example beyond a decoder rule's step, on the widest
 * hidden block: its map's output and that output centred and normalised,
 * and a row of each similarity matrix (the block's and the labels', `rows`
 * wide).
 */
export function simStepMemory(spec: ModelSpec, rows: number): StepMemory {
  const widest = Math.max(...hiddenBlocks(spec).map((i) => blockOutputSize(spec, i)));
  return { rowsPerExample: 1, extraPerExample: 2 * widest + 2 * rows };
}

/**
 * Nøkland & Eidnes' `sim` (ICML 2019): each hidden block's output goes
 * through a bias-free `Linear(hidden, hidden)`; the batch's similarity
 * matrix of that (rows centred, L2-normalised, products clamped to ±1) is
 * matched by MSE to the similarity matrix of the one-hot targets. It has no
 * read-out: a block's probe accuracy comes from the linear probe evaluation
 * fits on training rows (`fitsProbes`). The output block's weight starts at zero, as in their code.
 */
export const simRule: LocalRule = {
  name: 'sim',
  description: "match the batch's cosine-similarity matrix of a linear map of the block to the labels' (Nøkland & Eidnes 2019, 'sim')",
  tensors: simTensors,
  initialize: simInitialize,
  bind: (_spec, block, variables) => new SimilarityMap(variables[`sim.${block}.weight`] as tf.Variable<tf.Rank.R2>),
  needsBatches: true,
  zeroOutputWeight: true,
  fitsProbes: true,
  stepMemory: simStepMemory,
};
