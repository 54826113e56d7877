import { describe, expect, it } from 'vitest';
import { stats, summarize } from '../../src/experiment/summary.js';
import type { DecoderMode, RunEndEvent } from '../../src/train/events.js';

describe('stats', () => {
  it('gives the mean and the SAMPLE standard deviation (n - 1) of [1, 2, 3, 4]', () => {
    // mean 10/4 = 2.5; squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5; variance 5/(4 - 1) = 5/3; std √(5/3) = 1.2909944
    const s = stats([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(s.std).not.toBeCloseTo(Math.sqrt(5 / 4), 3); // not the population std 1.118
    expect(s.min).toBe(1);
    expect(s.max).toBe(4);
  });

  it('gives std 0 for a single value', () => {
    expect(stats([0.97])).toEqual({ mean: 0.97, std: 0, min: 0.97, max: 0.97 });
  });

  it('handles unordered values and equal values', () => {
    // [3, -1, 4]: mean 2; deviations 1, 9, 4 → 14/2 = 7 → std √7
    const s = stats([3, -1, 4]);
    expect(s.mean).toBe(2);
    expect(s.std).toBeCloseTo(Math.sqrt(7), 12);
    expect(s.min).toBe(-1);
    expect(s.max).toBe(4);
    expect(stats([5, 5, 5]).std).toBe(0);
  });
});

function result(schedule: string, decoders: DecoderMode, seed: number, testAccuracy: number, extra: Partial<RunEndEvent> = {}): RunEndEvent {
  return {
    type: 'end',
    schedule,
    decoders,
    seed,
    epochs: 100,
    trainLoss: 0.1,
    trainAccuracy: 0.99,
    testLoss: 0.2,
    testAccuracy,
    seconds: 1,
    ...extra,
  };
}

describe('summarize', () => {
  it('groups by schedule and decoder mode, in order of first appearance, with each group’s seeds and stats', () => {
    const results = [
      result('backprop', 'learned', 0, 0.99, { seconds: 1 }),
      result('local-parallel', 'fixed', 0, 0.9),
      result('local-parallel', 'learned', 0, 0.95),
      result('backprop', 'learned', 1, 0.97, { seconds: 3 }),
      result('local-parallel', 'fixed', 1, 0.92),
      result('local-parallel', 'learned', 1, 0.97),
      result('local-parallel', 'fixed', 2, 0.94),
    ];
    const rows = summarize(results);
    expect(rows.map((r) => [r.schedule, r.decoders])).toEqual([
      ['backprop', 'learned'],
      ['local-parallel', 'fixed'],
      ['local-parallel', 'learned'],
    ]);
    expect(rows.map((r) => r.seeds)).toEqual([[0, 1], [0, 1, 2], [0, 1]]);
    // backprop: accuracies 0.99, 0.97 → mean 0.98, sample std √((0.01² + 0.01²)/1) = 0.0141421
    expect(rows[0].testAccuracy.mean).toBeCloseTo(0.98, 12);
    expect(rows[0].testAccuracy.std).toBeCloseTo(Math.SQRT2 * 0.01, 12);
    expect(rows[0].testAccuracy.min).toBe(0.97);
    expect(rows[0].testAccuracy.max).toBe(0.99);
    // seconds 1 and 3: mean 2, std √2
    expect(rows[0].seconds.mean).toBe(2);
    expect(rows[0].seconds.std).toBeCloseTo(Math.SQRT2, 12);
    // local-parallel fixed: 0.90, 0.92, 0.94 → mean 0.92, deviations 0.02, 0, 0.02 → std √(0.0008/2) = 0.02
    expect(rows[1].testAccuracy.mean).toBeCloseTo(0.92, 12);
    expect(rows[1].testAccuracy.std).toBeCloseTo(0.02, 12);
    // local-parallel learned: 0.95, 0.97 → 0.96, and fixed/learned are NOT pooled.
    expect(rows[2].testAccuracy.mean).toBeCloseTo(0.96, 12);
    // Identical losses in every run: mean is the value, std 0.
    for (const row of rows) {
      // (Summing 0.2 three times rounds to 0.6000000000000001, so compare to 12 digits.)
      expect(row.testLoss.mean).toBeCloseTo(0.2, 12);
      expect(row.testLoss.std).toBeCloseTo(0, 12);
      expect([row.testLoss.min, row.testLoss.max]).toEqual([0.2, 0.2]);
      expect(row.trainLoss.mean).toBeCloseTo(0.1, 12);
    }
  });

  it('gives no rows for no results and one row with std 0 for one result', () => {
    expect(summarize([])).toEqual([]);
    const [row] = summarize([result('local-sequential', 'fixed', 4, 0.95)]);
    expect(row.seeds).toEqual([4]);
    expect(row.testAccuracy).toEqual({ mean: 0.95, std: 0, min: 0.95, max: 0.95 });
  });
});
