import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { seededStart } from '../../src/experiment/seeded.js';
import { cloneParameters, type ParameterMap } from '../../src/model/parameters.js';
import { parseModelSpec, SEED_MODEL } from '../../src/model/spec.js';
import { settledAxes } from '../../src/modulators/drift-aware.js';
import { freezeEpoch, resolveDriftOptions, type DriftOptions } from '../../src/modulators/drift-options.js';
import { Adam } from '../../src/optim/adam.js';
import { Rprop } from '../../src/optim/rprop.js';
import { listSchedules, getSchedule } from '../../src/schedules/registry.js';
import type { EpochEvent } from '../../src/train/events.js';
import { Run, type RunOptions } from '../../src/train/run.js';
import { LocalpropError } from '../../src/util/errors.js';

const close = (actual: ArrayLike<number>, expected: number[], digits = 6) => {
  expect(actual.length).toBe(expected.length);
  expected.forEach((v, k) => expect(actual[k]).toBeCloseTo(v, digits));
};

beforeAll(async () => {
  await useBackend('wasm');
});

describe('optimizer adjustments of the drift candidates', () => {
  it('Rprop: a reset raises a collapsed step size back to lr and keeps a grown one', () => {
    const param = tf.variable(tf.zeros([3, 1]));
    const opt = new Rprop({ lr: 0.1, etaMinus: 0.5, etaPlus: 1.2 });
    // Rows 0 and 1 flip (step 0.1 → 0.05); row 2 keeps its sign (0.1 → 0.12).
    opt.step([param], [tf.tensor2d([[1], [1], [1]])]);
    opt.step([param], [tf.tensor2d([[-1], [-1], [1]])]);
    close(param.dataSync(), [-0.1, -0.1, -0.22]);
    // Reset rows 0 and 2: row 0 back to max(0.05, 0.1) = 0.1; row 1 kept at 0.05; row 2 keeps max(0.12, 0.1) = 0.12, then grows to 0.144.
    const reset = tf.tensor2d([[1], [0], [1]]);
    opt.step([param], [tf.tensor2d([[-1], [-1], [1]])], [{ resetStepSize: reset }]);
    // Rows 0 and 1 forgot their gradient at the flip: no growth, they move by their step size.
    close(param.dataSync(), [-0.1 + 0.1, -0.1 + 0.05, -0.22 - 0.144]);
    const saved = opt.saveState([param])[0]!;
    close(saved.tensors.stepSize.data, [0.1, 0.05, 0.144]);
    opt.dispose();
    param.dispose();
    reset.dispose();
  });

  it('Adam: moments scaled before the update, on hand-worked numbers', () => {
    const run = (first?: number, second?: number) => {
      const param = tf.variable(tf.zeros([1]));
      const opt = new Adam({ lr: 0.1, eps: 0 });
      opt.step([param], [tf.ones([1])]);
      const scales = { ...(first !== undefined ? { firstMomentScale: tf.scalar(first) } : {}), ...(second !== undefined ? { secondMomentScale: tf.scalar(second) } : {}) };
      opt.step([param], [tf.ones([1])], [scales]);
      const value = param.dataSync()[0];
      opt.dispose();
      param.dispose();
      return value;
    };
    // Step 1 (g = 1): m = 0.1, v = 0.001, bias-corrected 1 and 1: -0.1. Step 2, unscaled: m = 0.19, v = 0.001999, -(0.1/0.19)·0.19/1 = -0.1.
    expect(run()).toBeCloseTo(-0.2, 6);
    // First moment forgotten: m = 0.1, so -(0.1/0.19)·0.1 = -0.0526316.
    expect(run(0)).toBeCloseTo(-0.1 - 0.1 / 0.19 * 0.1, 6);
    // Both forgotten: m = 0.1, v = 0.001, denominator √0.001/√0.001999.
    expect(run(0, 0)).toBeCloseTo(-0.1 - (0.1 / 0.19) * 0.1 / (Math.sqrt(0.001) / Math.sqrt(0.001999)), 6);
    // Halved: m = 0.9·0.05 + 0.1 = 0.145.
    expect(run(0.5)).toBeCloseTo(-0.1 - (0.1 / 0.19) * 0.145, 6);
  });

  it('a skipped update leaves the variable, its state and its update count alone', () => {
    const param = tf.variable(tf.zeros([1]));
    const opt = new Adam({ lr: 0.1, eps: 0 });
    opt.step([param], [tf.ones([1])]);
    opt.step([param], [tf.fill([1], 5)], [{ skip: true }]);
    expect(param.dataSync()[0]).toBeCloseTo(-0.1, 7);
    expect(opt.saveState([param])[0]!.step).toBe(1);
    opt.step([param], [tf.ones([1])]);
    // As if the skipped step never happened: the second step of g = 1 moves by 0.1 again.
    expect(param.dataSync()[0]).toBeCloseTo(-0.2, 6);
    opt.dispose();
    param.dispose();
  });
});

