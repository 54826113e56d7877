import { cpSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/engine/backend.js';
import { experimentRuns } from '../../src/experiment/experiment.js';
import { stats } from '../../src/experiment/summary.js';
import { parseModelSpec, SEED_MODEL } from '../../src/model/spec.js';
import { GATE_SWEEP, GATED_STUDY, summarizeGates, type GatedStudyPlan, type GatedStudyResult } from '../../src/studies/gated-study.js';
import { chooseGate, gatedResult, gatedSweepRows, gateOptions, planGatedFinal, planGatedSweep, type GatedRun } from '../../src/studies/gated-sweep.js';
import { RecordStore } from '../../src/sweep/store.js';
import { trainPlannedRun } from '../../src/sweep/train-one.js';
import type { EpochEvent, RunEndEvent } from '../../src/train/events.js';
import { cli, tempDir } from '../cli/helpers.js';

beforeAll(() => useBackend('wasm'));

const ROOT = resolve(import.meta.dirname, '../..');
const RESULTS = join(ROOT, 'docs/results');

/** The experiment's runs as the study trained them before it ran as sweeps: every schedule of a seed in one experiment. */
async function direct(config: Parameters<typeof experimentRuns>[0]): Promise<{ end: RunEndEvent; epochs: EpochEvent[] }[]> {
  const out: { end: RunEndEvent; epochs: EpochEvent[] }[] = [];
  for (const run of experimentRuns(config)) {
    const epochs: EpochEvent[] = [];
    const end = await run.complete((e) => {
      if (e.type === 'epoch') epochs.push(e);
    });
    out.push({ end, epochs });
  }
  return out;
}

describe('the gated study as sweeps', () => {
  it('renders the committed page unchanged from gated.json, read as it is', async () => {
    const out = join(tempDir('localprop-gated-'), 'results');
    cpSync(RESULTS, out, { recursive: true });
    const r = await cli('experiment', 'gated', '--render-only', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(out, 'gated.md'), 'utf8')).toBe(readFileSync(join(RESULTS, 'gated.md'), 'utf8').replace('--out docs/results', `--out ${out}`));
  });

  it("plans the committed study's runs: 14 gate configurations × 3 sweep seeds and 4 schedules × 2 decoder modes × 10 seeds, per dataset", () => {
    const records = tempDir('localprop-gated-');
    const sweep = planGatedSweep(GATED_STUDY, records);
    expect(sweep).toHaveLength(3 * 14 * 3);
    const committed = JSON.parse(readFileSync(join(RESULTS, 'gated.json'), 'utf8')) as GatedStudyResult;
    const finals = planGatedFinal(GATED_STUDY, committed.chosen, records);
    expect(finals).toHaveLength(3 * 2 * 4 * 10);
    expect(new Set([...sweep, ...finals].map((r) => r.planned.id)).size).toBe(sweep.length + finals.length);
    expect(gateOptions({ mode: 'soft', tau: 0.1, smoothing: 0 })).toEqual({ gate: 'soft', 'gate-tau': 0.1, 'gate-smoothing': 0 });
    const smooth = sweep.find((r) => r.phase === 'sweep' && r.config.label === 'soft τ=0.1 no smoothing')!;
    expect(smooth.planned.configuration).toMatchObject({ backend: 'wasm', holdOut: 200, run: { schedule: 'local-gated', epochs: 200, step: 'epoch', gate: { mode: 'soft', tau: 0.1, smoothing: 0, floor: 0, target: 'weights' } } });
    const backprop = finals.find((r) => r.phase === 'final' && r.schedule === 'backprop' && r.decoders === 'fixed')!;
    expect(backprop.planned.configuration.run).toMatchObject({ schedule: 'backprop', decoders: 'fixed', epochs: 100 });
  });

  it('gives the numbers of the study trained as one experiment per phase: validation accuracy, gates, test accuracy, block accuracy', async () => {
    const plan: GatedStudyPlan = { ...GATED_STUDY, datasets: ['signed_xor'], seeds: [0, 1], sweepSeeds: [100, 101], sweep: [GATE_SWEEP[0], ...GATE_SWEEP.slice(-5)], epochs: 3 };
    const store = new RecordStore(tempDir('localprop-gated-'));
    const recordOf = (r: GatedRun) => store.record(r.planned.id)!;
    const sweepRuns = planGatedSweep(plan, store.folder);
    for (const r of sweepRuns) expect((await trainPlannedRun(r.planned, store)).status).toBe('done');
    const sweep = gatedSweepRows(sweepRuns, recordOf);
    const spec = parseModelSpec(SEED_MODEL);
    for (const [k, config] of plan.sweep.entries()) {
      const runs = await direct({ data: { dataset: 'signed_xor' }, spec, schedules: ['local-gated'], seeds: plan.sweepSeeds, decoders: ['learned'], holdOut: plan.validation, training: { gate: config.gate, epochs: plan.epochs } });
      expect(sweep[k].validationAccuracy, config.label).toEqual(stats(runs.map((r) => r.end.testAccuracy)));
      expect(sweep[k].gates, config.label).toEqual(summarizeGates(runs.map((r) => r.epochs)));
    }
    const chosen = chooseGate(plan, sweep);
    const finals = planGatedFinal(plan, chosen, store.folder);
    for (const r of finals) expect((await trainPlannedRun(r.planned, store)).status).toBe('done');
    const result = gatedResult(plan, sweep, chosen, finals, recordOf);
    const runs = await direct({ data: { dataset: 'signed_xor' }, spec, schedules: plan.schedules, seeds: plan.seeds, decoders: plan.decoders, training: { gate: chosen.gate, epochs: plan.epochs } });
    expect(result.final).toHaveLength(8);
    for (const row of result.final) {
      const group = runs.filter((r) => r.end.schedule === row.schedule && r.end.decoders === row.decoders);
      expect(row.seeds).toEqual([0, 1]);
      expect(row.testAccuracy, `${row.schedule} ${row.decoders}`).toEqual(stats(group.map((r) => r.end.testAccuracy)));
      expect(row.blockAccuracy).toEqual(group[0].epochs.at(-1)!.blockAccuracy.map((a, b) => (a + group[1].epochs.at(-1)!.blockAccuracy[b]) / 2));
      if (row.schedule === 'local-gated') expect(row.gates).toEqual(summarizeGates(group.map((r) => r.epochs)));
    }
  });
});
