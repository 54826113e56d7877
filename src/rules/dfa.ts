import { tf } from '../engine/backend.js';
import { linear } from '../engine/dense.js';
import { weightedLoss } from '../losses/losses.js';
import type { Network } from '../model/network.js';
import type { ModelSpec } from '../model/spec.js';
import type { PlainTensor } from '../model/parameters.js';
import type { Chunk } from '../train/session.js';
import type { Rng } from '../util/rng.js';
import { check } from '../util/errors.js';
import { activate, type Activation } from '../model/activations.js';
import { DFA_DEFAULT_INIT, DFA_OPTIONS, type DfaInit } from './dfa-options.js';
import type { BlockRule, LocalLossInput, LocalRule, PreparedChunk } from './rule.js';
import { blockOutputSize, modelShapes, outputSize } from '../model/shapes.js';
import { sizeOf } from '../model/blocks/kind.js';

/**
 * Nøkland's direct feedback alignment (NeurIPS 2016). Each step runs the
 * network forward once on the chunk and takes the output error e, the
 * gradient of the output loss with respect to the output block's
 * pre-activation (p - y for softmax with cross-entropy or sigmoid with
 * binary cross-entropy, times each row's weight 1/|batch|). Hidden block i
 * then learns from B_i·e through a fixed random matrix B_i
 * (`feedback.{i}.weight`, [hidden_i, outputs], never trained): its update
 * is that of the surrogate loss Σ h_i ⊙ (e·B_iᵀ), whose gradient with
 * respect to the block's pre-activation is (B_i e) ⊙ f'(a_i), DFA's. The
 * output block learns from its own loss, as under back-propagation. Every
 * block steps on its input from that one pass, with its own optimizer step.
 */
class FeedbackBlock implements BlockRule {
  readonly trainable: tf.Variable[] = [];
  constructor(readonly feedback: tf.Variable<tf.Rank.R2>) {}

  get variables(): tf.Variable[] {
    return [this.feedback];
  }

  loss({ output, context }: LocalLossInput): tf.Scalar {
    check(context?.error !== undefined, "rule dfa learns from the output error of the chunk's forward pass, which this step lacks");
    // The projected error is a constant of the step: no gradient reaches e or B.
    const signal = linear(context.error as tf.Tensor2D, this.feedback);
    return tf.sum(tf.mul(output, signal)) as tf.Scalar;
  }

  probe(): null {
    return null;
  }
}

const feedbackName = (block: number) => `feedback.${block}.weight`;

/**
 * One forward pass of `network` on `chunk`: every block's input (the
 * chunk's rows for block 0) and the output error e = ∂(output loss)/∂(logits).
 */
export function outputError(network: Network, chunk: Chunk): { inputs: tf.Tensor2D[]; error: tf.Tensor2D } {
  return tf.tidy(() => {
    const blocks = network.blocks;
    const inputs: tf.Tensor2D[] = [chunk.x];
    for (const block of blocks.slice(0, -1)) inputs.push(block.apply(inputs[inputs.length - 1]));
    const last = blocks[blocks.length - 1];
    const logits = last.logits(inputs[inputs.length - 1]);
    const loss = network.spec.loss;
    const error = tf.grad((z: tf.Tensor) => weightedLoss(loss, loss === 'ce' ? (z as tf.Tensor2D) : last.fromLogits(z as tf.Tensor2D), chunk.y, chunk.weights))(logits) as tf.Tensor2D;
    return { inputs, error };
  });
}

/** The slope of `activation` at 0: a block started at zero learns through it, so with 0 (ReLU) it never moves. */
function slopeAtZero(activation: Activation): number {
  return tf.tidy(() => tf.grad((z: tf.Tensor) => tf.sum(activate(activation, z as tf.Tensor2D)))(tf.zeros([1, 1])).dataSync()[0]);
}

