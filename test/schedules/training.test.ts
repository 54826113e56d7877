import { describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/backend.js';
import { seededStart } from '../../src/experiment/seeded.js';
import type { ParameterMap } from '../../src/model/parameters.js';
import { parseModelSpec } from '../../src/model/spec.js';
import type { EpochEvent, RunEvent } from '../../src/train/events.js';
import { Run } from '../../src/train/run.js';
import { localpropErrorOf, localpropErrorOfAsync, seedRuns } from '../support.js';

const seed = seedRuns();
const { makeRun } = seed;

async function eventsOf(run: Run): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  await run.complete((e) => events.push(e));
  return events;
}

const epochEvents = (events: RunEvent[]) => events.filter((e): e is EpochEvent => e.type === 'epoch');
/** The events after an epoch of training: all but event 0, the untrained network. */
const trainedEpochs = (events: RunEvent[]) => epochEvents(events).filter((e) => e.epoch > 0);

/** An event without its wall-clock time, the one field two identical runs may differ in. */
function withoutTime(e: RunEvent): Omit<RunEvent, 'seconds'> {
  if (e.type === 'start') return e;
  const { seconds: _seconds, ...rest } = e;
  return rest;
}

/**
 * The seed network's output loss computed independently of Network/Session,
 * with TF.js's own autodiff-able ops and the naive formulas, from PyTorch-layout
 * parameters: Linear = x·Wᵀ + b, mish = x·tanh(softplus(x)), normalize =
 * x / max(‖x‖, 1e-12), sigmoid, then mean bce over all examples (with equal
 * batches of 100, the mean of per-batch means is the mean over examples).
 */
function referenceLoss(params: Record<string, tf.Tensor>, x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  let h: tf.Tensor = x;
  for (let i = 0; i < 4; i++) {
    const z = tf.add(tf.matMul(h, params[`blocks.${i}.weight`], false, true), params[`blocks.${i}.bias`]);
    if (i < 3) {
      const m = tf.mul(z, tf.tanh(tf.softplus(z)));
      h = tf.div(m, tf.maximum(tf.norm(m, 'euclidean', 1, true), 1e-12));
    } else {
      h = tf.sigmoid(z);
    }
  }
  const p = h;
  return tf.mean(tf.neg(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p)))))) as tf.Scalar;
}

function tensorsOf(params: ParameterMap, names: string[]): Record<string, tf.Tensor> {
  return Object.fromEntries(names.map((n) => [n, tf.tensor(params[n].data, params[n].shape)]));
}

const BLOCK_PARAMS = [0, 1, 2, 3].flatMap((i) => [`blocks.${i}.weight`, `blocks.${i}.bias`]);
const DECODER_PARAMS = [0, 1, 2].map((i) => `decoders.${i}.weight`);

