import { join } from 'node:path';
import { MERTENS_MODEL } from '../model/spec.js';
import { planSweep, type PlannedRun } from '../sweep/plan.js';
import { parseSweepSpec } from '../sweep/spec.js';
import { latestProbes, type SweepRecord } from '../sweep/store.js';
import { check } from '../util/errors.js';
import { MNIST_TRAINING } from './mnist-study.js';
import { areaUnderCurve, epochsToTarget, median } from './parallel-stats.js';

/*
 * Issue 21's study, as docs/results/parallel.md's protocol fixes it: every
 * method family with its grid, validated on seeds 100-109 (the test set
 * unread), then each family's chosen configuration on fresh seeds.
 */

/** A method family: a baseline or a candidate, with the configurations its validation tries. */
export type Family = 'parallel' | 'sequential' | 'drift-rprop' | 'lagged' | 'freeze' | 'drift-adam';

export type ParallelDataset = 'spiral' | 'circles' | 'mnist' | 'fashion-mnist';
export const TWO_D: ParallelDataset[] = ['spiral', 'circles'];
export const IMAGES: ParallelDataset[] = ['mnist', 'fashion-mnist'];

/** The families that compete to be named, per optimizer (the baselines are parallel and sequential). */
export const CANDIDATES: Record<'rprop' | 'adam', Family[]> = { rprop: ['drift-rprop', 'lagged', 'freeze'], adam: ['drift-adam', 'freeze'] };

/** One configuration of a family: its options as `localprop train` takes them, and a short label. */
export interface MethodConfig {
  family: Family;
  label: string;
  options: Record<string, unknown>;
}

export type Phase = 'validation' | 'final';

export const SEEDS: Record<Phase, Record<'rprop' | 'adam', number[]>> = {
  validation: { rprop: range(100, 109), adam: [100, 101] },
  final: { rprop: range(30, 39), adam: range(3, 7) },
};

/** Held-out training examples the validation scores on. */
const HOLD_OUT: Record<'rprop' | 'adam', number> = { rprop: 200, adam: 10000 };

/** Target accuracies of the convergence measures. */
export const TARGETS: Record<ParallelDataset, number> = { spiral: 0.95, circles: 0.92, mnist: 0.98, 'fashion-mnist': 0.88 };

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, k) => from + k);
}

export const optimizerOf = (dataset: ParallelDataset): 'rprop' | 'adam' => (TWO_D.includes(dataset) ? 'rprop' : 'adam');

const etas = (e: number) => ({ etas: [e, 1.2] });

/** Every family's validation grid for an optimizer, in the protocol's order (ties go to the earlier). */
export function methodGrid(optimizer: 'rprop' | 'adam'): MethodConfig[] {
  if (optimizer === 'rprop') {
    const es = [0.5, 0.7, 0.9, 0.95];
    return [
      ...es.map((e) => ({ family: 'parallel' as const, label: `etaMinus ${e}`, options: { schedule: 'local-parallel', ...etas(e) } })),
      ...es.map((e) => ({ family: 'sequential' as const, label: `etaMinus ${e}`, options: { schedule: 'local-sequential', ...etas(e) } })),
      ...(['off', 'on'] as const).flatMap((reset) =>
        [0.03, 0.1, 0.3].flatMap((tau) =>
          [0.5, 0.9].map((e) => ({ family: 'drift-rprop' as const, label: `τ ${tau}, reset ${reset}, etaMinus ${e}`, options: { schedule: 'local-drift', 'drift-shrink': 'on', 'drift-reset': reset, 'drift-tau': tau, ...etas(e) } })),
        ),
      ),
      ...[0.02, 0.05, 0.1].flatMap((lag) => [0.5, 0.9].map((e) => ({ family: 'lagged' as const, label: `lag ${lag}, etaMinus ${e}`, options: { schedule: 'local-drift', 'drift-lag': lag, ...etas(e) } }))),
      ...[0.5, 0.75].flatMap((f) => [0.5, 0.9].map((e) => ({ family: 'freeze' as const, label: `freeze ${f}, etaMinus ${e}`, options: { schedule: 'local-drift', 'drift-freeze': f, ...etas(e) } }))),
    ];
  }
  return [
    ...[0.001, 0.002].map((lr) => ({ family: 'parallel' as const, label: `lr ${lr}`, options: { schedule: 'local-parallel', lr } })),
    { family: 'sequential', label: 'lr 0.001', options: { schedule: 'local-sequential', lr: 0.001 } },
    ...(['first', 'both'] as const).flatMap((m) => [0.3, 1].map((tau) => ({ family: 'drift-adam' as const, label: `moments ${m}, τ ${tau}`, options: { schedule: 'local-drift', 'drift-moments': m, 'drift-tau': tau, lr: 0.001 } }))),
    { family: 'freeze', label: 'freeze 0.75', options: { schedule: 'local-drift', 'drift-freeze': 0.75, lr: 0.001 } },
  ];
}

