import { parseModelSpec } from '../model/spec.js';
import type { TestEvaluator } from '../train/evaluation.js';
import type { RunOptions } from '../train/run.js';
import { tf } from '../engine/backend.js';
import { completeCheckpointed, type CheckpointStore } from './checkpointed-run.js';
import { experimentRuns } from '../experiment/experiment.js';
import { check } from '../util/errors.js';

/** The two datasets of Nøkland & Eidnes' MLP table this study reproduces. */
export type NoklandDataset = 'mnist' | 'fashion-mnist';

/** One row of their table: how its hidden blocks learn, and their activation. */
export interface NoklandRow {
  /** The row's name on the page: their loss names, and Mertens' decoder rule. */
  row: 'backprop' | 'pred' | 'sim' | 'predsim' | 'decoder';
  schedule: 'backprop' | 'local-parallel';
  rule: string;
  /** ReLU for back-propagation and pred, leaky ReLU for sim and predsim, as their run_experiments.sh. */
  activation: 'relu' | 'leaky-relu';
}

/** The rows in the page's order: their four, then Mertens' bias-free decoder under the same recipe. */
export const NOKLAND_ROWS: NoklandRow[] = [
  { row: 'backprop', schedule: 'backprop', rule: 'decoder', activation: 'relu' },
  { row: 'pred', schedule: 'local-parallel', rule: 'pred', activation: 'relu' },
  { row: 'sim', schedule: 'local-parallel', rule: 'sim', activation: 'leaky-relu' },
  { row: 'predsim', schedule: 'local-parallel', rule: 'predsim', activation: 'leaky-relu' },
  { row: 'decoder', schedule: 'local-parallel', rule: 'decoder', activation: 'relu' },
];

/** Their published MLP test errors (%), 3×1024 hidden units, after the final epoch (Nøkland & Eidnes 2019, the MLP rows of their MNIST and Fashion-MNIST tables). */
export const NOKLAND_PUBLISHED: Record<NoklandDataset, Partial<Record<NoklandRow['row'], number>>> = {
  mnist: { backprop: 0.75, pred: 0.68, sim: 0.8, predsim: 0.62 },
  'fashion-mnist': { backprop: 8.37, pred: 8.6, sim: 9.7, predsim: 8.54 },
};

/** The issue's goals (test error %, at most), where it sets one. */
export const NOKLAND_GOALS: Record<NoklandDataset, Partial<Record<NoklandRow['row'], number>>> = {
  mnist: { backprop: 0.85, pred: 0.8, predsim: 0.75 },
  'fashion-mnist': { backprop: 8.7, predsim: 8.9 },
};

/** The width of every hidden block, and how many. */
export const NOKLAND_HIDDEN = [1024, 1024, 1024];

/** The model of a row: 784-1024-1024-1024-10 (or other hidden widths), batch norm before the row's activation. */
export function noklandModel(row: NoklandRow, hidden: number[] = NOKLAND_HIDDEN): string {
  return `784-${hidden.join('-')}-10 hidden=${row.activation},batchnorm`;
}

/** What differs between the datasets in their run_experiments.sh. */
const PER_DATASET: Record<NoklandDataset, Pick<RunOptions, 'epochs' | 'lrDecayAt' | 'dropout' | 'augment' | 'standardize'>> = {
  mnist: { epochs: 100, lrDecayAt: [50, 75, 89, 94], dropout: 0.1, augment: { jitter: 2, flip: false }, standardize: { mean: 0.1307, std: 0.3081 } },
  'fashion-mnist': { epochs: 200, lrDecayAt: [100, 150, 175, 188], dropout: 0.025, augment: { jitter: 2, flip: true }, standardize: { mean: 0.286, std: 0.353 } },
};

/**
 * Their recipe for one dataset, as read from their train.py and
 * run_experiments.sh: Adam 5e-4 (one step per mini-batch of 128), rate
 * ×0.25 at the milestones, dropout after the activation with the local
 * losses seeing the activity before it, 2-pixel jitter (and a flip for
 * Fashion-MNIST), inputs standardised, cross-entropy through pred's decoders.
 */
export function noklandTraining(dataset: NoklandDataset): Omit<RunOptions, 'schedule' | 'spec' | 'parameters' | 'train' | 'test' | 'seed' | 'decoders' | 'rule'> {
  const d = PER_DATASET[dataset];
  return {
    ...d,
    lrDecayAt: [...d.lrDecayAt!],
    augment: { ...d.augment! },
    standardize: { ...d.standardize! },
    step: 'batch',
    batchSize: 128,
    optimizer: { name: 'adam', lr: 5e-4 },
    lrDecay: 0.25,
    hiddenLoss: 'ce',
    dropoutPlacement: 'after-loss',
  };
}

/** One run of the study: a dataset, a row and a seed (a plain list, so a generic sweep runner can take it over). */
export interface NoklandRun {
  dataset: NoklandDataset;
  row: NoklandRow;
  seed: number;
}

