import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/engine/backend.js';
import { RULES_STUDY, rulesRunKey, runRulesStudy, type RulesRow, type RulesRunRecord } from '../../src/studies/rules-study.js';
import { registerImageDatasets } from '../../src/node/image-datasets.js';
import { memoryCheckpoints } from './memory-checkpoints.js';

beforeAll(async () => {
  registerImageDatasets();
  await useBackend('wasm');
});

/** The DFA paper's row cut to a size a test trains in seconds: its rule, schedule and optimizer, 3 epochs on 300 images. */
const row: RulesRow = {
  ...RULES_STUDY.find((r) => r.id === 'dfa-paper')!,
  model: '784-16-16-10 hidden=tanh out=sigmoid loss=bce',
  trainRows: 300,
  training: { ...RULES_STUDY.find((r) => r.id === 'dfa-paper')!.training, epochs: 3, evalEvery: undefined },
};

async function study(checkpoints: ReturnType<typeof memoryCheckpoints>, records: Map<string, RulesRunRecord>, lines: string[] = []): Promise<void> {
  await runRulesStudy([row], ['mnist'], { quick: false, done: (k) => records.has(k), save: (k, r) => records.set(k, r), checkpoints, progress: (m) => lines.push(m) });
}

describe('the rules study', () => {
  it('continues a run stopped after its first epoch from the checkpoint to the record of a run never stopped', async () => {
    const key = rulesRunKey('mnist', row, 0, false);
    const whole = new Map<string, RulesRunRecord>();
    const wholeFiles = memoryCheckpoints();
    await study(wholeFiles, whole);
    expect(wholeFiles.files.size).toBe(0);
    const broken = memoryCheckpoints(1);
    const records = new Map<string, RulesRunRecord>();
    await expect(study(broken, records)).rejects.toThrow('stopped');
    expect(records.size).toBe(0);
    expect(broken.files.has(key)).toBe(true);
    const lines: string[] = [];
    await study(broken, records, lines);
    expect(lines[0]).toBe(`${key}: continues from epoch 1`);
    const [a, b] = [whole.get(key)!, records.get(key)!];
    expect(b.testError).toBe(a.testError);
    expect(b.testLoss).toBe(a.testLoss);
    expect(b.blockAccuracy).toEqual(a.blockAccuracy);
    expect([b.epochs, b.steps, b.backend]).toEqual([3, 3 * Math.ceil(300 / 64), 'wasm']);
    expect(broken.files.size).toBe(0);
  });
});
