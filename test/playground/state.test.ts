import { describe, expect, it } from 'vitest';
import { decodePoints, encodePoints, pointsFromCsv, pointsToCsv, splitPoints, pointsDataset, type Point } from '../../src/playground/points.js';
import { csvDatasets } from '../../src/data/csv.js';
import { DEFAULT_STATE, fitModel, HIDDEN_ACTIVATIONS, MAX_LINK_POINTS, modelText, pageModel, queryFromState, stateFromQuery, STATE_OPTIONS, unfoldedGroups, withHiddenControls, type PlaygroundState } from '../../src/playground/state.js';
import { parseModelSpec } from '../../src/model/spec.js';
import { cliConfigOf, fittedState, setupOf } from '../../src/playground/setup.js';
import { resolveOptions } from '../../src/cli/options.js';
import { localpropErrorOf } from '../support.js';

/** A state that differs from the default in every option. */
const EVERYTHING_CHANGED: PlaygroundState = {
  dataset: 'points',
  noise: 0.2,
  trainShare: 0.7,
  model: pageModel('2-12-6-3 hidden=tanh'),
  schedules: ['local-gated', 'backprop'],
  rules: { 'local-gated': 'dfa', 'local-parallel': 'ff' },
  decoders: 'fixed',
  epochs: 17,
  step: 'batch',
  batchSize: 32,
  optimizer: 'adam',
  lr: 0.003,
  ffThreshold: 1.5,
  ffGoodness: 'mean',
  ffEmbed: 'append',
  predsimBeta: 0.5,
  gate: 'soft',
  gateTau: 0.25,
  gateScale: 'absolute',
  gateSmoothing: 0.5,
  gateFloor: 0.1,
  gateTarget: 'block',
  seed: 7,
  backend: 'cpu',
  speed: 5,
  points: [
    [0.125, -0.5, 0],
    [-0.75, 0.333, 1],
    [0.9, 0.9, 2],
  ],
};

describe('playground state in the URL', () => {
  it('every option of the table is changed by the test state, so the round trip checks them all', () => {
    for (const option of STATE_OPTIONS.filter((o) => !o.fixed)) expect(EVERYTHING_CHANGED[option.key], option.name).not.toEqual(DEFAULT_STATE[option.key]);
  });

  it('round-trips the default state and a state with every option changed', () => {
    for (const state of [DEFAULT_STATE, EVERYTHING_CHANGED]) {
      const { query, pointsLeftOut } = queryFromState(state);
      expect(pointsLeftOut).toBe(false);
      const read = stateFromQuery(query);
      expect(read.problems).toEqual([]);
      expect(read.state).toEqual(state);
    }
  });

  it('uses the CLI flag names in the link', () => {
    const { query } = queryFromState(EVERYTHING_CHANGED);
    const names = [...new URLSearchParams(query).keys()];
    expect(names).toContain('train-share');
    expect(names).toContain('batch-size');
    expect(names).toContain('gate-tau');
    expect(new URLSearchParams(query).get('model')).toBe('2-12-6-3 hidden=tanh');
    // Options left at "default" (null) are left out of the link.
    const defaults = [...new URLSearchParams(queryFromState(DEFAULT_STATE).query).keys()];
    expect(defaults).not.toContain('lr');
    expect(defaults).not.toContain('epochs');
    expect(defaults).not.toContain('points');
  });

  it('folds the expert options away, and a link that sets one unfolds its group', () => {
    const advanced = STATE_OPTIONS.filter((o) => o.tier === 'advanced').map((o) => o.name);
    expect(advanced).toEqual(expect.arrayContaining(['gate-tau', 'gate-scale', 'gate-smoothing', 'gate-floor', 'gate-target', 'train-share', 'step', 'batch-size', 'backend']));
    const common = STATE_OPTIONS.filter((o) => o.tier !== 'advanced').map((o) => o.name);
    expect(common).toEqual(expect.arrayContaining(['dataset', 'noise', 'model', 'schedules', 'lr', 'speed']));
    expect([...unfoldedGroups(DEFAULT_STATE)]).toEqual([]);
    expect([...unfoldedGroups(stateFromQuery('?gate-tau=0.2').state)]).toEqual(['Gates']);
    expect([...unfoldedGroups(stateFromQuery('?backend=cpu&step=batch').state)].sort()).toEqual(['Run', 'Training']);
    // Common options, however set, unfold nothing; the model's normalize flag is advanced, its widths are not.
    expect([...unfoldedGroups(stateFromQuery('?dataset=spiral&lr=0.1&gate=soft&model=2-20-20-1%20hidden%3Dtanh%2Cnormalize').state)]).toEqual([]);
    expect([...unfoldedGroups(stateFromQuery('?model=2-20-20-1%20hidden%3Dtanh').state)]).toEqual(['Model']);
    expect([...unfoldedGroups(EVERYTHING_CHANGED)].sort()).toEqual(['Data', 'Gates', 'Model', 'Rules', 'Run', 'Training']);
  });

  it('reports unknown names and bad values, keeping the defaults for them', () => {
    const read = stateFromQuery('?seed=-3&optimizer=adamw&speed=7&colour=red&dataset=spiral');
    expect(read.state.seed).toBe(0);
    expect(read.state.optimizer).toBe('rprop');
    expect(read.state.speed).toBe(1);
    expect(read.state.dataset).toBe('spiral');
    expect(read.problems).toHaveLength(4);
    expect(read.problems.join('\n')).toMatch(/seed: --seed must be a whole number ≥ 0/);
    expect(read.problems.join('\n')).toMatch(/optimizer: --optimizer must be one of rprop, adam, rmsprop, sgd, got "adamw"/);
    expect(read.problems.join('\n')).toMatch(/unknown option "colour"/);
    expect(stateFromQuery('model=2-x-1').problems[0]).toMatch(/^model: /);
    expect(stateFromQuery('schedules=backprop,backprop').problems[0]).toMatch(/twice/);
    expect(stateFromQuery('schedules=adam').problems[0]).toMatch(/unknown schedule "adam"/);
    expect(stateFromQuery('points=1,2').problems[0]).toMatch(/point 1 \("1,2"\) is not x,y,class/);
  });

  it('leaves out points that are too many or too precise for a link, and says so', () => {
    const many: Point[] = Array.from({ length: MAX_LINK_POINTS + 1 }, (_, i) => [i / 1000, 0, i % 2]);
    expect(queryFromState({ ...DEFAULT_STATE, dataset: 'points', points: many })).toMatchObject({ pointsLeftOut: true });
    const precise = queryFromState({ ...DEFAULT_STATE, dataset: 'points', points: [[0.12345, 0, 0], [0, 0, 1]] });
    expect(precise.pointsLeftOut).toBe(true);
    expect(new URLSearchParams(precise.query).has('points')).toBe(false);
    expect(queryFromState({ ...DEFAULT_STATE, dataset: 'points', points: many.slice(0, MAX_LINK_POINTS) }).pointsLeftOut).toBe(false);
  });
});

