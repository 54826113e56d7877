import { check } from '../util/errors.js';

/**
 * ln Γ(x) for x > 0: Stirling's series at x + n ≥ 15, brought down by
 * Γ(x) = Γ(x + n) / (x (x+1) … (x+n-1)); about 15 digits.
 */
export function logGamma(x: number): number {
  let shift = 0;
  let z = x;
  while (z < 15) {
    shift += Math.log(z);
    z += 1;
  }
  const z2 = 1 / (z * z);
  // 1/(12z) - 1/(360z³) + 1/(1260z⁵) - 1/(1680z⁷) + 1/(1188z⁹).
  const series = (1 / z) * (1 / 12 - z2 * (1 / 360 - z2 * (1 / 1260 - z2 * (1 / 1680 - z2 / 1188))));
  return (z - 0.5) * Math.log(z) - z + 0.5 * Math.log(2 * Math.PI) + series - shift;
}

/** The continued fraction of the incomplete beta function (modified Lentz), for x < (a+1)/(a+b+2). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    const even = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + even * d;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = 1 + even / c;
    c = Math.abs(c) < tiny ? tiny : c;
    h *= d * c;
    const odd = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + odd * d;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = 1 + odd / c;
    c = Math.abs(c) < tiny ? tiny : c;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** P(|T| ≥ |t|) for Student's t with `df` degrees of freedom. */
export function twoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? NaN : 0;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** A paired comparison of two methods over the same seeds. */
export interface PairedTest {
  /** Mean of a − b. */
  meanDifference: number;
  /** Standard error of that mean: sd(a − b) / √n. */
  standardError: number;
  t: number;
  df: number;
  /** Two-sided p-value (1 when every difference is 0, NaN when they all equal another value). */
  p: number;
  n: number;
}

/** The t with P(|T| ≥ t) = 1 − `level` for `df` degrees of freedom (12.71 for 95% and df 1), by bisection on {@link twoSidedP}. */
export function tQuantile(level: number, df: number): number {
  check(level > 0 && level < 1 && df >= 1, `a t quantile needs a level in (0, 1) and df ≥ 1, got ${level} and ${df}`);
  let low = 0;
  let high = 1;
  while (twoSidedP(high, df) > 1 - level) high *= 2;
  for (let k = 0; k < 200 && high - low > 1e-12 * high; k++) {
    const mid = (low + high) / 2;
    if (twoSidedP(mid, df) > 1 - level) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/** The `level` confidence interval of a paired test's mean difference (its standard error times Student's quantile). */
export function pairedInterval(test: PairedTest, level = 0.95): [number, number] {
  const half = tQuantile(level, test.df) * test.standardError;
  return [test.meanDifference - half, test.meanDifference + half];
}

/** The two-sided paired t-test of `a` against `b` (the same seeds, in the same order). */
export function pairedTTest(a: number[], b: number[]): PairedTest {
  check(a.length === b.length && a.length >= 2, `a paired t-test needs two lists of the same length ≥ 2, got ${a.length} and ${b.length}`);
  const n = a.length;
  const d = a.map((v, k) => v - b[k]);
  const mean = d.reduce((s, v) => s + v, 0) / n;
  const sd = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  const standardError = sd / Math.sqrt(n);
  const t = standardError === 0 ? (mean === 0 ? 0 : Math.sign(mean) * Infinity) : mean / standardError;
  return { meanDifference: mean, standardError, t, df: n - 1, p: mean === 0 && standardError === 0 ? 1 : twoSidedP(t, n - 1), n };
}

/**
 * Epochs trained before the accuracy first reached `target`, from the
 * accuracy after each epoch (`curve[k]` after k + 1 epochs), or null when it
 * never did.
 */
export function epochsToTarget(curve: number[], target: number): number | null {
  const k = curve.findIndex((a) => a >= target);
  return k < 0 ? null : k + 1;
}

/** The area under accuracy against the share of the run: the mean accuracy after each epoch. */
export function areaUnderCurve(curve: number[]): number {
  check(curve.length > 0, 'an accuracy curve needs at least one epoch');
  return curve.reduce((s, a) => s + a, 0) / curve.length;
}

/** The median (the mean of the middle two for an even count); null ones (never reached) count as above every number. */
export function median(values: (number | null)[]): number | null {
  check(values.length > 0, 'a median needs at least one value');
  const sorted = [...values].sort((x, y) => (x === null ? (y === null ? 0 : 1) : y === null ? -1 : x - y));
  const mid = sorted.length / 2;
  const pick = (k: number) => sorted[k];
  if (sorted.length % 2 === 1) return pick(Math.floor(mid));
  const [lo, hi] = [pick(mid - 1), pick(mid)];
  return lo === null || hi === null ? null : (lo + hi) / 2;
}
