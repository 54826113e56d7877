import { describe, expect, it } from 'vitest';
import { buildDataset, getDataset, listDatasets } from '../../src/data/registry.js';
import { batchMeanWeights, epochBatches } from '../../src/data/batches.js';
import { Rng } from '../../src/util/rng.js';
import { localpropErrorOf } from '../support.js';

function isPermutation(p: ArrayLike<number>, n: number): boolean {
  if (p.length !== n) return false;
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = p[i];
    if (!Number.isInteger(v) || v < 0 || v >= n || seen[v]) return false;
    seen[v] = 1;
  }
  return true;
}

function sameArray(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  return a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));
}

describe('signed_xor', () => {
  const { train, test } = buildDataset('signed_xor', new Rng(0));

  it('is registered with the seed’s description', () => {
    expect(listDatasets().map((d) => d.name)).toContain('signed_xor');
    const entry = getDataset('signed_xor');
    expect(entry.inputSize).toBe(2);
    expect(entry.outputSize).toBe(1);
    expect(entry.description).toBe('Given a point x ∈ ℝ², if x₁·x₂ ≥ 0, assign class 1. Otherwise, assign class 0.');
  });

  it('has 1000 training and 1000 test points of 2 features and 1 target', () => {
    for (const d of [train, test]) {
      expect(d.count).toBe(1000);
      expect(d.inputSize).toBe(2);
      expect(d.outputSize).toBe(1);
      expect(d.x.length).toBe(2000);
      expect(d.y.length).toBe(1000);
    }
  });

  it('draws x in [-1, 1]² and labels y = (x₁·x₂ ≥ 0)', () => {
    for (const d of [train, test]) {
      for (const v of d.x) {
        expect(v).toBeGreaterThanOrEqual(-1);
        expect(v).toBeLessThanOrEqual(1);
      }
      for (let i = 0; i < d.count; i++) {
        expect(d.y[i], `example ${i}`).toBe(d.x[2 * i] * d.x[2 * i + 1] >= 0 ? 1 : 0);
      }
    }
  });

  it('covers the square: every quadrant holds about a quarter, and the classes are balanced', () => {
    // 1000 uniform points: each quadrant ~250 ± 14 (binomial std √(1000·0.25·0.75) ≈ 13.7); allow ±70 (5σ).
    const quadrants = [0, 0, 0, 0];
    for (let i = 0; i < 1000; i++) quadrants[(train.x[2 * i] >= 0 ? 1 : 0) + (train.x[2 * i + 1] >= 0 ? 2 : 0)]++;
    for (const q of quadrants) expect(Math.abs(q - 250)).toBeLessThan(70);
    const ones = train.y.reduce((a, b) => a + b, 0);
    expect(Math.abs(ones - 500)).toBeLessThan(80);
    // Uniform on [-1, 1]: the spread reaches the corners.
    expect(Math.min(...train.x)).toBeLessThan(-0.98);
    expect(Math.max(...train.x)).toBeGreaterThan(0.98);
  });

  it('draws training and test sets independently', () => {
    expect(sameArray(train.x, test.x)).toBe(false);
    let shared = 0;
    for (let i = 0; i < 2000; i++) if (train.x[i] === test.x[i]) shared++;
    expect(shared).toBe(0);
  });

  it('is the same for the same seed and different for another seed', () => {
    const again = buildDataset('signed_xor', new Rng(0));
    expect(sameArray(again.train.x, train.x)).toBe(true);
    expect(sameArray(again.train.y, train.y)).toBe(true);
    expect(sameArray(again.test.x, test.x)).toBe(true);
    expect(sameArray(again.test.y, test.y)).toBe(true);
    const other = buildDataset('signed_xor', new Rng(1));
    expect(sameArray(other.train.x, train.x)).toBe(false);
    expect(sameArray(other.test.x, test.x)).toBe(false);
  });

  it('--noise moves the points but keeps the labels of the clean draw of the same seed', () => {
    const clean = buildDataset('signed_xor', new Rng(3), { noise: 0 });
    const noisy = buildDataset('signed_xor', new Rng(3), { noise: 0.1 });
    for (const split of ['train', 'test'] as const) {
      const c = clean[split];
      const n = noisy[split];
      // Labels are those of the clean points, exactly.
      expect(sameArray(n.y, c.y), `${split} labels`).toBe(true);
      // The points moved by Gaussian noise of std 0.1: mean of d² over 2000 coordinates ≈ 0.01.
      let sumSq = 0;
      for (let k = 0; k < n.x.length; k++) sumSq += (n.x[k] - c.x[k]) ** 2;
      expect(Math.sqrt(sumSq / n.x.length)).toBeGreaterThan(0.09);
      expect(Math.sqrt(sumSq / n.x.length)).toBeLessThan(0.11);
    }
  });

  it('--noise is added after labelling: some noisy points sit on the wrong side of an axis for their label', () => {
    const noisy = buildDataset('signed_xor', new Rng(3), { noise: 0.1 }).train;
    let mismatched = 0;
    for (let i = 0; i < noisy.count; i++) if ((noisy.x[2 * i] * noisy.x[2 * i + 1] >= 0 ? 1 : 0) !== noisy.y[i]) mismatched++;
    // Points within ~0.1 of an axis can cross it: a few percent of 1000, never none.
    expect(mismatched).toBeGreaterThan(0);
    expect(mismatched).toBeLessThan(200);
  });

  it('rejects a negative or non-finite noise and an unknown dataset', () => {
    expect(localpropErrorOf(() => buildDataset('signed_xor', new Rng(0), { noise: -0.1 }))).toMatch(/--noise must be a number ≥ 0/);
    expect(localpropErrorOf(() => buildDataset('signed_xor', new Rng(0), { noise: Number.NaN }))).toMatch(/--noise/);
    const message = localpropErrorOf(() => buildDataset('spirals', new Rng(0)));
    expect(message).toContain('unknown dataset "spirals"');
    expect(message).toContain('signed_xor');
  });
});

