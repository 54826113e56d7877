import { makeDataset, type Dataset } from './dataset.js';
import type { DatasetEntry, DatasetOptions } from './registry.js';
import type { Rng } from '../util/rng.js';

/** The seed's draw: (rand - 0.5) · variance with variance 2, i.e. uniform on [-1, 1]. */
const VARIANCE = 2;
const SIZE = 1000;

function draw(rng: Rng, options: DatasetOptions): Dataset {
  const noise = options.noise ?? 0;
  // Noise has its own stream, so the clean points (and labels) of a seed do not depend on it.
  const noiseRng = rng.fork('noise');
  const x = new Float32Array(SIZE * 2);
  const y = new Float32Array(SIZE);
  for (let i = 0; i < SIZE; i++) {
    const x1 = (rng.uniform() - 0.5) * VARIANCE;
    const x2 = (rng.uniform() - 0.5) * VARIANCE;
    y[i] = x1 * x2 >= 0 ? 1 : 0;
    // Noise moves the point after it is labelled, so labels stay exact for the clean point.
    x[2 * i] = noise ? x1 + noise * noiseRng.normal() : x1;
    x[2 * i + 1] = noise ? x2 + noise * noiseRng.normal() : x2;
  }
  return makeDataset(x, y, 2, 1);
}

/** The seed's dataset: 1000 training and 1000 test points, labelled by the sign of x₁·x₂. */
export const signedXor: DatasetEntry = {
  name: 'signed_xor',
  description: 'Given a point x ∈ ℝ², if x₁·x₂ ≥ 0, assign class 1. Otherwise, assign class 0.',
  latex: 'Given a point $\\vec{x} \\in \\mathbb{R}^2$, if $x_1 \\cdot x_2 \\geq 0$, assign class 1. Otherwise, assign class 0.',
  inputSize: 2,
  outputSize: 1,
  train: draw,
  test: draw,
};
