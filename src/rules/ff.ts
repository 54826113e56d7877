import { tf } from '../engine/backend.js';
import type { Block, Network } from '../model/network.js';
import type { ModelSpec } from '../model/spec.js';
import type { Chunk } from '../train/session.js';
import { check } from '../util/errors.js';
import { rmsNormalizeRows } from '../model/activations.js';
import type { Rng } from '../util/rng.js';
import { FF_DEFAULTS, FF_OPTIONS } from './ff-options.js';
import type { BlockRule, ChunkContext, LocalLossInput, LocalRule, PreparedChunk, RuleTensor } from './rule.js';
import { blockCount, blockOutputSize, inputSize, outputSize } from '../model/shapes.js';
import { formatLayers } from '../model/spec.js';

/**
 * Hinton's Forward-Forward (2022), supervised: every hidden block learns to
 * give high goodness to positive data (the input with its true label
 * embedded) and low goodness to negative data (the same input with a wrong
 * label), through the logistic loss around a threshold θ. Block i's
 * goodness is taken on its activated output before the length
 * normalisation that the next block reads. The spec's output block is a
 * linear softmax read-out on the last hidden block's normalised output for
 * the neutral label (every label slot at 1/C), trained on its output loss
 * like any local block's; the prediction is by goodness unless `predict`
 * is `readout`. See docs/rules-ff-dfa.md.
 */
export interface FFOptions {
  /** θ: a row is "positive" when its goodness exceeds it. */
  threshold: number;
  /** Goodness: the sum or the mean of the squared activities. */
  goodness: 'sum' | 'mean';
  /** Where the label goes: over the first C inputs (images, as the paper) or appended after them (2-D points). */
  embed: 'pixels' | 'append';
  /** What `testAccuracy` reports: the label of highest accumulated goodness, or the read-out. */
  predict: 'goodness' | 'readout';
  /** Whether the output block (the read-out) trains, on neutral rows; off saves a third of each step. */
  readout: boolean;
  /** Which blocks' goodness the prediction sums: all hidden blocks, or all but the first (the paper's choice for deep nets). */
  goodnessBlocks: 'all' | 'after-first';
  /**
   * loeweX's peer normalisation: the weight of a loss that pulls every
   * unit's running mean activity on positive rows (momentum 0.9, from 0.5)
   * toward the block's mean of them, so no unit dies or dominates. 0: off.
   */
  peerNorm: number;
  /**
   * loeweX's input scaling: each first-block row, label embedded, scaled to
   * mean square 1 (`rms`), so a faint digit reaches block 0 as strongly as
   * a bold one; `off` passes the rows as they are.
   */
  inputNorm: 'off' | 'rms';
  /** The blocks' initial weights: PyTorch's (`torch`) or loeweX's normal ones, read-out at 0 (`normal`; see {@link LocalRule.blockInit}). */
  init: 'torch' | 'normal';
}

/** loeweX's momentum of the running mean activity that peer normalisation reads. */
export const PEER_MOMENTUM = 0.9;

/** The checkpoint name of hidden block `block`'s peer-normalisation means. */
const peerMeanName = (block: number) => `ff.${block}.peer_mean`;

export { FF_DEFAULTS };

/** The number of labels FF embeds: the outputs, or 2 for one 0/1 output. */
export function labelCount(spec: ModelSpec): number {
  return Math.max(2, outputSize(spec));
}

/** Each row's class from targets `y`: the argmax, or y ≥ 0.5 for one output. */
export function trueLabels(y: tf.Tensor2D): Int32Array {
  const labels = tf.tidy(() => (y.shape[1] === 1 ? tf.cast(tf.greaterEqual(tf.reshape(y, [-1]), 0.5), 'int32') : tf.argMax(y, 1)));
  const out = Int32Array.from(labels.dataSync());
  labels.dispose();
  return out;
}

