import { stats } from '../experiment/summary.js';
import { lineChart, type Series } from '../report/chart.js';
import { CATEGORY_COLORS } from '../report/colors.js';
import type { BoundaryRow } from './parallel-hypothesis.js';
import { median, pairedTTest, type PairedTest } from './parallel-stats.js';
import { chooseConfigurations, methodGrid, nameCandidate, optimizerOf, SEEDS, TARGETS, TWO_D, IMAGES, type Family, type ParallelDataset, type RunSummary } from './parallel-study.js';

/** What `experiment parallel` keeps in parallel.json: every finished run's summary and the boundary measurements. */
/** A run that failed (diverged, as the run's guard says): no final model to score. */
export interface FailedRun {
  phase: 'validation' | 'final';
  dataset: ParallelDataset;
  family: Family;
  config: string;
  seed: number;
  message: string;
}

export interface ParallelResults {
  runs: RunSummary[];
  /** Runs that failed (a configuration with one on a validation seed is not chosen; on a final seed it counts as accuracy 0). */
  failures?: FailedRun[];
  boundary: BoundaryRow[];
  /** The few-seconds version (`--quick`): 2 seeds, one configuration a family. */
  quick?: boolean;
}

/** parallel.json's text: one line a run (curves of hundreds of epochs stay on their run's line, and a diff shows which runs changed). */
export function resultsJson(results: ParallelResults): string {
  const list = (rows: unknown[] | undefined) => `[${(rows ?? []).map((r) => `\n    ${JSON.stringify(r)}`).join(',')}\n  ]`;
  return `{\n  "runs": ${list(results.runs)},\n  "failures": ${list(results.failures)},\n  "boundary": ${list(results.boundary)}${results.quick ? ',\n  "quick": true' : ''}\n}\n`;
}

/** The marker in parallel.md: the protocol above it is kept, everything below is generated. */
export const GENERATED_MARKER = '<!-- generated below: npx localprop experiment parallel -->';

const FAMILY_ORDER: Family[] = ['parallel', 'sequential', 'drift-rprop', 'drift-adam', 'lagged', 'freeze'];
const FAMILY_NAMES: Record<Family, string> = {
  parallel: 'local-parallel (tuned)',
  sequential: 'local-sequential (tuned)',
  'drift-rprop': 'drift-aware Rprop',
  'drift-adam': 'drift-aware Adam',
  lagged: 'lagged start',
  freeze: 'progressive freezing',
};
const colorOf = (f: Family) => CATEGORY_COLORS[FAMILY_ORDER.indexOf(f) % CATEGORY_COLORS.length];
const TITLES: Record<ParallelDataset, string> = { spiral: 'spiral', circles: 'circles', mnist: 'MNIST', 'fashion-mnist': 'Fashion-MNIST' };

/** The named candidate for an optimizer as the protocol records it (`Named candidate, Rprop: \`family\``), or null before it is. */
export function namedInProtocol(protocol: string, optimizer: 'rprop' | 'adam'): Family | null {
  const m = new RegExp(`Named candidate, ${optimizer === 'rprop' ? 'Rprop' : 'Adam'}: \`([a-z-]+)\``).exec(protocol);
  return m ? (m[1] as Family) : null;
}

const f4 = (v: number) => v.toFixed(4);
const meanStd = (values: number[]) => {
  const s = stats(values);
  return `${f4(s.mean)} ± ${f4(s.std)}`;
};
const pText = (p: number) => (p < 0.001 ? p.toExponential(1) : p.toFixed(3));
const medianOf = (values: number[]) => median(values)!;

