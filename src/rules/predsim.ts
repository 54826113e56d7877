import { tf } from '../engine/backend.js';
import type { LossName } from '../model/spec.js';
import type { OptionDef } from '../options/option.js';
import { number } from '../options/values.js';
import { check } from '../util/errors.js';
import { bindPred, predInitialize, predTensors, type PredDecoder } from './pred.js';
import type { BlockRule, LocalLossInput, LocalRule } from './rule.js';
import { SimilarityMap, simInitialize, simStepMemory, simTensors } from './sim.js';

/** Nøkland & Eidnes' β: the similarity loss's share. */
export const DEFAULT_PREDSIM_BETA = 0.99;

/** predsim's option, `--predsim-beta`, with the playground's control while a column trains with predsim. */
export const PREDSIM_OPTIONS = [
  {
    key: 'predsimBeta', flag: '--predsim-beta <b>', help: "rule predsim: the similarity loss's share β in (1-β)·pred + β·sim, in [0, 1] (default 0.99)", parse: number, default: DEFAULT_PREDSIM_BETA,
    owner: { kind: 'rule', rule: 'predsim' },
    page: { label: 'predsim β', group: 'Rules', tier: 'advanced', initial: DEFAULT_PREDSIM_BETA, help: "predsim: the similarity loss's share β, in [0, 1]", control: { kind: 'number', min: 0, max: 1, step: 0.01 } },
  },
] as const satisfies readonly OptionDef[];

/** pred and sim on one block, mixed as (1-β)·pred + β·sim; reads out through pred's decoder. */
export class PredSim implements BlockRule {
  constructor(readonly pred: PredDecoder, readonly sim: SimilarityMap, readonly beta: number) {}

  get trainable(): tf.Variable[] {
    return [...this.pred.trainable, ...this.sim.trainable];
  }

  get variables(): tf.Variable[] {
    return [...this.pred.variables, ...this.sim.variables];
  }

  loss(input: LocalLossInput): tf.Scalar {
    return tf.tidy(() => tf.add(tf.mul(1 - this.beta, this.pred.loss(input)), tf.mul(this.beta, this.sim.loss(input))) as tf.Scalar);
  }

  probe(output: tf.Tensor2D, hiddenLoss: LossName): tf.Tensor2D {
    return this.pred.probe(output, hiddenLoss);
  }
}

/**
 * Nøkland & Eidnes' `predsim` with share β of the similarity loss: pred's
 * tensors then sim's for every hidden block, and the output block's loss
 * scaled by 1-β when it learns locally, as in their code.
 */
export function predsimRule(beta: number = DEFAULT_PREDSIM_BETA): LocalRule {
  check(Number.isFinite(beta) && beta >= 0 && beta <= 1, `--predsim-beta is the similarity loss's share, in [0, 1] (Nøkland & Eidnes use 0.99); got ${beta}`);
  const self: LocalRule = {
    name: 'predsim',
    description: "(1-β)·pred + β·sim, β = 0.99 by default (--predsim-beta); the output loss scaled by 1-β (Nøkland & Eidnes 2019, 'predsim')",
    tensors: (spec, block) => [...predTensors(spec, block), ...simTensors(spec, block)],
    initialize: (spec, block, rng) => ({ ...predInitialize(spec, block, rng), ...simInitialize(spec, block, rng) }),
    bind: (_spec, block, variables) => new PredSim(bindPred(block, variables), new SimilarityMap(variables[`sim.${block}.weight`] as tf.Variable<tf.Rank.R2>), beta),
    outputLossScale: 1 - beta,
    stepMemory: simStepMemory,
    needsBatches: true,
    zeroOutputWeight: true,
    options: { predsimBeta: beta },
    optionTable: PREDSIM_OPTIONS,
    withOptions: (options: Record<string, unknown>) => {
      // Unless told otherwise, a predsim keeps its own β.
      const b = options.predsimBeta === undefined ? beta : Number(options.predsimBeta);
      return b === beta ? self : b === DEFAULT_PREDSIM_BETA ? predsim : predsimRule(b);
    },
  };
  return self;
}

/** The registered instance (β = 0.99): configuring any predsim back to 0.99 gives this very rule. */
export const predsim: LocalRule = predsimRule();