/** The runs in order: MNIST before Fashion-MNIST, seed by seed, the rows in page order. */
export function noklandRuns(datasets: NoklandDataset[], rows: NoklandRow['row'][], seeds: number[]): NoklandRun[] {
  const order: NoklandDataset[] = ['mnist', 'fashion-mnist'];
  return order
    .filter((d) => datasets.includes(d))
    .flatMap((dataset) => seeds.flatMap((seed) => NOKLAND_ROWS.filter((r) => rows.includes(r.row)).map((row) => ({ dataset, row, seed }))));
}

/** What one finished run leaves (one JSON file a run). */
export interface NoklandRecord {
  dataset: NoklandDataset;
  row: NoklandRow['row'];
  schedule: string;
  rule: string;
  model: string;
  seed: number;
  epochs: number;
  /** Test error after the final epoch (no best-epoch selection, as they report). */
  testError: number;
  testLoss: number;
  trainLoss: number;
  /** Test error as each epoch's event reports it (before that epoch's updates), then the final model's. */
  testErrorPerEpoch: number[];
  /** Per epoch (as each event reports it), each block's probe accuracy on the test set: its rule's read-out (for sim, the fitted class-means read-out); the last is the network's. */
  blockAccuracyPerEpoch: (number | null)[][];
  /** Each epoch's wall time (training and its evaluations), seconds. */
  secondsPerEpoch: number[];
  seconds: number;
  /** The TF.js backend it trained on (wasm or native; absent in records from before the studies moved to native). */
  backend?: string;
  /** Set for runs on the first `limit` training and test examples (--quick, or a short measurement). */
  limit?: number;
}

/** The file name of a run's record and checkpoint. */
export function noklandKey(run: NoklandRun, limit?: number, epochs?: number): string {
  return `${run.dataset}-${run.row.row}-seed${run.seed}${limit ? `-limit${limit}` : ''}${epochs ? `-epochs${epochs}` : ''}`;
}

/** Where the study keeps its records and its runs' checkpoints. */
export interface NoklandStore extends CheckpointStore {
  done(key: string): boolean;
  save(key: string, record: NoklandRecord): void;
}

/**
 * Trains every run of `runs` that `store` has no record of, one at a
 * time: a run with a checkpoint continues from it (to the numbers of a run
 * never stopped), and every `checkpointEvery` epochs its state is saved,
 * so a stopped study loses at most that many epochs.
 */
export async function runNoklandStudy(
  runs: NoklandRun[],
  options: {
    limit?: number;
    epochs?: number;
    checkpointEvery?: number;
    /** Hidden widths instead of 3×1024 (tests); the records say which model ran. */
    hidden?: number[];
    evaluator?: TestEvaluator;
    store: NoklandStore;
    progress: (m: string) => void;
  },
): Promise<void> {
  const every = options.checkpointEvery ?? 1;
  check(Number.isInteger(every) && every >= 1, `the study's checkpoints come every whole number ≥ 1 of epochs, got ${every}`);
  for (const planned of runs) {
    const key = noklandKey(planned, options.limit, options.epochs);
    if (options.store.done(key)) continue;
    const model = noklandModel(planned.row, options.hidden);
    const training = noklandTraining(planned.dataset);
    const config = {
      data: { dataset: planned.dataset, options: options.limit ? { limit: options.limit } : {} },
      spec: parseModelSpec(model),
      schedules: [planned.row.schedule],
      seeds: [planned.seed],
      decoders: ['learned' as const],
      rules: [planned.row.rule],
      training: { ...training, ...(options.epochs ? { epochs: options.epochs } : {}), testEvaluator: options.evaluator },
    };
    for (const run of experimentRuns(config)) {
      const perEpoch: number[] = [];
      const probes: (number | null)[][] = [];
      const seconds: number[] = [];
      const end = await completeCheckpointed(run, key, options.store, every, (e, replaying) => {
        perEpoch.push(1 - e.testAccuracy);
        probes.push(e.blockAccuracy.map((a) => (Number.isFinite(a) ? a : null)));
        seconds.push(e.seconds - (seconds.reduce((a, b) => a + b, 0)));
        if (!replaying) options.progress(`${key}: epoch ${e.epoch}/${e.epochs} test error ${(100 * (1 - e.testAccuracy)).toFixed(2)}%, probes ${e.blockAccuracy.map((a) => (100 * a).toFixed(1)).join(' / ')}% (${e.seconds.toFixed(0)} s)`);
      }, options.progress);
      options.store.save(key, {
        dataset: planned.dataset,
        row: planned.row.row,
        schedule: planned.row.schedule,
        rule: planned.row.rule,
        model,
        seed: planned.seed,
        epochs: end.epochs,
        testError: 1 - end.testAccuracy,
        testLoss: end.testLoss,
        trainLoss: end.trainLoss,
        testErrorPerEpoch: [...perEpoch, 1 - end.testAccuracy],
        blockAccuracyPerEpoch: probes,
        secondsPerEpoch: seconds,
        seconds: end.seconds,
        backend: tf.getBackend(),
        ...(options.limit ? { limit: options.limit } : {}),
      });
      options.store.dropCheckpoint(key);
    }
  }
}