/** Accuracy after each epoch, mean over seeds, one line per family, against epochs trained (local-sequential: every block's). */
export function parallelCurves(runs: RunSummary[], dataset: ParallelDataset): string | null {
  const finals = runs.filter((r) => r.phase === 'final' && r.dataset === dataset && r.curve);
  const series: Series[] = FAMILY_ORDER.flatMap((family) => {
    const own = finals.filter((r) => r.family === family);
    if (own.length === 0) return [];
    const length = Math.min(...own.map((r) => r.curve!.length));
    const points = Array.from({ length }, (_, k) => [k + 1, own.reduce((s, r) => s + r.curve![k], 0) / own.length] as [number, number]);
    return [{ name: `${FAMILY_NAMES[family]} (${own.length} seeds)`, color: colorOf(family), points, dashed: family === 'sequential' }];
  });
  if (series.length === 0) return null;
  const [lo] = [Math.min(...series.flatMap((s) => s.points.slice(Math.floor(s.points.length / 10)).map((p) => p[1])))];
  return lineChart({
    title: `${TITLES[dataset]}: test accuracy, mean over the final seeds`,
    xLabel: 'epochs trained (local-sequential: every block’s; its blocks change every 200 on the 2-D sets)',
    yLabel: 'test accuracy',
    series,
    yDomain: [Math.max(0, Math.floor(lo * 50) / 50), 1],
    width: 620,
    height: 300,
  });
}

/** Per-block decoder accuracy on near and far test points, one line per family and set (far dashed). */
export function boundaryChart(rows: BoundaryRow[], dataset: ParallelDataset): string | null {
  const own = rows.filter((r) => r.dataset === dataset);
  if (own.length === 0) return null;
  const series: Series[] = FAMILY_ORDER.flatMap((family) => {
    const f = own.filter((r) => r.family === family);
    if (f.length === 0) return [];
    const mean = (pick: (r: BoundaryRow) => number[]) => pick(f[0]).map((_, b) => [b, f.reduce((s, r) => s + pick(r)[b], 0) / f.length] as [number, number]);
    return [
      { name: `${FAMILY_NAMES[family]}, near`, color: colorOf(family), points: mean((r) => r.near) },
      { name: `${FAMILY_NAMES[family]}, far`, color: colorOf(family), points: mean((r) => r.far), dashed: true },
    ];
  });
  return lineChart({ title: `${TITLES[dataset]}: each block's decoder accuracy, nearest and farthest quarter of test points`, xLabel: 'block', yLabel: 'decoder accuracy', series, xTicks: 3, width: 620, height: 300 });
}

interface Verdict {
  dataset: ParallelDataset;
  vsParallel: PairedTest;
  vsSequential: PairedTest | null;
  costRatio: number;
}