/**
 * The DFA rule with its blocks starting as `init` says: `torch` (the
 * registered rule), or `zero`, every block's weight and bias at zero as
 * anokland/dfa-torch starts them under DFA (the paper's "zero initial
 * condition"). The feedback matrices are drawn the same either way.
 */
export function directFeedbackAlignment(init: DfaInit = DFA_DEFAULT_INIT): LocalRule {
  check(init === 'torch' || init === 'zero', `--dfa-init must be torch or zero, got "${String(init)}"`);
  const rule: LocalRule = {
    name: 'dfa',
    description: "direct feedback alignment: each block learns from the output error through a fixed random matrix (Nøkland 2016)",
    fitsProbes: true,
    optionTable: DFA_OPTIONS,
    // Only when not the default, so the runs recorded before the option keep their options (and their ids).
    ...(init !== DFA_DEFAULT_INIT ? { options: { dfaInit: init }, zeroBlocks: true } : {}),
    withOptions: (options) => {
      const wanted = options.dfaInit === undefined ? init : (options.dfaInit as DfaInit);
      if (wanted === init) return rule;
      return wanted === DFA_DEFAULT_INIT ? dfaRule : directFeedbackAlignment(wanted);
    },
    tensors: (spec: ModelSpec, block: number) => [{ name: feedbackName(block), shape: [blockOutputSize(spec, block), outputSize(spec)], trainable: false }],
    /** Uniform on ±1/√hidden_i, as anokland/dfa-torch draws its feedback matrices. */
    initialize(spec: ModelSpec, block: number, rng: Rng): Record<string, PlainTensor> {
      const [t] = rule.tensors(spec, block);
      const bound = 1 / Math.sqrt(t.shape[0]);
      const data = new Float32Array(t.shape[0] * t.shape[1]);
      for (let k = 0; k < data.length; k++) data[k] = rng.uniformIn(-bound, bound);
      return { [t.name]: { shape: t.shape, data } };
    },
    bind: (spec, block, variables) => {
      // From zero every block's pre-activation is 0, where DFA's update (B e) ⊙ f'(0) needs f' to be non-zero.
      if (init === 'zero' && block === 0) {
        const activation = spec.hidden.activation;
        check(slopeAtZero(activation) !== 0, `--dfa-init zero starts every block at 0, where ${activation} passes no gradient, so no block would ever move; use hidden=tanh (the paper's) or sigmoid, or leave --dfa-init at torch`);
      }
      return new FeedbackBlock(variables[feedbackName(block)] as tf.Variable<tf.Rank.R2>);
    },
    refuseSchedule(schedule) {
      if (!schedule.trainsRule) return `rule dfa trains hidden blocks from the output error, which ${schedule.name} ignores; run ${schedule.name} with --rule decoder (or leave it out of --schedules)`;
      // One block at a time on frozen blocks has no meaning for DFA: e comes from the whole network's pass, and the
      // output block it depends on would be untrained (random) during every hidden block's phase.
      if (schedule.oneBlockAtATime) return `rule dfa trains every block from the same forward pass of the whole network; one block at a time (${schedule.name}) would learn from the error of an untrained output block: use local-parallel`;
      return null;
    },
    // The one forward pass keeps every hidden block's output (the next block's input) and the output error.
    stepMemory: (spec: ModelSpec) => ({ rowsPerExample: 1, extraPerExample: modelShapes(spec).blocks.reduce((a, b) => a + sizeOf(b.output), 0) }),
    prepareChunk(chunk: Chunk, { network }): PreparedChunk {
      const { inputs, error } = outputError(network, chunk);
      return {
        chunk: { ...chunk, blockInputs: inputs, context: { error } },
        // inputs[0] is the chunk's own rows, freed with the chunk.
        release: () => tf.dispose([...inputs.slice(1), error]),
      };
    },
  };
  return rule;
}

/** The registered DFA rule, blocks from PyTorch's initialisation; `--dfa-init zero` configures {@link directFeedbackAlignment}. */
export const dfaRule: LocalRule = directFeedbackAlignment();