/**
 * A wrong label for every row, uniform over the C-1 labels that are not
 * the row's own: never the true one (one draw of `rng` per row).
 */
export function wrongLabels(labels: Int32Array, classes: number, rng: Rng): Int32Array {
  check(classes >= 2, 'Forward-Forward needs two or more labels to draw a wrong one');
  return labels.map((l) => (l + 1 + rng.int(classes - 1)) % classes);
}

/** Goodness of each row of activities `a`: Σ a² or mean a². */
export function goodnessOf(a: tf.Tensor2D, kind: FFOptions['goodness']): tf.Tensor1D {
  const squares = tf.square(a);
  return (kind === 'sum' ? tf.sum(squares, 1) : tf.mean(squares, 1)) as tf.Tensor1D;
}

/**
 * FF's loss on rows with goodness `g` and sign s (+1 positive, -1 negative,
 * 0 not a FF row): Σ wᵣ·softplus(-sᵣ(gᵣ - θ)), i.e. -log σ(g - θ) for a
 * positive row and -log σ(θ - g) for a negative one.
 */
export function ffLoss(g: tf.Tensor1D, sign: tf.Tensor1D, weights: tf.Tensor1D, threshold: number): tf.Scalar {
  return tf.sum(tf.mul(weights, tf.softplus(tf.neg(tf.mul(sign, tf.sub(g, threshold)))))) as tf.Scalar;
}

class FFBlock implements BlockRule {
  readonly trainable: tf.Variable[] = [];
  readonly variables: tf.Variable[];
  constructor(
    private readonly options: FFOptions,
    /** Peer normalisation's running mean activity per unit, when it is on. */
    private readonly peerMean?: tf.Variable,
  ) {
    this.variables = peerMean ? [peerMean] : [];
  }

  loss({ output, activated, context }: LocalLossInput): tf.Scalar {
    check(context?.sign !== undefined && context.ffWeights !== undefined, 'rule ff learns from chunks it prepared itself (positive and negative rows); this step has none');
    // Goodness before the length normalisation: after it every row has the same length.
    const a = activated ?? output;
    const g = goodnessOf(a, this.options.goodness);
    const ff = ffLoss(g, context.sign as tf.Tensor1D, context.ffWeights as tf.Tensor1D, this.options.threshold);
    if (!this.peerMean) return ff;
    return tf.add(ff, tf.mul(peerLoss(a, context.sign as tf.Tensor1D, this.peerMean), this.options.peerNorm)) as tf.Scalar;
  }

  probe(): null {
    return null;
  }
}

/**
 * Peer normalisation's loss on activities `a` (rows with sign +1 are the
 * positive ones): the running means m ← 0.9·m + 0.1·(this batch's mean
 * activity on positive rows), then mean over units of (mean(m) - m)². The
 * gradient reaches this batch's activities only; the new means are kept in
 * `running` (a training step's side effect, as batch norm's statistics).
 */
export function peerLoss(a: tf.Tensor2D, sign: tf.Tensor1D, running: tf.Variable): tf.Scalar {
  const positive = tf.cast(tf.greater(sign, 0), 'float32');
  const batchMean = tf.div(tf.sum(tf.mul(a, tf.expandDims(positive, 1)), 0), tf.maximum(tf.sum(positive), 1));
  const means = tf.add(tf.mul(running, PEER_MOMENTUM), tf.mul(batchMean, 1 - PEER_MOMENTUM));
  running.assign(tf.clone(means));
  return tf.mean(tf.square(tf.sub(tf.mean(means), means))) as tf.Scalar;
}

/** The rows `x` with the labels given per row as one-hot `labels` [rows, C] (or soft, for the neutral label) embedded as `embed` says. */
export function embedLabels(x: tf.Tensor2D, labels: tf.Tensor2D, embed: FFOptions['embed']): tf.Tensor2D {
  const c = labels.shape[1];
  if (embed === 'append') return tf.concat([x, labels], 1);
  return tf.concat([labels, x.slice([0, c], [-1, -1])], 1);
}