/** The generated part of the page: validation, naming, final runs, tests, convergence and the boundary measurements. */
export function renderParallelResults(results: ParallelResults, protocol: string, command: string, discussion: string | null, records = 'runs/parallel-runs'): string {
  const out: string[] = [GENERATED_MARKER, '', `Generated by \`${command}\` (every run's summary in \`parallel${results.quick ? '-quick' : ''}.json\`; the sweep records, resumable, in \`${records}/\`, not committed).`, ''];
  const validation = results.runs.filter((r) => r.phase === 'validation');
  const finals = results.runs.filter((r) => r.phase === 'final');
  const failures = results.failures ?? [];
  const datasets = [...TWO_D, ...IMAGES].filter((d) => results.runs.some((r) => r.dataset === d));
  const chosen = chooseConfigurations(validation, datasets, results.quick);
  const verdicts: Verdict[] = [];

  for (const dataset of datasets) {
    const optimizer = optimizerOf(dataset);
    out.push(`## ${TITLES[dataset]}`, '');
    const grid = methodGrid(optimizer);
    const seeds = SEEDS.validation[optimizer].slice(0, results.quick ? 2 : undefined);
    out.push(`### Validation (seeds ${seeds[0]}-${seeds[seeds.length - 1]}, held-out training points; the test set unread)`, '');
    out.push('| family | configuration | seeds done | validation accuracy | median seconds |', '|---|---|---|---|---|');
    for (const config of grid) {
      const runs = validation.filter((r) => r.dataset === dataset && r.family === config.family && r.config === config.label);
      const failed = failures.filter((r) => r.phase === 'validation' && r.dataset === dataset && r.family === config.family && r.config === config.label);
      if (runs.length === 0 && failed.length === 0) continue;
      const mark = chosen[dataset]?.[config.family]?.label === config.label ? ' **(chosen)**' : '';
      const done = `${runs.length} of ${seeds.length}${failed.length > 0 ? `, ${failed.length} diverged (seed${failed.length > 1 ? 's' : ''} ${failed.map((r) => r.seed).join(', ')})` : ''}`;
      out.push(`| ${FAMILY_NAMES[config.family]} | ${config.label}${mark} | ${done} | ${runs.length > 0 ? meanStd(runs.map((r) => r.accuracy)) : '—'} | ${runs.length > 0 ? medianOf(runs.map((r) => r.seconds)).toFixed(2) : '—'} |`);
    }
    out.push('', 'A configuration with a diverged run (the run\'s guard stopped it, its outputs saturated on the wrong side) has no mean over every seed and is not chosen.', '');
    const figure = parallelCurves(results.runs, dataset);
    const own = finals.filter((r) => r.dataset === dataset);
    if (own.length === 0) {
      out.push('_No final runs yet._', '');
      continue;
    }
    const finalSeeds = SEEDS.final[optimizer].slice(0, results.quick ? 2 : undefined);
    out.push(`### Final comparison (seeds ${finalSeeds[0]}-${finalSeeds[finalSeeds.length - 1]}, test set)`, '');
    out.push(
      `Convergence: target accuracy ${TARGETS[dataset]}; epochs to target counts every block's epochs for local-sequential (its cost); area under the curve is the mean test accuracy after each of the run's epochs. Cost: median seconds over local-parallel's.`,
      '',
      '| family | configuration | seeds | test accuracy | min – max | median seconds | cost × parallel | epochs to target (median, reached) | seconds to target (median) | area under curve |',
      '|---|---|---|---|---|---|---|---|---|---|',
    );
    const parallelSeconds = medianOf(own.filter((r) => r.family === 'parallel').map((r) => r.seconds));
    const failedOf = (family: Family) => failures.filter((r) => r.phase === 'final' && r.dataset === dataset && r.family === family);
    for (const family of FAMILY_ORDER) {
      const runs = own.filter((r) => r.family === family).sort((a, b) => a.seed - b.seed);
      if (runs.length === 0) continue;
      const diverged = failedOf(family);
      const acc = [...runs.map((r) => r.accuracy), ...diverged.map(() => 0)];
      const reached = runs.filter((r) => r.epochsToTarget !== null && r.epochsToTarget !== undefined);
      const epochsMedian = median(runs.map((r) => r.epochsToTarget ?? null));
      const secondsMedian = median(runs.map((r) => (r.epochsToTarget ? (r.epochsToTarget * r.seconds) / r.epochs : null)));
      const seconds = medianOf(runs.map((r) => r.seconds));
      out.push(
        `| ${FAMILY_NAMES[family]} | ${runs[0].config} | ${acc.length}${diverged.length > 0 ? ` (${diverged.length} diverged, counted as 0)` : ''} | ${meanStd(acc)} | ${f4(Math.min(...acc))} – ${f4(Math.max(...acc))} | ${seconds.toFixed(2)} | ${(seconds / parallelSeconds).toFixed(2)} | ${epochsMedian === null ? 'not reached' : epochsMedian} (${reached.length}/${runs.length}) | ${secondsMedian === null ? '—' : secondsMedian.toFixed(2)} | ${f4(stats(runs.map((r) => r.auc!)).mean)} |`,
      );
    }
    out.push('');
    if (figure) out.push(`![test accuracy against epochs, per method](parallel${results.quick ? '-quick' : ''}-${dataset}-curves.svg)`, '');
    const named = results.quick ? nameCandidate(validation, chosen, optimizer, true).named : namedInProtocol(protocol, optimizer);
    // A diverged final run has no model to score: it enters the tests as accuracy 0, against the method that diverged.
    const accOf = (family: Family) => [...own.filter((r) => r.family === family), ...failedOf(family).map((r) => ({ seed: r.seed, accuracy: 0, seconds: NaN }))].sort((a, b) => a.seed - b.seed);
    if (named && accOf(named).length === finalSeeds.length && accOf('parallel').length === finalSeeds.length) {
      const cand = accOf(named);
      const vsParallel = pairedTTest(cand.map((r) => r.accuracy), accOf('parallel').map((r) => r.accuracy));
      const seq = accOf('sequential');
      const vsSequential = seq.length === finalSeeds.length ? pairedTTest(cand.map((r) => r.accuracy), seq.map((r) => r.accuracy)) : null;
      const costRatio = medianOf(cand.filter((r) => Number.isFinite(r.seconds)).map((r) => r.seconds)) / parallelSeconds;
      verdicts.push({ dataset, vsParallel, vsSequential, costRatio });
      out.push(`Named candidate **${FAMILY_NAMES[named]}**, two-sided paired t-tests over the ${finalSeeds.length} seeds:`, '');
      out.push('| against | mean difference | standard error | t | p |', '|---|---|---|---|---|');
      for (const [label, t] of [['tuned local-parallel', vsParallel], ['tuned local-sequential', vsSequential]] as const) {
        if (t) out.push(`| ${label} | ${t.meanDifference >= 0 ? '+' : ''}${f4(t.meanDifference)} | ${f4(t.standardError)} | ${t.t.toFixed(2)} | ${pText(t.p)} |`);
      }
      out.push('');
    }
  }

  out.push(...renderNaming(validation, chosen, protocol, results.quick ?? false));
  out.push(...renderAnswer(verdicts, datasets));
  out.push(...renderBoundary(results.boundary, finals, results.quick ? '-quick' : ''));
  if (discussion) out.push('## Discussion', '', discussion.trim(), '');
  return out.join('\n');
}

