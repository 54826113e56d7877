import { describe, expect, it } from 'vitest';
import { buildDataset, getDataset } from '../../src/data/registry.js';
import { splitValidation } from '../../src/data/dataset.js';
import { Rng } from '../../src/util/rng.js';

describe('2-D datasets', () => {
  it('--train-share moves points between the splits; 0.5 is the seed\'s 1000 and 1000, and a larger share extends the training set', () => {
    const plain = buildDataset('signed_xor', new Rng(3));
    const half = buildDataset('signed_xor', new Rng(3), { trainShare: 0.5 });
    expect(half.train.x).toEqual(plain.train.x);
    expect(half.test.y).toEqual(plain.test.y);
    const more = buildDataset('signed_xor', new Rng(3), { trainShare: 0.75 });
    expect([more.train.count, more.test.count]).toEqual([1500, 500]);
    expect(more.train.x.subarray(0, 2000)).toEqual(plain.train.x);
    expect(more.test.x).toEqual(plain.test.x.subarray(0, 1000));
    expect(buildDataset('spiral3', new Rng(3), { trainShare: 0.1 }).train.count).toBe(200);
  });

  it('--train-share outside (0, 1) is refused with the reason', () => {
    expect(() => buildDataset('circles', new Rng(0), { trainShare: 1 })).toThrow(/between 0 and 1 exclusive/);
    expect(() => buildDataset('circles', new Rng(0), { trainShare: 0 })).toThrow(/--train-share/);
  });

  it('circles labels by radius: inner disc and outer ring are class 1, the middle ring class 0', () => {
    const { train } = buildDataset('circles', new Rng(5), { noise: 0 });
    expect(train.count).toBe(1000);
    for (let i = 0; i < train.count; i++) {
      const r = Math.hypot(train.x[2 * i], train.x[2 * i + 1]);
      expect(r).toBeLessThanOrEqual(1 + 1e-6);
      expect(train.y[i]).toBe(r < 1 / 3 || r >= 2 / 3 ? 1 : 0);
    }
  });

  it('spiral3 puts each clean point on one of three arms 120° apart, with one-hot targets', () => {
    const { train } = buildDataset('spiral3', new Rng(7), { noise: 0 });
    expect(train.outputSize).toBe(3);
    const counts = [0, 0, 0];
    for (let i = 0; i < train.count; i++) {
      const row = Array.from(train.y.subarray(3 * i, 3 * i + 3));
      expect(row.reduce((a, v) => a + v, 0)).toBe(1);
      const label = row.indexOf(1);
      counts[label]++;
      const [x1, x2] = [train.x[2 * i], train.x[2 * i + 1]];
      const expected = 2 * Math.PI * Math.hypot(x1, x2) + (label * 2 * Math.PI) / 3;
      const diff = expected - Math.atan2(x2, x1);
      expect(Math.abs(Math.atan2(Math.sin(diff), Math.cos(diff)))).toBeLessThan(1e-4);
    }
    counts.forEach((c) => expect(c).toBeGreaterThan(250));
  });

  it('spiral puts each clean point on its arm: angle = 3πr + class·π (mod 2π)', () => {
    const { test } = buildDataset('spiral', new Rng(6), { noise: 0 });
    for (let i = 0; i < test.count; i++) {
      const [x1, x2] = [test.x[2 * i], test.x[2 * i + 1]];
      const r = Math.hypot(x1, x2);
      const expected = 3 * Math.PI * r + test.y[i] * Math.PI;
      const gap = Math.abs(Math.atan2(Math.sin(expected - Math.atan2(x2, x1)), Math.cos(expected - Math.atan2(x2, x1))));
      expect(gap).toBeLessThan(1e-4);
    }
    // Both arms are represented about equally.
    const ones = test.y.reduce((a, v) => a + v, 0);
    expect(ones).toBeGreaterThan(400);
    expect(ones).toBeLessThan(600);
  });

  it('adds the default noise (std 0.03) after labelling, from its own stream', () => {
    const clean = buildDataset('spiral', new Rng(7), { noise: 0 }).train;
    const noisy = buildDataset('spiral', new Rng(7), {}).train;
    expect(Array.from(noisy.y)).toEqual(Array.from(clean.y));
    const diffs = Array.from(noisy.x, (v, k) => v - clean.x[k]);
    const std = Math.sqrt(diffs.reduce((a, d) => a + d * d, 0) / diffs.length);
    expect(std).toBeGreaterThan(0.027);
    expect(std).toBeLessThan(0.033);
    expect(getDataset('circles').description).toMatch(/rings/);
  });

  it('splits the last examples off as a validation set', () => {
    const { train } = buildDataset('signed_xor', new Rng(1));
    const { train: kept, validation } = splitValidation(train, 200);
    expect([kept.count, validation.count]).toEqual([800, 200]);
    expect(Array.from(validation.x.slice(0, 2))).toEqual(Array.from(train.x.slice(1600, 1602)));
    expect(Array.from(validation.y)).toEqual(Array.from(train.y.slice(800)));
    expect(() => splitValidation(train, 1000)).toThrow(/between 1 and 999/);
  });
});
