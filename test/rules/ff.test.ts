import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { forwardForward, ffRule, goodnessOf, peerLoss, trueLabels, wrongLabels } from '../../src/rules/ff.js';
import { normalizeRows } from '../../src/model/activations.js';
import { parseModelSpec } from '../../src/model/spec.js';
import { Network } from '../../src/model/network.js';
import { initialParameters, type ParameterMap } from '../../src/model/parameters.js';
import { accuracyOf } from '../../src/train/evaluation.js';
import { Rng } from '../../src/util/rng.js';
import { seededStart } from '../../src/experiment/seeded.js';
import { Run } from '../../src/train/run.js';
import { LocalpropError } from '../../src/util/errors.js';
import { configuredRule } from '../../src/rules/registry.js';
import { registerImageDatasets } from '../../src/node/image-datasets.js';
import type { Chunk } from '../../src/train/session.js';
import { decodeRunCheckpoint, encodeRunCheckpoint } from '../../src/io/run-checkpoint.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe('Forward-Forward: goodness, loss and gradient', () => {
  // Two rows of activities; row 0 positive, row 1 negative, each weighed 1/2 (the mean over both), θ = 4.
  const a = () => tf.tensor2d([[1, 2], [0, 3]]);
  const context = () => ({ sign: tf.tensor1d([1, -1]), ffWeights: tf.tensor1d([0.5, 0.5]) });
  const spec = parseModelSpec('4-2-2 hidden=relu,normalize');

  it('takes the sum or the mean of the squares', () => {
    expect(values(goodnessOf(a(), 'sum'))).toEqual([5, 9]);
    expect(values(goodnessOf(a(), 'mean'))).toEqual([2.5, 4.5]);
  });

  it('is the logistic loss around θ on the activities before normalisation, with the hand-computed gradient', () => {
    const block = forwardForward({ threshold: 4, goodness: 'sum' }).bind(spec, 0, {});
    const loss = (act: tf.Tensor2D) => block.loss({ output: normalizeRows(act), activated: act, y: tf.zeros([2, 2]), weights: tf.tensor1d([0.5, 0.5]), hiddenLoss: 'ce', context: context() });
    // Row 0: softplus(-(5 - 4)) = log(1 + e^-1); row 1: softplus(9 - 4) = log(1 + e^5).
    const expected = 0.5 * (Math.log(1 + Math.exp(-1)) + Math.log(1 + Math.exp(5)));
    expect(loss(a()).dataSync()[0]).toBeCloseTo(expected, 5);
    // d/da = -s·σ(-s(g - θ))·2a·w: row 0 -σ(-1)·a, row 1 +σ(5)·a.
    const sig = (z: number) => 1 / (1 + Math.exp(-z));
    const grad = values(tf.grad((t: tf.Tensor) => loss(t as tf.Tensor2D))(a()));
    const want = [-sig(-1) * 1, -sig(-1) * 2, 0, sig(5) * 3];
    grad.forEach((g, k) => expect(g).toBeCloseTo(want[k], 5));
    // On the normalised output instead, both rows would have goodness 1 and the loss would be another number.
    const constant = block.loss({ output: normalizeRows(a()), activated: normalizeRows(a()), y: tf.zeros([2, 2]), weights: tf.tensor1d([0.5, 0.5]), hiddenLoss: 'ce', context: context() });
    expect(constant.dataSync()[0]).toBeCloseTo(0.5 * (Math.log(1 + Math.exp(3)) + Math.log(1 + Math.exp(-3))), 5);
  });
});

