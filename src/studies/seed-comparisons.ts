import { pairedInterval, pairedTTest, type PairedTest } from './parallel-stats.js';

/** Two rows' test errors on the seeds both have, paired seed by seed. */
export interface SeedComparison {
  a: string;
  b: string;
  /** The seeds both rows ran, ascending. */
  seeds: number[];
  /** a − b's paired t-test, with two or more shared seeds. */
  test?: PairedTest;
  /** Its 95% interval. */
  interval?: [number, number];
}

/** Row `a` against row `b` over their shared seeds, from each row's test error by seed. */
export function compareOnSharedSeeds(a: string, errorsA: Map<number, number>, b: string, errorsB: Map<number, number>): SeedComparison {
  const seeds = [...errorsA.keys()].filter((s) => errorsB.has(s)).sort((x, y) => x - y);
  if (seeds.length < 2) return { a, b, seeds };
  const test = pairedTTest(seeds.map((s) => errorsA.get(s)!), seeds.map((s) => errorsB.get(s)!));
  return { a, b, seeds, test, interval: pairedInterval(test) };
}

/** What a comparison says in words: which row errs less, or that the seeds cannot tell (the interval holds 0). */
export function readComparison(c: SeedComparison): string {
  const n = c.seeds.length;
  if (!c.test || !c.interval) return `not measured: ${n === 0 ? 'no seed' : `one seed (${c.seeds[0]})`} in common`;
  const [low, high] = c.interval;
  if (low <= 0 && high >= 0) return `not distinguishable at n = ${n}`;
  return high < 0 ? `${c.a} errs less (n = ${n})` : `${c.b} errs less (n = ${n})`;
}

/** One Markdown table row: the pair, the seeds, a − b in points with its 95% interval, t, p and the reading. */
export function comparisonRow(c: SeedComparison): string {
  const points = (v: number) => (100 * v).toFixed(2);
  const seeds = c.seeds.length > 0 ? c.seeds.join(', ') : '–';
  if (!c.test || !c.interval) return `| ${c.a} − ${c.b} | ${seeds} | | | | | ${readComparison(c)} |`;
  const t = Number.isFinite(c.test.t) ? c.test.t.toFixed(2) : String(c.test.t);
  return `| ${c.a} − ${c.b} | ${seeds} | ${points(c.test.meanDifference)} | ${points(c.interval[0])} to ${points(c.interval[1])} | ${t} | ${c.test.p.toFixed(2)} | ${readComparison(c)} |`;
}
