import { describe, expect, it } from 'vitest';
import { renderMnistReport } from '../../src/studies/mnist-report.js';
import { MNIST_STUDY, type MnistRunRecord } from '../../src/studies/mnist-study.js';

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