describe('Forward-Forward: negative data', () => {
  it('draws a wrong label for every row, never the true one, covering every other label', () => {
    const labels = Int32Array.from({ length: 20_000 }, (_, i) => i % 10);
    const wrong = wrongLabels(labels, 10, new Rng(3).fork('rule'));
    expect(wrong.every((w, i) => w !== labels[i] && w >= 0 && w < 10)).toBe(true);
    const seen = new Set(Array.from(wrong).filter((_, i) => labels[i] === 4));
    expect(seen.size).toBe(9);
    // Two labels: the wrong one is always the other.
    expect(Array.from(wrongLabels(Int32Array.from([0, 1, 1, 0]), 2, new Rng(0)))).toEqual([1, 0, 0, 1]);
    // The same stream gives the same labels.
    expect(Array.from(wrongLabels(labels, 10, new Rng(3).fork('rule')))).toEqual(Array.from(wrong));
  });

  it('prepares a chunk as [positive; negative; neutral] rows with the label over the first inputs', () => {
    const spec = parseModelSpec('5-3-3 hidden=relu,normalize');
    const x = tf.tensor2d([[9, 9, 9, 0.5, 0.7], [9, 9, 9, 0.1, 0.2]]);
    const y = tf.tensor2d([[0, 0, 1], [1, 0, 0]]);
    const chunk: Chunk = { indices: null, x, y, weights: tf.tensor1d([0.5, 0.5]) };
    const network = Network.fromParameters(spec, initialParameters(spec, new Rng(0), ffRule), 'test', ffRule);
    const prepared = ffRule.prepareChunk!(chunk, { network, rng: new Rng(1) });
    const rows = prepared.chunk.x.arraySync() as number[][];
    expect(rows.length).toBe(6);
    const close = (row: number[], want: number[]) => want.forEach((v, k) => expect(row[k]).toBeCloseTo(v, 6));
    close(rows[0], [0, 0, 1, 0.5, 0.7]);
    close(rows[1], [1, 0, 0, 0.1, 0.2]);
    // The negatives carry another label than the row's own.
    expect(rows[2].slice(0, 3)).not.toEqual([0, 0, 1]);
    expect(rows[3].slice(0, 3)).not.toEqual([1, 0, 0]);
    expect(rows[2].slice(0, 3).reduce((s, v) => s + v)).toBe(1);
    rows.slice(4).forEach((r) => r.slice(0, 3).forEach((v) => expect(v).toBeCloseTo(1 / 3, 6)));
    expect(values(prepared.chunk.context!.sign)).toEqual([1, 1, -1, -1, 0, 0]);
    expect(values(prepared.chunk.context!.ffWeights)).toEqual([0.25, 0.25, 0.25, 0.25, 0, 0]);
    // The read-out (output block) learns from the neutral rows alone.
    expect(values(prepared.chunk.weights)).toEqual([0, 0, 0, 0, 0.5, 0.5]);
    expect(Array.from(trueLabels(prepared.chunk.y))).toEqual([2, 0, 2, 0, 2, 0]);
    prepared.release();
    network.dispose();
  });
});

describe('Forward-Forward: prediction over labels', () => {
  // Block 0: unit 0 = relu(label0 + x2 - 0.5), unit 1 = relu(label1 + x3 - 0.5); block 1 the identity.
  const spec = parseModelSpec('4-2-2-2 hidden=relu,normalize');
  const params: ParameterMap = {
    'blocks.0.weight': { shape: [2, 4], data: Float32Array.from([1, 0, 1, 0, 0, 1, 0, 1]) },
    'blocks.0.bias': { shape: [2], data: Float32Array.from([-0.5, -0.5]) },
    'blocks.1.weight': { shape: [2, 2], data: Float32Array.from([1, 0, 0, 1]) },
    'blocks.1.bias': { shape: [2], data: Float32Array.from([0, 0]) },
    'blocks.2.weight': { shape: [2, 2], data: Float32Array.from([1, 0, 0, 1]) },
    'blocks.2.bias': { shape: [2], data: Float32Array.from([0, 0]) },
  };
  const x = () => tf.tensor2d([[0, 0, 0.9, 0.1], [0, 0, 0.1, 0.8]]);

  it('sums the goodness of every block for each label and picks the highest', () => {
    const rule = forwardForward({ goodnessBlocks: 'all', goodness: 'mean' });
    const network = Network.fromParameters(spec, params, 'test', rule);
    // Row 0, label 0: a = [1.4, 0], mean square 0.98; label 1: a = [0.4, 0.6], 0.26. Block 1 reads unit rows: 0.5 each.
    // Row 1, label 0: a = [0.6, 0.3], 0.225; label 1: a = [0, 1.3], 0.845.
    const scores = rule.predict!(network, x())!;
    const want = [0.98 + 0.5, 0.26 + 0.5, 0.225 + 0.5, 0.845 + 0.5];
    values(scores).forEach((s, k) => expect(s).toBeCloseTo(want[k], 5));
    expect(accuracyOf(scores, tf.tensor2d([[1, 0], [0, 1]])).dataSync()[0]).toBe(1);
    network.dispose();
  });

  it("counts all but the first block by default (the paper's choice), and the read-out when asked", () => {
    const network = Network.fromParameters(spec, params, 'test', ffRule);
    // Block 1 passes its unit rows through: summed goodness (the default) 1 for every label.
    values(ffRule.predict!(network, x())!).forEach((s) => expect(s).toBeCloseTo(1, 5));
    network.dispose();
    const readout = forwardForward({ predict: 'readout' });
    const net2 = Network.fromParameters(spec, params, 'test', readout);
    expect(readout.predict!(net2, x())).toBeNull();
    // The read-out sees the neutral label: unit 0 = relu(0.5 + x2 - 0.5) = x2.
    const input = values(net2.dataInput(x()));
    expect(input.slice(0, 4)).toEqual([0.5, 0.5, expect.closeTo(0.9, 6), expect.closeTo(0.1, 6)]);
    net2.dispose();
  });
});

