import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerImageDatasets } from '../../src/node/image-datasets.js';
import { modelSpecJson, parseModelSpec } from '../../src/model/spec.js';
import { defaultJobs } from '../../src/sweep/local-runner.js';
import { planSweep, recordsFolder } from '../../src/sweep/plan.js';
import { parseSweepSpec } from '../../src/sweep/spec.js';
import { localpropErrorOf } from '../support.js';
import { cli, lines, listDir, tempDir } from '../cli/helpers.js';
import { writeSpec } from './helpers.js';

beforeAll(() => registerImageDatasets());

const plan = (spec: unknown, path = '/sweeps/spec.json') => planSweep(parseSweepSpec(spec, path), path);
const ids = (spec: unknown) => plan(spec).runs.map((r) => r.id);
const BASE = { dataset: 'spiral', model: '2-8-1', epochs: 3, step: 'batch', optimizer: 'adam' };

describe('sweep plan', () => {
  it('expands the grid (first key slowest) and then the points, each over the base, seed by seed', () => {
    const p = plan({
      base: BASE,
      grid: { schedule: ['backprop', 'local-parallel'], lr: [0.01, 0.001] },
      points: [{ schedule: 'local-sequential', epochs: 2 }],
      seeds: [0, 3],
      records: 'runs',
    });
    expect(p.runs.map((r) => r.label)).toEqual([
      'schedule=backprop epochs=3 lr=0.01 seed=0',
      'schedule=backprop epochs=3 lr=0.01 seed=3',
      'schedule=backprop epochs=3 lr=0.001 seed=0',
      'schedule=backprop epochs=3 lr=0.001 seed=3',
      'schedule=local-parallel epochs=3 lr=0.01 seed=0',
      'schedule=local-parallel epochs=3 lr=0.01 seed=3',
      'schedule=local-parallel epochs=3 lr=0.001 seed=0',
      'schedule=local-parallel epochs=3 lr=0.001 seed=3',
      'schedule=local-sequential epochs=2 lr=- seed=0',
      'schedule=local-sequential epochs=2 lr=- seed=3',
    ]);
    const point = p.runs[8].configuration.run;
    expect([point.schedule, point.epochs, point.seed, point.optimizer.lr, point.step]).toEqual(['local-sequential', 2, 0, 0.001, 'batch']);
    expect(p.runs[2].configuration.run.optimizer).toEqual({ name: 'adam', lr: 0.001 });
    expect(new Set(p.runs.map((r) => r.id)).size).toBe(10);
  });

  it('takes a seed count like --seeds, and a spec without grid or points is its base alone', () => {
    expect(plan({ base: { ...BASE, schedule: 'backprop' }, seeds: 3, records: 'r' }).runs.map((r) => r.label)).toEqual(['seed=0', 'seed=1', 'seed=2']);
  });

  it('hashes the fully resolved configuration, backend included, with sha256', () => {
    const [run] = plan({ base: { dataset: 'spiral', model: '2-8-1', schedule: 'backprop', epochs: 5 }, seeds: [0], records: 'r' }).runs;
    // The defaults a plain `localprop train` fills in: Rprop, one step per epoch, mse for one output, wasm.
    const expected = {
      data: { dataset: 'spiral', options: {} },
      model: modelSpecJson(parseModelSpec('2-8-1')),
      run: { schedule: 'backprop', seed: 0, epochs: 5, step: 'epoch', batchSize: 100, optimizer: { name: 'rprop', lr: 0.01 }, decoders: 'learned', hiddenLoss: 'mse', zeroGradSteps: false },
      backend: 'wasm',
    };
    expect(run.configuration).toEqual(expected);
    // Keys sorted at every level, written out by hand.
    const m = expected.model;
    const canonical =
      `{"backend":"wasm","data":{"dataset":"spiral","options":{}},"model":{"hidden":{"activation":"${m.hidden.activation}","normalize":${m.hidden.normalize}},"layers":[2,8,1],"loss":"${m.loss}","out":"${m.out}"},` +
      `"run":{"batchSize":100,"decoders":"learned","epochs":5,"hiddenLoss":"mse","optimizer":{"lr":0.01,"name":"rprop"},"schedule":"backprop","seed":0,"step":"epoch","zeroGradSteps":false}}`;
    expect(run.id).toBe(createHash('sha256').update(canonical).digest('hex').slice(0, 16));
  });

  it('gives the same ids whatever the order of the options, dashes or camelCase, base or grid', () => {
    const a = ids({ base: { dataset: 'spiral', model: '2-8-1', 'batch-size': 50, schedule: 'backprop', step: 'batch' }, seeds: [0, 1], records: 'a' });
    const b = ids({ base: { step: 'batch', batchSize: 50, schedule: 'backprop', model: '2-8-1', dataset: 'spiral' }, seeds: [0, 1], records: 'b' });
    const c = ids({ base: { step: 'batch', model: '2-8-1', dataset: 'spiral' }, grid: { 'batch-size': [50], schedule: ['backprop'] }, seeds: [0, 1], records: 'c' });
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    // Giving a default explicitly is the same run too (the decoder rule included).
    expect(ids({ base: { dataset: 'spiral', model: '2-8-1', 'batch-size': 50, schedule: 'backprop', step: 'batch', rule: 'decoder' }, seeds: [0, 1], records: 'e' })).toEqual(a);
    expect(ids({ base: { dataset: 'spiral', model: '2-8-1', batchSize: 50, schedule: 'backprop', step: 'batch', optimizer: 'adam', lr: 0.001, decoders: 'learned', backend: 'wasm' }, seeds: [0, 1], records: 'd' })).toEqual(a);
  });

  it('changes the id with any option that changes the run', () => {
    const base = { dataset: 'spiral', model: '2-8-8-1', schedule: 'local-gated', epochs: 3, step: 'batch' };
    const [reference] = ids({ base, seeds: [0], records: 'r' });
    const changes: Record<string, unknown>[] = [
      { schedule: 'local-parallel' },
      { dataset: 'circles', model: '2-8-8-1' },
      { model: '2-8-9-1' },
      { model: '2-8-8-1 hidden=tanh' },
      { epochs: 4 },
      { step: 'epoch' },
      { batchSize: 99 },
      { optimizer: 'sgd' },
      { lr: 0.002 },
      { betas: [0.8, 0.999] },
      { weightDecay: 1e-4 },
      { lrDecayAt: [2], lrDecay: 0.5 },
      { hiddenLoss: 'bce' },
      { dropout: 0.1 },
      { decoders: 'fixed' },
      { zeroGradSteps: true },
      { gate: 'soft' },
      { gateTau: 0.2 },
      { noise: 0.1 },
      { trainShare: 0.6 },
      { limit: 500 },
      { val: 100 },
      { backend: 'cpu' },
    ];
    const seen = new Set([reference]);
    for (const change of changes) {
      const [id] = ids({ base: { ...base, ...change }, seeds: [0], records: 'r' });
      expect(seen.has(id), JSON.stringify(change)).toBe(false);
      seen.add(id);
    }
    expect(ids({ base, seeds: [1], records: 'r' })[0]).not.toBe(reference);
    // Where the records go is not part of the run.
    expect(ids({ base, seeds: [0], records: 'elsewhere' })[0]).toBe(reference);
  });

  it('trains a configuration that the grid and a point both name once', () => {
    const p = plan({ base: BASE, grid: { schedule: ['backprop', 'local-parallel'] }, points: [{ schedule: 'backprop' }], seeds: [0], records: 'r' });
    expect(p.runs).toHaveLength(2);
    expect(p.duplicates).toEqual([{ label: 'schedule=backprop seed=0', sameAs: 'schedule=backprop seed=0' }]);
  });

  it('finds the records folder and the files a spec names beside the spec', () => {
    const dir = tempDir('localprop-sweep-');
    const spec = parseSweepSpec({ base: { schedule: 'backprop', train: 'data/a.csv' }, seeds: [0], records: 'out/r' }, join(dir, 'spec.json'));
    expect(recordsFolder(spec, join(dir, 'spec.json'))).toBe(join(dir, 'out/r'));
    expect(localpropErrorOf(() => planSweep(spec, join(dir, 'spec.json')))).toContain('give both --train FILE.csv and --test FILE.csv');
  });
});

