import type { DecoderMode, EpochEvent } from '../train/events.js';
import type { GateOptions } from '../modulators/gates.js';
import type { Stats } from '../experiment/summary.js';

/** One gate configuration of the sweep, with a stable label. */
export interface GateConfig {
  label: string;
  gate: Partial<GateOptions>;
}

/**
 * What the study behind docs/results/gated.md runs ({@link GATED_STUDY} is
 * the committed plan): a sweep of gate options on a validation split
 * (held-out training examples, sweep seeds), the configuration with the
 * best mean validation accuracy over all datasets chosen, then every
 * schedule on every dataset and decoder mode over the final seeds, scored
 * on the test set. It runs as sweeps: see gated-sweep.ts.
 */
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
export function summarizeGates(histories: EpochEvent[][]): GateSummary {
  // Event 0 (the untrained network) trained nothing and has no gates.
  const runs = histories.map((events) => events.filter((e) => e.gates !== undefined));
  const blocks = runs[0][0]?.gates?.length ?? 0;
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