describe('Forward-Forward: training', () => {
  it('learns MNIST with its defaults and Adam at 1e-3, two length-normalised blocks, the second alone predicting (mean goodness around 2 ranked the true label last)', async () => {
    registerImageDatasets();
    const spec = parseModelSpec('784-100-100-10 hidden=relu,normalize');
    const start = seededStart(0, spec, { dataset: 'mnist', options: { limit: 2000 } }, ffRule);
    const run = new Run({ schedule: 'local-parallel', rule: 'ff', spec, ...start, epochs: 6, step: 'batch', batchSize: 20, optimizer: { name: 'adam', lr: 1e-3 } });
    const end = await run.complete();
    // 0.68 here; with the former defaults (--ff-goodness mean --ff-threshold 2) 0.0035, below chance (0.1): the second block,
    // still growing its weights toward a mean square of 2, gave wrong labels more goodness than the true one.
    expect(end.testAccuracy).toBeGreaterThan(0.5);
    run.dispose();
  }, 240_000);

  it('learns signed_xor under local-parallel and local-sequential, the label appended to the points (block 0 reads 2 + 2 numbers)', async () => {
    const rule = forwardForward({ embed: 'append', goodnessBlocks: 'all' });
    // One 0/1 output: two labels to embed.
    const spec = parseModelSpec('4-32-32-1 hidden=relu,normalize');
    const start = seededStart(0, spec, { dataset: 'signed_xor' }, rule);
    expect(start.parameters['blocks.0.weight'].shape).toEqual([32, 4]);
    expect(Object.keys(start.parameters).sort()).toEqual(['blocks.0.bias', 'blocks.0.weight', 'blocks.1.bias', 'blocks.1.weight', 'blocks.2.bias', 'blocks.2.weight']);
    for (const schedule of ['local-parallel', 'local-sequential']) {
      const run = new Run({ schedule, rule: 'ff', ruleOptions: { ffEmbed: 'append', ffGoodnessBlocks: 'all' }, spec, ...start, epochs: schedule === 'local-parallel' ? 30 : 15, step: 'batch', batchSize: 50, optimizer: { name: 'adam', lr: 0.03 } });
      const end = await run.complete();
      expect(run.options.ruleOptions).toEqual({ ffEmbed: 'append', ffGoodnessBlocks: 'all', ffThreshold: 4, ffGoodness: 'sum', ffPredict: 'goodness', ffReadout: 'on' });
      // The recorded options make the same rule again (what the evaluation thread and a resumed run do).
      expect(configuredRule('ff', run.options.ruleOptions).options).toEqual(run.options.ruleOptions);
      // Chance is 1/2; FF reaches 0.97 in 40 epochs of 64-unit blocks here.
      expect(end.testAccuracy).toBeGreaterThan(0.85);
      run.dispose();
    }
  }, 240_000);

  it("trains with summed goodness around θ at the width over rows of mean square 1 (loeweX's setup): a loss in the hundreds is FF's, not a divergence", async () => {
    const spec = parseModelSpec('4-32-32-1 hidden=relu,normalize=rms');
    const rule = forwardForward({ embed: 'append', goodness: 'sum', threshold: 32 });
    const start = seededStart(0, spec, { dataset: 'signed_xor' }, rule);
    const network = Network.fromParameters(spec, start.parameters, 'test', rule);
    const rows = tf.tensor2d([[3, -4, 0, 1], [0.5, 0.5, 1, 0]]);
    const out = network.blocks[0].apply(rows) as tf.Tensor2D;
    // After normalize=rms every row's mean square is 1 (its length √32), whatever the input's scale.
    expect(Array.from(tf.mean(tf.square(out), 1).dataSync()).map((v) => Number(v.toFixed(5)))).toEqual([1, 1]);
    tf.dispose([rows, out]);
    network.dispose();
    const run = new Run({ schedule: 'local-parallel', rule: 'ff', ruleOptions: { ffEmbed: 'append', ffGoodness: 'sum', ffThreshold: 32 }, spec, ...start, epochs: 20, step: 'batch', batchSize: 50, optimizer: { name: 'sgd', lr: 0.003, momentum: 0.9 } });
    let first: number | null = null;
    const end = await run.complete((e) => {
      if (e.type === 'epoch' && first === null) first = e.blockLosses[0];
    });
    // The first epoch's FF loss on block 0 is far over ten uniform guesses (6.9): the read-out bound would have stopped the run.
    expect(first).toBeGreaterThan(10);
    expect(end.testAccuracy).toBeGreaterThan(0.85);
    run.dispose();
  }, 120_000);

  it('refuses what it cannot train, in one line each', () => {
    const spec = parseModelSpec('4-8-1 hidden=relu,normalize');
    const start = seededStart(0, spec, { dataset: 'circles' }, ffRule);
    const make = (over: Record<string, unknown>) => () => new Run({ schedule: 'local-parallel', rule: 'ff', ruleOptions: { ffEmbed: 'append' }, spec, ...start, epochs: 1, ...over });
    expect(make({ schedule: 'backprop' })).toThrow(/rule ff trains each block from its own goodness, which backprop ignores/);
    expect(make({ schedule: 'local-gated' })).toThrow(LocalpropError);
    expect(make({ ruleOptions: {} })).toThrow(/has 2 input\(s\) and 1 output\(s\) but the model 4-8-1 takes 4/);
    expect(make({ ruleOptions: { ffEmbed: 'append', ffGoodness: 'max' } })).toThrow(/--ff-goodness must be one of sum, mean/);
    const unnormalised = parseModelSpec('4-8-1 hidden=relu');
    expect(() => new Run({ schedule: 'local-parallel', rule: 'ff', ruleOptions: { ffEmbed: 'append' }, spec: unnormalised, ...seededStart(0, unnormalised, { dataset: 'circles' }, ffRule), epochs: 1 })).toThrow(/add normalize to the hidden blocks/);
  });
});

