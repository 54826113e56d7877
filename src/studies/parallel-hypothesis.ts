import { tf } from '../engine/backend.js';
import type { Dataset } from '../data/dataset.js';
import { getDataset } from '../data/registry.js';
import { experimentRun, experimentStart } from '../experiment/experiment.js';
import { runExperimentConfig } from '../sweep/configuration.js';
import { evaluateNetwork } from '../train/evaluation.js';
import { Rng } from '../util/rng.js';
import type { Family, ParallelDataset, StudyRun } from './parallel-study.js';

/** Draws of the noiseless sample (1000 points each) and the generator's seed, as the protocol fixes them. */
const SAMPLE_DRAWS = 20;
const SAMPLE_SEED = 999;

/** A noiseless sample of the dataset's generator: 20,000 labelled points. */
export function noiselessSample(dataset: string): Dataset[] {
  const entry = getDataset(dataset);
  const rng = new Rng(SAMPLE_SEED);
  return Array.from({ length: SAMPLE_DRAWS }, (_, k) => entry.train(rng.fork(`sample${k}`), { noise: 0 }));
}

/** The class of row `i` of a dataset (one 0/1 target, or one-hot rows). */
function classOf(d: Dataset, i: number): number {
  if (d.outputSize === 1) return d.y[i] >= 0.5 ? 1 : 0;
  let best = 0;
  for (let c = 1; c < d.outputSize; c++) if (d.y[i * d.outputSize + c] > d.y[i * d.outputSize + best]) best = c;
  return best;
}

/**
 * Each point's distance to the class boundary: the distance from it to the
 * nearest point of another class in `sample` (2-D points).
 */
export function boundaryDistances(points: Dataset, sample: Dataset[]): Float64Array {
  const out = new Float64Array(points.count).fill(Infinity);
  for (const s of sample) {
    const classes = Int32Array.from({ length: s.count }, (_, j) => classOf(s, j));
    for (let i = 0; i < points.count; i++) {
      const c = classOf(points, i);
      const x = points.x[2 * i];
      const y = points.x[2 * i + 1];
      let best = out[i];
      for (let j = 0; j < s.count; j++) {
        if (classes[j] === c) continue;
        const dx = s.x[2 * j] - x;
        const dy = s.x[2 * j + 1] - y;
        const d = dx * dx + dy * dy;
        if (d < best * best) best = Math.sqrt(d);
      }
      out[i] = best;
    }
  }
  return out;
}

/** The rows of the nearest quarter and the farthest quarter by distance (ties broken by row order). */
export function nearAndFar(distances: Float64Array): { near: number[]; far: number[] } {
  const order = Array.from(distances.keys()).sort((a, b) => distances[a] - distances[b] || a - b);
  const quarter = Math.floor(order.length / 4);
  return { near: order.slice(0, quarter).sort((a, b) => a - b), far: order.slice(order.length - quarter).sort((a, b) => a - b) };
}

function subset(d: Dataset, rows: number[]): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(rows.length * d.inputSize);
  const y = new Float32Array(rows.length * d.outputSize);
  rows.forEach((r, k) => {
    x.set(d.x.subarray(r * d.inputSize, (r + 1) * d.inputSize), k * d.inputSize);
    y.set(d.y.subarray(r * d.outputSize, (r + 1) * d.outputSize), k * d.outputSize);
  });
  return { x, y };
}

/** One run's block accuracies on the points near the boundary and far from it. */
export interface BoundaryRow {
  dataset: ParallelDataset;
  family: Family;
  seed: number;
  /** Test accuracy of the retrained run (checked against the sweep's record). */
  accuracy: number;
  near: number[];
  far: number[];
}

/**
 * Retrains a final run (the same configuration and seed: the same numbers)
 * and measures each block's decoder accuracy on the test points nearest to
 * the boundary and farthest from it.
 */
export async function boundaryRow(run: StudyRun, sample: Dataset[]): Promise<BoundaryRow> {
  const config = runExperimentConfig(run.planned.options);
  const start = experimentStart(config, run.planned.configuration.run.seed);
  const trained = experimentRun(config, start, run.planned.configuration.run.schedule, 'learned');
  try {
    const end = await trained.complete();
    const { near, far } = nearAndFar(boundaryDistances(start.test, sample));
    const blocksOn = (rows: number[]) => {
      const part = subset(start.test, rows);
      const x = tf.tensor2d(part.x, [rows.length, start.test.inputSize]);
      const y = tf.tensor2d(part.y, [rows.length, start.test.outputSize]);
      const weights = tf.fill([rows.length], 1 / rows.length) as tf.Tensor1D;
      try {
        return evaluateNetwork(trained.network, x, y, weights, 1, trained.options.hiddenLoss).blockAccuracy;
      } finally {
        x.dispose();
        y.dispose();
        weights.dispose();
      }
    };
    return { dataset: run.dataset, family: run.config.family, seed: start.seed, accuracy: end.testAccuracy, near: blocksOn(near), far: blocksOn(far) };
  } finally {
    trained.dispose();
  }
}