describe('tensor memory across a run', () => {
  const configs: [string, 'epoch' | 'batch'][] = [
    ['backprop', 'epoch'],
    ['local-parallel', 'epoch'],
    ['local-sequential', 'epoch'],
    ['backprop', 'batch'],
    ['local-parallel', 'batch'],
    ['local-sequential', 'batch'],
  ];

  it.each(configs)('%s, --step %s: no growth from epoch to epoch, and all freed at the end', async (schedule, step) => {
    const before = tf.memory().numTensors;
    // --step batch without an optimizer is Adam (lr 1e-3); --step epoch is the seed's Rprop.
    const run = makeRun({ schedule, step, epochs: schedule === 'local-sequential' ? 3 : 5 });
    expect(run.options.optimizer.name).toBe(step === 'batch' ? 'adam' : 'rprop');
    const counts: { block: number | null; tensors: number }[] = [];
    await run.complete((e) => {
      if (e.type === 'epoch' && e.epoch > 0) counts.push({ block: e.block, tensors: tf.memory().numTensors });
    });
    if (schedule === 'local-sequential') {
      // Each block's phase adds its optimizer state once; within a phase the count is flat.
      expect(counts.map((c) => c.block)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]);
      for (let b = 0; b < 4; b++) {
        const phase = counts.filter((c) => c.block === b).map((c) => c.tensors);
        expect(phase, `block ${b}`).toEqual([phase[0], phase[0], phase[0]]);
      }
    } else {
      const later = counts.slice(1).map((c) => c.tensors);
      expect(later).toEqual(later.map(() => later[0]));
      expect(later.length).toBe(4);
    }
    // After the run only the network's 11 variables (8 block tensors + 3 decoders) remain.
    expect(tf.memory().numTensors).toBe(before + 11);
    run.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a listener that stops early frees the run’s tensors too', async () => {
    const before = tf.memory().numTensors;
    const run = makeRun({ schedule: 'local-parallel', epochs: 10 });
    let seen = 0;
    for await (const e of run) {
      if (e.type === 'epoch' && ++seen === 2) break;
    }
    expect(run.result).toBeUndefined();
    expect(tf.memory().numTensors).toBe(before + 11);
    run.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('determinism and the shared start', () => {
  it.each([
    ['backprop', 'epoch'],
    ['local-parallel', 'batch'],
    ['local-sequential', 'batch'],
  ] as const)('%s --step %s: two runs with the same seed give identical events', async (schedule, step) => {
    const epochs = schedule === 'local-sequential' ? 2 : 4;
    const a = makeRun({ schedule, step, epochs });
    const b = makeRun({ schedule, step, epochs });
    const ea = await eventsOf(a);
    const eb = await eventsOf(b);
    // Start, event 0, one event an epoch, end.
    expect(ea.length).toBe(schedule === 'local-sequential' ? 3 + 8 : 3 + 4);
    expect(ea.map(withoutTime)).toEqual(eb.map(withoutTime));
    expect(a.network.toParameters()).toEqual(b.network.toParameters());
    a.dispose();
    b.dispose();
  });

  it('every schedule starts from the same parameters: first epochs report the same losses, and they are the initial network’s', async () => {
    const firsts: EpochEvent[] = [];
    for (const schedule of ['backprop', 'local-parallel', 'local-sequential']) {
      const run = makeRun({ schedule, epochs: 1 });
      firsts.push(epochEvents(await eventsOf(run))[0]);
      run.dispose();
    }
    const [bp, lp, ls] = firsts;
    expect(lp.testLoss).toBe(bp.testLoss);
    expect(ls.testLoss).toBe(bp.testLoss);
    expect(lp.testAccuracy).toBe(bp.testAccuracy);
    expect(ls.testAccuracy).toBe(bp.testAccuracy);
    // Event 0 of each: the same untrained network scored the same way.
    expect(lp.trainLoss).toBe(bp.trainLoss);
    expect(ls.trainLoss).toBe(bp.trainLoss);

    // Independent forward pass of the initial parameters with naive TF formulas.
    const params = tensorsOf(seed.start().parameters, BLOCK_PARAMS);
    const trainLoss = referenceLoss(params, tf.tensor2d(seed.start().train.x, [1000, 2]), tf.tensor2d(seed.start().train.y, [1000, 1])).dataSync()[0];
    const testLoss = referenceLoss(params, tf.tensor2d(seed.start().test.x, [1000, 2]), tf.tensor2d(seed.start().test.y, [1000, 1])).dataSync()[0];
    expect(bp.trainLoss).toBeCloseTo(trainLoss, 5);
    expect(bp.testLoss).toBeCloseTo(testLoss, 5);
  });
});

describe('what one epoch does', () => {
  it('one epoch of backprop with the seed’s Rprop moves every block parameter by exactly 0.01 against its gradient', async () => {
    const run = makeRun({ schedule: 'backprop', epochs: 1 });
    expect(run.options.step).toBe('epoch');
    expect(run.options.optimizer).toEqual({ name: 'rprop', lr: 0.01 });
    await run.complete();
    const after = run.network.toParameters();
    run.dispose();

    // The gradient's sign, from an independent autodiff of the naive network.
    const names = BLOCK_PARAMS;
    const x = tf.tensor2d(seed.start().train.x, [1000, 2]);
    const y = tf.tensor2d(seed.start().train.y, [1000, 1]);
    const initial = tensorsOf(seed.start().parameters, names);
    const grads = tf.grads((...ts: tf.Tensor[]) => referenceLoss(Object.fromEntries(names.map((n, k) => [n, ts[k]])), x, y))(names.map((n) => initial[n]));

    let checked = 0;
    let signMismatches = 0;
    names.forEach((name, k) => {
      const before = seed.start().parameters[name].data;
      const now = after[name].data;
      const g = grads[k].dataSync();
      for (let j = 0; j < before.length; j++) {
        // First Rprop step: Δ = -lr·sign(g) = ±0.01 (float32 rounding of w ± 0.01 is below 1e-7).
        const delta = now[j] - before[j];
        expect(Math.abs(Math.abs(delta) - 0.01), `${name}[${j}] moved by ${delta}`).toBeLessThan(1e-7);
        if (Math.sign(delta) !== -Math.sign(g[j])) signMismatches++;
        checked++;
      }
    });
    expect(checked).toBe(200 + 100 + 10000 + 100 + 1000 + 10 + 10 + 1);
    // The naive and the hand-written gradients agree in sign except, at most, on a few near-zero entries.
    expect(signMismatches).toBeLessThanOrEqual(5);
    // Backprop never touches the decoders.
    for (const name of DECODER_PARAMS) expect(after[name].data).toEqual(seed.start().parameters[name].data);
  });

  it('backprop and local-parallel report which blocks learned', async () => {
    const bp = makeRun({ schedule: 'backprop', epochs: 2 });
    for (const e of trainedEpochs(await eventsOf(bp))) {
      expect(e.block).toBeNull();
      expect(e.blockLosses.slice(0, 3)).toEqual([null, null, null]);
      expect(Number.isFinite(e.blockLosses[3])).toBe(true);
    }
    bp.dispose();
    const lp = makeRun({ schedule: 'local-parallel', epochs: 2 });
    for (const e of trainedEpochs(await eventsOf(lp))) {
      expect(e.block).toBeNull();
      for (const l of e.blockLosses) expect(Number.isFinite(l)).toBe(true);
    }
    lp.dispose();
  });
});

describe('local-sequential', () => {
  it('--epochs 2 trains block 0, 0, 1, 1, 2, 2, 3, 3 with only the trained block reporting a loss', async () => {
    const run = makeRun({ schedule: 'local-sequential', epochs: 2 });
    const events = await eventsOf(run);
    run.dispose();
    expect(events[0]).toMatchObject({ type: 'start', epochs: 8, blocks: 4, step: 'epoch', schedule: 'local-sequential' });
    const epochs = trainedEpochs(events);
    expect(epochs.map((e) => e.block)).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const e of epochs) {
      expect(e.epochs).toBe(8);
      e.blockLosses.forEach((l, i) => {
        if (i === e.block) expect(Number.isFinite(l), `block ${i} at epoch ${e.epoch}`).toBe(true);
        else expect(l, `block ${i} at epoch ${e.epoch}`).toBeNull();
      });
    }
    expect(events[events.length - 1].type).toBe('end');
  });

  it('freezes the blocks before the one training and leaves later blocks untouched', async () => {
    const run = makeRun({ schedule: 'local-sequential', epochs: 1 });
    const snapshots: ParameterMap[] = [];
    for await (const e of run) if (e.type === 'epoch' && e.epoch > 0) snapshots.push(run.network.toParameters());
    run.dispose();
    // After epoch k (block k-1 trained), blocks ≥ k still hold their initial values and blocks < k-1 those of their phase.
    for (let k = 0; k < 4; k++) {
      for (let i = 0; i < 4; i++) {
        const w = snapshots[k][`blocks.${i}.weight`].data;
        if (i > k) expect(w, `block ${i} after phase ${k}`).toEqual(seed.start().parameters[`blocks.${i}.weight`].data);
        else if (i === k) expect(w).not.toEqual(seed.start().parameters[`blocks.${i}.weight`].data);
        else expect(w, `block ${i} after phase ${k}`).toEqual(snapshots[k - 1][`blocks.${i}.weight`].data);
      }
    }
  });

  it.each(['fixed', 'learned'] as const)('decoders %s: decoders change only when learned; blocks always learn', async (decoders) => {
    const run = makeRun({ schedule: 'local-sequential', epochs: 2, decoders });
    const end = await run.complete();
    expect(end.decoders).toBe(decoders);
    const after = run.network.toParameters();
    run.dispose();
    for (const name of DECODER_PARAMS) {
      if (decoders === 'fixed') expect(after[name].data, name).toEqual(seed.start().parameters[name].data);
      else expect(after[name].data, name).not.toEqual(seed.start().parameters[name].data);
    }
    for (const name of BLOCK_PARAMS) expect(after[name].data, name).not.toEqual(seed.start().parameters[name].data);
  });
});

describe('errors', () => {
  it('a diverging run throws a LocalpropError naming the divergence and --lr, and frees its tensors', async () => {
    // A linear output on mse cannot saturate: with sgd at lr 1e30 the weights and the loss overflow to Inf/NaN.
    // (The seed's sigmoid + clamped bce saturates instead: its loss sticks near 50, finite.)
    const linearSpec = parseModelSpec('2-8-1 out=identity loss=mse');
    const s = seededStart(0, linearSpec, { dataset: 'signed_xor' });
    const before = tf.memory().numTensors;
    const run = new Run({
      schedule: 'backprop',
      spec: linearSpec,
      parameters: s.parameters,
      train: s.train,
      test: s.test,
      seed: 0,
      epochs: 3,
      optimizer: { name: 'sgd', lr: 1e30 },
    });
    const message = await localpropErrorOfAsync(() => run.complete());
    expect(message).toContain('diverged');
    expect(message).toContain('--lr');
    expect(message).toContain('1e+30');
    expect(tf.memory().numTensors).toBe(before + 5); // 2 blocks × (weight, bias) + 1 decoder
    run.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a run can be iterated only once', async () => {
    const run = makeRun({ epochs: 1 });
    await run.complete();
    await expect(run.complete()).rejects.toThrow(/only once/);
    run.dispose();
  });

  it('a model that does not fit the data is rejected with the fix', () => {
    const wrong = parseModelSpec('3-8-1');
    const message = localpropErrorOf(() => new Run({ schedule: 'backprop', spec: wrong, parameters: {}, train: seed.start().train, test: seed.start().test, seed: 0 }));
    expect(message).toContain('change --model to 2-8-1');
  });
});

describe('convergence', () => {
  it('backprop with its defaults (100 epochs of full-batch Rprop) reaches test accuracy ≥ 0.98 on signed_xor seed 0', async () => {
    const run = makeRun({ schedule: 'backprop' });
    expect(run.options.epochs).toBe(100);
    const events = await eventsOf(run);
    run.dispose();
    const end = events[events.length - 1];
    expect(end.type).toBe('end');
    if (end.type !== 'end') return;
    expect(trainedEpochs(events).length).toBe(100);
    expect(end.testAccuracy).toBeGreaterThanOrEqual(0.98);
    expect(end.trainAccuracy).toBeGreaterThanOrEqual(0.98);
    // The loss fell from ≈ ln 2 (an untrained sigmoid) to well below it.
    expect(end.testLoss).toBeLessThan(0.2);
  });
});
