import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { dfaRule, directFeedbackAlignment } from '../../src/rules/dfa.js';
import { configuredRule } from '../../src/rules/registry.js';
import { resolveRunOptions } from '../../src/train/run.js';
import { localpropErrorOf } from '../support.js';
import { decoderRule } from '../../src/rules/decoder.js';
import { parseModelSpec } from '../../src/model/spec.js';
import { initialParameters, type ParameterMap } from '../../src/model/parameters.js';
import { makeDataset } from '../../src/data/dataset.js';
import { Run } from '../../src/train/run.js';
import { Rng } from '../../src/util/rng.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/io/checkpoint.js';
import { seededStart } from '../../src/experiment/seeded.js';

beforeAll(async () => {
  await useBackend('wasm');
});

type Matrix = number[][];
/** A [out, in] PyTorch-layout tensor as rows. */
const rows = (p: ParameterMap, name: string): Matrix => {
  const t = p[name];
  return Array.from({ length: t.shape[0] }, (_, r) => Array.from(t.data.subarray(r * (t.shape[1] ?? 1), (r + 1) * (t.shape[1] ?? 1))));
};
const vec = (p: ParameterMap, name: string) => Array.from(p[name].data);
/** W·x + b for every row of xs. */
const layer = (w: Matrix, b: number[], xs: Matrix) => xs.map((x) => w.map((wr, o) => wr.reduce((s, v, k) => s + v * x[k], b[o])));

