import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/engine/backend.js';
import { runArchive } from '../../src/playground/bundle.js';
import { keepTrainableRules, readColumnRules, ruleChoices, ruleRefusal, withColumnRule, writeColumnRules } from '../../src/playground/column-rules.js';
import { Lockstep } from '../../src/playground/lockstep.js';
import { cliConfigOf, modelOf, setupOf } from '../../src/playground/setup.js';
import { DEFAULT_STATE, modelText, pageModel, queryFromState, stateFromQuery, type PlaygroundState } from '../../src/playground/state.js';
import { cliJson, tempDir } from '../cli/helpers.js';
import { localpropErrorOf } from '../support.js';

const SMALL: PlaygroundState = { ...DEFAULT_STATE, model: pageModel('2-12-8-1 hidden=mish,normalize'), epochs: 3, step: 'batch', optimizer: 'adam', batchSize: 50 };

describe("each column's rule in the link", () => {
  it('round-trips per column, leaves the default rule out, and old links keep the decoder rule everywhere', () => {
    const state: PlaygroundState = { ...DEFAULT_STATE, rules: { 'local-parallel': 'ff', 'local-gated': 'dfa', 'local-sequential': 'pred' } };
    const { query } = queryFromState(state);
    expect(new URLSearchParams(query).get('rules')).toBe('local-parallel:ff,local-gated:dfa,local-sequential:pred');
    expect(stateFromQuery(query)).toEqual({ state, problems: [] });
    // A link from before rules had columns: every column keeps the decoder rule.
    expect(stateFromQuery('?dataset=spiral&schedules=backprop,local-parallel').state.rules).toEqual({});
    expect(new URLSearchParams(queryFromState(DEFAULT_STATE).query).has('rules')).toBe(false);
    expect(readColumnRules('local-parallel:decoder')).toEqual({});
    expect(writeColumnRules({})).toBeNull();
    expect(withColumnRule({ 'local-parallel': 'ff' }, 'local-parallel', 'decoder')).toEqual({});
    expect(withColumnRule({}, 'local-gated', 'dfa')).toEqual({ 'local-gated': 'dfa' });
  });

  it('names what is wrong in a rules parameter, keeping the default', () => {
    const problem = (q: string) => stateFromQuery(q).problems[0];
    expect(problem('rules=local-parallel')).toMatch(/^rules: rules: "local-parallel" is not schedule:rule, like local-parallel:ff/);
    expect(problem('rules=adam:ff')).toMatch(/unknown schedule "adam"/);
    expect(problem('rules=local-parallel:hebb')).toMatch(/unknown rule "hebb"; choose one of: decoder, ff, dfa, pred, sim, predsim/);
    expect(problem('rules=local-parallel:ff,local-parallel:dfa')).toMatch(/local-parallel is given a rule twice/);
    expect(problem('rules=backprop:pred')).toMatch(/rules: backprop trains no local rule \(its blocks learn from the output's gradient\)/);
    expect(stateFromQuery('rules=local-parallel:ff,local-parallel:dfa').state.rules).toEqual({});
  });

  it('offers every rule, refusing with the rule\'s own reason what a schedule or the step cannot train', () => {
    const batch = { step: 'batch' as const };
    expect(ruleChoices('local-parallel', batch).map((c) => [c.rule, c.refusal])).toEqual([
      ['decoder', null],
      ['ff', null],
      ['dfa', null],
      ['pred', null],
      ['sim', null],
      ['predsim', null],
    ]);
    expect(ruleRefusal('local-sequential', 'dfa', batch)).toMatch(/one block at a time \(local-sequential\) would learn from the error of an untrained output block/);
    expect(ruleRefusal('local-gated', 'ff', batch)).toMatch(/rule ff does not run under local-gated/);
    expect(ruleRefusal('local-parallel', 'sim', { step: 'epoch' })).toBe('rule sim compares the examples of a mini-batch with one another: set Training → Step to batch');
    expect(ruleRefusal('local-parallel', 'pred', { step: 'epoch' })).toBeNull();
  });

  it('takes a column its state cannot train back to the decoder rule, saying why', () => {
    const rules = { 'local-parallel': 'sim', 'local-gated': 'dfa', 'local-sequential': 'dfa' };
    const kept = keepTrainableRules(rules, ['local-sequential', 'local-parallel', 'local-gated'], { step: 'epoch' });
    expect(kept.rules).toEqual({ 'local-gated': 'dfa' });
    expect(kept.changed).toEqual([
      expect.stringMatching(/^local-sequential is back on rule decoder: rule dfa trains every block from the same forward pass/),
      'local-parallel is back on rule decoder: rule sim compares the examples of a mini-batch with one another: set Training → Step to batch',
    ]);
    // Nothing to change: the very same rules.
    expect(keepTrainableRules(rules, ['local-parallel'], { step: 'batch' }).rules).toBe(rules);
  });
});

describe('columns of other rules', () => {
  beforeAll(() => useBackend('wasm'));

  it("fit Forward-Forward's model to the label it appends, and carry each rule's options in its own config", () => {
    const state: PlaygroundState = { ...SMALL, rules: { 'local-parallel': 'ff', 'local-gated': 'dfa' }, ffThreshold: 1.5 };
    // One output (signed_xor): two labels appended to the point, 2 + 2 inputs.
    expect(modelText(modelOf(state, 'ff'))).toBe('4-12-8-1 hidden=mish,normalize');
    expect(modelText(modelOf(state, 'dfa'))).toBe('2-12-8-1 hidden=mish,normalize');
    expect(modelText(modelOf({ ...state, dataset: 'spiral3' }, 'ff'))).toBe('5-12-8-3 hidden=mish,normalize');
    const ff = cliConfigOf(state, 'wasm', 'ff');
    expect(ff).toMatchObject({ schedules: ['local-parallel'], rule: ['ff'], model: '4-12-8-1 hidden=mish,normalize', 'ff-threshold': 1.5, 'ff-goodness': 'sum', 'ff-embed': 'append' });
    expect(ff['predsim-beta']).toBeUndefined();
    expect(ff.gate).toBeUndefined();
    const dfa = cliConfigOf(state, 'wasm', 'dfa');
    expect(dfa).toMatchObject({ schedules: ['local-gated'], rule: ['dfa'], gate: 'hard' });
    expect(dfa['ff-threshold']).toBeUndefined();
    expect(cliConfigOf(state, 'wasm')).toMatchObject({ schedules: ['backprop', 'local-sequential'] });
    expect(cliConfigOf(state, 'wasm').rule).toBeUndefined();
    const setup = setupOf(state);
    expect(setup.columns.map((c) => [c.schedule, c.rule, c.config.spec.input[0]])).toEqual([
      ['backprop', 'decoder', 2],
      ['local-sequential', 'decoder', 2],
      ['local-parallel', 'ff', 4],
      ['local-gated', 'dfa', 2],
    ]);
    // Every column sees the same points.
    expect(setup.columns.every((c) => c.start.train.x === setup.start.train.x || c.start.train.x.every((v, i) => v === setup.start.train.x[i]))).toBe(true);
  });

  it('refuse what the CLI refuses, in its words', async () => {
    expect(localpropErrorOf(() => setupOf({ ...SMALL, rules: { 'local-sequential': 'dfa' } }))).toMatch(/rule dfa trains every block from the same forward pass/);
    expect(localpropErrorOf(() => setupOf({ ...SMALL, step: 'epoch', optimizer: 'rprop', rules: { 'local-parallel': 'sim' } }))).toBe(
      "rule sim compares the examples of each mini-batch with one another, which one step on the whole epoch's summed losses (--step epoch) cannot do; use --step batch",
    );
    // What only binding the rule to the model shows, the columns' runs refuse as they start (the page's worker reports it).
    const unnormalized = setupOf({ ...SMALL, model: pageModel('2-12-8-1 hidden=mish'), rules: { 'local-parallel': 'ff' } });
    let message = '';
    try {
      const lockstep = new Lockstep(unnormalized, 4);
      await lockstep.advance(1);
      await lockstep.dispose();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^rule ff length-normalises each block's output before the next block, as the paper does: add normalize to the hidden blocks \(--model "4-12-8-1 hidden=mish,normalize"\)$/);
  });

  it('train side by side, and each rule\'s config.json trains its columns again to the same numbers', async () => {
    const state: PlaygroundState = { ...SMALL, schedules: ['local-sequential', 'local-parallel', 'local-gated'], rules: { 'local-parallel': 'ff', 'local-gated': 'dfa' }, seed: 1 };
    const lockstep = new Lockstep(setupOf(state), 6);
    await lockstep.advance(1);
    const first = lockstep.frame();
    expect(first.columns.map((c) => [c.schedule, c.rule, c.blocks.length])).toEqual([
      ['local-sequential', 'decoder', 2],
      ['local-parallel', 'ff', 2],
      ['local-gated', 'dfa', 2],
    ]);
    while (!lockstep.done) await lockstep.advance(3);
    const dir = tempDir('localprop-playground-rules-');
    const files = unzipSync(runArchive(lockstep.setup, 'wasm', lockstep.records()));
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
    expect(Object.keys(files).sort()).toEqual(
      ['README.md', 'config-dfa.json', 'config-ff.json', 'config.json', 'history.json', 'initial-dfa.safetensors', 'initial-ff.safetensors', 'initial.safetensors', 'local-gated.safetensors', 'local-parallel.safetensors', 'local-sequential.safetensors'].sort(),
    );
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain('npx localprop compare --config config-ff.json');
    const ends = new Map(lockstep.records().map((r) => [r.schedule, r.end!]));
    for (const [file, schedule] of [['config.json', 'local-sequential'], ['config-ff.json', 'local-parallel'], ['config-dfa.json', 'local-gated']]) {
      const json = await cliJson('compare', '--config', join(dir, file), '--json', '--quiet');
      expect(json.results.map((r) => r.schedule)).toEqual([schedule]);
      expect(json.results[0].testLoss, file).toBeCloseTo(ends.get(schedule)!.testLoss, 6);
      expect(json.results[0].testAccuracy, file).toBeCloseTo(ends.get(schedule)!.testAccuracy, 6);
    }
    await lockstep.dispose();
  }, 120_000);
});
