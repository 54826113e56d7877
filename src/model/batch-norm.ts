import { tf } from '../engine/backend.js';
import { LocalpropError } from '../util/errors.js';

/** PyTorch's `BatchNorm1d` defaults: the running statistics move 0.1 of the way to each batch's. */
export const BATCH_NORM_MOMENTUM = 0.1;
/** Added to the variance before the square root, as PyTorch's default `eps`. */
export const BATCH_NORM_EPSILON = 1e-5;

/**
 * Which statistics a forward pass normalises with: `running` (evaluation),
 * `batch` (training, the batch's own mean and biased variance, the running
 * ones untouched), `batch-update` (the same, and the running statistics take
 * one momentum step towards the batch's: once per training step and block).
 */
export type NormStatistics = 'running' | 'batch' | 'batch-update';

/** The checkpoint names of a block's batch norm tensors, PyTorch's `state_dict` names under `blocks.{i}.bn`. */
export const BATCH_NORM_TENSORS = ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'] as const;

/**
 * Batch normalisation of a block's pre-activation, as PyTorch's
 * `BatchNorm1d(features)` in its default settings: `γ·(z-μ)/√(σ²+ε) + β`
 * per feature, with μ and σ² the batch's mean and biased variance in
 * training and the running estimates in evaluation. A step that records
 * moves the running mean and the running *unbiased* variance (σ²·n/(n-1))
 * by momentum 0.1, and counts the batch in `num_batches_tracked`.
 */
export class BatchNorm {
  constructor(
    /** γ, trained. */
    readonly weight: tf.Variable<tf.Rank.R1>,
    /** β, trained. */
    readonly bias: tf.Variable<tf.Rank.R1>,
    readonly runningMean: tf.Variable<tf.Rank.R1>,
    readonly runningVar: tf.Variable<tf.Rank.R1>,
    /** A count, held as a float (exact far beyond any run's batches) and stored as I64. */
    readonly batchesTracked: tf.Variable<tf.Rank.R0>,
  ) {}

  /** The variables optimizer steps change. */
  get trainable(): tf.Variable[] {
    return [this.weight, this.bias];
  }

  /** The running statistics: changed by training forward passes, never by the optimizer. */
  get buffers(): tf.Variable[] {
    return [this.runningMean, this.runningVar, this.batchesTracked];
  }

  /** Normalises `z` [batch, features] with the statistics `statistics` names. */
  apply(z: tf.Tensor2D, statistics: NormStatistics): tf.Tensor2D {
    if (statistics === 'running') return this.affine(z, this.runningMean, this.runningVar);
    const n = z.shape[0];
    if (n < 2) throw new LocalpropError(`batch norm needs at least 2 examples in a training batch to estimate a variance, got ${n}; choose a --batch-size that leaves no batch of one`);
    const { mean, variance } = tf.moments(z, 0);
    if (statistics === 'batch-update') this.record(mean as tf.Tensor1D, variance as tf.Tensor1D, n);
    return this.affine(z, mean as tf.Tensor1D, variance as tf.Tensor1D);
  }

  private affine(z: tf.Tensor2D, mean: tf.Tensor1D, variance: tf.Tensor1D): tf.Tensor2D {
    return tf.tidy(() => tf.add(tf.mul(tf.mul(tf.sub(z, mean), tf.rsqrt(tf.add(variance, BATCH_NORM_EPSILON))), this.weight), this.bias) as tf.Tensor2D);
  }

  /** One momentum step of the running statistics towards a batch's; the loss never reads them, so no gradient reaches them. */
  private record(mean: tf.Tensor1D, variance: tf.Tensor1D, n: number): void {
    tf.tidy(() => {
      const m = BATCH_NORM_MOMENTUM;
      const unbiased = tf.mul(variance, n / (n - 1));
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)) as tf.Tensor1D);
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(unbiased, m)) as tf.Tensor1D);
      this.batchesTracked.assign(tf.add(this.batchesTracked, 1) as tf.Scalar);
    });
  }
}