describe('direct feedback alignment', () => {
  const spec = parseModelSpec('3-4-4-2 hidden=tanh');
  const x = [
    [0.5, -1, 0.25],
    [-0.3, 0.8, 1],
  ];
  const y = [
    [1, 0],
    [0, 1],
  ];
  const data = makeDataset(Float32Array.from(x.flat()), Float32Array.from(y.flat()), 3, 2);

  it('steps every block from one forward pass: hidden blocks on B_i·e, the output block on its own loss (hand computation, two hidden blocks, one SGD step)', async () => {
    const start = initialParameters(spec, new Rng(5).fork('init'), dfaRule);
    const lr = 0.1;
    const run = new Run({ schedule: 'local-parallel', rule: 'dfa', spec, parameters: start, train: data, test: data, seed: 0, epochs: 1, step: 'batch', batchSize: 2, optimizer: { name: 'sgd', lr } });
    await run.complete();
    const after = run.network.toParameters();

    // The same step by hand: forward once, e = (softmax(z) - y)/N, δ_i = (e·B_iᵀ) ⊙ tanh'(a_i).
    const W = [0, 1, 2].map((i) => rows(start, `blocks.${i}.weight`));
    const b = [0, 1, 2].map((i) => vec(start, `blocks.${i}.bias`));
    const B = [0, 1].map((i) => rows(start, `feedback.${i}.weight`));
    const h1 = layer(W[0], b[0], x).map((r) => r.map(Math.tanh));
    const h2 = layer(W[1], b[1], h1).map((r) => r.map(Math.tanh));
    const z = layer(W[2], b[2], h2);
    const e = z.map((r, n) => {
      const m = Math.max(...r);
      const ex = r.map((v) => Math.exp(v - m));
      const s = ex.reduce((a, v) => a + v);
      return ex.map((v, c) => (v / s - y[n][c]) / x.length);
    });
    const delta = (Bi: Matrix, h: Matrix) => h.map((hr, n) => hr.map((hv, j) => Bi[j].reduce((s, bv, c) => s + bv * e[n][c], 0) * (1 - hv * hv)));
    const inputs = [x, h1, h2];
    const deltas = [delta(B[0], h1), delta(B[1], h2), e];
    for (let i = 0; i < 3; i++) {
      const want = W[i].map((wr, o) => wr.map((v, k) => v - lr * deltas[i].reduce((s, d, n) => s + d[o] * inputs[i][n][k], 0)));
      const got = rows(after, `blocks.${i}.weight`);
      want.forEach((wr, o) => wr.forEach((v, k) => expect(got[o][k]).toBeCloseTo(v, 5)));
      const wantBias = b[i].map((v, o) => v - lr * deltas[i].reduce((s, d) => s + d[o], 0));
      vec(after, `blocks.${i}.bias`).forEach((v, o) => expect(v).toBeCloseTo(wantBias[o], 5));
    }
    // The feedback matrices are never trained.
    expect(vec(after, 'feedback.0.weight')).toEqual(vec(start, 'feedback.0.weight'));
    expect(vec(after, 'feedback.1.weight')).toEqual(vec(start, 'feedback.1.weight'));
    run.dispose();
  });

  it('draws the feedback matrices from the seed ([hidden, outputs], uniform on ±1/√hidden), after the same blocks as the decoder rule', () => {
    const wide = parseModelSpec('784-100-50-10');
    const a = initialParameters(wide, new Rng(3).fork('init'), dfaRule);
    const again = initialParameters(wide, new Rng(3).fork('init'), dfaRule);
    const other = initialParameters(wide, new Rng(4).fork('init'), dfaRule);
    const decoder = initialParameters(wide, new Rng(3).fork('init'), decoderRule);
    expect(a['feedback.0.weight'].shape).toEqual([100, 10]);
    expect(a['feedback.1.weight'].shape).toEqual([50, 10]);
    expect(a['feedback.1.weight'].data).toEqual(again['feedback.1.weight'].data);
    expect(a['feedback.1.weight'].data).not.toEqual(other['feedback.1.weight'].data);
    expect(a['blocks.2.weight'].data).toEqual(decoder['blocks.2.weight'].data);
    const bound = 1 / Math.sqrt(50);
    const values = Array.from(a['feedback.1.weight'].data);
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.9 * bound);
  });

  it('keeps the feedback matrices through a checkpoint, which the decoder rule refuses', () => {
    const start = seededStart(0, spec, { dataset: 'spiral3' } as never, dfaRule);
    const bytes = encodeCheckpoint(start.parameters, { spec, rule: dfaRule });
    const back = decodeCheckpoint(bytes, 'test', undefined, dfaRule);
    expect(back.metadata.rule).toBe('dfa');
    expect(back.parameters['feedback.1.weight'].data).toEqual(start.parameters['feedback.1.weight'].data);
    expect(() => decodeCheckpoint(bytes, 'model.safetensors')).toThrow(/unexpected tensor\(s\) feedback\.0\.weight, feedback\.1\.weight/);
  });

  it('refuses local-sequential and backprop, saying why', () => {
    const make = (schedule: string) => () => new Run({ schedule, rule: 'dfa', spec, parameters: initialParameters(spec, new Rng(0), dfaRule), train: data, test: data, seed: 0, epochs: 1 });
    expect(make('local-sequential')).toThrow(/one block at a time \(local-sequential\) would learn from the error of an untrained output block: use local-parallel/);
    expect(make('backprop')).toThrow(/rule dfa trains hidden blocks from the output error, which backprop ignores/);
  });

  it('learns spiral3 under local-parallel, every block reported through its probe', async () => {
    const s = parseModelSpec('2-64-64-3 hidden=tanh');
    const start = seededStart(0, s, { dataset: 'spiral3' } as never, dfaRule);
    const run = new Run({ schedule: 'local-parallel', rule: 'dfa', spec: s, ...start, epochs: 60, step: 'batch', batchSize: 50, optimizer: { name: 'adam', lr: 0.01 } });
    const accuracies: number[][] = [];
    const end = await run.complete((e) => {
      if (e.type === 'epoch') accuracies.push(e.blockAccuracy);
    });
    expect(end.testAccuracy).toBeGreaterThan(0.8);
    // Hidden blocks' accuracies come from probes: numbers, not the NaN of a rule without read-out.
    const last = accuracies[accuracies.length - 1];
    expect(last.slice(0, 2).every((v) => Number.isFinite(v) && v > 1 / 3)).toBe(true);
    run.dispose();
  }, 240_000);
});