/** What block 0 reads under `o`: `x` with `labels` embedded, then scaled when `inputNorm` asks. */
function labelled(x: tf.Tensor2D, labels: tf.Tensor2D, o: FFOptions): tf.Tensor2D {
  const embedded = embedLabels(x, labels, o.embed);
  return o.inputNorm === 'rms' ? rmsNormalizeRows(embedded) : embedded;
}

function oneHotRows(labels: Int32Array, classes: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), classes), 'float32') as tf.Tensor2D);
}

/** Rows scored at a time by the goodness prediction, so a pass per label over 60 000 rows stays small. */
const PREDICT_ROWS = 10_000;

/** The Forward-Forward rule with `options`; the registered `ff` rule has {@link FF_DEFAULTS}. */
export function forwardForward(given: Partial<FFOptions> = {}): LocalRule {
  const o: FFOptions = { ...FF_DEFAULTS, ...given };
  check(Number.isFinite(o.threshold), `--ff-threshold must be a number, got ${o.threshold}`);
  check(Number.isFinite(o.peerNorm) && o.peerNorm >= 0, `--ff-peer-norm is a weight ≥ 0 (loeweX: 0.03; 0 turns it off), got ${o.peerNorm}`);
  check(o.predict !== 'readout' || o.readout, '--ff-predict readout needs the read-out trained; drop --ff-readout off');
  // Peer normalisation's running means, one per hidden unit, when it is on.
  const peerTensors = (spec: ModelSpec, block: number): RuleTensor[] => (o.peerNorm > 0 ? [{ name: peerMeanName(block), shape: [blockOutputSize(spec, block)], trainable: false }] : []);
  const counted = (spec: ModelSpec, block: number) => o.goodnessBlocks === 'all' || blockCount(spec) <= 2 || block > 0;

  const rule: LocalRule = {
    name: 'ff',
    description: "Forward-Forward: each block's goodness high on positive, low on negative labelled data (Hinton 2022)",
    // Under the run options' own names, so a thread or a resumed run given these options makes the same rule.
    // Peer normalisation only when on, so the runs recorded before it existed keep their options.
    // So are the input scaling and the initialisation, when not the defaults.
    options: {
      ffThreshold: o.threshold, ffGoodness: o.goodness, ffEmbed: o.embed, ffPredict: o.predict, ffReadout: o.readout ? 'on' : 'off', ffGoodnessBlocks: o.goodnessBlocks,
      ...(o.peerNorm > 0 ? { ffPeerNorm: o.peerNorm } : {}),
      ...(o.inputNorm !== FF_DEFAULTS.inputNorm ? { ffInputNorm: o.inputNorm } : {}),
      ...(o.init !== FF_DEFAULTS.init ? { ffInit: o.init } : {}),
    },
    optionTable: FF_OPTIONS,
    fitsProbes: true,
    hiddenLossIsReadout: false,
    ...(o.init === 'normal' ? { blockInit: 'normal-by-width' as const, zeroOutputWeight: true } : {}),
    tensors: peerTensors,
    // loeweX starts every running mean at 0.5; nothing is drawn, so the blocks start as without it.
    initialize: (spec, block) => Object.fromEntries(peerTensors(spec, block).map((t) => [t.name, { shape: t.shape, data: new Float32Array(t.shape[0]).fill(0.5) }])),
    bind(spec, block, variables) {
      const c = labelCount(spec);
      check(spec.hidden.normalize, `rule ff length-normalises each block's output before the next block, as the paper does: add normalize to the hidden blocks (--model "${formatLayers(spec)} hidden=${spec.hidden.activation},normalize")`);
      check(blockCount(spec) >= 2, 'rule ff trains hidden blocks: the model needs at least one (like 784-500-500-10)');
      check(o.embed === 'append' || inputSize(spec) > c, `rule ff embeds the label over the first ${c} inputs, but the model takes ${inputSize(spec)}; for 2-D points use --ff-embed append`);
      return new FFBlock(o, o.peerNorm > 0 ? variables[peerMeanName(block)] : undefined);
    },
    withOptions: (options) => forwardForward({ ...given, ...ffOptionsFrom(options) }),
    refuseSchedule(schedule) {
      if (!schedule.trainsRule) return `rule ff trains each block from its own goodness, which ${schedule.name} ignores; run ${schedule.name} with --rule decoder (or leave it out of --schedules)`;
      // Its gates follow the drift of blocks' inputs on unlabelled training rows, which FF's blocks never read.
      if (schedule.optionGroups?.includes('gate')) return `rule ff does not run under ${schedule.name} (its gates track inputs FF's blocks never see); use local-parallel or local-sequential`;
      return null;
    },
    dataInputs: (spec) => (o.embed === 'append' ? inputSize(spec) - labelCount(spec) : inputSize(spec)),
    evaluationInput(x, spec) {
      const c = labelCount(spec);
      return tf.tidy(() => labelled(x, tf.fill([x.shape[0], c], 1 / c) as tf.Tensor2D, o));
    },
    prepareChunk: (chunk, context) => prepareFFChunk(chunk, context, o),
    stepMemory: () => ({ rowsPerExample: o.readout ? 3 : 2, extraPerExample: 0 }),
    predict(network: Network, x: tf.Tensor2D) {
      if (o.predict === 'readout') return null;
      const spec = network.spec;
      const c = labelCount(spec);
      const hidden = network.blocks.slice(0, -1);
      const parts: tf.Tensor2D[] = [];
      for (let start = 0; start < x.shape[0]; start += PREDICT_ROWS) {
        parts.push(
          tf.tidy(() => {
            const rows = x.slice([start, 0], [Math.min(PREDICT_ROWS, x.shape[0] - start), -1]);
            const perLabel = Array.from({ length: c }, (_, label) => accumulatedGoodness(hidden, labelled(rows, oneHotRows(new Int32Array(rows.shape[0]).fill(label), c), o), (b) => counted(spec, b), o.goodness));
            const scores = tf.stack(perLabel, 1) as tf.Tensor2D;
            // One 0/1 output: accuracy reads a probability, ≥ 0.5 when label 1 is the better.
            return outputSize(spec) === 1 ? (tf.sigmoid(tf.sub(scores.slice([0, 1], [-1, 1]), scores.slice([0, 0], [-1, 1]))) as tf.Tensor2D) : scores;
          }),
        );
      }
      const all = parts.length === 1 ? parts[0] : (tf.concat(parts, 0) as tf.Tensor2D);
      if (parts.length > 1) tf.dispose(parts);
      return all;
    },
  };
  return rule;
}

