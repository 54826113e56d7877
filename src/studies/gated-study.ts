import { parseModelSpec, SEED_MODEL } from '../model/spec.js';
import type { DecoderMode, EpochEvent, RunEndEvent } from '../train/events.js';
import type { GateOptions } from '../modulators/gates.js';
import type { TestEvaluator } from '../train/evaluation.js';
import { experimentRuns, type ExperimentConfig } from '../experiment/experiment.js';
import { stats, type Stats } from '../experiment/summary.js';

/** One gate configuration of the sweep, with a stable label. */
export interface GateConfig {
  label: string;
  gate: Partial<GateOptions>;
}

/** What the study runs; {@link GATED_STUDY} is the committed one. */
export interface GatedStudyPlan {
  datasets: string[];
  /** Seeds of the final comparison (test set). */
  seeds: number[];
  /** Seeds of the sweep, disjoint from `seeds` (validation split). */
  sweepSeeds: number[];
  /** Training examples held out for the sweep's validation. */
  validation: number;
  sweep: GateConfig[];
  decoders: DecoderMode[];
  schedules: string[];
  /** Epochs for every schedule instead of each one's default (quick checks only). */
  epochs?: number;
}

/** Gate configurations swept: soft and hard, several τ, both targets, a floor; `off` is local-parallel. */
export const GATE_SWEEP: GateConfig[] = [
  { label: 'off (= local-parallel)', gate: { mode: 'off' } },
  ...[0.01, 0.03, 0.1, 0.3, 1].map((tau) => ({ label: `soft τ=${tau}`, gate: { mode: 'soft' as const, tau } })),
  ...[0.03, 0.1, 0.3].map((tau) => ({ label: `soft τ=${tau} block`, gate: { mode: 'soft' as const, tau, target: 'block' as const } })),
  ...[0.03, 0.1, 0.3].map((tau) => ({ label: `hard τ=${tau}`, gate: { mode: 'hard' as const, tau } })),
  { label: 'hard τ=0.1 floor 0.2', gate: { mode: 'hard', tau: 0.1, floor: 0.2 } },
  { label: 'soft τ=0.1 no smoothing', gate: { mode: 'soft', tau: 0.1, smoothing: 0 } },
];

export const GATED_STUDY: GatedStudyPlan = {
  datasets: ['signed_xor', 'spiral', 'circles'],
  seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  sweepSeeds: [100, 101, 102],
  validation: 200,
  sweep: GATE_SWEEP,
  decoders: ['learned', 'fixed'],
  schedules: ['backprop', 'local-sequential', 'local-parallel', 'local-gated'],
};

/** Per block, over a run's epochs: share of epochs with mean gate ≥ 0.5, mean gate, mean drift. */
export interface GateSummary {
  openEpochs: number[];
  meanGate: number[];
  meanDrift: (number | null)[];
}

export interface SweepRow {
  dataset: string;
  label: string;
  gate: Partial<GateOptions>;
  validationAccuracy: Stats;
  gates: GateSummary;
}

export interface FinalRow {
  dataset: string;
  decoders: DecoderMode;
  schedule: string;
  seeds: number[];
  testAccuracy: Stats;
  seconds: Stats;
  /** Per block, the decoder's test accuracy at the last epoch, mean over seeds. */
  blockAccuracy: number[];
  gates?: GateSummary;
}

export interface GatedStudyResult {
  plan: GatedStudyPlan;
  model: string;
  sweep: SweepRow[];
  chosen: GateConfig;
  final: FinalRow[];
}

/** Averages the per-epoch gate metrics of several runs into one summary per block. */
export function summarizeGates(runs: EpochEvent[][]): GateSummary {
  const blocks = runs[0][0].gates?.length ?? 0;
  const perBlock = (f: (e: EpochEvent, b: number) => number | null) =>
    Array.from({ length: blocks }, (_, b) => {
      const values = runs.flatMap((events) => events.map((e) => f(e, b))).filter((v): v is number => v !== null);
      return values.length ? values.reduce((a, v) => a + v, 0) / values.length : null;
    });
  return {
    openEpochs: perBlock((e, b) => (e.gates![b].gate >= 0.5 ? 1 : 0)) as number[],
    meanGate: perBlock((e, b) => e.gates![b].gate) as number[],
    meanDrift: perBlock((e, b) => e.gates![b].drift),
  };
}

