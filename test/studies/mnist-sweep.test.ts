import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerImageDatasets } from '../../src/node/image-datasets.js';
import { importOldMnistRecords, mnistRunView, mnistRunViews, planMnistStudy, type MnistExecution } from '../../src/studies/mnist-sweep.js';
import type { MnistRunRecord } from '../../src/studies/mnist-study.js';
import { runSweepLocally } from '../../src/sweep/local-runner.js';
import { planSweep } from '../../src/sweep/plan.js';
import { parseSweepSpec } from '../../src/sweep/spec.js';
import { sweepStatus } from '../../src/sweep/status.js';
import { RecordStore } from '../../src/sweep/store.js';
import { cli, tempDir } from '../cli/helpers.js';

beforeAll(() => registerImageDatasets());

const ROOT = resolve(import.meta.dirname, '../..');
const RESULTS = join(ROOT, 'docs/results');
const BEFORE = join(ROOT, 'test/fixtures/mnist-runs-before-sweeps');

describe('the MNIST study as sweeps', () => {
  it('expands to the 28 runs of its plan, every one recorded in docs/results/mnist-runs (nothing to retrain)', () => {
    const parts = planMnistStudy(RESULTS);
    expect(parts.map((p) => [p.part, p.runs.length])).toEqual([
      ['small', 24],
      ['large', 4],
    ]);
    const runs = parts.flatMap((p) => p.runs);
    const status = sweepStatus(runs, new RecordStore(join(RESULTS, 'mnist-runs')));
    expect(status.counts).toEqual({ done: 28, running: 0, left: 0, failed: 0 });
    expect(readdirSync(join(RESULTS, 'mnist-runs')).filter((f) => f.endsWith('.json'))).toHaveLength(28);
    const lp = runs.find((r) => r.label === 'schedule=local-parallel dataset=mnist seed=1' && r.options.model === '784-256-256-256-10')!;
    expect(lp.configuration.run).toMatchObject({ epochs: 20, step: 'batch', batchSize: 128, optimizer: { name: 'adam', lr: 0.001 }, lrDecay: { at: [10, 15], factor: 0.25 }, hiddenLoss: 'ce', decoders: 'learned' });
  });

  it('imports records of the format before sweeps, keeping every number the page reads', () => {
    const folder = join(tempDir('localprop-mnist-'), 'mnist-runs');
    cpSync(BEFORE, folder, { recursive: true });
    const runs = planMnistStudy(folder).flatMap((p) => p.runs);
    expect(importOldMnistRecords(folder, runs)).toBe(2);
    const store = new RecordStore(folder);
    const records = store.records();
    expect(readdirSync(folder).sort()).toEqual(records.map((r) => `${r.id}.json`).sort());
    for (const name of readdirSync(BEFORE)) {
      const old = JSON.parse(readFileSync(join(BEFORE, name), 'utf8')) as MnistRunRecord;
      const record = records.find((r) => r.imported!.from === `mnist-runs/${name}`)!;
      expect(runs.find((r) => r.id === record.id)!.label).toBe(`schedule=${old.schedule} dataset=${old.dataset} seed=${old.seed}`);
      // Exactly: the same floats, so the page's means and curves add the same numbers.
      expect(mnistRunView(record)).toEqual(old);
    }
    const sequential = records.find((r) => r.schedule === 'local-sequential')!;
    // Events 0 (untrained) to 80, converted from the old files' per-epoch errors.
    expect(sequential.history).toHaveLength(81);
    expect(sequential.final.epochs).toBe(80);
  });

  it('renders the committed page and curves unchanged from the imported records', async () => {
    const out = join(tempDir('localprop-mnist-'), 'results');
    cpSync(RESULTS, out, { recursive: true });
    const r = await cli('experiment', 'mnist', '--render-only', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const page = readFileSync(join(RESULTS, 'mnist.md'), 'utf8').replace('--out docs/results', `--out ${out}`);
    expect(readFileSync(join(out, 'mnist.md'), 'utf8')).toBe(page);
    for (const svg of ['mnist-mnist-curves.svg', 'mnist-fashion-mnist-curves.svg']) expect(readFileSync(join(out, svg), 'utf8')).toBe(readFileSync(join(RESULTS, svg), 'utf8'));
  });

  it('trains an MNIST run through the sweep runner into a record the page reads', async () => {
    const dir = tempDir('localprop-mnist-');
    const spec = { base: { dataset: 'mnist', model: '784-16-10', epochs: 2, step: 'batch', 'batch-size': 128, optimizer: 'adam', limit: 300 }, grid: { schedule: ['local-parallel'] }, seeds: [0], records: 'mnist-runs' };
    const path = join(dir, 'spec.json');
    const runs = planSweep(parseSweepSpec(spec, path), path).runs;
    const store = new RecordStore(join(dir, 'mnist-runs'));
    expect((await runSweepLocally(runs, store, { jobs: 1 })).done).toEqual([runs[0].id]);
    const [view] = mnistRunViews(store.folder);
    expect(view).toMatchObject({ dataset: 'mnist', model: '784-16-10', schedule: 'local-parallel', seed: 0, epochs: 2, limit: 300 });
    expect(view.testErrorPerEpoch).toHaveLength(3);
    expect(view.testErrorPerEpoch[2]).toBe(view.testError);
    expect(view.testError).toBeGreaterThan(0);
    expect(view.testError).toBeLessThan(0.9);
  });

  it('gives the same runs (same ids) with --workers and --eval-thread, which change where the work is done, not what', () => {
    const ids = (execution: MnistExecution = {}) => planMnistStudy(RESULTS, ['small', 'large'], ['mnist', 'fashion-mnist'], false, execution).flatMap((p) => p.runs.map((r) => r.id));
    expect(ids({ workers: 2, evalThread: 'off' })).toEqual(ids());
    const [small] = planMnistStudy(RESULTS, ['small'], ['mnist'], false, { workers: 2 });
    expect(small.spec.base).toMatchObject({ workers: 2 });
  });
});