describe('sweep run without --jobs', () => {
  it('runs as many jobs as the cores allow given each run\'s threads (training, and evaluation unless off), at least one', () => {
    const runs = (evalThread?: string) => plan({ base: { ...BASE, schedule: 'backprop', ...(evalThread ? { evalThread } : {}) }, seeds: [0, 1], records: 'r' }).runs;
    expect(defaultJobs(runs(), 2)).toBe(1);
    expect(defaultJobs(runs('off'), 2)).toBe(2);
    expect(defaultJobs(runs(), 16)).toBe(8);
    expect(defaultJobs(runs(), 1)).toBe(1);
    // A pipeline's threads count; a schedule that cannot be pipelined ignores workers.
    expect(defaultJobs(plan({ base: { ...BASE, schedule: 'local-parallel', workers: 2 }, seeds: [0], records: 'r' }).runs, 6)).toBe(2);
    expect(defaultJobs(plan({ base: { ...BASE, schedule: 'backprop', workers: 2 }, seeds: [0], records: 'r' }).runs, 6)).toBe(3);
    // A mix takes the hungriest run.
    expect(defaultJobs([...runs('off'), ...runs('on')], 4)).toBe(2);
    // The evaluation thread changes where numbers are computed, not which: the id stays.
    expect(runs('off').map((r) => r.id)).toEqual(runs().map((r) => r.id));
  });
});

