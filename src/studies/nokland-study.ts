import type { RunOptions } from '../train/run.js';
import type { StudyTraining } from './sweep-options.js';

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
export function noklandTraining(dataset: NoklandDataset): StudyTraining {
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

/** One run of the study: a dataset, a row and a seed (planned as a sweep run in nokland-sweep.ts). */
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

/**
 * What the page reads of one finished run: the record of the format before
 * the study ran as a sweep (one JSON file a run, still read as it is), and
 * the view of a sweep record (`noklandRunView` in nokland-sweep.ts).
 */
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

/** The file name of a run's record and checkpoint before the study ran as a sweep. */
export function noklandKey(run: NoklandRun, limit?: number, epochs?: number): string {
  return `${run.dataset}-${run.row.row}-seed${run.seed}${limit ? `-limit${limit}` : ''}${epochs ? `-epochs${epochs}` : ''}`;
}
