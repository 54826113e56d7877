import { describe, expect, it } from 'vitest';
import { NOKLAND_ROWS, noklandRuns, noklandTraining } from '../../src/studies/nokland-study.js';

describe('the nokland study', () => {
  it("plans MNIST before Fashion-MNIST, the rows in their table's order, and their recipe per dataset", () => {
    const runs = noklandRuns(['fashion-mnist', 'mnist'], ['sim', 'backprop'], [0]);
    expect(runs.map((r) => `${r.dataset}/${r.row.row}`)).toEqual(['mnist/backprop', 'mnist/sim', 'fashion-mnist/backprop', 'fashion-mnist/sim']);
    expect(NOKLAND_ROWS.map((r) => `${r.row}:${r.activation}`)).toEqual(['backprop:relu', 'pred:relu', 'sim:leaky-relu', 'predsim:leaky-relu', 'decoder:relu']);
    const m = noklandTraining('mnist');
    expect([m.epochs, m.lrDecayAt, m.dropout, m.augment, m.standardize]).toEqual([100, [50, 75, 89, 94], 0.1, { jitter: 2, flip: false }, { mean: 0.1307, std: 0.3081 }]);
    const f = noklandTraining('fashion-mnist');
    expect([f.epochs, f.lrDecayAt, f.dropout, f.augment, f.standardize]).toEqual([200, [100, 150, 175, 188], 0.025, { jitter: 2, flip: true }, { mean: 0.286, std: 0.353 }]);
    expect([m.optimizer, m.batchSize, m.lrDecay, m.dropoutPlacement]).toEqual([{ name: 'adam', lr: 5e-4 }, 128, 0.25, 'after-loss']);
  });
});
