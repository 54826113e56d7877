import type { RunOptions } from '../train/run.js';

/** One model on one dataset: the schedules and seeds to run. */
export interface MnistCell {
  dataset: 'mnist' | 'fashion-mnist';
  model: string;
  schedules: string[];
  seeds: number[];
  /** small: the 3-seed table of every schedule; large: one seed of the wide model. */
  part: 'small' | 'large';
}

/** The training every cell shares: the issue's plain PyTorch protocol. */
export const MNIST_TRAINING = {
  epochs: 20,
  step: 'batch',
  batchSize: 128,
  optimizer: { name: 'adam', lr: 1e-3 },
  lrDecayAt: [10, 15],
  lrDecay: 0.25,
  hiddenLoss: 'ce',
} as const satisfies Partial<RunOptions>;

const SMALL = '784-256-256-256-10';
const LARGE = '784-1024-1024-1024-10';
const ALL_SCHEDULES = ['backprop', 'local-sequential', 'local-parallel', 'local-gated'];

/**
 * The committed plan. The large model runs back-propagation and
 * local-parallel, the best local schedule on the small model in the issue's
 * PyTorch reference (check the small table before reading the large one).
 */
export const MNIST_STUDY: MnistCell[] = (['mnist', 'fashion-mnist'] as const).flatMap((dataset) => [
  { dataset, model: SMALL, schedules: ALL_SCHEDULES, seeds: [0, 1, 2], part: 'small' as const },
  { dataset, model: LARGE, schedules: ['backprop', 'local-parallel'], seeds: [0], part: 'large' as const },
]);

/** What the page reads of one finished run (the study's record before it ran as a sweep; see `mnist-sweep.ts`). */
export interface MnistRunRecord {
  dataset: string;
  model: string;
  schedule: string;
  seed: number;
  epochs: number;
  testError: number;
  testLoss: number;
  trainLoss: number;
  /** Test error as each epoch's event reports it (before that epoch's updates), then the final model's. */
  testErrorPerEpoch: number[];
  /** Training wall time of the run (its loop and evaluations). */
  seconds: number;
  limit?: number;
}

/** The file name of a run's record before the study ran as a sweep (now: how imported records are matched and the page's records ordered). */
export function runKey(cell: Pick<MnistCell, 'dataset' | 'model'>, schedule: string, seed: number, limit?: number): string {
  const width = cell.model.split('-')[1];
  return `${cell.dataset}-${width}-${schedule}-seed${seed}${limit ? `-limit${limit}` : ''}`;
}
