import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { experimentRuns, type ExperimentConfig } from '../../src/experiment/experiment.js';
import { encodeRunCheckpoint } from '../../src/io/run-checkpoint.js';
import { parseModelSpec } from '../../src/model/spec.js';
import { registerImageDatasets } from '../../src/node/image-datasets.js';
import { NOKLAND_ROWS, noklandModel, noklandTraining, type NoklandRecord } from '../../src/studies/nokland-study.js';
import { adoptEarlierCheckpoint, noklandRunView, planNoklandStudy } from '../../src/studies/nokland-sweep.js';
import { sweepTrainingOptions } from '../../src/studies/sweep-options.js';
import { planSweep } from '../../src/sweep/plan.js';
import { parseSweepSpec } from '../../src/sweep/spec.js';
import { RecordStore, type SweepRecord } from '../../src/sweep/store.js';
import { trainPlannedRun } from '../../src/sweep/train-one.js';
import type { EpochEvent, RunEndEvent } from '../../src/train/events.js';
import { cli, tempDir } from '../cli/helpers.js';

beforeAll(async () => {
  registerImageDatasets();
  await useBackend('wasm');
});

const ROOT = resolve(import.meta.dirname, '../..');
const RESULTS = join(ROOT, 'docs/results');
const row = (name: string) => NOKLAND_ROWS.find((r) => r.row === name)!;

/** The cut-down run the tests train: predsim on 300 MNIST images, 784-16-16-10, 3 epochs. */
const SMALL = { limit: 300, epochs: 3, hidden: [16, 16] };

/** The same run as the study's own loop configured it before it ran as a sweep, trained directly; `stopAfter` ends it there, as a kill after that epoch's checkpoint would, and returns that checkpoint's bytes. */
async function trainDirectly(stopAfter?: number): Promise<{ history: EpochEvent[]; end?: RunEndEvent; checkpoint?: Uint8Array }> {
  const predsim = row('predsim');
  const config: ExperimentConfig = {
    data: { dataset: 'mnist', options: { limit: SMALL.limit } },
    spec: parseModelSpec(noklandModel(predsim, SMALL.hidden)),
    schedules: [predsim.schedule],
    seeds: [0],
    decoders: ['learned'],
    rules: [predsim.rule],
    training: { ...noklandTraining('mnist'), epochs: SMALL.epochs },
  };
  const runs = experimentRuns(config);
  const run = runs.next().value!;
  const history: EpochEvent[] = [];
  try {
    for await (const e of run) {
      if (e.type === 'epoch') {
        history.push(e);
        if (e.epoch === stopAfter) return { history, checkpoint: encodeRunCheckpoint(run.checkpoint()) };
      } else if (e.type === 'end') return { history, end: e };
    }
  } finally {
    runs.return(undefined);
  }
  throw new Error('the run ended without its end event');
}