describe('Forward-Forward: peer normalisation', () => {
  it('moves the running means toward the positive rows and pulls each unit to their mean: value, update and gradient by hand', () => {
    // Positive rows [2, 4] and [0, 0] (mean [1, 2]); the negative row is left out.
    const a = tf.tensor2d([[2, 4], [0, 0], [9, 9]]);
    const sign = tf.tensor1d([1, 1, -1]);
    const running = tf.variable(tf.tensor1d([0.5, 0.5]));
    // m = 0.9·0.5 + 0.1·[1, 2] = [0.55, 0.65]; mean 0.6; loss = ((0.05)² + (0.05)²)/2.
    let value = 0;
    const grad = tf.grad((x: tf.Tensor) => {
      const loss = peerLoss(x as tf.Tensor2D, sign, running);
      value = loss.dataSync()[0];
      return loss;
    })(a);
    expect(value).toBeCloseTo(0.0025, 8);
    expect(Array.from(running.dataSync()).map((v) => Number(v.toFixed(6)))).toEqual([0.55, 0.65]);
    // dL/dm = (m - mean) = [-0.05, 0.05]; dm/da = 0.1/2 on each positive row, 0 on the negative one.
    expect(Array.from(grad.dataSync()).map((v) => Number(v.toFixed(6)) + 0)).toEqual([-0.0025, 0.0025, -0.0025, 0.0025, 0, 0]);
    tf.dispose([a, sign, grad]);
    running.dispose();
  });

  it('adds a running mean per block to the checkpoint names, starting at 0.5, only when on', () => {
    const spec = parseModelSpec('4-3-2-1 hidden=relu,normalize');
    const on = configuredRule('ff', { ffPeerNorm: 0.03 });
    expect(on.tensors(spec, 0)).toEqual([{ name: 'ff.0.peer_mean', shape: [3], trainable: false }]);
    expect(on.initialize(spec, 1, new Rng(0))).toEqual({ 'ff.1.peer_mean': { shape: [2], data: new Float32Array([0.5, 0.5]) } });
    expect(ffRule.tensors(spec, 0)).toEqual([]);
    expect(on.options).toMatchObject({ ffPeerNorm: 0.03 });
    expect(ffRule.options).not.toHaveProperty('ffPeerNorm');
    expect(() => configuredRule('ff', { ffPeerNorm: -1 })).toThrow(/--ff-peer-norm is a weight ≥ 0/);
  });
});

