import type { DatasetEntry } from './registry.js';
import { twoDimensional } from './two-d.js';

/** The seed's draw: (rand - 0.5) · variance with variance 2, i.e. uniform on [-1, 1]. */
const VARIANCE = 2;

const splits = twoDimensional((rng) => {
  const x1 = (rng.uniform() - 0.5) * VARIANCE;
  const x2 = (rng.uniform() - 0.5) * VARIANCE;
  return [x1, x2, x1 * x2 >= 0 ? 1 : 0];
}, 0);

/** The seed's dataset: 1000 training and 1000 test points, labelled by the sign of x₁·x₂. */
export const signedXor: DatasetEntry = {
  name: 'signed_xor',
  description: 'Given a point x ∈ ℝ², if x₁·x₂ ≥ 0, assign class 1. Otherwise, assign class 0.',
  latex: 'Given a point $\\vec{x} \\in \\mathbb{R}^2$, if $x_1 \\cdot x_2 \\geq 0$, assign class 1. Otherwise, assign class 0.',
  inputSize: 2,
  outputSize: 1,
  ...splits,
};
