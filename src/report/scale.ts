/** Maps data values to pixels and proposes readable tick values. */
export interface Scale {
  (value: number): number;
  ticks(): number[];
  format(value: number): string;
}

/** A linear scale over [lo, hi] onto [from, to] pixels, with about `ticks` intervals between tick values. */
export function linearScale([lo, hi]: [number, number], [from, to]: [number, number], ticks = 5): Scale {
  const span = hi - lo || 1;
  const scale = ((v: number) => from + ((v - lo) / span) * (to - from)) as Scale;
  const step = niceStep(span / ticks);
  scale.ticks = () => {
    const out: number[] = [];
    for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  };
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  scale.format = (v) => v.toFixed(Math.min(decimals, 6));
  return scale;
}

/** A log₁₀ scale over [lo, hi] (both > 0) with ticks at powers of ten (and 2, 5 between them when few decades). */
export function logScale([lo, hi]: [number, number], [from, to]: [number, number]): Scale {
  const [a, b] = [Math.log10(lo), Math.log10(hi)];
  const span = b - a || 1;
  const scale = ((v: number) => from + ((Math.log10(v) - a) / span) * (to - from)) as Scale;
  scale.ticks = () => {
    const out: number[] = [];
    const mantissas = b - a < 1 ? [1, 2, 3, 5, 7] : b - a < 3 ? [1, 2, 5] : [1];
    for (let e = Math.floor(a); e <= Math.ceil(b); e++) {
      for (const m of mantissas) {
        const v = m * 10 ** e;
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
      }
    }
    return out;
  };
  scale.format = (v) => (v >= 0.01 && v < 1e4 ? String(Number(v.toPrecision(3))) : v.toExponential(0));
  return scale;
}

/** 1, 2 or 5 times a power of ten, near `raw`. */
export function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * power;
}

/** [lo, hi] of the finite values (and > 0 ones for a log scale), widened when flat. */
export function extent(values: number[], positive = false): [number, number] {
  const usable = values.filter((v) => Number.isFinite(v) && (!positive || v > 0));
  if (usable.length === 0) return positive ? [0.1, 1] : [0, 1];
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of usable) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (lo === hi) {
    lo = positive ? lo / 2 : lo - 0.5;
    hi = positive ? hi * 2 : hi + 0.5;
  }
  return [lo, hi];
}