describe('an invalid sweep spec', () => {
  const refused = (spec: unknown) => localpropErrorOf(() => plan(spec));

  it('is refused naming the key, wherever it stands', () => {
    expect(refused({ base: { ...BASE, rules: 'decoder' }, seeds: [0], records: 'r' })).toMatch(/^\/sweeps\/spec\.json: base "rules": `localprop train` has no option rules/);
    expect(refused({ base: BASE, grid: { schedule: ['backprop'], 'learning-rate': [0.1] }, seeds: [0], records: 'r' })).toMatch(/grid "learning-rate" \(value 1\): `localprop train` has no option learningRate/);
    expect(refused({ base: BASE, points: [{ schedule: 'backprop' }, { schedule: 'backprop', epochs: 0 }], seeds: [0], records: 'r' })).toMatch(/point 2 "epochs": --epochs must be a whole number ≥ 1, got 0/);
    expect(refused({ base: BASE, grid: { optimizer: ['adam', 'adamw'] }, seeds: [0], records: 'r' })).toMatch(/grid "optimizer" \(value 2\): --optimizer must be one of rprop, adam, rmsprop, sgd, got "adamw"/);
    expect(refused({ base: { ...BASE, seed: 1, schedule: 'backprop' }, seeds: [0], records: 'r' })).toContain('base "seed" cannot be set in a sweep spec: give the seeds as the spec\'s "seeds" list');
    expect(refused({ base: BASE, grid: { schedule: ['backprop'] }, seeds: [0], records: 'r', recods: 'x' })).toContain('unknown key "recods"');
    expect(refused({ base: { ...BASE, workers: 2, step: 'epoch', optimizer: 'rprop' }, grid: { schedule: ['local-parallel'] }, seeds: [0], records: 'r' })).toContain('configuration 1 (seed=0): --workers needs --step batch');
    expect(refused({ base: { ...BASE, import: 'my-rule.js' }, grid: { schedule: ['backprop'] }, seeds: [0], records: 'r' })).toContain('base "import" cannot be set in a sweep spec');
    expect(refused({ base: BASE, grid: { schedule: [] }, seeds: [0], records: 'r' })).toContain('grid "schedule" must be a non-empty list');
    expect(refused({ base: BASE, grid: { schedule: ['backprop'] }, records: 'r' })).toContain('"seeds" is missing');
    expect(refused({ base: BASE, grid: { schedule: ['backprop'] }, seeds: [0, 0], records: 'r' })).toContain('a seed is listed twice');
  });

  it('is refused when a configuration cannot run, naming it', () => {
    expect(refused({ base: BASE, seeds: [0], records: 'r' })).toContain('configuration 1 (seed=0): a sweep run needs a schedule');
    expect(refused({ base: BASE, grid: { schedule: ['backprop', 'local-paralel'] }, seeds: [0], records: 'r' })).toMatch(/configuration 2 \(schedule=local-paralel seed=0\): unknown schedule "local-paralel"/);
    expect(refused({ base: { ...BASE, model: '2-8-3' }, grid: { schedule: ['backprop'] }, seeds: [0], records: 'r' })).toContain('change --model to 2-8-1');
    expect(refused({ base: BASE, grid: { schedule: ['backprop'], decoders: ['fixed,learned'] }, seeds: [0], records: 'r' })).toContain('a sweep run has one decoder mode');
    expect(refused({ base: BASE, grid: { schedule: ['backprop'], rule: ['decoder,decoder'] }, seeds: [0], records: 'r' })).toContain('configuration 1 (seed=0): a sweep run has one rule, but "rule" is decoder,decoder; put the rules in the grid instead');
    expect(refused({ base: BASE, grid: { schedule: ['backprop'], rule: ['decoder', 'no-such-rule'] }, seeds: [0], records: 'r' })).toMatch(/configuration 2 \(rule=no-such-rule seed=0\): unknown rule "no-such-rule"/);
  });

  it('reads a YAML spec into the same runs and ids as the JSON one', async () => {
    const dir = tempDir('localprop-sweep-');
    const spec = { base: BASE, grid: { schedule: ['backprop', 'local-parallel'], lr: [0.01, 0.001] }, seeds: [0, 1], records: 'records' };
    const json = writeSpec(dir, spec);
    const yaml = join(dir, 'sweep.yaml');
    writeFileSync(yaml, ['base:', ...Object.entries(BASE).map(([k, v]) => `  ${k}: ${v}`), 'grid:', '  schedule: [backprop, local-parallel]', '  lr: [1e-2, 0.001]', 'seeds: [0, 1]', 'records: records', ''].join('\n'));
    const planned = async (path: string) => {
      const r = await cli('sweep', 'plan', path, '--json');
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { runs: { id: string; label: string }[] }).runs.map((run) => `${run.id} ${run.label}`);
    };
    const fromYaml = await planned(yaml);
    expect(fromYaml).toHaveLength(8);
    expect(fromYaml).toEqual(await planned(json));
  });

  it('makes `sweep run` exit 2 with one line before anything trains or is written', async () => {
    const dir = tempDir('localprop-sweep-');
    const records = join(dir, 'records');
    mkdirSync(records);
    const path = writeSpec(dir, { base: BASE, grid: { schedule: ['backprop', 'local-parallel'] }, points: [{ schedule: 'local-sequential', rules: 'predsim' }], seeds: [0], records: 'records' });
    const r = await cli('sweep', 'run', path, '--quiet');
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([`localprop: ${path}: point 1 "rules": \`localprop train\` has no option rules (the options of \`localprop train --help\`, with or without dashes)`]);
    expect(r.stdout).toBe('');
    expect(listDir(records)).toEqual([]);
    expect(existsSync(join(dir, 'records', 'report.md'))).toBe(false);
  });
});
