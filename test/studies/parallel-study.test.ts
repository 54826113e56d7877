import { describe, expect, it } from 'vitest';
import { makeDataset } from '../../src/data/dataset.js';
import { boundaryDistances, nearAndFar } from '../../src/studies/parallel-hypothesis.js';
import { namedInProtocol } from '../../src/studies/parallel-report.js';
import { areaUnderCurve, epochsToTarget, incompleteBeta, logGamma, median, pairedTTest, twoSidedP } from '../../src/studies/parallel-stats.js';
import { chooseConfigurations, methodGrid, nameCandidate, SEEDS, type Family, type RunSummary } from '../../src/studies/parallel-study.js';
import { LocalpropError } from '../../src/util/errors.js';

describe('the statistics of the parallel study', () => {
  it('gives Student t p-values known in closed form and from tables', () => {
    // df 1 is Cauchy: P(|T| ≥ 1) = 1/2. df 2: P(|T| ≥ t) = 1 - t/√(2 + t²).
    expect(twoSidedP(1, 1)).toBeCloseTo(0.5, 12);
    expect(twoSidedP(2, 2)).toBeCloseTo(1 - 2 / Math.sqrt(6), 12);
    // Tables: t(0.975, 9) = 2.262157, t(0.995, 9) = 3.249836.
    expect(twoSidedP(2.262157, 9)).toBeCloseTo(0.05, 6);
    expect(twoSidedP(-3.249836, 9)).toBeCloseTo(0.01, 6);
    expect(twoSidedP(0, 9)).toBeCloseTo(1, 12);
    // Γ(5) = 24, Γ(½) = √π, Γ(30) = 29!.
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
    expect(logGamma(30)).toBeCloseTo(Array.from({ length: 29 }, (_, k) => Math.log(k + 1)).reduce((a, b) => a + b, 0), 11);
    // I_x(1, 1) = x; I_x(2, 1) = x².
    expect(incompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12);
    expect(incompleteBeta(0.3, 2, 1)).toBeCloseTo(0.09, 12);
  });

  it('pairs the seeds: differences 1, 2, 3 have mean 2, standard error 1/√3, t = 2√3 on 2 degrees of freedom', () => {
    const t = pairedTTest([1, 2, 3], [0, 0, 0]);
    expect(t.meanDifference).toBeCloseTo(2, 12);
    expect(t.standardError).toBeCloseTo(1 / Math.sqrt(3), 12);
    expect(t.t).toBeCloseTo(2 * Math.sqrt(3), 12);
    expect(t.df).toBe(2);
    expect(t.p).toBeCloseTo(1 - (2 * Math.sqrt(3)) / Math.sqrt(2 + 12), 12);
    // The same shift on every seed: no paired variation; identical lists: p = 1.
    expect(pairedTTest([1, 2], [1, 2]).p).toBe(1);
    expect(pairedTTest([2, 3], [1, 2]).p).toBe(0);
    expect(() => pairedTTest([1], [2])).toThrow(LocalpropError);
  });

  it('measures convergence: epochs to a target, the area under the curve, medians with runs that never got there', () => {
    expect(epochsToTarget([0.5, 0.8, 0.95, 0.9, 0.97], 0.95)).toBe(3);
    expect(epochsToTarget([0.5, 0.8], 0.95)).toBeNull();
    expect(areaUnderCurve([0.5, 0.7, 0.9])).toBeCloseTo(0.7, 12);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    // A run that never reached the target counts as the slowest: the median of 2, 5, never is 5; of 2, never is unknown.
    expect(median([null, 2, 5])).toBe(5);
    expect(median([2, null])).toBeNull();
  });
});

describe('the boundary distances of the hypothesis', () => {
  it('measures each point to the nearest point of another class, and splits off the nearest and farthest quarters', () => {
    // Sample: class 0 at (0, 0), class 1 at (1, 0) and (0, 3).
    const sample = makeDataset(Float32Array.from([0, 0, 1, 0, 0, 3]), Float32Array.from([0, 1, 1]), 2, 1);
    // Points: class 0 at (0.5, 0) → 0.5 from (1, 0); class 1 at (0, 1) → 1 from (0, 0); class 0 at (0, 2) → 1 from (0, 3); class 1 at (3, 0) → 3.
    const points = makeDataset(Float32Array.from([0.5, 0, 0, 1, 0, 2, 3, 0]), Float32Array.from([0, 1, 0, 1]), 2, 1);
    const d = boundaryDistances(points, [sample]);
    expect(Array.from(d)).toEqual([0.5, 1, 1, 3]);
    expect(nearAndFar(d)).toEqual({ near: [0], far: [3] });
    // Several draws of the sample: the nearest over all of them.
    const closer = makeDataset(Float32Array.from([2.9, 0]), Float32Array.from([0]), 2, 1);
    expect(Array.from(boundaryDistances(points, [sample, closer]))[3]).toBeCloseTo(0.1, 6);
  });
});

