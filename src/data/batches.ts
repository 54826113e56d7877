import { check } from '../util/errors.js';
import type { Rng } from '../util/rng.js';

/** How an epoch splits the examples: the order and the batch boundaries. */
export interface EpochBatches {
  /** Example indices in epoch order. */
  order: Int32Array;
  /** Start offset of each batch in `order`, plus `order.length` at the end. */
  bounds: number[];
}

/**
 * The batches of one epoch: shuffled with `rng` when given (the seed reshuffles
 * every epoch), in file order otherwise; the last batch keeps the remainder,
 * as PyTorch's DataLoader does without drop_last.
 */
export function epochBatches(count: number, batchSize: number, rng?: Rng): EpochBatches {
  check(Number.isInteger(batchSize) && batchSize >= 1, `--batch-size must be a positive integer, got ${batchSize}`);
  const order = rng ? rng.permutation(count) : Int32Array.from({ length: count }, (_, i) => i);
  const bounds: number[] = [];
  for (let start = 0; start < count; start += batchSize) bounds.push(start);
  bounds.push(count);
  return { order, bounds };
}

/**
 * Per-example weights 1/|batch of the example|: the weighted sum of per-example
 * losses then equals the sum of per-batch mean losses that the seed
 * back-propagates once per epoch, computed in one pass over all examples.
 */
export function batchMeanWeights(batches: EpochBatches): Float32Array {
  const w = new Float32Array(batches.order.length);
  for (let b = 0; b + 1 < batches.bounds.length; b++) {
    const start = batches.bounds[b];
    const end = batches.bounds[b + 1];
    for (let k = start; k < end; k++) w[batches.order[k]] = 1 / (end - start);
  }
  return w;
}