describe("Forward-Forward: loeweX's input scaling and initialisation", () => {
  it('scales every row block 0 reads, label embedded, to mean square 1 (positive, negative, neutral and evaluation rows), and leaves them alone by default', () => {
    const spec = parseModelSpec('5-3-3 hidden=relu,normalize');
    const rule = configuredRule('ff', { ffInputNorm: 'rms' });
    const x = tf.tensor2d([[9, 9, 9, 0.5, 0.7], [9, 9, 9, 0, 0]]);
    const y = tf.tensor2d([[0, 0, 1], [1, 0, 0]]);
    const network = Network.fromParameters(spec, initialParameters(spec, new Rng(0), rule), 'test', rule);
    const prepared = rule.prepareChunk!({ indices: null, x, y, weights: tf.tensor1d([0.5, 0.5]) }, { network, rng: new Rng(1) });
    const rows = prepared.chunk.x.arraySync() as number[][];
    // Row 0 positive: [0, 0, 1, 0.5, 0.7] has mean square 1.74/5; scaled by √(5/1.74).
    const k = Math.sqrt(5 / 1.74);
    [0, 0, 1, 0.5, 0.7].forEach((v, j) => expect(rows[0][j]).toBeCloseTo(v * k, 5));
    // Row 1's positive [1, 0, 0, 0, 0]: √5 in its label slot.
    expect(rows[1][0]).toBeCloseTo(Math.sqrt(5), 5);
    for (const row of rows) expect(row.reduce((s, v) => s + v * v, 0) / row.length).toBeCloseTo(1, 5);
    const evaluated = network.dataInput(x).arraySync() as number[][];
    // The neutral label [1/3, 1/3, 1/3] before the pixels of row 1: mean square (3/9)/5.
    evaluated[1].slice(0, 3).forEach((v) => expect(v).toBeCloseTo((1 / 3) * Math.sqrt(15), 5));
    expect(rule.options).toMatchObject({ ffInputNorm: 'rms' });
    // The default embeds and nothing more; the option is recorded only when on, so earlier runs keep their ids.
    expect(ffRule.evaluationInput!(x, spec).arraySync()[0]).toEqual([1 / 3, 1 / 3, 1 / 3, 0.5, 0.7].map((v) => Math.fround(v)));
    expect(ffRule.options).not.toHaveProperty('ffInputNorm');
    prepared.release();
    network.dispose();
  });

  it('draws normal weights with std 1/√(block width), biases and the read-out at 0, the same from the same seed; torch is the default', () => {
    const spec = parseModelSpec('784-1000-500-10 hidden=relu,normalize');
    const rule = configuredRule('ff', { ffInit: 'normal' });
    const params = initialParameters(spec, new Rng(4), rule);
    const std = (d: Float32Array) => Math.sqrt(d.reduce((s, v) => s + v * v, 0) / d.length);
    // 784 000 and 500 000 draws: the sample std is within 0.5% of 1/√1000 and 1/√500.
    expect(std(params['blocks.0.weight'].data) * Math.sqrt(1000)).toBeCloseTo(1, 2);
    expect(std(params['blocks.1.weight'].data) * Math.sqrt(500)).toBeCloseTo(1, 2);
    expect(params['blocks.0.weight'].shape).toEqual([1000, 784]);
    for (const name of ['blocks.0.bias', 'blocks.1.bias', 'blocks.2.weight']) expect(params[name].data.every((v) => v === 0)).toBe(true);
    const bytes = (d: Float32Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    expect(bytes(initialParameters(spec, new Rng(4), rule)['blocks.1.weight'].data).equals(bytes(params['blocks.1.weight'].data))).toBe(true);
    expect(rule.options).toMatchObject({ ffInit: 'normal' });
    // Default: PyTorch's uniform on ±1/√fan_in, the decoder rule's very draws.
    const torch = initialParameters(spec, new Rng(4), ffRule);
    expect(bytes(torch['blocks.0.weight'].data).equals(bytes(initialParameters(spec, new Rng(4))['blocks.0.weight'].data))).toBe(true);
    expect(torch['blocks.0.weight'].data.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeLessThanOrEqual(Math.fround(1 / Math.sqrt(784)));
    expect(ffRule.options).not.toHaveProperty('ffInit');
    expect(() => configuredRule('ff', { ffInit: 'xavier' })).toThrow(/--ff-init must be one of torch, normal, got "xavier"/);
    expect(() => configuredRule('ff', { ffInputNorm: 'l2' })).toThrow(/--ff-input-norm must be one of off, rms/);
  });
});

describe('Forward-Forward: stopping and continuing', () => {
  it.each([
    ['', 'hidden=relu,normalize', { ffEmbed: 'append' }],
    [', peer normalisation\'s running means included', 'hidden=relu-full-grad,normalize=rms', { ffEmbed: 'append', ffPeerNorm: 0.03 }],
  ])('resumes from a run checkpoint to the weights and scores of the run never stopped (negatives stream included, --eval-every 2%s)', async (_, hidden, ruleOptions) => {
    const spec = parseModelSpec(`4-16-16-1 ${hidden}`);
    const start = seededStart(0, spec, { dataset: 'signed_xor' }, configuredRule('ff', ruleOptions));
    const options = { schedule: 'local-parallel', rule: 'ff', ruleOptions, spec, ...start, epochs: 5, evalEvery: 2, step: 'batch' as const, batchSize: 100, optimizer: { name: 'adam' as const, lr: 0.01 } };
    const straight = new Run(options);
    const events: unknown[] = [];
    await straight.complete((e) => e.type === 'epoch' && events.push({ ...e, seconds: 0 }));
    const stopped = new Run(options);
    let bytes: Uint8Array | undefined;
    for await (const e of stopped) {
      if (e.type === 'epoch' && e.epoch === 2) {
        bytes = encodeRunCheckpoint(stopped.checkpoint());
        break;
      }
    }
    const resumed = new Run({ ...options, resumeFrom: decodeRunCheckpoint(bytes!, 'test') });
    const again: unknown[] = [];
    await resumed.complete((e) => e.type === 'epoch' && again.push({ ...e, seconds: 0 }));
    expect(again).toEqual(events);
    expect(resumed.network.toParameters()).toEqual(straight.network.toParameters());
    // The networks after 0, 2 and 4 epochs and the last are scored; events 1 and 3 carry the scores before them.
    expect((events as { evaluatedAt: number }[]).map((e) => e.evaluatedAt)).toEqual([0, 0, 2, 2, 4, 5]);
    const means = straight.network.toParameters()['ff.0.peer_mean'];
    if ('ffPeerNorm' in ruleOptions) expect(Array.from(means.data).some((m) => m !== 0.5)).toBe(true);
    else expect(means).toBeUndefined();
    [straight, stopped, resumed].forEach((r) => r.dispose());
  }, 240_000);
});
