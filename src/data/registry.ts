import { firstExamples, type Dataset } from './dataset.js';
import type { Rng } from '../util/rng.js';
import { check } from '../util/errors.js';
import { signedXor } from './signed-xor.js';
import { circles, spiral, spiral3 } from './two-d.js';

/** Options a dataset builder may read; unknown ones are ignored. */
export interface DatasetOptions {
  /** Std of Gaussian noise added to the inputs after labelling (2-D sets). */
  noise?: number;
  /** Folder holding a file-backed dataset's files (mnist, fashion-mnist), instead of its default place. */
  dataDir?: string;
  /**
   * Keep at most the first `limit` training examples and the first `limit`
   * test examples (file order for files), for quick runs.
   */
  limit?: number;
  /** Share of a 2-D set's points used for training (default 0.5: Mertens' 1000 and 1000). */
  trainShare?: number;
}

/**
 * Settings for a first look at a dataset, used for every one the user does
 * not give. Keys are the option names of `localprop compare` (camelCase).
 */
export interface FirstLook {
  /** Model spec string, e.g. `784-256-256-256-10` (see docs/model-spec.md). */
  model?: string;
  /** Seeds `compare` runs (0..seeds-1). */
  seeds?: number;
  /** Epochs of every schedule (per block for local-sequential). */
  epochs?: number;
  /** One optimizer step per epoch or per mini-batch. */
  step?: 'epoch' | 'batch';
  optimizer?: 'rprop' | 'adam' | 'rmsprop' | 'sgd';
  /** Mini-batch size. */
  batchSize?: number;
  /** Why these settings, in a few words, printed with them. */
  why: string;
}

/**
 * A dataset the registry knows: a builder for each split and what the task is.
 * Builders draw only from the generator they are given, so a seed fixes the data.
 *
 * @example
 * ```ts
 * import { registerDataset, makeDataset, type DatasetEntry, type Rng } from 'localprop';
 *
 * // The class of a point is whether it lies above the line x₂ = x₁.
 * const points = (rng: Rng, n: number) => {
 *   const x = new Float32Array(2 * n).map(() => 2 * rng.uniform() - 1);
 *   const y = new Float32Array(n).map((_, i) => (x[2 * i + 1] > x[2 * i] ? 1 : 0));
 *   return makeDataset(x, y, 2, 1);
 * };
 * const diagonal: DatasetEntry = {
 *   name: 'diagonal', description: 'class 1 above the diagonal', latex: 'x_2 > x_1',
 *   inputSize: 2, outputSize: 1,
 *   train: (rng) => points(rng, 500), test: (rng) => points(rng, 500),
 * };
 * registerDataset(diagonal);
 * ```
 */
export interface DatasetEntry {
  readonly name: string;
  /** The task in plain text. */
  readonly description: string;
  /** The task in LaTeX, for notebooks and reports. */
  readonly latex: string;
  readonly inputSize: number;
  readonly outputSize: number;
  /** The shape of one example when it is not a row of `inputSize` features (images as C×H×W); absent: `[inputSize]`. */
  readonly inputShape?: readonly number[];
  /**
   * Settings for a first look (model, optimizer, epochs, seeds), used where
   * the user gives none. Without it, runs take Mertens' protocol: his
   * network sized to the data, full-batch Rprop, 5 seeds.
   */
  readonly firstLook?: FirstLook;
  /** The training set, drawn from `rng` (generated sets) or read (files). */
  train(rng: Rng, options: DatasetOptions): Dataset;
  /** The test set, drawn from its own `rng`. */
  test(rng: Rng, options: DatasetOptions): Dataset;
}

const entries = new Map<string, DatasetEntry>();

/**
 * Adds a dataset; adding one is writing a module that exports a
 * {@link DatasetEntry} and registering it. A name is taken once: another
 * entry under a registered name is refused (the same entry again changes nothing).
 */
export function registerDataset(entry: DatasetEntry): void {
  if (entries.get(entry.name) === entry) return;
  check(!entries.has(entry.name), `a dataset named "${entry.name}" is already registered; give yours another name`);
  entries.set(entry.name, entry);
}

/** The entry named `name`, or an error listing the known names. */
export function getDataset(name: string): DatasetEntry {
  const entry = entries.get(name);
  check(entry !== undefined, () => `unknown dataset "${name}"; choose one of: ${listDatasets().map((d) => d.name).join(', ')} (or give your own with --train FILE.csv --test FILE.csv)`);
  return entry;
}

/** Every registered dataset, in registration order. */
export function listDatasets(): DatasetEntry[] {
  return [...entries.values()];
}

/** The training and test sets of `name` for one seed, each drawn from its own stream. */
export function buildDataset(name: string, rng: Rng, options: DatasetOptions = {}): { train: Dataset; test: Dataset } {
  const entry = getDataset(name);
  if (options.noise !== undefined) check(Number.isFinite(options.noise) && options.noise >= 0, `--noise must be a number ≥ 0, got ${options.noise}`);
  const limit = options.limit;
  if (limit !== undefined) check(Number.isInteger(limit) && limit >= 1, `--limit must be a whole number ≥ 1, got ${limit}`);
  if (options.trainShare !== undefined) check(entry.inputSize === 2, `--train-share applies to the 2-D datasets only; ${name} has its own training and test sets (use --val or --limit)`);
  const train = entry.train(rng.fork('train'), options);
  const test = entry.test(rng.fork('test'), options);
  return limit === undefined ? { train, test } : { train: firstExamples(train, limit), test: firstExamples(test, limit) };
}

registerDataset(signedXor);
registerDataset(spiral);
registerDataset(circles);
registerDataset(spiral3);
