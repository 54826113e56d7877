import { describe, expect, it } from 'vitest';
import { renderRulesReport, stepActivationBytes } from '../../src/studies/rules-report.js';
import { quickRow, RULES_STUDY, rulesRunKey, type RulesRunRecord } from '../../src/studies/rules-study.js';
import { activationBytes } from '../../src/metrics/memory.js';
import { parseModelSpec } from '../../src/model/spec.js';
import { resolveRunOptions } from '../../src/train/run.js';

const row = (id: string) => RULES_STUDY.find((r) => r.id === id)!;

describe('the rules study', () => {
  it('compares every rule on one model and budget, the published configurations in rows of their own', () => {
    const shared = RULES_STUDY.filter((r) => r.part === 'shared');
    expect(shared.map((r) => r.rule)).toEqual(['decoder', 'decoder', 'pred', 'predsim', 'predsim', 'ff', 'dfa']);
    // One budget for all; one model for all but the row that gives predsim its authors' leaky ReLU.
    expect(new Set(shared.map((r) => `${r.trainRows} ${r.training.epochs} ${r.training.batchSize}`)).size).toBe(1);
    expect(new Set(shared.filter((r) => r.id !== 'predsim-leaky').map((r) => r.model)).size).toBe(1);
    expect(row('predsim-leaky').model).toBe(row('predsim').model.replace('hidden=relu', 'hidden=leaky-relu'));
    expect(RULES_STUDY.filter((r) => r.published).map((r) => r.published!.error)).toEqual([1.36, 1.45, 1.45, 1.45, 1.45, 6.84, 1.74]);
    // The closest loeweX row trains on raw pixels, as theirs does.
    expect(row('ff-loewex-input-init').training.standardize).toBeUndefined();
    expect(row('ff-loewex').training.standardize).toEqual({ mean: 0.1307, std: 0.3081 });
    // Every row's options are valid run options.
    for (const r of RULES_STUDY) expect(() => resolveRunOptions({ ...r.training, schedule: r.schedule, seed: 0, rule: r.rule }, 10)).not.toThrow();
    expect(quickRow(row('ff-paper')).training.epochs).toBe(1);
    expect(rulesRunKey('mnist', row('dfa'), 0, true)).toBe('mnist-dfa-seed0-quick');
  });

  it("estimates a step's activations: FF's three copies of the batch, DFA's one pass kept", () => {
    const spec = parseModelSpec(row('ff').model);
    expect(stepActivationBytes(row('ff'))).toBe(activationBytes(spec, 'local-parallel', 300));
    expect(stepActivationBytes(row('ff-mohammadpz'))).toBe(activationBytes(spec, 'local-sequential', 100_000, 'epoch'));
    expect(stepActivationBytes(row('dfa'))).toBe(activationBytes(spec, 'local-parallel', 100) + 100 * (500 + 500 + 10) * 4);
  });

  it('lists finished rows with their numbers and the others with the command that runs them', () => {
    const record: RulesRunRecord = { dataset: 'mnist', row: 'dfa', rule: 'dfa', schedule: 'local-parallel', model: row('dfa').model, seed: 0, epochs: 5, trainRows: 10_000, testError: 0.0312, testLoss: 0.1, blockAccuracy: [0.95, 0.96], seconds: 50, steps: 500 };
    const page = renderRulesReport(RULES_STUDY, [record], ['mnist'], 'npx localprop experiment rules', null);
    expect(page).toContain('| DFA, local-parallel | dfa | local-parallel | 3.12 |  | error 5.00 / 4.00 | 50 (wasm) | 100.0 |');
    const native = renderRulesReport(RULES_STUDY, [{ ...record, backend: 'native' }], ['mnist'], 'npx localprop experiment rules', null);
    expect(native).toContain('| error 5.00 / 4.00 | 50 (native) | 100.0 |');
    expect(page).toContain('not run: `npx localprop experiment rules --rows ff-paper --datasets mnist`');
    expect(page).toContain('1.36 (Hinton 2022');
  });
});