describe('drift candidates: the bookkeeping', () => {
  it('an axis settles once after moving, with a gap between ½ and ⅔', () => {
    const w1 = tf.tensor1d([0.4, 0.6, 0.9]);
    const a = settledAxes(null, w1);
    close(a.settled.dataSync(), [0, 0, 0]);
    close(a.moving.dataSync(), [1, 0, 0]);
    // Axis 0 rises above ⅔: settles (reset once); axis 1 falls under ½: now moving.
    const b = settledAxes(a.moving, tf.tensor1d([0.7, 0.4, 0.9]));
    close(b.settled.dataSync(), [1, 0, 0]);
    close(b.moving.dataSync(), [0, 1, 0]);
    // 0.6 is in the gap: axis 1 stays moving, nothing settles, axis 0 does not start moving again.
    const c = settledAxes(b.moving, tf.tensor1d([0.6, 0.6, 0.6]));
    close(c.settled.dataSync(), [0, 0, 0]);
    close(c.moving.dataSync(), [0, 1, 0]);
  });

  it('freezes block 0 at the share, the others evenly after it, the output block never', () => {
    expect([0, 1, 2, 3].map((b) => freezeEpoch(b, 4, 200, 0.5))).toEqual([100, 133, 167, 200]);
    expect([0, 1, 2, 3].map((b) => freezeEpoch(b, 4, 200, 1))).toEqual([200, 200, 200, 200]);
    expect([0, 1].map((b) => freezeEpoch(b, 2, 10, 0.25))).toEqual([3, 10]);
  });

  it('rejects bad options with the flag to fix', () => {
    const bad: [Partial<DriftOptions>, RegExp][] = [
      [{ tau: 0 }, /--drift-tau must be a number > 0/],
      [{ smoothing: 1 }, /--drift-smoothing/],
      [{ shrink: 'yes' as never }, /--drift-shrink must be on or off/],
      [{ moments: 'second' as never }, /--drift-moments must be off, first or both/],
      [{ lag: -1 }, /--drift-lag/],
      [{ freeze: 0 }, /--drift-freeze must be a share of the epochs in \(0, 1\]/],
      [{ freeze: 1.5 }, /--drift-freeze/],
    ];
    for (const [options, message] of bad) {
      expect(() => resolveDriftOptions(options)).toThrow(LocalpropError);
      expect(() => resolveDriftOptions(options)).toThrow(message);
    }
    expect(resolveDriftOptions({})).toEqual({ tau: 0.1, smoothing: 0.9, shrink: 'off', reset: 'off', moments: 'off', lag: 0, freeze: 1 });
  });

  it('runs only when named: not among the default schedules, but listed in full', () => {
    expect(listSchedules().map((s) => s.name)).toEqual(['backprop', 'local-sequential', 'local-parallel', 'local-gated']);
    expect(listSchedules({ all: true }).map((s) => s.name)).toContain('local-drift');
    expect(getSchedule('local-drift').optionGroups).toEqual(['drift']);
  });
});

const spec = parseModelSpec(SEED_MODEL);

interface Trace {
  events: EpochEvent[];
  params: ParameterMap;
}

async function trace(schedule: string, options: Partial<RunOptions>, epochs: number): Promise<Trace> {
  const start = seededStart(3, spec, { dataset: 'spiral' });
  const run = new Run({ schedule, spec, ...start, parameters: cloneParameters(start.parameters), epochs, ...options });
  const events: EpochEvent[] = [];
  await run.complete((e) => {
    // The epochs trained: event 0 (the untrained network) has no gates.
    if (e.type === 'epoch' && e.epoch > 0) events.push(e);
  });
  const params = run.network.toParameters();
  run.dispose();
  return { events, params };
}

/** The numbers of an epoch event that training decides (not its time, not the gates only local-drift reports). */
const numbers = (e: EpochEvent) => ({ trainLoss: e.trainLoss, testLoss: e.testLoss, testAccuracy: e.testAccuracy, blockLosses: e.blockLosses, blockAccuracy: e.blockAccuracy });