/** Σ over the counted hidden blocks of each row's goodness, the rows `input` going through the blocks as the network passes them. */
export function accumulatedGoodness(hidden: Block[], input: tf.Tensor2D, counted: (block: number) => boolean, kind: FFOptions['goodness']): tf.Tensor1D {
  return tf.tidy(() => {
    let h = input;
    let total: tf.Tensor1D = tf.zeros([input.shape[0]]);
    for (const block of hidden) {
      const a = block.activated(block.logits(h));
      if (counted(block.index)) total = tf.add(total, goodnessOf(a, kind));
      h = block.normalized(a);
    }
    return total;
  });
}

/**
 * Stacks a chunk's rows as [positive; negative; neutral]: each input with
 * its true label, with a wrong label from the rule's stream, and with the
 * neutral label (only when the read-out trains), each scaled as
 * `inputNorm` says. The hidden blocks' FF loss
 * weighs positive and negative rows w/2 each (the mean over both, per
 * batch); the output block's loss weighs the neutral rows w, the others 0.
 */
function prepareFFChunk(chunk: Chunk, { rng }: ChunkContext, o: FFOptions): PreparedChunk {
  const rows = chunk.x.shape[0];
  const c = Math.max(2, chunk.y.shape[1]);
  const labels = trueLabels(chunk.y);
  const wrong = wrongLabels(labels, c, rng);
  const made = tf.tidy(() => {
    const parts = [labelled(chunk.x, oneHotRows(labels, c), o), labelled(chunk.x, oneHotRows(wrong, c), o)];
    if (o.readout) parts.push(labelled(chunk.x, tf.fill([rows, c], 1 / c) as tf.Tensor2D, o));
    const copies = parts.length;
    const half = tf.mul(chunk.weights, 0.5);
    const none = tf.zerosLike(chunk.weights);
    return {
      x: tf.concat(parts, 0) as tf.Tensor2D,
      y: tf.concat(Array.from({ length: copies }, () => chunk.y), 0) as tf.Tensor2D,
      weights: tf.concat(o.readout ? [none, none, chunk.weights] : [none, none], 0) as tf.Tensor1D,
      ffWeights: tf.concat(o.readout ? [half, half, none] : [half, half], 0) as tf.Tensor1D,
      sign: tf.concat([tf.onesLike(chunk.weights), tf.neg(tf.onesLike(chunk.weights)), ...(o.readout ? [none] : [])], 0) as tf.Tensor1D,
    };
  });
  return {
    chunk: { indices: chunk.indices, x: made.x, y: made.y, weights: made.weights, context: { sign: made.sign, ffWeights: made.ffWeights } },
    release: () => tf.dispose([made.x, made.y, made.weights, made.sign, made.ffWeights]),
  };
}