describe('experiment nokland on the sweep runner', () => {
  it("carries every option of the recipe into the sweep run (batch norm, dropout after the loss, jitter/flip, standardisation, milestones), with the backend in the id", () => {
    const [mnist, fashion] = planNoklandStudy(tempDir('localprop-nokland-'), ['mnist', 'fashion-mnist'], ['sim'], [0], 'wasm');
    expect([mnist.key, fashion.key]).toEqual(['mnist-sim-seed0', 'fashion-mnist-sim-seed0']);
    const m = mnist.planned.configuration;
    expect(m.data).toEqual({ dataset: 'mnist', options: {} });
    expect(m.model.hidden).toMatchObject({ activation: 'leaky-relu', batchNorm: true });
    expect(m.model.layers).toEqual([784, 1024, 1024, 1024, 10]);
    expect(m.run).toMatchObject({
      schedule: 'local-parallel', rule: 'sim', epochs: 100, step: 'batch', batchSize: 128, optimizer: { name: 'adam', lr: 5e-4 }, hiddenLoss: 'ce',
      lrDecay: { at: [50, 75, 89, 94], factor: 0.25 }, dropout: 0.1, dropoutPlacement: 'after-loss', augment: { jitter: 2, flip: false }, standardize: { mean: 0.1307, std: 0.3081 },
    });
    expect(fashion.planned.configuration.run).toMatchObject({ epochs: 200, lrDecay: { at: [100, 150, 175, 188], factor: 0.25 }, dropout: 0.025, augment: { jitter: 2, flip: true }, standardize: { mean: 0.286, std: 0.353 } });
    expect(m.backend).toBe('wasm');
    const [native] = planNoklandStudy(tempDir('localprop-nokland-'), ['mnist'], ['sim'], [0], 'native');
    expect(native.planned.id).not.toBe(mnist.planned.id);
    const [short] = planNoklandStudy(tempDir('localprop-nokland-'), ['mnist'], ['sim'], [0], 'wasm', { limit: 10_000, epochs: 2 });
    expect(short.key).toBe('mnist-sim-seed0-limit10000-epochs2');
    expect([short.planned.configuration.data, short.planned.configuration.run.epochs]).toEqual([{ dataset: 'mnist', options: { limit: 10_000 } }, 2]);
  });

  it('refuses by name a recipe option the sweep spec cannot carry', () => {
    expect(() => sweepTrainingOptions({ ...noklandTraining('mnist'), zeroGradSteps: true }, 'nokland study on mnist')).toThrow('nokland study on mnist: its training option(s) zeroGradSteps have no place');
    expect(() => sweepTrainingOptions({ ...noklandTraining('mnist'), optimizer: { name: 'adam', lr: 5e-4, beta1: 0.8 } as never }, 'nokland study on mnist')).toThrow("only the optimizer's name, lr, momentum, weightDecay reach the sweep spec");
  });

  it("trains a cut-down run through the sweep path to the study's own loop's numbers, and continues an old-format checkpoint to the record of a run never stopped", async () => {
    const direct = await trainDirectly();
    const folder = tempDir('localprop-nokland-');
    const [run] = planNoklandStudy(folder, ['mnist'], ['predsim'], [0], 'wasm', SMALL);
    expect(run.key).toBe('mnist-predsim-seed0-limit300-epochs3');
    const store = new RecordStore(join(folder, 'nokland-runs'));
    const outcome = await trainPlannedRun(run.planned, store);
    expect(outcome.status).toBe('done');
    const record = store.record(run.planned.id)!;
    const numbers = (h: { testAccuracy: number; testLoss?: number; blockAccuracy?: number[] }[]) => h.map((e) => [e.testAccuracy, e.testLoss, JSON.stringify(e.blockAccuracy)]);
    expect(numbers(record.history)).toEqual(numbers(direct.history));
    expect(record.final).toMatchObject({ epochs: 3, testAccuracy: direct.end!.testAccuracy, testLoss: direct.end!.testLoss, trainLoss: direct.end!.trainLoss });

    // The page's view: the fields the study's records always had.
    const view = noklandRunView(record)!;
    expect(view).toMatchObject({ dataset: 'mnist', row: 'predsim', schedule: 'local-parallel', rule: 'predsim', model: '784-16-16-10 hidden=leaky-relu,batchnorm', seed: 0, epochs: 3, limit: 300, backend: 'wasm' });
    // Events 0 (untrained) to 3; the last is the final model.
    expect(view.testErrorPerEpoch).toEqual(direct.history.map((e) => 1 - e.testAccuracy));
    expect(view.testErrorPerEpoch.at(-1)).toBe(1 - direct.end!.testAccuracy);
    expect(view.blockAccuracyPerEpoch).toHaveLength(4);
    expect(view.blockAccuracyPerEpoch[3].every((a) => a !== null && a > 0)).toBe(true);
    // Epochs 1 to 3, each with the scores after it.
    expect(view.secondsPerEpoch).toHaveLength(3);
    expect(view.secondsPerEpoch.reduce((a, b) => a + b, 0)).toBeCloseTo(record.history[3].seconds! - record.history[0].seconds!, 9);

    // On a pipeline of two threads (`--workers 2`): the same run, the same id, the same numbers.
    const [piped] = planNoklandStudy(folder, ['mnist'], ['predsim'], [0], 'wasm', SMALL, { workers: 2 });
    expect([piped.planned.id, piped.planned.options.workers]).toEqual([run.planned.id, 2]);
    const pipedStore = new RecordStore(join(folder, 'piped'));
    expect(await trainPlannedRun(piped.planned, pipedStore)).toMatchObject({ status: 'done' });
    expect(numbers(pipedStore.record(run.planned.id)!.history)).toEqual(numbers(record.history));
    expect(pipedStore.record(run.planned.id)!.final).toMatchObject({ testAccuracy: record.final.testAccuracy, testLoss: record.final.testLoss });

    // A checkpoint the study's own loop left after epoch 1 (`<key>.<backend>.safetensors`, its encoding) is continued by the sweep runner.
    const stopped = await trainDirectly(1);
    const old = join(folder, 'old-checkpoints');
    const file = join(old, `${run.key}.wasm.safetensors`);
    mkdirSync(old, { recursive: true });
    writeFileSync(file, stopped.checkpoint!);
    const resumed = new RecordStore(join(folder, 'resumed'));
    expect(adoptEarlierCheckpoint(run, old, resumed)).toBe(`continues from ${file} (epoch 1), moved into the records folder`);
    expect(existsSync(file)).toBe(false);
    expect(await trainPlannedRun(run.planned, resumed)).toMatchObject({ status: 'done' });
    const continued = resumed.record(run.planned.id)!;
    expect(continued.resumedAt).toEqual([1]);
    expect(numbers(continued.history)).toEqual(numbers(record.history));
    expect(continued.final).toEqual(record.final);

    // A checkpoint of other options under the same name is left alone, and one on the other backend is not looked at.
    const [longer] = planNoklandStudy(folder, ['mnist'], ['predsim'], [0], 'wasm', { ...SMALL, epochs: 4 });
    writeFileSync(join(old, `${longer.key}.wasm.safetensors`), stopped.checkpoint!);
    expect(adoptEarlierCheckpoint(longer, old, new RecordStore(join(folder, 'other')))).toMatch(/is not of this run's configuration \(epochs: 3 ≠ 4\); left where it is/);
    expect(existsSync(join(old, `${longer.key}.wasm.safetensors`))).toBe(true);
    const [native] = planNoklandStudy(folder, ['mnist'], ['predsim'], [0], 'native', SMALL);
    writeFileSync(file, stopped.checkpoint!);
    expect(adoptEarlierCheckpoint(native, old, new RecordStore(join(folder, 'native')))).toBeNull();
  });

  it('converts the records from before sweeps (six short runs, the full MNIST pred run) into sweep records of the same numbers, renders the committed page unchanged, and a new full record fills its table row', async () => {
    const out = join(tempDir('localprop-nokland-'), 'results');
    cpSync(RESULTS, out, { recursive: true });
    const folder = join(out, 'nokland-runs');
    // The committed folder holds those seven already converted: turned back into the old one-file-a-run format, the command converts them again.
    const imported = new RecordStore(folder).records().filter((r) => r.imported);
    expect(imported.map((r) => r.imported!.from).sort()).toEqual(['mnist-backprop-seed0-limit10000-epochs2', 'mnist-backprop-seed1-limit10000-epochs2', 'mnist-decoder-seed0-limit10000-epochs2', 'mnist-pred-seed0-limit10000-epochs2', 'mnist-pred-seed0', 'mnist-predsim-seed0-limit10000-epochs2', 'mnist-sim-seed0-limit10000-epochs2'].map((k) => `nokland-runs/${k}.json`));
    for (const r of imported) {
      const view = noklandRunView(r)!;
      if (r.backend === 'wasm') delete view.backend;
      writeFileSync(join(out, r.imported!.from), JSON.stringify(view, null, 2));
      rmSync(join(folder, `${r.id}.json`));
    }
    const r = await cli('experiment', 'nokland', '--render-only', '--quiet', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const committed = readFileSync(join(RESULTS, 'nokland.md'), 'utf8');
    expect(readFileSync(join(out, 'nokland.md'), 'utf8')).toBe(committed.replace('--out docs/results', `--out ${out}`));
    expect(readdirSync(folder).filter((f) => /^[0-9a-f]+\.json$/.test(f)).sort()).toEqual(readdirSync(join(RESULTS, 'nokland-runs')).filter((f) => /^[0-9a-f]+\.json$/.test(f)).sort());
    const seconds = (x: SweepRecord) => x.history.map((h) => h.seconds);
    for (const before of imported) {
      const again = new RecordStore(folder).record(before.id)!;
      expect({ ...again, history: again.history.map((h) => ({ ...h, seconds: 0 })) }).toEqual({ ...before, history: before.history.map((h) => ({ ...h, seconds: 0 })) });
      seconds(again).forEach((s, k) => expect(s).toBeCloseTo(seconds(before)[k]!, 6));
    }
    const pred = imported.find((x) => x.imported!.from === 'nokland-runs/mnist-pred-seed0.json')!;
    expect(pred).toMatchObject({ backend: 'native', final: { epochs: 100 } });
    expect(pred.options.limit).toBeUndefined();

    // `sweep status` of the study's spec counts a converted run done.
    const spec = join(out, 'nokland.sweep.json');
    expect((await cli('experiment', 'nokland', '--datasets', 'mnist', '--rows', 'pred', '--spec-out', spec, '--out', out)).code).toBe(0);
    const status = await cli('sweep', 'status', spec);
    expect(status.stdout).toContain('1 runs: 1 done, 0 running, 0 left');

    // An old file that does not hold the run its name says is refused in one line, and nothing is converted or lost.
    const short = noklandRunView(imported.find((x) => x.imported!.from.endsWith('mnist-backprop-seed0-limit10000-epochs2.json'))!)!;
    const wrong = join(folder, 'mnist-backprop-seed0-limit10000-epochs3.json');
    writeFileSync(wrong, JSON.stringify(short));
    const refused = await cli('experiment', 'nokland', '--render-only', '--quiet', '--out', out);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('nokland-runs/mnist-backprop-seed0-limit10000-epochs3.json does not hold run mnist-backprop-seed0-limit10000-epochs3 of the nokland study (2 epochs, 3 test errors');
    expect(existsSync(wrong)).toBe(true);
    writeFileSync(wrong, '{"dataset": "mni');
    const damaged = await cli('experiment', 'nokland', '--render-only', '--quiet', '--out', out);
    expect(damaged.code).toBe(2);
    expect(damaged.stderr).toMatch(/mnist-backprop-seed0-limit10000-epochs3.json is not valid JSON \(.*\); it is damaged: move it out of the records folder/);
    rmSync(wrong);

    // A full 100-epoch MNIST backprop record in the old format (no limit) instead of whatever MNIST backprop record the folder holds: it fills the row alone.
    for (const x of new RecordStore(folder).records()) if (x.schedule === 'backprop' && x.options.dataset === 'mnist' && x.options.limit === undefined) rmSync(join(folder, `${x.id}.json`));
    const full: NoklandRecord = { ...short, epochs: 100, testError: 0.0071, testErrorPerEpoch: Array.from({ length: 101 }, (_, i) => 0.9 / (i + 1)), blockAccuracyPerEpoch: Array(100).fill([null, null, null, 0.99]), secondsPerEpoch: Array(100).fill(60), seconds: 6000, backend: 'native' };
    delete full.limit;
    writeFileSync(join(folder, 'mnist-backprop-seed0.json'), JSON.stringify(full, null, 2));
    expect((await cli('experiment', 'nokland', '--render-only', '--quiet', '--out', out)).code).toBe(0);
    const page = readFileSync(join(out, 'nokland.md'), 'utf8');
    expect(page).toContain('| backprop | 0.75 | 0.85 | 0.71 (one seed: 0) | -0.04 | 60 (native) | – (decoders untrained) |');
    // The decoder rule against back-propagation now pairs seed 0 alone.
    expect(page).toContain('| decoder − backprop | 0 | | | | | not measured: one seed (0) in common |');
    // Every other line is as before: the pred row, the short runs, the discussion.
    const rest = (text: string) => text.split('\n').filter((l) => !l.startsWith('| backprop |') && !l.startsWith('| decoder − backprop |'));
    expect(rest(page)).toEqual(rest(committed.replace('--out docs/results', `--out ${out}`)));
    expect(readFileSync(join(out, 'nokland-mnist-curves.svg'), 'utf8')).toContain('backprop (seed 0)');
  });

  it('refuses a bad --rows or --jobs before anything is written, and --spec-out writes the spec whose plan is the study\'s runs', async () => {
    const dir = tempDir('localprop-nokland-');
    const out = join(dir, 'results');
    const rows = await cli('experiment', 'nokland', '--rows', 'pred,predsym', '--out', out);
    expect(rows.code).toBe(2);
    expect(rows.stderr).toContain('--rows takes backprop, pred, sim, predsim, decoder; got "predsym"');
    expect((await cli('experiment', 'nokland', '--jobs', '0', '--out', out)).code).toBe(2);
    const workers = await cli('experiment', 'nokland', '--workers', '5', '--out', out);
    expect([workers.code, workers.stderr.trim().split('\n').at(-1)]).toEqual([2, 'localprop: --workers takes 1 to 4 (the model\'s four blocks), got 5']);
    expect(existsSync(out)).toBe(false);
    const file = join(dir, 'queue', 'nokland.sweep.json');
    const r = await cli('experiment', 'nokland', '--rows', 'predsim', '--seeds', '0,1', '--datasets', 'fashion-mnist', '--spec-out', file, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(false);
    const spec = JSON.parse(readFileSync(file, 'utf8'));
    expect(spec.records).toBe('../results/nokland-runs');
    const { runs } = planSweep(parseSweepSpec(spec, file), file);
    const study = planNoklandStudy(out, ['fashion-mnist'], ['predsim'], [0, 1], tf.getBackend());
    expect(runs.map((x) => x.id)).toEqual(study.map((x) => x.planned.id));
    expect(runs[0].options).toMatchObject({ epochs: 200, flip: true, jitter: 2, dropoutPlacement: 'after-loss', backend: tf.getBackend() });
    // --workers changes how the local rows train, not what: the spec says so, the ids stay.
    const pipedFile = join(dir, 'queue', 'piped.sweep.json');
    expect((await cli('experiment', 'nokland', '--rows', 'predsim', '--seeds', '0,1', '--datasets', 'fashion-mnist', '--workers', '2', '--spec-out', pipedFile, '--out', out)).code).toBe(0);
    const piped = planSweep(parseSweepSpec(JSON.parse(readFileSync(pipedFile, 'utf8')), pipedFile), pipedFile).runs;
    expect(piped.map((x) => [x.id, x.options.workers])).toEqual(runs.map((x) => [x.id, 2]));
  });

  it('trains a short measurement (--limit, --epochs) with 2 jobs into sweep records the page lists, and a rerun trains nothing', async () => {
    const out = join(tempDir('localprop-nokland-'), 'results');
    const args = ['experiment', 'nokland', '--rows', 'backprop,sim', '--datasets', 'mnist', '--limit', '200', '--epochs', '1', '--out', out];
    const r = await cli(...args, '--jobs', '2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('mnist-sim-seed0-limit200-epochs1');
    const records = new RecordStore(join(out, 'nokland-runs')).records();
    expect(records.map((x) => [x.schedule, x.configuration.run.rule ?? 'decoder', x.final.epochs, x.backend]).sort()).toEqual([
      ['backprop', 'decoder', 1, tf.getBackend()],
      ['local-parallel', 'sim', 1, tf.getBackend()],
    ]);
    const page = readFileSync(join(out, 'nokland.md'), 'utf8');
    const sim = records.find((x) => x.schedule === 'local-parallel')!;
    expect(page).toContain(`| MNIST | sim | 0 | 200 | 1 | ${(100 * (1 - sim.final.testAccuracy)).toFixed(2)} | `);
    expect(page).toContain('| sim | 0.80 | – | pending |');
    const again = await cli(...args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('started');
    expect(readFileSync(join(out, 'nokland.md'), 'utf8')).toBe(page);
  });
});

