import { describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/backend.js';
import { makeDataset } from '../../src/data/dataset.js';
import { Network } from '../../src/model/network.js';
import { cloneParameters, type ParameterMap } from '../../src/model/parameters.js';
import { parseModelSpec } from '../../src/model/spec.js';
import { createOptimizer } from '../../src/optim/index.js';
import { evaluateNetwork } from '../../src/train/evaluation.js';
import type { EpochEvent } from '../../src/train/events.js';
import { resolveRunOptions, type RunOptions } from '../../src/train/run.js';
import { Session } from '../../src/train/session.js';
import { Rng } from '../../src/util/rng.js';
import { expectClose, localpropErrorOf, seedRuns } from '../support.js';
import { cli } from '../cli/helpers.js';

const seed = seedRuns();
const { makeRun } = seed;

async function weightsAfter(options: Partial<RunOptions>): Promise<{ params: ParameterMap; epochs: EpochEvent[] }> {
  const run = makeRun(options);
  const epochs: EpochEvent[] = [];
  await run.complete((e) => e.type === 'epoch' && epochs.push(e));
  const params = run.network.toParameters();
  run.dispose();
  return { params, epochs };
}

describe('dropout masks', () => {
  it('drop element k exactly when the k-th uniform draw is below p, and scale the rest by 1/(1-p)', () => {
    for (const p of [0, 0.2, 0.5, 0.9]) {
      const mask = new Rng(3, 'm').dropoutMask(5000, p);
      const reference = new Rng(3, 'm');
      const scale = Math.fround(1 / (1 - p));
      for (let k = 0; k < mask.length; k++) expect(mask[k], `p ${p}, element ${k}`).toBe(reference.uniform() < p ? 0 : scale);
      const dropped = mask.filter((v) => v === 0).length / mask.length;
      expect(Math.abs(dropped - p)).toBeLessThan(0.03);
    }
  });

  it('continue the stream: two masks in a row are the first and second halves of one', () => {
    const a = new Rng(9);
    const both = [...a.dropoutMask(100, 0.3), ...a.dropoutMask(100, 0.3)];
    expect(both).toEqual([...new Rng(9).dropoutMask(200, 0.3)]);
  });
});

describe('dropout in training steps, by hand', () => {
  // 2-3-1, identity everywhere, mse: every gradient is a product a hand can check.
  const small = parseModelSpec('2-3-1 hidden=identity out=identity loss=mse');
  const params: ParameterMap = {
    'blocks.0.weight': { shape: [3, 2], data: Float32Array.from([0.5, -0.25, 0.125, 0.75, -0.5, 0.25]) },
    'blocks.0.bias': { shape: [3], data: Float32Array.from([0.1, -0.2, 0.3]) },
    'blocks.1.weight': { shape: [1, 3], data: Float32Array.from([0.4, -0.3, 0.2]) },
    'blocks.1.bias': { shape: [1], data: Float32Array.from([0.05]) },
    'decoders.0.weight': { shape: [1, 3], data: Float32Array.from([0.3, 0.6, -0.9]) },
  };
  const x = [1, 2];
  const y = 1;
  const p = 0.5;
  const lr = 0.1;
  const data = makeDataset(Float32Array.from(x), Float32Array.from([y]), 2, 1);
  // Block 0's first mask is the first draw of its own stream, forked from the session's; this seed keeps units 0 and 2 and drops 1.
  const maskSeed = 10;
  const mask = Array.from(new Rng(maskSeed).fork('dropout').fork('block0').dropoutMask(3, p));

  function session(): Session {
    const network = Network.fromParameters(small, cloneParameters(params));
    const optimizer = createOptimizer({ name: 'sgd', lr });
    const s = new Session(network, optimizer, data, data, { step: 'batch', batchSize: 1, decoders: 'learned', hiddenLoss: 'mse', dropout: p }, new Rng(0), new Rng(maskSeed).fork('dropout'));
    s.beginEpoch();
    return s;
  }

  const W0 = [...params['blocks.0.weight'].data];
  const b0 = [...params['blocks.0.bias'].data];
  const hidden = [0, 1, 2].map((j) => W0[2 * j] * x[0] + W0[2 * j + 1] * x[1] + b0[j]);

  it('uses a mask with kept and dropped units, kept ones at 1/(1-p) = 2', () => {
    expect(mask).toEqual([2, 0, 2]);
  });

  it('back-propagation: the output layer sees the masked hidden output and the error flows back through kept units only', () => {
    const s = session();
    for (const chunk of s.chunks()) s.stepNetwork(chunk).dispose();
    const after = s.network.toParameters();
    const W1 = [...params['blocks.1.weight'].data];
    const dropped = hidden.map((h, j) => h * mask[j]);
    const out = W1.reduce((acc, w, j) => acc + w * dropped[j], params['blocks.1.bias'].data[0]);
    const g = 2 * (out - y);
    expectClose(after['blocks.1.weight'].data, W1.map((w, j) => w - lr * g * dropped[j]), 1e-6);
    expectClose(after['blocks.1.bias'].data, [params['blocks.1.bias'].data[0] - lr * g], 1e-6);
    const gh = W1.map((w, j) => g * w * mask[j]);
    expectClose(after['blocks.0.weight'].data, W0.map((w, k) => w - lr * gh[Math.floor(k / 2)] * x[k % 2]), 1e-6);
    expectClose(after['blocks.0.bias'].data, b0.map((b, j) => b - lr * gh[j]), 1e-6);
    // The dropped unit's weights did not move.
    expect(after['blocks.0.weight'].data.slice(2, 4)).toEqual(params['blocks.0.weight'].data.slice(2, 4));
    s.network.dispose();
    s.dispose();
  });

  it('a local step: the decoder learns from the masked output, and the next block gets the masked output of the stepped block', () => {
    const s = session();
    for (const chunk of s.chunks()) {
      const { loss, output } = s.stepBlock(0, chunk.x, chunk, true);
      const D = [...params['decoders.0.weight'].data];
      const dropped = hidden.map((h, j) => h * mask[j]);
      const decoded = D.reduce((acc, d, j) => acc + d * dropped[j], 0);
      expect(loss.dataSync()[0]).toBeCloseTo((decoded - y) ** 2, 6);
      const g = 2 * (decoded - y);
      const after = s.network.toParameters();
      expectClose(after['decoders.0.weight'].data, D.map((d, j) => d - lr * g * dropped[j]), 1e-6);
      const gh = D.map((d, j) => g * d * mask[j]);
      const newW0 = W0.map((w, k) => w - lr * gh[Math.floor(k / 2)] * x[k % 2]);
      const newB0 = b0.map((b, j) => b - lr * gh[j]);
      expectClose(after['blocks.0.weight'].data, newW0, 1e-6);
      // The output is the stepped block's, times the same mask: kept units doubled, the dropped one 0.
      const expected = [0, 1, 2].map((j) => (newW0[2 * j] * x[0] + newW0[2 * j + 1] * x[1] + newB0[j]) * mask[j]);
      expectClose(output!.dataSync(), expected, 1e-6);
      loss.dispose();
      output!.dispose();
    }
    s.network.dispose();
    s.dispose();
  });

  it('evaluation never drops: the session scores the unmasked network', () => {
    const s = session();
    const W1 = [...params['blocks.1.weight'].data];
    const out = W1.reduce((acc, w, j) => acc + w * hidden[j], params['blocks.1.bias'].data[0]);
    expect(s.evaluateTrain().loss).toBeCloseTo((out - y) ** 2, 6);
    expect(s.evaluateTest().loss).toBeCloseTo((out - y) ** 2, 6);
    s.network.dispose();
    s.dispose();
  });
});

describe('dropout in runs', () => {
  const schedules = ['backprop', 'local-sequential', 'local-parallel', 'local-gated'] as const;
  const epochsOf = (schedule: string) => (schedule === 'local-sequential' ? 1 : 3);

  it.each(schedules)('%s: --dropout 0 takes exactly the steps of a run without the option', async (schedule) => {
    for (const step of ['epoch', 'batch'] as const) {
      const a = await weightsAfter({ schedule, step, epochs: epochsOf(schedule) });
      const b = await weightsAfter({ schedule, step, epochs: epochsOf(schedule), dropout: 0 });
      expect(b.params).toEqual(a.params);
      expect(b.epochs.map((e) => e.trainLoss)).toEqual(a.epochs.map((e) => e.trainLoss));
    }
  });

  it.each(schedules)('%s: the same seed gives identical weights; another seed (same data and start) other masks', async (schedule) => {
    const options = { schedule, step: 'batch' as const, epochs: epochsOf(schedule), dropout: 0.3 };
    const a = await weightsAfter(options);
    const b = await weightsAfter(options);
    expect(b.params).toEqual(a.params);
    expect(b.epochs.map((e) => [e.trainLoss, e.blockLosses])).toEqual(a.epochs.map((e) => [e.trainLoss, e.blockLosses]));
    const none = await weightsAfter({ ...options, dropout: 0 });
    expect(a.params['blocks.1.weight'].data).not.toEqual(none.params['blocks.1.weight'].data);
    // Epoch mode: batches of equal size make the shuffle irrelevant, so only the masks tell seeds 0 and 1 apart.
    const s0 = await weightsAfter({ ...options, step: 'epoch', seed: 0 });
    const s1 = await weightsAfter({ ...options, step: 'epoch', seed: 1 });
    const s1Again = await weightsAfter({ ...options, step: 'epoch', seed: 1 });
    expect(s1Again.params).toEqual(s1.params);
    expect(s1.params['blocks.1.weight'].data).not.toEqual(s0.params['blocks.1.weight'].data);
  });

  it.each([
    ['backprop', 'epoch'],
    ['local-parallel', 'epoch'],
    ['local-sequential', 'epoch'],
    ['local-parallel', 'batch'],
  ] as const)('%s --step %s: the training loss of each epoch is the unmasked network’s', async (schedule, step) => {
    const run = makeRun({ schedule, step, epochs: 2, dropout: 0.5 });
    const x = tf.tensor2d(seed.start().train.x, [seed.start().train.count, 2]);
    const y = tf.tensor2d(seed.start().train.y, [seed.start().train.count, 1]);
    // 1000 rows in batches of 100: every example weighs 1/100 whatever the shuffle.
    const w = tf.fill([seed.start().train.count], 1 / 100) as tf.Tensor1D;
    const expected: number[] = [];
    const reported: number[] = [];
    await run.complete((e) => {
      if (e.type !== 'epoch') return;
      reported.push(e.trainLoss);
      expected.push(evaluateNetwork(run.network, x, y, w, 10, null).loss);
    });
    // Event k's loss is the network's after epoch k (event 0: the untrained network's), as the listener sees it.
    expect(reported.length).toBe(schedule === 'local-sequential' ? 9 : 3);
    reported.forEach((loss, k) => expect(loss, `epoch ${k}`).toBeCloseTo(expected[k], 6));
    tf.dispose([x, y, w]);
    run.dispose();
  });

  it('local-gated measures drift on unmasked inputs: with a frozen network (lr 0) the drift is exactly 0', async () => {
    const run = makeRun({ schedule: 'local-gated', step: 'epoch', epochs: 3, dropout: 0.5, optimizer: { name: 'sgd', lr: 0 } });
    const drifts: (number | null)[] = [];
    await run.complete((e) => {
      // Event 0 comes before any epoch: no gates yet.
      if (e.type === 'epoch' && e.epoch > 0) drifts.push(...e.gates!.map((g) => g.drift));
    });
    expect(drifts.filter((d) => d !== null).length).toBeGreaterThan(0);
    expect(drifts.filter((d) => d !== null && d !== 0)).toEqual([]);
    run.dispose();
  });

  it('local-gated with --gate off and dropout takes exactly local-parallel’s steps with the same masks', async () => {
    for (const step of ['epoch', 'batch'] as const) {
      const gated = await weightsAfter({ schedule: 'local-gated', step, epochs: 3, dropout: 0.3, gate: { mode: 'off' } });
      const parallel = await weightsAfter({ schedule: 'local-parallel', step, epochs: 3, dropout: 0.3 });
      expect(gated.params).toEqual(parallel.params);
    }
  });

  it.each(['backprop', 'local-sequential', 'local-parallel', 'local-gated'])('%s: no tensor is left behind, in either step mode', async (schedule) => {
    for (const step of ['epoch', 'batch'] as const) {
      const before = tf.memory().numTensors;
      const run = makeRun({ schedule, step, epochs: 2, dropout: 0.2 });
      await run.complete();
      run.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('rejects a probability outside [0, 1) with the flag and the range', async () => {
    for (const bad of [-0.1, 1, 1.5, Number.NaN]) {
      const message = localpropErrorOf(() => resolveRunOptions({ schedule: 'backprop', seed: 0, dropout: bad }, 1));
      expect(message).toContain('--dropout');
      expect(message).toContain('[0, 1)');
    }
    expect(resolveRunOptions({ schedule: 'backprop', seed: 0, dropout: 0.5 }, 1).dropout).toBe(0.5);
    expect('dropout' in resolveRunOptions({ schedule: 'backprop', seed: 0, dropout: 0 }, 1)).toBe(false);
    const r = await cli('compare', '--schedules', 'backprop', '--seeds', '1', '--epochs', '1', '--dropout', '1', '--eval-thread', 'off');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--dropout .*\[0, 1\)/);
  });
});
