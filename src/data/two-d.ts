import { makeDataset, oneHot, type Dataset } from './dataset.js';
import type { DatasetEntry, DatasetOptions } from './registry.js';
import type { Rng } from '../util/rng.js';
import { check } from '../util/errors.js';

/** Points per split of the 2-D sets at the default share: the seed's 1000. */
export const TWO_D_SIZE = 1000;

/** The default share of a 2-D set's points used for training: half, the seed's 1000 and 1000. */
export const DEFAULT_TRAIN_SHARE = 0.5;

/**
 * How many of a 2-D set's 2 × {@link TWO_D_SIZE} points each split gets
 * for a training share (`--train-share`): at least one point each.
 */
export function splitSizes(share: number = DEFAULT_TRAIN_SHARE): { train: number; test: number } {
  check(Number.isFinite(share) && share > 0 && share < 1, `--train-share is the share of the points used for training, between 0 and 1 exclusive (0.5 keeps half); got ${share}`);
  const total = 2 * TWO_D_SIZE;
  const train = Math.min(total - 1, Math.max(1, Math.round(total * share)));
  return { train, test: total - train };
}

/**
 * A 2-D dataset from a sampler of clean labelled points; Gaussian noise (its
 * own stream, so a seed's clean points do not depend on it) moves each point
 * after it is labelled. Two classes give one 0/1 target, more give one-hot rows.
 * Each split draws from its own stream, so a larger share extends the
 * training set without moving its first points.
 */
export function twoDimensional(sample: (rng: Rng) => [number, number, number], defaultNoise: number, classes = 2): Pick<DatasetEntry, 'train' | 'test'> {
  const draw = (rng: Rng, options: DatasetOptions, count: number): Dataset => {
    const noise = options.noise ?? defaultNoise;
    const noiseRng = rng.fork('noise');
    const x = new Float32Array(count * 2);
    const labels = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const [x1, x2, label] = sample(rng);
      labels[i] = label;
      x[2 * i] = noise ? x1 + noise * noiseRng.normal() : x1;
      x[2 * i + 1] = noise ? x2 + noise * noiseRng.normal() : x2;
    }
    return classes === 2 ? makeDataset(x, labels, 2, 1) : makeDataset(x, oneHot(labels, classes), 2, classes);
  };
  return {
    train: (rng, options) => draw(rng, options, splitSizes(options.trainShare).train),
    test: (rng, options) => draw(rng, options, splitSizes(options.trainShare).test),
  };
}

/**
 * A sampler of `arms` spiral arms evenly spaced around the origin, each
 * turning `turns` times between radius 0.05 and 1: the label is the arm.
 */
function spiralArms(arms: number, turns: number): (rng: Rng) => [number, number, number] {
  return (rng) => {
    const label = rng.int(arms);
    // √u spreads points evenly along the arm's area rather than piling them at the centre.
    const r = 0.05 + 0.95 * Math.sqrt(rng.uniform());
    const angle = 2 * Math.PI * turns * r + (label * 2 * Math.PI) / arms;
    return [r * Math.cos(angle), r * Math.sin(angle), label];
  };
}

/** Two interleaved spiral arms, each turning 1.5 times around the origin within the unit disc. */
export const spiral: DatasetEntry = (() => {
  const splits = twoDimensional(spiralArms(2, 1.5), 0.03);
  return {
    name: 'spiral',
    description: 'Two spiral arms, each turning 1.5 times around the origin in the unit disc; assign the arm (0 or 1). Noise std 0.03 by default.',
    latex: 'Two spiral arms $r(\\cos\\theta, \\sin\\theta)$ with $\\theta = 3\\pi r + c\\pi$, $r \\in [0.05, 1]$; assign the arm $c \\in \\{0, 1\\}$. Noise std 0.03 by default.',
    inputSize: 2,
    outputSize: 1,
    ...splits,
  };
})();

/** Three spiral arms 120° apart, each turning once around the origin: a 3-class task. */
export const spiral3: DatasetEntry = (() => {
  const splits = twoDimensional(spiralArms(3, 1), 0.03, 3);
  return {
    name: 'spiral3',
    description: 'Three spiral arms 120° apart, each turning once around the origin in the unit disc; assign the arm (0, 1 or 2, one-hot targets). Noise std 0.03 by default.',
    latex: 'Three spiral arms $r(\\cos\\theta, \\sin\\theta)$ with $\\theta = 2\\pi r + 2\\pi c/3$, $r \\in [0.05, 1]$; assign the arm $c \\in \\{0, 1, 2\\}$. Noise std 0.03 by default.',
    inputSize: 2,
    outputSize: 3,
    ...splits,
  };
})();

/** Concentric rings alternating in class: radius in [0, ⅓) → 1, [⅓, ⅔) → 0, [⅔, 1] → 1. */
export const circles: DatasetEntry = (() => {
  const splits = twoDimensional((rng) => {
    const r = Math.sqrt(rng.uniform());
    const angle = 2 * Math.PI * rng.uniform();
    const label = r < 1 / 3 || r >= 2 / 3 ? 1 : 0;
    return [r * Math.cos(angle), r * Math.sin(angle), label];
  }, 0.03);
  return {
    name: 'circles',
    description: 'A point uniform in the unit disc; assign class 1 if its radius is below 1/3 or at least 2/3, else 0 (three concentric rings). Noise std 0.03 by default.',
    latex: 'Given $\\vec{x}$ uniform in the unit disc, assign class 1 if $\\|\\vec{x}\\| < 1/3$ or $\\|\\vec{x}\\| \\geq 2/3$, else 0. Noise std 0.03 by default.',
    inputSize: 2,
    outputSize: 1,
    ...splits,
  };
})();
