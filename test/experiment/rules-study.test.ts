import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/engine/backend.js';
import { experimentRuns } from '../../src/experiment/experiment.js';
import { parseModelSpec } from '../../src/model/spec.js';
import { registerImageDatasets } from '../../src/node/image-datasets.js';
import { RULES_STUDY, type RulesRow } from '../../src/studies/rules-study.js';
import { planRulesStudy, rowOptions, rulesRunView, type RulesRun } from '../../src/studies/rules-sweep.js';
import { RecordStore, type SweepRecord } from '../../src/sweep/store.js';
import { trainPlannedRun } from '../../src/sweep/train-one.js';
import type { EpochEvent, RunEndEvent } from '../../src/train/events.js';
import { tempDir } from '../cli/helpers.js';

beforeAll(async () => {
  registerImageDatasets();
  await useBackend('wasm');
});

const published = (id: string) => RULES_STUDY.find((r) => r.id === id)!;

/** A published row cut to a size a test trains in seconds: its rule, schedule, optimizer and rule options, on 300 images. */
function small(id: string, epochs: number, evalEvery?: number): RulesRow {
  const row = published(id);
  const hidden = row.model.slice(row.model.indexOf(' '));
  return { ...row, model: `784-16-16-10${hidden}`, trainRows: 300, training: { ...row.training, epochs, evalEvery } };
}

const DFA = small('dfa-paper', 3);

function plan(row: RulesRow, folder: string): RulesRun {
  const [run] = planRulesStudy(folder, [row], ['mnist'], 'wasm');
  return run;
}

async function train(run: RulesRun, folder: string, shouldStop?: () => boolean, onEpoch?: (epoch: number) => void): Promise<SweepRecord | undefined> {
  const outcome = await trainPlannedRun(run.planned, new RecordStore(join(folder, 'rules-runs')), { shouldStop, onEpoch });
  if (outcome.status === 'failed') throw new Error(outcome.message);
  return outcome.status === 'done' ? outcome.record : undefined;
}

/** The row trained as the study trained it before it ran as a sweep: its configuration handed to the experiment directly. */
async function direct(row: RulesRow): Promise<{ end: RunEndEvent; last: EpochEvent }> {
  const config = { data: { dataset: 'mnist', options: { limit: row.trainRows } }, spec: parseModelSpec(row.model), schedules: [row.schedule], seeds: [0], decoders: ['learned' as const], rules: [row.rule], training: row.training };
  for (const run of experimentRuns(config)) {
    let last: EpochEvent | undefined;
    const end = await run.complete((e) => {
      if (e.type === 'epoch') last = e;
    });
    return { end, last: last! };
  }
  throw new Error('no run');
}

describe('the rules study as a sweep', () => {
  it("gives every row's options, rule options included, to the one option table", () => {
    expect(rowOptions(published('ff-loewex'), 'mnist')).toEqual({
      dataset: 'mnist', model: '784-1000-1000-1000-10 hidden=relu,normalize=rms', schedule: 'local-parallel', rule: 'ff',
      epochs: 100, step: 'batch', 'batch-size': 100, optimizer: 'sgd', lr: 1e-3, momentum: 0.9, 'weight-decay': 3e-4, 'hidden-loss': 'ce', 'eval-every': 10,
      standardize: [0.1307, 0.3081], ffGoodness: 'sum', ffThreshold: 1000, ffPredict: 'readout',
    });
    const runs = planRulesStudy(tempDir('localprop-rules-'), RULES_STUDY, ['mnist', 'fashion-mnist'], 'native');
    expect(runs.map((r) => r.key).slice(0, 8)).toEqual(['mnist-backprop-seed0', 'mnist-decoder-seed0', 'mnist-pred-seed0', 'mnist-predsim-seed0', 'mnist-predsim-leaky-seed0', 'mnist-ff-seed0', 'mnist-dfa-seed0', 'mnist-ff-paper-seed0']);
    const mohammadpz = runs.find((r) => r.key === 'fashion-mnist-ff-mohammadpz-seed0')!.planned.configuration;
    expect(mohammadpz.backend).toBe('native');
    expect(mohammadpz.data).toEqual({ dataset: 'fashion-mnist', options: { limit: 50_000 } });
    expect(mohammadpz.run).toMatchObject({ schedule: 'local-sequential', rule: 'ff', epochs: 1000, step: 'epoch', batchSize: 50_000, optimizer: { name: 'adam', lr: 0.03 }, evalEvery: 100 });
    expect(mohammadpz.run.ruleOptions).toMatchObject({ ffGoodnessBlocks: 'all', ffReadout: 'off' });
    // The backend is part of what a run is: the same row on wasm is another run, never a checkpoint of this one.
    expect(planRulesStudy(tempDir('localprop-rules-'), RULES_STUDY, ['mnist', 'fashion-mnist'], 'wasm').map((r) => r.planned.id)).not.toContain(runs[0].planned.id);
  });

  it("trains a row through the sweep runner to the numbers of the row's configuration trained directly", async () => {
    for (const row of [DFA, small('ff-loewex', 2, 2), small('ff-mohammadpz', 2)]) {
      const folder = tempDir('localprop-rules-');
      const run = plan(row, folder);
      const record = (await train(run, folder))!;
      const { end, last } = await direct(row);
      const view = rulesRunView(run, record);
      expect([view.testError, view.testLoss, view.blockAccuracy], row.id).toEqual([1 - end.testAccuracy, end.testLoss, last.blockAccuracy.slice(0, -1)]);
      expect(view.backend).toBe('wasm');
    }
  });

  it('continues a run stopped after its first epoch from its checkpoint to the record of a run never stopped', async () => {
    const folder = tempDir('localprop-rules-');
    const run = plan(DFA, folder);
    const whole = (await train(run, tempDir('localprop-rules-')))!;
    let first = false;
    expect(await train(run, folder, () => first, (epoch) => (first ||= epoch === 1))).toBeUndefined();
    const store = new RecordStore(join(folder, 'rules-runs'));
    expect(store.checkpoint(run.planned.id)!.epoch).toBeGreaterThanOrEqual(1);
    const again = (await train(run, folder))!;
    expect(again.resumedAt).toHaveLength(1);
    const [a, b] = [rulesRunView(run, whole), rulesRunView(run, again)];
    expect({ ...b, seconds: 0 }).toEqual({ ...a, seconds: 0 });
    expect([b.epochs, b.steps, b.trainRows]).toEqual([3, 3 * Math.ceil(300 / 64), 300]);
    expect(again.history.map((e) => ({ ...e, seconds: 0 }))).toEqual(whole.history.map((e) => ({ ...e, seconds: 0 })));
    expect(store.checkpoint(run.planned.id)).toBeUndefined();
  });
});
