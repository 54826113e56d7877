import type { DecoderMode, RunEndEvent } from '../train/events.js';

/** One row of the result table: a schedule and decoder mode over all seeds. */
export interface SummaryRow {
  schedule: string;
  decoders: DecoderMode;
  /** The rule, when not the default decoder rule. */
  rule?: string;
  seeds: number[];
  testAccuracy: Stats;
  testLoss: Stats;
  trainLoss: Stats;
  seconds: Stats;
  /** The seeds whose runs collapsed (see {@link RunEndEvent.collapsed}), when any did. */
  collapsed?: number[];
}

/** Mean, sample standard deviation (n - 1; 0 for one seed), min and max. */
export interface Stats {
  mean: number;
  std: number;
  min: number;
  max: number;
}

export function stats(values: number[]): Stats {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance), min: Math.min(...values), max: Math.max(...values) };
}

/** Groups results by schedule and decoder mode, in the order they first appear. */
export function summarize(results: RunEndEvent[]): SummaryRow[] {
  const groups = new Map<string, RunEndEvent[]>();
  for (const r of results) {
    const key = `${r.schedule}\u0000${r.decoders}\u0000${r.rule ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((rs) => ({
    schedule: rs[0].schedule,
    decoders: rs[0].decoders,
    ...(rs[0].rule ? { rule: rs[0].rule } : {}),
    seeds: rs.map((r) => r.seed),
    testAccuracy: stats(rs.map((r) => r.testAccuracy)),
    testLoss: stats(rs.map((r) => r.testLoss)),
    trainLoss: stats(rs.map((r) => r.trainLoss)),
    seconds: stats(rs.map((r) => r.seconds)),
    ...(rs.some((r) => r.collapsed) ? { collapsed: rs.filter((r) => r.collapsed).map((r) => r.seed) } : {}),
  }));
}