/** What every run of a dataset shares (the protocol's training). */
function baseOf(dataset: ParallelDataset): Record<string, unknown> {
  if (optimizerOf(dataset) === 'rprop') return { dataset, model: MERTENS_MODEL, epochs: 200, backend: 'wasm' };
  const t = MNIST_TRAINING;
  return {
    dataset,
    model: '784-256-256-256-10',
    epochs: t.epochs,
    step: t.step,
    'batch-size': t.batchSize,
    optimizer: t.optimizer.name,
    'lr-decay-at': [...t.lrDecayAt],
    'lr-decay': t.lrDecay,
    'hidden-loss': t.hiddenLoss,
    backend: 'native',
  };
}

/** What a planned run is in the study. */
export interface StudyRun {
  phase: Phase;
  dataset: ParallelDataset;
  config: MethodConfig;
  planned: PlannedRun;
}

/** `--quick`: 4 epochs (2 a block for local-sequential), 2 seeds, the first configuration of each family; runs of their own ids. */
const QUICK_EPOCHS: Record<'rprop' | 'adam', number> = { rprop: 4, adam: 1 };

/**
 * The runs of one phase on `datasets`: the whole grid for validation, the
 * chosen configuration of each family for the final phase (`chosen`, per
 * dataset and family). `specFolder` is where the spec would lie (its records beside it).
 */
export function planPhase(phase: Phase, datasets: ParallelDataset[], records: string, chosen: Partial<Record<ParallelDataset, Partial<Record<Family, MethodConfig>>>> = {}, quick = false): StudyRun[] {
  return datasets.flatMap((dataset) => {
    const optimizer = optimizerOf(dataset);
    let configs = phase === 'validation' ? methodGrid(optimizer) : Object.values(chosen[dataset] ?? {});
    if (phase === 'final') check(configs.length > 0, `the final runs on ${dataset} need the validation's choices first: run \`localprop experiment parallel --part validation\``);
    if (quick && phase === 'validation') configs = configs.filter((c, k) => configs.findIndex((o) => o.family === c.family) === k);
    const seeds = quick ? SEEDS[phase][optimizer].slice(0, 2) : SEEDS[phase][optimizer];
    const base = {
      ...baseOf(dataset),
      ...(phase === 'validation' ? { val: HOLD_OUT[optimizer] } : {}),
      ...(quick ? { epochs: QUICK_EPOCHS[optimizer], ...(optimizer === 'adam' ? { limit: 2000, ...(phase === 'validation' ? { val: 500 } : {}) } : {}) } : {}),
    };
    const spec = { base, points: configs.map((c) => c.options), seeds, records };
    const path = join(records, '..', `parallel-${phase}-${dataset}.sweep.json`);
    const { runs } = planSweep(parseSweepSpec(spec, path), path);
    // planSweep keeps the points' order and seeds within each: configs.length × seeds.length runs, none repeated.
    check(runs.length === configs.length * seeds.length, `the ${phase} plan on ${dataset} repeats a configuration; the study's grid is wrong`);
    return runs.map((planned, k) => ({ phase, dataset, config: configs[Math.floor(k / seeds.length)], planned }));
  });
}

/**
 * The runs in the order they train: seed by seed, every configuration of a
 * seed after another, so the machine's load (shared, it varies by the
 * minute) falls on every family alike and the seconds compare fairly.
 */
export function interleaved(runs: StudyRun[]): StudyRun[] {
  return [...runs].sort((a, b) => a.dataset.localeCompare(b.dataset) || a.planned.configuration.run.seed - b.planned.configuration.run.seed || runs.indexOf(a) - runs.indexOf(b));
}

/** One finished run as the page reads it (parallel.json keeps these). */
export interface RunSummary {
  phase: Phase;
  dataset: ParallelDataset;
  family: Family;
  config: string;
  seed: number;
  /** Accuracy of the final model on the validation split (validation) or the test set (final). */
  accuracy: number;
  seconds: number;
  epochs: number;
  /** Accuracy after each epoch (the last the final model's); final runs only. */
  curve?: number[];
  /** Each block's decoder accuracy at the end; final runs only. */
  blockAccuracy?: number[];
  epochsToTarget?: number | null;
  auc?: number;
}