function renderNaming(validation: RunSummary[], chosen: ReturnType<typeof chooseConfigurations>, protocol: string, quick: boolean): string[] {
  const out: string[] = [];
  for (const optimizer of ['rprop', 'adam'] as const) {
    const { rows, named } = nameCandidate(validation, chosen, optimizer, quick);
    if (rows.length === 0) continue;
    const title = optimizer === 'rprop' ? 'Rprop (spiral, circles)' : 'Adam (MNIST, Fashion-MNIST)';
    out.push(`## Naming the candidate: ${title}`, '', 'Chosen configurations only. Cost is median validation seconds over the chosen local-parallel’s; it is shown but does not decide (the protocol’s deviation: on the shared machine identical work differs by more than 1.1× between configurations), and the 1.1× rule applies on the final runs.', '');
    out.push('| family | mean validation accuracy over the datasets | validation cost × parallel | within 1.1× |', '|---|---|---|---|');
    for (const r of rows) out.push(`| ${FAMILY_NAMES[r.family]} | ${f4(r.accuracy)} | ${Object.entries(r.costRatio).map(([d, c]) => `${TITLES[d as ParallelDataset]} ${c!.toFixed(2)}`).join(', ')} | ${r.eligible ? 'yes' : 'no'} |`);
    const recorded = namedInProtocol(protocol, optimizer);
    out.push('', `The rule names **${named ? FAMILY_NAMES[named] : 'none'}**${recorded ? `; the protocol records \`${recorded}\`${recorded === named ? '' : ' (they differ: check the records)'}` : '; not yet recorded in the protocol'}.`, '');
  }
  return out;
}

function renderAnswer(verdicts: Verdict[], datasets: ParallelDataset[]): string[] {
  if (verdicts.length === 0) return [];
  const out = ['## The answer', '', '| dataset | beats tuned local-parallel (p < 0.05) | within one standard error of it | reaches local-sequential | cost ≤ 1.1× |', '|---|---|---|---|---|'];
  for (const v of verdicts) {
    const beats = v.vsParallel.meanDifference > 0 && v.vsParallel.p < 0.05;
    const within = v.vsParallel.meanDifference >= -v.vsParallel.standardError;
    const reaches = v.vsSequential === null ? '—' : v.vsSequential.meanDifference >= 0 || v.vsSequential.p >= 0.05 ? 'yes' : 'no';
    out.push(`| ${TITLES[v.dataset]} | ${beats ? 'yes' : 'no'} (p ${pText(v.vsParallel.p)}) | ${within ? 'yes' : 'no'} | ${reaches} | ${v.costRatio <= 1.1 ? 'yes' : 'no'} (${v.costRatio.toFixed(2)}×) |`);
  }
  const missing = [...TWO_D, ...IMAGES].filter((d) => !verdicts.some((v) => v.dataset === d));
  const wins = verdicts.filter((v) => v.vsParallel.meanDifference > 0 && v.vsParallel.p < 0.05 && v.costRatio <= 1.1).length;
  const goal = missing.length === 0 && wins >= 3 && verdicts.every((v) => v.costRatio <= 1.1 && (v.vsParallel.meanDifference > 0 && v.vsParallel.p < 0.05 ? true : v.vsParallel.meanDifference >= -v.vsParallel.standardError));
  out.push('', missing.length > 0 ? `The goal (p < 0.05 against tuned local-parallel on three of the four datasets) cannot be judged yet: ${missing.map((d) => TITLES[d]).join(', ')} ${missing.length > 1 ? 'have' : 'has'} no final test. So far the named candidate wins on ${wins} of ${verdicts.length}.` : `Goal ${goal ? 'met' : 'not met'}: the named candidate wins on ${wins} of 4 datasets at the cost rule.`, '');
  void datasets;
  return out;
}

function renderBoundary(rows: BoundaryRow[], finals: RunSummary[], suffix: string): string[] {
  if (rows.length === 0) return [];
  const out = ['## The note’s hypothesis: near the boundary and far from it', '', 'Each block’s decoder accuracy on the quarter of test points nearest to the class boundary and the quarter farthest from it (final seeds; the runs retrained, their test accuracy equal to the records’ as the last column checks).', ''];
  for (const dataset of TWO_D) {
    const own = rows.filter((r) => r.dataset === dataset);
    if (own.length === 0) continue;
    out.push(`### ${TITLES[dataset]}`, '', '| family | seeds | near, per block | far, per block | retrained = recorded |', '|---|---|---|---|---|');
    for (const family of FAMILY_ORDER) {
      const f = own.filter((r) => r.family === family);
      if (f.length === 0) continue;
      const mean = (pick: (r: BoundaryRow) => number[]) => pick(f[0]).map((_, b) => (f.reduce((s, r) => s + pick(r)[b], 0) / f.length).toFixed(3)).join(' / ');
      const same = f.every((r) => finals.some((s) => s.dataset === dataset && s.family === family && s.seed === r.seed && s.accuracy === r.accuracy));
      out.push(`| ${FAMILY_NAMES[family]} | ${f.length} | ${mean((r) => r.near)} | ${mean((r) => r.far)} | ${same ? 'yes' : 'NO'} |`);
    }
    const bySeed = (family: Family) => own.filter((r) => r.family === family).sort((a, b) => a.seed - b.seed);
    const seq = bySeed('sequential');
    const par = bySeed('parallel');
    if (seq.length > 1 && seq.length === par.length) {
      const last = seq[0].near.length - 1;
      const gapNear = seq.map((r, k) => r.near[last] - par[k].near[last]);
      const gapFar = seq.map((r, k) => r.far[last] - par[k].far[last]);
      const t = pairedTTest(gapNear, gapFar);
      out.push('', `Sequential − parallel at the last block: ${f4(stats(gapNear).mean)} on near points, ${f4(stats(gapFar).mean)} on far ones; the difference (near − far) ${t.meanDifference >= 0 ? '+' : ''}${f4(t.meanDifference)} ± ${f4(t.standardError)}, t = ${t.t.toFixed(2)}, p = ${pText(t.p)} (two-sided paired over ${t.n} seeds): the claim is ${t.meanDifference > 0 && t.p < 0.05 ? 'supported' : 'not supported'} on ${TITLES[dataset]}.`);
    }
    out.push('', `![per-block accuracy near and far from the boundary](parallel${suffix}-${dataset}-boundary.svg)`, '');
  }
  return out;
}
