import { tf } from '../engine/backend.js';
import { batchMeanWeights, epochBatches } from '../data/batches.js';
import type { Dataset } from '../data/dataset.js';
import { perExampleLoss } from '../losses/losses.js';
import type { Network } from '../model/network.js';
import type { LossName } from '../model/spec.js';
import { applyProbe, fitProbe, PROBE_ROWS } from '../rules/probe.js';
import { fusedActive } from '../engine/fused/kernel.js';
import { fusedThresholdAccuracy } from '../engine/fused/accuracy.js';

/** What the network scores on a dataset. */
export interface Evaluation {
  loss: number;
  accuracy: number;
  /**
   * Per block, the accuracy of its decoder on the block's output (how
   * linearly separable that output already is); the last block's is the
   * network's accuracy. Empty when not asked for.
   */
  blockAccuracy: number[];
  /** Per hidden block, the largest |output| over the examples (0: the block outputs zeros only); with `blockAccuracy`. */
  blockPeaks?: number[];
}

/**
 * The network's output loss, Σ wᵢ·lossᵢ / batchCount (with wᵢ = 1/|batch of
 * i| that is the mean of per-batch mean losses), its accuracy and, when
 * `decoderLoss` is given, each block's decoder accuracy (the hidden loss
 * says how a decoder's output reads as a prediction: through a sigmoid for
 * bce). The training-loss path passes null: it needs the loss only, every epoch.
 */
export function evaluateNetwork(network: Network, x: tf.Tensor2D, y: tf.Tensor2D, weights: tf.Tensor1D, batchCount: number, decoderLoss: LossName | null, probeSet?: ProbeSet, ruleAccuracy = decoderLoss !== null): Evaluation {
  const values = tf.tidy(() => {
    const blocks = network.blocks;
    const last = blocks[blocks.length - 1];
    const decoderAccuracies: tf.Scalar[] = [];
    const peaks: tf.Scalar[] = [];
    let h = network.dataInput(x);
    // The probe rows go through the same blocks, so each block's probe is fitted on that block's output.
    let hp = probeSet ? network.dataInput(probeSet.x) : null;
    for (const block of blocks.slice(0, -1)) {
      h = block.apply(h);
      if (hp) hp = block.apply(hp);
      if (decoderLoss === null) continue;
      peaks.push(tf.max(tf.abs(h)));
      let read = network.rules[block.index].probe(h, decoderLoss);
      if (!read && hp) read = applyProbe(h, fitProbe(hp, probeSet!.y));
      // A rule without a read-out of its own, and no probe rows, has no accuracy to report here (NaN, written as null).
      decoderAccuracies.push(read ? accuracyOf(read, y) : tf.scalar(NaN));
    }
    const logits = last.logits(h);
    const lossName = network.spec.loss;
    const probs = last.fromLogits(logits);
    const loss = tf.sum(tf.mul(perExampleLoss(lossName, lossName === 'ce' ? logits : probs, y), weights));
    // A rule may predict otherwise than its output block (Forward-Forward's goodness over labels); the
    // per-epoch training loss does not ask for it (`ruleAccuracy` false): it costs a pass per label.
    const predicted = (ruleAccuracy ? network.rule.predict?.(network, x) : null) ?? probs;
    const accuracy = accuracyOf(predicted, y);
    return tf.stack([tf.div(loss, batchCount), accuracy, ...(decoderLoss === null ? [] : [...decoderAccuracies, accuracy, ...peaks])]);
  });
  const [loss, accuracy, ...rest] = Array.from(values.dataSync());
  values.dispose();
  if (decoderLoss === null) return { loss, accuracy, blockAccuracy: [] };
  const blocks = network.blocks.length;
  return { loss, accuracy, blockAccuracy: rest.slice(0, blocks), blockPeaks: rest.slice(blocks) };
}

/** The training rows a rule without read-outs fits its block probes on (see `src/rules/probe.ts`). */
export interface ProbeSet {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
}

/** The first {@link PROBE_ROWS} rows of `train` on the backend, as probes are fitted on. */
export function probeSetOf(train: Dataset): ProbeSet {
  const rows = Math.min(PROBE_ROWS, train.count);
  return {
    x: tf.tensor2d(train.x.subarray(0, rows * train.inputSize), [rows, train.inputSize]),
    y: tf.tensor2d(train.y.subarray(0, rows * train.outputSize), [rows, train.outputSize]),
  };
}

/** Share of rows whose predicted class matches the target's (threshold 0.5 for one output, argmax otherwise). */
export function accuracyOf(prediction: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  // One kernel instead of five for the 2-D sets' single output (the protocol scores four read-outs an epoch).
  if (prediction.shape[1] === 1 && prediction.shape[0] > 0 && fusedActive(prediction.size)) return fusedThresholdAccuracy(prediction, target);
  return tf.tidy(() => {
    const hits =
      prediction.shape[1] === 1
        ? tf.equal(tf.greaterEqual(prediction, 0.5), tf.greaterEqual(target, 0.5))
        : tf.equal(tf.argMax(prediction, 1), tf.argMax(target, 1));
    return tf.mean(tf.cast(hits, 'float32'));
  });
}

/** A held-out set on the backend, scored over its batches in file order (the average test loss of Mertens' protocol). */
export class ScoredSet {
  private readonly x: tf.Tensor2D;
  private readonly y: tf.Tensor2D;
  private readonly weights: tf.Tensor1D;
  private readonly batchCount: number;
  private readonly probeSet: ProbeSet | undefined;

  /** With `probeTrain`, blocks without a read-out of their own are scored through a probe fitted on its first rows. */
  constructor(data: Dataset, batchSize: number, private readonly hiddenLoss: LossName, probeTrain?: Dataset) {
    this.probeSet = probeTrain ? probeSetOf(probeTrain) : undefined;
    this.x = tf.tensor2d(data.x, [data.count, data.inputSize]);
    this.y = tf.tensor2d(data.y, [data.count, data.outputSize]);
    const batches = epochBatches(data.count, batchSize);
    this.weights = tf.tensor1d(batchMeanWeights(batches));
    this.batchCount = batches.bounds.length - 1;
  }

  evaluate(network: Network): Evaluation {
    return evaluateNetwork(network, this.x, this.y, this.weights, this.batchCount, this.hiddenLoss, this.probeSet);
  }

  dispose(): void {
    if (this.probeSet) tf.dispose([this.probeSet.x, this.probeSet.y]);
    this.x.dispose();
    this.y.dispose();
    this.weights.dispose();
  }
}

/**
 * Scores the test set somewhere else (another thread), so that it overlaps
 * the pass over the training set that the same scores need. Results are the
 * same numbers the run would compute itself: same backend, same kernels.
 */
export interface TestEvaluator {
  /** Prepares for a run: its model, test set, batch size and hidden loss, and the training set when the rule fits its probes on it. */
  setup(network: Network, test: Dataset, batchSize: number, hiddenLoss: LossName, train?: Dataset): Promise<void>;
  /** Scores the network whose parameters are `snapshot` (see {@link Network.snapshot}). */
  evaluate(snapshot: Float32Array[]): Promise<Evaluation>;
}