/** A finished run's summary from its record. */
export function summarize(run: StudyRun, record: SweepRecord): RunSummary {
  const history = record.history;
  // history[k] holds the metrics after k epochs: drop the untrained start.
  const curve = history.slice(1).map((e) => e.testAccuracy);
  const round = (v: number) => Math.round(v * 1e5) / 1e5;
  const summary: RunSummary = {
    phase: run.phase,
    dataset: run.dataset,
    family: run.config.family,
    config: run.config.label,
    seed: record.seed,
    accuracy: record.final.testAccuracy,
    seconds: record.seconds,
    epochs: record.final.epochs,
  };
  if (run.phase === 'final') {
    summary.curve = curve.map(round);
    const last = latestProbes(history)?.blockAccuracy;
    if (last) summary.blockAccuracy = last.map(round);
    summary.epochsToTarget = epochsToTarget(curve, TARGETS[run.dataset]);
    summary.auc = areaUnderCurve(curve);
  }
  return summary;
}

/** Per dataset and family, the configuration of highest mean validation accuracy (the first of equals). */
export function chooseConfigurations(validation: RunSummary[], datasets: ParallelDataset[], quick = false): Partial<Record<ParallelDataset, Partial<Record<Family, MethodConfig>>>> {
  const chosen: Partial<Record<ParallelDataset, Partial<Record<Family, MethodConfig>>>> = {};
  for (const dataset of datasets) {
    const all = methodGrid(optimizerOf(dataset));
    const grid = quick ? all.filter((c, k) => all.findIndex((o) => o.family === c.family) === k) : all;
    const seeds = SEEDS.validation[optimizerOf(dataset)].slice(0, quick ? 2 : undefined);
    const best: Partial<Record<Family, { config: MethodConfig; mean: number }>> = {};
    for (const config of grid) {
      const runs = validation.filter((r) => r.dataset === dataset && r.family === config.family && r.config === config.label);
      // Only complete configurations compete: a choice on fewer seeds would not be the protocol's.
      if (runs.length < seeds.length) continue;
      const mean = runs.reduce((s, r) => s + r.accuracy, 0) / runs.length;
      const current = best[config.family];
      if (!current || mean > current.mean) best[config.family] = { config, mean };
    }
    const families = Object.entries(best) as [Family, { config: MethodConfig }][];
    if (families.length === new Set(grid.map((c) => c.family)).size) chosen[dataset] = Object.fromEntries(families.map(([f, b]) => [f, b.config]));
  }
  return chosen;
}

/** The median of the runs' seconds (NaN without runs). */
function medianSeconds(runs: RunSummary[]): number {
  return runs.length > 0 ? median(runs.map((r) => r.seconds))! : NaN;
}

/** A candidate family's standing in the naming rule. */
export interface NamingRow {
  family: Family;
  /** Its chosen configurations' mean validation accuracy, averaged over the optimizer's datasets. */
  accuracy: number;
  /** Per dataset, its median validation seconds over the chosen local-parallel's. */
  costRatio: Partial<Record<ParallelDataset, number>>;
  /** Whether those ratios are ≤ 1.1 (shown, not used: see {@link nameCandidate}). */
  eligible: boolean;
}

/**
 * The naming rule for one optimizer: the candidate family of highest
 * validation accuracy averaged over the datasets. Each family's validation
 * cost is shown beside it, but it does not decide: the protocol's deviation
 * (parallel.md) found validation seconds on the shared machine too noisy
 * for the 1.1× check, which stays on the final runs.
 */
export function nameCandidate(validation: RunSummary[], chosen: ReturnType<typeof chooseConfigurations>, optimizer: 'rprop' | 'adam', quick = false): { rows: NamingRow[]; named: Family | null } {
  const datasets = (optimizer === 'rprop' ? TWO_D : IMAGES).filter((d) => chosen[d]);
  if (datasets.length < 2) return { rows: [], named: null };
  const runsOf = (d: ParallelDataset, f: Family) => validation.filter((r) => r.dataset === d && r.family === f && r.config === chosen[d]![f]!.label);
  const rows = CANDIDATES[optimizer].map((family) => {
    const accuracy = datasets.reduce((s, d) => s + runsOf(d, family).reduce((a, r) => a + r.accuracy, 0) / runsOf(d, family).length, 0) / datasets.length;
    const costRatio = Object.fromEntries(datasets.map((d) => [d, medianSeconds(runsOf(d, family)) / medianSeconds(runsOf(d, 'parallel'))]));
    // --quick's runs of a few epochs time start-up, not training: their cost says nothing.
    return { family, accuracy, costRatio, eligible: quick || Object.values(costRatio).every((c) => c <= 1.1) };
  });
  const named = rows.reduce((a, b) => (b.accuracy > a.accuracy ? b : a)).family;
  return { rows, named };
}
