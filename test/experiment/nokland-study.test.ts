import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/engine/backend.js';
import { NOKLAND_ROWS, noklandKey, noklandRuns, noklandTraining, runNoklandStudy, type NoklandRecord, type NoklandStore } from '../../src/studies/nokland-study.js';
import { renderNoklandReport } from '../../src/studies/nokland-report.js';
import { memoryCheckpoints } from './memory-checkpoints.js';
import { registerImageDatasets } from '../../src/node/image-datasets.js';

beforeAll(async () => {
  registerImageDatasets();
  await useBackend('wasm');
});

/** A store in memory; `stopAfter` as {@link memoryCheckpoints}'. */
function memoryStore(stopAfter?: number): NoklandStore & { records: Map<string, NoklandRecord>; files: Map<string, Uint8Array> } {
  const records = new Map<string, NoklandRecord>();
  return { ...memoryCheckpoints(stopAfter), records, done: (key) => records.has(key), save: (key, r) => records.set(key, r) };
}

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

  it('continues a stopped run from its checkpoint to the record of a run never stopped, and the page lists it as a short run', async () => {
    const plan = noklandRuns(['mnist'], ['predsim'], [0]);
    const options = { limit: 300, epochs: 3, hidden: [16, 16], progress: () => undefined };
    const whole = memoryStore();
    await runNoklandStudy(plan, { ...options, store: whole });
    const key = noklandKey(plan[0], 300, 3);
    const a = whole.records.get(key)!;
    expect(whole.files.size).toBe(0);
    const broken = memoryStore(1);
    await expect(runNoklandStudy(plan, { ...options, store: broken })).rejects.toThrow('stopped');
    expect(broken.records.size).toBe(0);
    expect(broken.files.has(key)).toBe(true);
    await runNoklandStudy(plan, { ...options, store: broken });
    const b = broken.records.get(key)!;
    expect(b.testErrorPerEpoch).toEqual(a.testErrorPerEpoch);
    expect(b.testLoss).toBe(a.testLoss);
    expect(b.blockAccuracyPerEpoch).toEqual(a.blockAccuracyPerEpoch);
    expect(a.blockAccuracyPerEpoch).toHaveLength(3);
    expect(a.blockAccuracyPerEpoch[2].every((v) => v !== null)).toBe(true);
    expect(a.model).toBe('784-16-16-10 hidden=leaky-relu,batchnorm');
    const page = renderNoklandReport([a], 'the command');
    expect(page).toContain('| predsim | 0.62 | 0.75 | pending |');
    expect(page).toMatch(/\| MNIST \| predsim \| 0 \| 300 \| 3 \| /);
  });
});