describe('the model follows the data', () => {
  it('a state takes the model fitted to its data', () => {
    expect(modelText(fittedState({ ...DEFAULT_STATE, dataset: 'spiral3' }).model)).toBe('2-100-100-10-3 hidden=mish,normalize');
    expect(fittedState(DEFAULT_STATE)).toBe(DEFAULT_STATE);
  });

  it('fits the input and output widths, taking the output defaults of a new width', () => {
    const fitted = (text: string, inputs: number, outputs: number, hidden = {}) => modelText(fitModel(pageModel(text), inputs, outputs, hidden));
    expect(fitted('2-100-100-10-1 hidden=mish,normalize out=sigmoid', 2, 1)).toBe('2-100-100-10-1 hidden=mish,normalize');
    expect(fitted('2-100-100-10-1 hidden=mish,normalize', 2, 3)).toBe('2-100-100-10-3 hidden=mish,normalize');
    expect(fitModel(pageModel('2-8-1 out=tanh'), 2, 1).out).toBe('tanh');
    expect(fitModel(pageModel('2-8-1 out=tanh'), 2, 4).out).toBe('softmax');
    expect(fitted('2-8-1', 2, 1, { widths: [5, 4], activation: 'tanh', normalize: true })).toBe('2-5-4-1 hidden=tanh,normalize');
    expect(localpropErrorOf(() => fitModel(pageModel('2-8-1'), 2, 1, { widths: [0] }))).toMatch(/hidden widths must be whole numbers ≥ 1/);
    // Every other option stays: the page once wrote this model as "2-100-1 hidden=relu,normalize".
    expect(fitted('2-100-1 hidden=relu,normalize=rms,batchnorm', 2, 1)).toBe('2-100-1 hidden=relu,normalize=rms,batchnorm');
    expect(fitted('2-100-1 hidden=relu,normalize=rms,batchnorm out=identity loss=mse', 2, 1)).toBe('2-100-1 hidden=relu,normalize=rms,batchnorm out=identity');
  });
});

