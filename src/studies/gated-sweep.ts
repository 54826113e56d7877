import { join } from 'node:path';
import { stats } from '../experiment/summary.js';
import { SEED_MODEL } from '../model/spec.js';
import type { GateOptions } from '../modulators/gates.js';
import { planSweep, type PlannedRun } from '../sweep/plan.js';
import { parseSweepSpec } from '../sweep/spec.js';
import { latestProbes, type SweepRecord } from '../sweep/store.js';
import type { DecoderMode, EpochEvent } from '../train/events.js';
import { check } from '../util/errors.js';
import { summarizeGates, type FinalRow, type GateConfig, type GatedStudyPlan, type GatedStudyResult, type SweepRow } from './gated-study.js';

/*
 * The gated study (docs/results/gated.md) as sweeps: its sweep of gate
 * options, then its final comparison with the chosen gate, each phase one
 * sweep spec per dataset, trained by the sweep runner; the study's result
 * (gated.json) is built from the records.
 */

/** How the runs are computed, not what: `--eval-thread off` scores on the training thread (same numbers, same ids). */
export interface GatedExecution {
  evalThread?: 'on' | 'off';
}

/** The option table's keys of each gate option. */
const GATE_KEYS: Record<keyof GateOptions, string> = { mode: 'gate', tau: 'gate-tau', scale: 'gate-scale', smoothing: 'gate-smoothing', floor: 'gate-floor', target: 'gate-target' };

/** A gate configuration as options of `localprop train` (`gate`, `gate-tau`, …). */
export function gateOptions(gate: Partial<GateOptions>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(gate).map(([k, v]) => [GATE_KEYS[k as keyof GateOptions], v]));
}

/** One planned run of the study, with what it is in the study. */
export type GatedRun = { dataset: string; planned: PlannedRun } & ({ phase: 'sweep'; config: GateConfig } | { phase: 'final'; schedule: string; decoders: DecoderMode });

/** What every run of a dataset shares: Mertens' protocol on the seed's network, on wasm (the backend gated.json was made on). */
function baseOf(plan: GatedStudyPlan, dataset: string, execution: GatedExecution): Record<string, unknown> {
  return { dataset, model: SEED_MODEL, backend: 'wasm', ...(plan.epochs !== undefined ? { epochs: plan.epochs } : {}), ...(execution.evalThread ? { 'eval-thread': execution.evalThread } : {}) };
}

function planned(spec: Record<string, unknown>, records: string, name: string): PlannedRun[] {
  const path = join(records, '..', `${name}.sweep.json`);
  return planSweep(parseSweepSpec({ ...spec, records }, path), path).runs;
}

/**
 * The sweep phase: every gate configuration of the plan on local-gated,
 * scored on the last `validation` training examples, over the sweep seeds;
 * dataset by dataset, configuration by configuration, seed by seed.
 */
export function planGatedSweep(plan: GatedStudyPlan, records: string, execution: GatedExecution = {}): GatedRun[] {
  return plan.datasets.flatMap((dataset) => {
    const spec = { base: { ...baseOf(plan, dataset, execution), schedule: 'local-gated', val: plan.validation }, points: plan.sweep.map((c) => gateOptions(c.gate)), seeds: plan.sweepSeeds };
    const runs = planned(spec, records, `gated-sweep-${dataset}`);
    check(runs.length === plan.sweep.length * plan.sweepSeeds.length, `two gate configurations of the study's sweep are the same run; give each its own options`);
    return runs.map((p, k) => ({ phase: 'sweep' as const, dataset, config: plan.sweep[Math.floor(k / plan.sweepSeeds.length)], planned: p }));
  });
}

/** The final phase: every schedule × decoder mode with the chosen gate, over the final seeds, scored on the test set. */
export function planGatedFinal(plan: GatedStudyPlan, chosen: GateConfig, records: string, execution: GatedExecution = {}): GatedRun[] {
  return plan.datasets.flatMap((dataset) => {
    const spec = { base: { ...baseOf(plan, dataset, execution), ...gateOptions(chosen.gate) }, grid: { decoders: plan.decoders, schedule: plan.schedules }, seeds: plan.seeds };
    const runs = planned(spec, records, `gated-final-${dataset}`);
    const cells = plan.decoders.flatMap((decoders) => plan.schedules.map((schedule) => ({ decoders, schedule })));
    check(runs.length === cells.length * plan.seeds.length, 'the final plan of the gated study repeats a run');
    return runs.map((p, k) => ({ phase: 'final' as const, dataset, ...cells[Math.floor(k / plan.seeds.length)], planned: p }));
  });
}

const history = (r: SweepRecord) => r.history as EpochEvent[];

/** The sweep's rows from its records (every run of the phase must have one). */
export function gatedSweepRows(runs: GatedRun[], recordOf: (run: GatedRun) => SweepRecord): SweepRow[] {
  const rows: SweepRow[] = [];
  for (const run of runs) {
    if (run.phase !== 'sweep' || rows.some((r) => r.dataset === run.dataset && r.label === run.config.label)) continue;
    const group = runs.filter((r) => r.phase === 'sweep' && r.dataset === run.dataset && r.config === run.config).map(recordOf);
    rows.push({ dataset: run.dataset, label: run.config.label, gate: run.config.gate, validationAccuracy: stats(group.map((r) => r.final.testAccuracy)), gates: summarizeGates(group.map(history)) });
  }
  return rows;
}

/** The gated configuration of best mean validation accuracy over the datasets (the first of equals). */
export function chooseGate(plan: GatedStudyPlan, sweep: SweepRow[]): GateConfig {
  const meanOver = (label: string) => {
    const rows = sweep.filter((r) => r.label === label);
    return rows.reduce((a, r) => a + r.validationAccuracy.mean, 0) / rows.length;
  };
  return plan.sweep.filter((c) => c.gate.mode !== 'off').reduce((best, c) => (meanOver(c.label) > meanOver(best.label) ? c : best));
}

function meanPerBlock(rows: number[][]): number[] {
  return rows[0].map((_, b) => rows.reduce((a, r) => a + r[b], 0) / rows.length);
}

/** The final comparison's rows from its records: per dataset, decoder mode and schedule, over the seeds. */
export function gatedFinalRows(plan: GatedStudyPlan, runs: GatedRun[], recordOf: (run: GatedRun) => SweepRecord): FinalRow[] {
  const final: FinalRow[] = [];
  for (const dataset of plan.datasets) {
    for (const decoders of plan.decoders) {
      for (const schedule of plan.schedules) {
        const group = runs.filter((r) => r.phase === 'final' && r.dataset === dataset && r.decoders === decoders && r.schedule === schedule).map(recordOf);
        final.push({
          dataset,
          decoders,
          schedule,
          seeds: group.map((r) => r.seed),
          testAccuracy: stats(group.map((r) => r.final.testAccuracy)),
          seconds: stats(group.map((r) => r.seconds)),
          blockAccuracy: meanPerBlock(group.map((r) => latestProbes(r.history)!.blockAccuracy)),
          ...(schedule === 'local-gated' ? { gates: summarizeGates(group.map(history)) } : {}),
        });
      }
    }
  }
  return final;
}

/** gated.json's content from the study's records. */
export function gatedResult(plan: GatedStudyPlan, sweep: SweepRow[], chosen: GateConfig, finals: GatedRun[], recordOf: (run: GatedRun) => SweepRecord): GatedStudyResult {
  return { plan, model: SEED_MODEL, sweep, chosen, final: gatedFinalRows(plan, finals, recordOf) };
}