describe('local-drift with its effects switched off is local-parallel to the bit', () => {
  const ADAM: Partial<RunOptions> = { step: 'batch', batchSize: 100, optimizer: { name: 'adam', lr: 3e-3 } };
  const cases: [string, Partial<RunOptions>, Partial<DriftOptions>][] = [
    ['every candidate off, Rprop', {}, {}],
    ['every candidate off, Adam', ADAM, {}],
    // The drift is measured every step, but Rprop ignores the moment scales: measuring alone changes nothing.
    ['moments measured under Rprop', {}, { moments: 'both' }],
    // τ so large that every axis weight is exactly 1: the reset never fires, the moments are multiplied by 1.
    ['reset with no axis ever moving, Rprop', {}, { reset: 'on', tau: 1e30 }],
    ['moments scaled by exactly 1, Adam', ADAM, { moments: 'both', tau: 1e30 }],
    ['freezing at share 1, Rprop', {}, { freeze: 1 }],
  ];
  it.each(cases)('%s', async (_label, options, drift) => {
    const parallel = await trace('local-parallel', options, 12);
    const modulated = await trace('local-drift', { ...options, drift }, 12);
    expect(modulated.events.map(numbers)).toEqual(parallel.events.map(numbers));
    expect(modulated.params).toEqual(parallel.params);
  });
});

describe('local-drift candidates in a run', () => {
  it('progressive freezing: block 0 stops after its share, the output block learns to the end', async () => {
    const t = await trace('local-drift', { drift: { freeze: 0.5 } }, 8);
    // 4 blocks, 8 epochs, share 0.5: block 0 learns epochs 0-3, block 1 0-4 (round 5.33), block 2 0-6 (round 6.67).
    const reported = t.events.map((e) => e.gates!.map((g) => g.gate));
    expect(reported.map((r) => r.map((g) => (g === 0 ? 0 : 1)))).toEqual([
      [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1],
      [0, 1, 1, 1], [0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 0, 1],
    ]);
    const four = await trace('local-parallel', {}, 4);
    // Block 0 reads the data and stopped after 4 epochs: its weights are local-parallel's after 4. Block 1 learned on.
    expect(t.params['blocks.0.weight']).toEqual(four.params['blocks.0.weight']);
    expect(t.params['blocks.0.bias']).toEqual(four.params['blocks.0.bias']);
    expect(t.params['blocks.1.weight']).not.toEqual(four.params['blocks.1.weight']);
  });

  it('lagged start: no block past the first learns before its input drift is measured, and then only below the lag', async () => {
    const start = seededStart(3, spec, { dataset: 'spiral' });
    const one = await trace('local-drift', { drift: { lag: 1e9 } }, 1);
    // One step: block 0 learned, the others waited (no drift yet: one observation of their input).
    expect(one.params['blocks.0.weight']).not.toEqual(start.parameters['blocks.0.weight']);
    for (const b of [1, 2, 3]) expect(one.params[`blocks.${b}.weight`], `block ${b}`).toEqual(start.parameters[`blocks.${b}.weight`]);
    expect(one.events[0].gates!.map((g) => g.gate)).toEqual([1, 0, 0, 0]);
    // A lag no drift is below: only block 0 ever learns.
    const never = await trace('local-drift', { drift: { lag: 1e-12 } }, 5);
    for (const b of [1, 2, 3]) expect(never.params[`blocks.${b}.weight`]).toEqual(start.parameters[`blocks.${b}.weight`]);
    // With a huge lag, every block starts at the second step: its input's drift is measured there, after block i-1 started in the same step.
    const lagged = await trace('local-drift', { drift: { lag: 1e9 } }, 3);
    expect(lagged.events.map((e) => e.gates!.map((g) => (g.gate === 0 ? 0 : 1)))).toEqual([
      [1, 0, 0, 0], [1, 1, 1, 1], [1, 1, 1, 1],
    ]);
  });

  it('Rprop flip shrink by drift changes the steps, and the run frees its tensors', async () => {
    const before = tf.memory().numTensors;
    const parallel = await trace('local-parallel', {}, 6);
    const shrink = await trace('local-drift', { drift: { shrink: 'on', reset: 'on', tau: 0.05 } }, 6);
    expect(shrink.params['blocks.0.weight']).toEqual(parallel.params['blocks.0.weight']);
    expect(shrink.params['blocks.2.weight']).not.toEqual(parallel.params['blocks.2.weight']);
    for (const g of shrink.events[5].gates!.slice(1)) {
      expect(g.drift).toBeGreaterThan(0);
      expect(g.gate).toBeGreaterThan(0);
      expect(g.gate).toBeLessThanOrEqual(1);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
