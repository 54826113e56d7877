import { stats, type Stats } from '../experiment/summary.js';
import { lineChart } from '../report/chart.js';
import { CATEGORY_COLORS } from '../report/colors.js';
import { canonicalJson } from '../train/run.js';
import type { PlannedRun } from './plan.js';
import type { SweepRecord } from './store.js';

/** One configuration of a sweep over its seeds. */
export interface ConfigurationSummary {
  /** The configuration's label without its seed. */
  label: string;
  /** Seeds planned for it, and those with a record. */
  planned: number[];
  seeds: number[];
  testAccuracy?: Stats;
  testLoss?: Stats;
  trainLoss?: Stats;
  seconds?: Stats;
  /** Test accuracy before each epoch, then the final model's: the mean over the recorded seeds (as long as the shortest). */
  curve: number[];
}

const withoutSeed = (label: string) => label.replace(/ ?seed=\d+$/, '') || 'base';

/** The key that groups a run with its other seeds: its configuration with the seed taken out. */
function configurationKey(run: PlannedRun): string {
  const { seed: _seed, ...rest } = run.configuration.run;
  return canonicalJson({ ...run.configuration, run: rest });
}

/** Mean and sample standard deviation over seeds of every configuration of the plan, in plan order. */
export function summarizeSweep(runs: PlannedRun[], records: Map<string, SweepRecord>): ConfigurationSummary[] {
  const groups = new Map<string, PlannedRun[]>();
  for (const run of runs) groups.set(configurationKey(run), [...(groups.get(configurationKey(run)) ?? []), run]);
  return [...groups.values()].map((group) => {
    const done = group.map((r) => records.get(r.id)).filter((r): r is SweepRecord => r !== undefined);
    const of = (f: (r: SweepRecord) => number) => (done.length ? stats(done.map(f)) : undefined);
    const curves = done.map((r) => r.history.map((e) => e.testAccuracy));
    const length = curves.length ? Math.min(...curves.map((c) => c.length)) : 0;
    return {
      label: withoutSeed(group[0].label),
      planned: group.map((r) => r.options.seed as number),
      seeds: done.map((r) => r.seed),
      testAccuracy: of((r) => r.final.testAccuracy),
      testLoss: of((r) => r.final.testLoss),
      trainLoss: of((r) => r.final.trainLoss),
      seconds: of((r) => r.seconds),
      curve: Array.from({ length }, (_, e) => curves.reduce((a, c) => a + c[e], 0) / curves.length),
    };
  });
}

const pm = (s: Stats | undefined, digits: number) => (s ? `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}` : '');

/** The summary as a markdown table (mean ± sample standard deviation over seeds). */
export function sweepTable(summaries: ConfigurationSummary[]): string {
  const lines = ['| configuration | seeds done | test accuracy | test loss | train loss | seconds per run |', '|---|---|---|---|---|---|'];
  for (const s of summaries) {
    const seeds = `${s.seeds.length} of ${s.planned.length}${s.seeds.length ? ` (${s.seeds.join(', ')})` : ''}`;
    lines.push(`| ${s.label} | ${seeds} | ${pm(s.testAccuracy, 4)} | ${pm(s.testLoss, 5)} | ${pm(s.trainLoss, 5)} | ${s.seconds ? s.seconds.mean.toFixed(1) : ''} |`);
  }
  return lines.join('\n');
}

/** Test accuracy per epoch, one line per configuration (the mean over its seeds); null before any record. */
export function sweepCurves(summaries: ConfigurationSummary[], title: string): string | null {
  const series = summaries
    .filter((s) => s.curve.length > 0)
    .map((s, k) => ({ name: `${s.label} (${s.seeds.length} seed${s.seeds.length > 1 ? 's' : ''})`, color: CATEGORY_COLORS[k % CATEGORY_COLORS.length], points: s.curve.map((a, e) => [e, a] as [number, number]) }));
  if (series.length === 0) return null;
  return lineChart({ title, xLabel: 'epochs trained', yLabel: 'test accuracy', series, width: 560, height: 300 });
}
