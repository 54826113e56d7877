import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/engine/backend.js';
import { renderMnistReport } from '../../src/studies/mnist-report.js';
import { MNIST_STUDY, runKey, runMnistStudy, type MnistCell, type MnistRunRecord } from '../../src/studies/mnist-study.js';
import { registerImageDatasets } from '../../src/node/image-datasets.js';
import { WorkerPipeline } from '../../src/node/worker-pipeline.js';
import { parseModelSpec } from '../../src/model/spec.js';

beforeAll(async () => {
  registerImageDatasets();
  await useBackend('wasm');
});

const record = (dataset: string, model: string, schedule: string, seed: number, testError: number): MnistRunRecord => ({
  dataset,
  model,
  schedule,
  seed,
  epochs: 20,
  testError,
  testLoss: 0.1,
  trainLoss: 0.05,
  testErrorPerEpoch: [testError],
  seconds: 100,
});

describe('the MNIST study', () => {
  it('plans every schedule over 3 seeds on the small model and two schedules on the large one, per dataset', () => {
    expect(MNIST_STUDY.map((c) => `${c.dataset} ${c.model} ${c.schedules.length}×${c.seeds.length}`)).toEqual([
      'mnist 784-256-256-256-10 4×3',
      'mnist 784-1024-1024-1024-10 2×1',
      'fashion-mnist 784-256-256-256-10 4×3',
      'fashion-mnist 784-1024-1024-1024-10 2×1',
    ]);
  });

  it('runs only the runs without a record and saves each as it finishes', async () => {
    const cell: MnistCell = { dataset: 'mnist', model: '784-16-10', schedules: ['backprop', 'local-parallel'], seeds: [0], part: 'small' };
    const saved = new Map<string, MnistRunRecord>();
    const done = runKey(cell, 'backprop', 0, 300);
    expect(done).toBe('mnist-16-backprop-seed0-limit300');
    await runMnistStudy([cell], { limit: 300, epochs: 2, done: (k) => k === done, save: (k, r) => saved.set(k, r), progress: () => undefined });
    expect([...saved.keys()]).toEqual(['mnist-16-local-parallel-seed0-limit300']);
    const r = saved.get('mnist-16-local-parallel-seed0-limit300')!;
    expect(r.epochs).toBe(2);
    expect(r.testErrorPerEpoch).toHaveLength(3);
    expect(r.testErrorPerEpoch[2]).toBe(r.testError);
    expect(r.testError).toBeGreaterThan(0);
    expect(r.testError).toBeLessThan(0.9);
    expect(r.limit).toBe(300);
  });

  it('gives the same record when local-parallel trains on a pipeline', async () => {
    const cell: MnistCell = { dataset: 'mnist', model: '784-16-16-10', schedules: ['local-parallel'], seeds: [1], part: 'small' };
    const records: MnistRunRecord[] = [];
    const pipeline = WorkerPipeline.start(parseModelSpec(cell.model), 2);
    try {
      for (const pipelineFor of [undefined, () => pipeline]) {
        await runMnistStudy([cell], { limit: 300, epochs: 2, pipelineFor, done: () => false, save: (_, r) => records.push(r), progress: () => undefined });
      }
    } finally {
      await pipeline.close();
    }
    const [one, two] = records.map(({ seconds, ...rest }) => rest);
    expect(two).toEqual(one);
  });

  it('tables mean ± std over seeds and judges the goals from the records', () => {
    const small = '784-256-256-256-10';
    const records = [
      record('mnist', small, 'backprop', 0, 0.015),
      record('mnist', small, 'backprop', 1, 0.017),
      record('mnist', small, 'local-parallel', 0, 0.018),
      record('mnist', small, 'local-parallel', 1, 0.019),
      record('fashion-mnist', small, 'backprop', 0, 0.1),
      record('fashion-mnist', small, 'local-gated', 0, 0.105),
      // A quick record never reaches the page.
      { ...record('mnist', small, 'local-sequential', 0, 0.001), limit: 1000 },
    ];
    const page = renderMnistReport(MNIST_STUDY, records, 'cmd');
    // (1.5 + 1.7) / 2 = 1.60, sample std of {1.5, 1.7} = 0.14.
    expect(page).toContain('| backprop | 2 of 3 (0, 1) | 1.60 ± 0.14 | 1.50 – 1.70 | 100 |');
    expect(page).toContain('| local-sequential | 0 of 3 | pending | | |');
    expect(page).toMatch(/Back-propagation ≤ 1.6% test error on MNIST.*1.60% .* — met/);
    // Local-parallel 1.85 vs back-propagation 1.60: 0.25 points.
    expect(page).toMatch(/on mnist .*local-parallel 1.85% vs 1.60%, gap 0.25 points — met/);
    expect(page).toMatch(/on fashion-mnist .*local-gated 10.50% vs 10.00%, gap 0.50 points — not met/);
    expect(page).toContain('Nøkland & Eidnes');
  });
});