describe('epochBatches', () => {
  it('without a generator keeps file order; the last batch holds the remainder', () => {
    const b = epochBatches(10, 3);
    expect(Array.from(b.order)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // 10 = 3 + 3 + 3 + 1
    expect(b.bounds).toEqual([0, 3, 6, 9, 10]);
  });

  it('a batch size that divides the count gives equal batches; one larger than the count gives one batch', () => {
    expect(epochBatches(1000, 100).bounds).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(epochBatches(5, 100).bounds).toEqual([0, 5]);
  });

  it('shuffles into a permutation, the same for the same seed', () => {
    const a = epochBatches(100, 30, new Rng(7));
    const b = epochBatches(100, 30, new Rng(7));
    expect(isPermutation(a.order, 100)).toBe(true);
    expect(Array.from(a.order)).toEqual(Array.from(b.order));
    expect(a.bounds).toEqual([0, 30, 60, 90, 100]);
    // Not file order, and a different seed gives a different order.
    expect(Array.from(a.order)).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(epochBatches(100, 30, new Rng(8)).order)).not.toEqual(Array.from(a.order));
  });

  it('reshuffles every epoch from one generator (successive epochs differ)', () => {
    const rng = new Rng(7);
    const first = epochBatches(100, 10, rng);
    const second = epochBatches(100, 10, rng);
    expect(isPermutation(second.order, 100)).toBe(true);
    expect(Array.from(second.order)).not.toEqual(Array.from(first.order));
  });

  it('rejects a batch size that is not a positive integer', () => {
    for (const size of [0, -1, 2.5, Number.NaN]) expect(localpropErrorOf(() => epochBatches(10, size))).toMatch(/--batch-size must be a positive integer/);
  });
});

describe('batchMeanWeights', () => {
  it('gives each example 1/|its batch|, so the weights sum to the number of batches', () => {
    const batches = epochBatches(10, 3, new Rng(2));
    const w = batchMeanWeights(batches);
    // Batches of 3, 3, 3, 1: nine examples weigh 1/3, the last one in epoch order weighs 1; Σ = 9·(1/3) + 1 = 4.
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(4, 6);
    expect(w[batches.order[9]]).toBe(1);
    for (let k = 0; k < 9; k++) expect(w[batches.order[k]]).toBeCloseTo(1 / 3, 7);
  });

  it('sums to 10 for the seed’s 1000 examples in batches of 100', () => {
    const w = batchMeanWeights(epochBatches(1000, 100, new Rng(0)));
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(10, 4);
    for (const v of w) expect(v).toBeCloseTo(0.01, 8);
  });
});

describe('Rng', () => {
  const draws = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.nextUint32());

  it('gives the same stream for the same seed and a different one for another seed', () => {
    expect(draws(new Rng(42), 20)).toEqual(draws(new Rng(42), 20));
    expect(draws(new Rng(42), 20)).not.toEqual(draws(new Rng(43), 20));
    for (const v of draws(new Rng(1), 100)) {
      expect(Number.isInteger(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(2 ** 32);
    }
  });

  it('forks independent streams: by label, unaffected by draws from the parent', () => {
    const parent = new Rng(5);
    const a = draws(parent.fork('a'), 10);
    expect(a).not.toEqual(draws(parent.fork('b'), 10));
    expect(a).not.toEqual(draws(new Rng(5), 10));
    draws(parent, 1000);
    expect(draws(parent.fork('a'), 10)).toEqual(a);
    // A fork of a fork is named by the path, and is itself deterministic.
    expect(draws(new Rng(5).fork('a').fork('x'), 10)).toEqual(draws(new Rng(5).fork('a').fork('x'), 10));
    expect(draws(new Rng(5).fork('a').fork('x'), 10)).not.toEqual(a);
    // The same label under another seed is another stream.
    expect(draws(new Rng(6).fork('a'), 10)).not.toEqual(a);
  });

  it('permutation is a permutation (and trivial sizes work)', () => {
    const rng = new Rng(9);
    for (const n of [0, 1, 2, 17, 1000]) expect(isPermutation(rng.permutation(n), n)).toBe(true);
  });

  it('uniform lies in [0, 1) with mean ≈ 0.5 and variance ≈ 1/12 over 1e5 draws', () => {
    const rng = new Rng(11);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      if (u < 0 || u >= 1) expect.fail(`uniform gave ${u}`);
      sum += u;
      sumSq += u * u;
    }
    const mean = sum / n;
    // Std of the mean: √(1/12)/√1e5 ≈ 9.1e-4; 5e-3 is > 5σ.
    expect(Math.abs(mean - 0.5)).toBeLessThan(5e-3);
    expect(Math.abs(sumSq / n - mean * mean - 1 / 12)).toBeLessThan(3e-3);
  });

  it('normal has mean ≈ 0 and variance ≈ 1; uniformIn and int stay in range', () => {
    const rng = new Rng(12);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      sum += z;
      sumSq += z * z;
    }
    // Std of the mean 1/√1e5 ≈ 3.2e-3; of the second moment √(2/1e5) ≈ 4.5e-3.
    expect(Math.abs(sum / n)).toBeLessThan(0.02);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.03);
    for (let i = 0; i < 1000; i++) {
      const u = rng.uniformIn(-3, 2);
      expect(u >= -3 && u < 2).toBe(true);
      const k = rng.int(7);
      expect(Number.isInteger(k) && k >= 0 && k < 7).toBe(true);
    }
  });
});