describe("DFA's zero start (--dfa-init zero)", () => {
  const spec = parseModelSpec('2-32-32-3 hidden=tanh');

  it('starts every block weight and bias at zero, draws the same feedback matrices as the default, and is recorded only when asked', () => {
    const zero = configuredRule('dfa', { dfaInit: 'zero' });
    const p = initialParameters(spec, new Rng(7).fork('init'), zero);
    const torch = initialParameters(spec, new Rng(7).fork('init'), dfaRule);
    for (const name of ['blocks.0.weight', 'blocks.0.bias', 'blocks.1.weight', 'blocks.1.bias', 'blocks.2.weight', 'blocks.2.bias']) {
      expect(p[name].shape).toEqual(torch[name].shape);
      expect(p[name].data.every((v) => v === 0), name).toBe(true);
      // The default start is PyTorch's draw, not zero.
      expect(torch[name].data.some((v) => v !== 0), name).toBe(true);
    }
    expect(p['feedback.0.weight'].data).toEqual(torch['feedback.0.weight'].data);
    expect(p['feedback.1.weight'].data).toEqual(torch['feedback.1.weight'].data);
    expect(p['feedback.1.weight'].data.some((v) => v !== 0)).toBe(true);
    // Recorded with the run when asked; the default adds nothing, so the runs recorded before keep their options.
    const base = { schedule: 'local-parallel', seed: 0, step: 'batch' as const, rule: 'dfa' };
    expect(resolveRunOptions({ ...base, ruleOptions: { dfaInit: 'zero' } }, 3).ruleOptions).toEqual({ dfaInit: 'zero' });
    expect(resolveRunOptions(base, 3).ruleOptions).toBeUndefined();
    expect(resolveRunOptions({ ...base, ruleOptions: { dfaInit: 'torch' } }, 3).ruleOptions).toBeUndefined();
    expect(configuredRule('dfa', { dfaInit: 'torch' })).toBe(dfaRule);
    expect(localpropErrorOf(() => directFeedbackAlignment('ones' as never))).toBe('--dfa-init must be torch or zero, got "ones"');
  });

  it('learns spiral3 from zero under local-parallel: the random feedback matrices tell the units apart', async () => {
    const zero = directFeedbackAlignment('zero');
    const start = seededStart(0, spec, { dataset: 'spiral3' } as never, zero);
    const run = new Run({ schedule: 'local-parallel', rule: 'dfa', ruleOptions: { dfaInit: 'zero' }, spec, ...start, epochs: 40, step: 'batch', batchSize: 50, optimizer: { name: 'adam', lr: 0.01 } });
    const end = await run.complete();
    // Chance is 1/3 (0.93 here); the hidden units of each block, equal at the start, have moved apart.
    expect(end.testAccuracy).toBeGreaterThan(0.7);
    const w = rows(run.network.toParameters(), 'blocks.0.weight');
    expect(new Set(w.map((r) => r[0].toFixed(6))).size).toBe(32);
    run.dispose();
  }, 120_000);

  it('refuses ReLU blocks, whose slope at 0 is 0, in one line', () => {
    const relu = parseModelSpec('2-8-3 hidden=relu');
    const rule = directFeedbackAlignment('zero');
    const start = seededStart(0, relu, { dataset: 'spiral3' } as never, rule);
    expect(localpropErrorOf(() => new Run({ schedule: 'local-parallel', rule, spec: relu, ...start, epochs: 1 }))).toBe(
      '--dfa-init zero starts every block at 0, where relu passes no gradient, so no block would ever move; use hidden=tanh (the paper\'s) or sigmoid, or leave --dfa-init at torch',
    );
    // The default start trains ReLU blocks as before.
    expect(() => new Run({ schedule: 'local-parallel', rule: dfaRule, spec: relu, ...seededStart(0, relu, { dataset: 'spiral3' } as never, dfaRule), epochs: 1 }).dispose()).not.toThrow();
  });
});

describe('rules that prepare their chunks', () => {
  it.each([
    ['dfa', 'local-parallel', '2-8-8-3 hidden=tanh', {}],
    ['ff', 'local-parallel', '5-8-8-3 hidden=relu,normalize', { ffEmbed: 'append' }],
    ['ff', 'local-sequential', '5-8-8-3 hidden=relu,normalize', { ffEmbed: 'append', ffReadout: 'off' }],
  ] as const)('%s under %s leaves no tensor behind, in either step mode, with dropout', async (rule, schedule, model, ruleOptions) => {
    const s = parseModelSpec(model);
    const start = seededStart(0, s, { dataset: 'spiral3' } as never, rule);
    for (const step of ['epoch', 'batch'] as const) {
      const before = tf.memory().numTensors;
      const run = new Run({ schedule, rule, ruleOptions, spec: s, ...start, epochs: 2, step, dropout: 0.2, ...(step === 'batch' ? { optimizer: { name: 'adam', lr: 0.01 } } : {}) });
      await run.complete();
      run.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
  }, 240_000);
});