function meanPerBlock(rows: number[][]): number[] {
  return rows[0].map((_, b) => rows.reduce((a, r) => a + r[b], 0) / rows.length);
}

type Progress = (message: string) => void;

async function runAll(config: ExperimentConfig, progress: Progress): Promise<{ end: RunEndEvent; epochs: EpochEvent[] }[]> {
  const out: { end: RunEndEvent; epochs: EpochEvent[] }[] = [];
  for (const run of experimentRuns(config)) {
    const epochs: EpochEvent[] = [];
    const end = await run.complete((e) => {
      if (e.type === 'epoch') epochs.push(e);
    });
    out.push({ end, epochs });
    progress(`${end.schedule} ${end.decoders} seed ${end.seed}: ${end.testAccuracy.toFixed(3)}`);
  }
  return out;
}

/**
 * The study behind docs/results/gated.md: a sweep of gate options on a
 * validation split (held-out training examples, sweep seeds), the
 * configuration with the best mean validation accuracy over all datasets
 * chosen, then every schedule on every dataset and decoder mode over the
 * final seeds, scored on the test set.
 */
export async function runGatedStudy(plan: GatedStudyPlan, testEvaluator: TestEvaluator | undefined, progress: Progress): Promise<GatedStudyResult> {
  const spec = parseModelSpec(SEED_MODEL);
  const sweep: SweepRow[] = [];
  for (const dataset of plan.datasets) {
    for (const config of plan.sweep) {
      progress(`sweep ${dataset} ${config.label}`);
      const runs = await runAll(
        { data: { dataset }, spec, schedules: ['local-gated'], seeds: plan.sweepSeeds, decoders: ['learned'], holdOut: plan.validation, training: { gate: config.gate, testEvaluator, epochs: plan.epochs } },
        () => undefined,
      );
      sweep.push({
        dataset,
        label: config.label,
        gate: config.gate,
        validationAccuracy: stats(runs.map((r) => r.end.testAccuracy)),
        gates: summarizeGates(runs.map((r) => r.epochs)),
      });
    }
  }
  const meanOver = (label: string) => {
    const rows = sweep.filter((r) => r.label === label);
    return rows.reduce((a, r) => a + r.validationAccuracy.mean, 0) / rows.length;
  };
  const chosen = plan.sweep.filter((c) => c.gate.mode !== 'off').reduce((best, c) => (meanOver(c.label) > meanOver(best.label) ? c : best));
  progress(`chosen: ${chosen.label}`);

  const final: FinalRow[] = [];
  for (const dataset of plan.datasets) {
    const runs = await runAll(
      { data: { dataset }, spec, schedules: plan.schedules, seeds: plan.seeds, decoders: plan.decoders, training: { gate: chosen.gate, testEvaluator, epochs: plan.epochs } },
      (m) => progress(`${dataset} ${m}`),
    );
    for (const decoders of plan.decoders) {
      for (const schedule of plan.schedules) {
        const group = runs.filter((r) => r.end.schedule === schedule && r.end.decoders === decoders);
        final.push({
          dataset,
          decoders,
          schedule,
          seeds: group.map((r) => r.end.seed),
          testAccuracy: stats(group.map((r) => r.end.testAccuracy)),
          seconds: stats(group.map((r) => r.end.seconds)),
          blockAccuracy: meanPerBlock(group.map((r) => r.epochs[r.epochs.length - 1].blockAccuracy)),
          ...(schedule === 'local-gated' ? { gates: summarizeGates(group.map((r) => r.epochs)) } : {}),
        });
      }
    }
  }
  return { plan, model: SEED_MODEL, sweep, chosen, final };
}