/** Validation summaries with the given mean accuracy for each (family, configuration), every seed alike but for a small seed-dependent term. */
function summaries(dataset: 'spiral' | 'circles', accuracy: (family: Family, config: string) => number, seconds: (family: Family) => number = () => 1): RunSummary[] {
  return methodGrid('rprop').flatMap((c) =>
    SEEDS.validation.rprop.map((seed) => ({ phase: 'validation' as const, dataset, family: c.family, config: c.label, seed, accuracy: accuracy(c.family, c.label) + (seed - 104.5) * 1e-4, seconds: seconds(c.family), epochs: 200 })),
  );
}

describe('the protocol\'s choices', () => {
  it('holds the protocol\'s grids: 30 configurations under Rprop, 8 under Adam', () => {
    const count = (o: 'rprop' | 'adam') => Object.fromEntries(['parallel', 'sequential', 'drift-rprop', 'lagged', 'freeze', 'drift-adam'].map((f) => [f, methodGrid(o).filter((c) => c.family === f).length]));
    expect(count('rprop')).toEqual({ parallel: 4, sequential: 4, 'drift-rprop': 12, lagged: 6, freeze: 4, 'drift-adam': 0 });
    expect(count('adam')).toEqual({ parallel: 2, sequential: 1, 'drift-rprop': 0, lagged: 0, freeze: 1, 'drift-adam': 4 });
    expect(SEEDS.validation.rprop).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
    expect(SEEDS.final).toEqual({ rprop: [30, 31, 32, 33, 34, 35, 36, 37, 38, 39], adam: [3, 4, 5, 6, 7] });
  });

  it('chooses each family\'s best configuration, the first of equals, and only on complete seeds', () => {
    const acc = (family: Family, config: string) => (family === 'parallel' && config === 'etaMinus 0.9' ? 0.98 : config.includes('etaMinus 0.9') ? 0.96 : 0.9);
    const runs = [...summaries('spiral', acc), ...summaries('circles', acc)];
    const chosen = chooseConfigurations(runs, ['spiral', 'circles']);
    expect(chosen.spiral!.parallel!.label).toBe('etaMinus 0.9');
    // drift-rprop: every "etaMinus 0.9" configuration ties; the first listed wins.
    expect(chosen.spiral!['drift-rprop']!.label).toBe('τ 0.03, reset off, etaMinus 0.9');
    // One seed missing from the best parallel configuration: it does not compete.
    const partial = runs.filter((r) => !(r.dataset === 'spiral' && r.family === 'parallel' && r.config === 'etaMinus 0.9' && r.seed === 109));
    expect(chooseConfigurations(partial, ['spiral']).spiral!.parallel!.label).toBe('etaMinus 0.95');
  });

  it('names the most accurate candidate and shows, without using, its validation cost', () => {
    const acc = (family: Family) => ({ parallel: 0.95, sequential: 0.97, 'drift-rprop': 0.96, lagged: 0.99, freeze: 0.955, 'drift-adam': 0 })[family];
    const slowLag = (family: Family) => (family === 'lagged' ? 1.2 : 1);
    const runs = [...summaries('spiral', acc, slowLag), ...summaries('circles', acc, slowLag)];
    const chosen = chooseConfigurations(runs, ['spiral', 'circles']);
    const { rows, named } = nameCandidate(runs, chosen, 'rprop');
    expect(rows.map((r) => [r.family, r.eligible])).toEqual([['drift-rprop', true], ['lagged', false], ['freeze', true]]);
    expect(rows[1].costRatio.spiral).toBeCloseTo(1.2, 12);
    // The lagged start is most accurate; its validation seconds (noise on a shared machine) do not decide.
    expect(named).toBe('lagged');
  });

  it('reads the name from the protocol\'s own line', () => {
    expect(namedInProtocol('text\nNamed candidate, Rprop: `freeze` (validation ...)\n', 'rprop')).toBe('freeze');
    expect(namedInProtocol('Named candidate, Rprop: `freeze`', 'adam')).toBeNull();
  });
});