/** Forward-Forward's options from a run's rule options (`ffThreshold`, ...), checked; absent keys are left out. */
export function ffOptionsFrom(options: Record<string, unknown>): Partial<FFOptions> {
  const out: Partial<FFOptions> = {};
  const pick = <K extends keyof FFOptions>(key: K, name: string, allowed?: readonly string[]) => {
    const v = options[name];
    if (v === undefined) return;
    if (allowed) check(typeof v === 'string' && allowed.includes(v), `--${kebab(name)} must be one of ${allowed.join(', ')}, got "${String(v)}"`);
    out[key] = v as FFOptions[K];
  };
  if (options.ffThreshold !== undefined) {
    check(typeof options.ffThreshold === 'number' && Number.isFinite(options.ffThreshold), `--ff-threshold must be a number, got ${String(options.ffThreshold)}`);
    out.threshold = options.ffThreshold;
  }
  pick('goodness', 'ffGoodness', ['sum', 'mean']);
  pick('embed', 'ffEmbed', ['pixels', 'append']);
  pick('predict', 'ffPredict', ['goodness', 'readout']);
  pick('goodnessBlocks', 'ffGoodnessBlocks', ['all', 'after-first']);
  pick('inputNorm', 'ffInputNorm', ['off', 'rms']);
  pick('init', 'ffInit', ['torch', 'normal']);
  if (options.ffPeerNorm !== undefined) {
    check(typeof options.ffPeerNorm === 'number' && Number.isFinite(options.ffPeerNorm) && options.ffPeerNorm >= 0, `--ff-peer-norm is a weight ≥ 0 (loeweX: 0.03), got ${String(options.ffPeerNorm)}`);
    out.peerNorm = options.ffPeerNorm;
  }
  if (options.ffReadout !== undefined) {
    check(options.ffReadout === 'on' || options.ffReadout === 'off' || typeof options.ffReadout === 'boolean', `--ff-readout must be on or off, got "${String(options.ffReadout)}"`);
    out.readout = options.ffReadout === 'on' || options.ffReadout === true;
  }
  return out;
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The registered `ff` rule, with {@link FF_DEFAULTS}. */
export const ffRule: LocalRule = forwardForward();