describe('the model as the page holds it', () => {
  // Every option of a spec, each in at least one model: every hidden activation, both normalisations, batch norm, each output and loss.
  const MODELS = [
    ...HIDDEN_ACTIVATIONS.map((a) => `2-7-5-1 hidden=${a}`),
    '2-7-1 hidden=relu,normalize',
    '2-7-1 hidden=relu,normalize=rms',
    '2-7-6-1 hidden=tanh,batchnorm',
    '2-7-6-1 hidden=mish,normalize=rms,batchnorm out=tanh',
    '2-7-1 hidden=relu out=identity',
    '2-7-1 hidden=relu loss=mse',
    '2-7-3 hidden=relu out=sigmoid',
    '2-7-3 hidden=relu,normalize,batchnorm loss=mse',
  ];

  it('round-trips every spec option through the state, the link and the configuration the CLI reads', () => {
    for (const text of MODELS) {
      const state: PlaygroundState = { ...DEFAULT_STATE, dataset: text.split(' ')[0].endsWith('-3') ? 'spiral3' : 'spiral', model: pageModel(text) };
      expect(modelText(state.model), text).toBe(text);
      const { query } = queryFromState(state);
      expect(new URLSearchParams(query).get('model')).toBe(text);
      const read = stateFromQuery(query);
      expect(read.problems).toEqual([]);
      expect(read.state.model, text).toEqual(parseModelSpec(text));
      expect(fittedState(read.state).model, text).toEqual(read.state.model);
      expect(parseModelSpec(cliConfigOf(read.state).model as string), text).toEqual(parseModelSpec(text));
    }
  });

  it("keeps every option the page's controls do not edit while they edit the hidden blocks", () => {
    const model = pageModel('2-7-6-1 hidden=mish,normalize=rms,batchnorm out=tanh');
    const edited = withHiddenControls(model, { widths: '9, 8 4', activation: 'tanh', normalize: true });
    expect(modelText(edited)).toBe('2-9-8-4-1 hidden=tanh,normalize=rms,batchnorm out=tanh');
    expect(modelText(withHiddenControls(edited, { widths: '9', activation: 'tanh', normalize: false }))).toBe('2-9-1 hidden=tanh,batchnorm out=tanh');
    expect(modelText(withHiddenControls(pageModel('2-7-1'), { widths: '7', activation: 'relu', normalize: true }))).toBe('2-7-1 hidden=relu,normalize');
    expect(localpropErrorOf(() => withHiddenControls(model, { widths: '9-x', activation: 'tanh', normalize: true }))).toMatch(/hidden widths must be whole numbers ≥ 1, like 100-100-10; got 9-x/);
  });

  it('refuses image inputs and other layer kinds with the reason, in the link too', () => {
    expect(localpropErrorOf(() => pageModel('1x28x28-c32-c32-p2-c64-c64-p2-256-10'))).toBe(
      'the playground trains networks of dense blocks on 2-D points, and "1x28x28" is an image input; write the hidden blocks as widths, like 2-100-100-10-1, and train image models with the command line',
    );
    expect(localpropErrorOf(() => pageModel('2-c32-1'))).toMatch(/and "c32" is not a dense block;/);
    const read = stateFromQuery(`model=${encodeURIComponent('2-c32-p2-1 hidden=relu')}`);
    expect(read.problems).toEqual([expect.stringMatching(/^model: the playground trains networks of dense blocks on 2-D points, and "c32" is not a dense block; .* \(kept 2-100-100-10-1 hidden=mish,normalize\)$/)]);
    expect(read.state.model).toEqual(DEFAULT_STATE.model);
  });
});

