import { describe, expect, it } from 'vitest';
import { pairedInterval, pairedTTest, tQuantile } from '../../src/studies/parallel-stats.js';
import { compareOnSharedSeeds, comparisonRow, readComparison } from '../../src/studies/seed-comparisons.js';

describe('paired comparisons over seeds', () => {
  it("finds Student's two-sided 95% quantiles as tables give them", () => {
    expect(tQuantile(0.95, 1)).toBeCloseTo(12.7062, 3);
    expect(tQuantile(0.95, 2)).toBeCloseTo(4.3027, 4);
    expect(tQuantile(0.95, 10)).toBeCloseTo(2.2281, 4);
    expect(tQuantile(0.99, 4)).toBeCloseTo(4.6041, 4);
  });

  it('pairs the seeds both rows ran, and reads the interval: a gap the seeds cannot tell, or which row errs less', () => {
    // Decoder 0.67, 0.66 (and a seed 2 pred lacks) against pred 0.59, 0.60: differences 0.08 and 0.06.
    const decoder = new Map([[0, 0.0067], [1, 0.0066], [2, 0.0064]]);
    const pred = new Map([[1, 0.006], [0, 0.0059]]);
    const c = compareOnSharedSeeds('decoder', decoder, 'pred', pred);
    expect(c.seeds).toEqual([0, 1]);
    // Mean 0.07 points, sd 0.0141, se 0.01: t = 7; half-width 12.706 × 0.01 points.
    expect(c.test!.t).toBeCloseTo(7, 6);
    expect(c.interval![0]).toBeCloseTo(0.0007 - 0.00127062, 7);
    expect(c.interval![1]).toBeCloseTo(0.0007 + 0.00127062, 7);
    expect(readComparison(c)).toBe('not distinguishable at n = 2');
    expect(comparisonRow(c)).toBe('| decoder − pred | 0, 1 | 0.07 | -0.06 to 0.20 | 7.00 | 0.09 | not distinguishable at n = 2 |');
    // Five seeds, a steady gap of about 0.1 point: b errs less.
    const a = new Map([0, 1, 2, 3, 4].map((s) => [s, 0.01 + 0.0001 * (s % 2)]));
    const b = new Map([0, 1, 2, 3, 4].map((s) => [s, 0.009]));
    expect(readComparison(compareOnSharedSeeds('a', a, 'b', b))).toBe('b errs less (n = 5)');
    expect(readComparison(compareOnSharedSeeds('b', b, 'a', a))).toBe('b errs less (n = 5)');
    expect(readComparison(compareOnSharedSeeds('a', a, 'c', new Map([[3, 0.01]])))).toBe('not measured: one seed (3) in common');
  });

  it('gives the interval of a paired test from its standard error', () => {
    const t = pairedTTest([3, 4, 5], [1, 1, 1]);
    // Differences 2, 3, 4: mean 3, sd 1, se 1/√3; t(0.975, 2) = 4.3027.
    const [low, high] = pairedInterval(t);
    expect(low).toBeCloseTo(3 - 4.3027 / Math.sqrt(3), 3);
    expect(high).toBeCloseTo(3 + 4.3027 / Math.sqrt(3), 3);
  });
});