describe('the user points', () => {
  it('encode to the link and back', () => {
    const points: Point[] = [[0.5, -0.25, 1], [-1, 0.125, 0]];
    expect(encodePoints(points)).toBe('0.5,-0.25,1;-1,0.125,0');
    expect(decodePoints(encodePoints(points))).toEqual(points);
    expect(localpropErrorOf(() => decodePoints('0,0,9'))).toMatch(/class 9 must be a whole number from 0 to 7/);
  });

  it('read a CSV with or without a header and refuse other shapes', () => {
    expect(pointsFromCsv('x,y,label\n0.5,0.5,1\n-0.5,0.25,0\n', 'mine.csv')).toEqual([[0.5, 0.5, 1], [-0.5, 0.25, 0]]);
    expect(pointsFromCsv('1,2,0\n3,4,2\n', 'mine.csv')).toEqual([[1, 2, 0], [3, 4, 2]]);
    // Decimals the user wrote come back as written (not as their float32), so a link carries them; finer ones stay float32.
    expect(pointsFromCsv('0.3,-0.125,1\n0.1234567,0.7,0\n', 'mine.csv')).toEqual([[0.3, -0.125, 1], [Math.fround(0.1234567), 0.7, 0]]);
    expect(localpropErrorOf(() => pointsFromCsv('1,2,3,0\n1,2,3,1\n', 'wide.csv'))).toMatch(/wide.csv has 3 feature columns/);
    expect(localpropErrorOf(() => pointsFromCsv('1,2,0\n', 'one.csv'))).toMatch(/at least 2 rows/);
  });

  it('split by the training share with a seeded shuffle; too few points are both trained and tested on', () => {
    const points: Point[] = Array.from({ length: 20 }, (_, i) => [i, -i, i % 3]);
    const a = splitPoints(points, 0.75, 4);
    expect([a.train.length, a.test.length, a.sharedTest]).toEqual([15, 5, false]);
    expect([...a.train, ...a.test].map((p) => p[0]).sort((x, y) => x - y)).toEqual(points.map((p) => p[0]));
    expect(splitPoints(points, 0.75, 4)).toEqual(a);
    expect(splitPoints(points, 0.75, 5).train).not.toEqual(a.train);
    const few = splitPoints(points.slice(0, 4), 0.5, 0);
    expect(few).toEqual({ train: points.slice(0, 4), test: points.slice(0, 4), sharedTest: true });
  });

  it('written as CSV, read by the CLI reader as the same dataset', () => {
    const points: Point[] = [[0.1, 0.2, 0], [Math.fround(1 / 3), -0.7, 2], [0.3, 0.4, 1]];
    const text = pointsToCsv(points);
    const { train } = csvDatasets(text, text, { trainSource: 'train.csv', testSource: 'test.csv' });
    const direct = pointsDataset(points, 3);
    expect(train.x).toEqual(direct.x);
    expect(train.y).toEqual(direct.y);
  });
});

describe('the configuration the CLI reads', () => {
  it('carries the CLI names, a one-seed list, the fitted model, and gate options only with the gated schedule', () => {
    const config = cliConfigOf({ ...DEFAULT_STATE, dataset: 'spiral3', schedules: ['backprop'], seed: 3, lr: 0.02 }, 'wasm');
    expect(config).toEqual({
      dataset: 'spiral3',
      'train-share': 0.5,
      model: '2-100-100-10-3 hidden=mish,normalize',
      schedules: ['backprop'],
      decoders: 'learned',
      step: 'epoch',
      'batch-size': 100,
      optimizer: 'rprop',
      lr: 0.02,
      seeds: [3],
      backend: 'wasm',
    });
    expect(cliConfigOf(DEFAULT_STATE)).toMatchObject({ gate: 'hard', 'gate-tau': 0.1 });
    // A backend the CLI does not have is left out.
    expect(cliConfigOf(DEFAULT_STATE, 'webgl').backend).toBeUndefined();
    const points = cliConfigOf(EVERYTHING_CHANGED);
    expect(points).toMatchObject({ train: 'train.csv', test: 'test.csv' });
    expect(points.dataset).toBeUndefined();
    expect(points.noise).toBeUndefined();
    // Every key is one `localprop compare --config` accepts.
    expect(() => resolveOptions('compare', { config: 'c.json' }, () => points)).not.toThrow();
  });

  it('builds the experiment the CLI would, and refuses what the CLI refuses', () => {
    const setup = setupOf({ ...DEFAULT_STATE, dataset: 'circles', trainShare: 0.25, noise: 0 });
    expect([setup.start.train.count, setup.start.test.count]).toEqual([500, 1500]);
    expect(setup.config.schedules).toEqual(DEFAULT_STATE.schedules);
    expect(setupOf({ ...DEFAULT_STATE, dataset: 'points', points: [[0, 0, 0], [1, 1, 2], [1, 0, 1]] }).config.spec.stack.map((l) => l.units)).toEqual([100, 100, 10, 3]);
    expect(localpropErrorOf(() => setupOf({ ...DEFAULT_STATE, optimizer: 'rprop', step: 'epoch', epochs: null, lr: 0.01, schedules: [] }))).toMatch(/schedules.*needs/);
    expect(localpropErrorOf(() => setupOf({ ...DEFAULT_STATE, dataset: 'points', points: [] }))).toMatch(/add at least 2 points/);
  });
});
