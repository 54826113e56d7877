import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { seededStart } from '../../src/experiment/seeded.js';
import { cloneParameters } from '../../src/model/parameters.js';
import { parseModelSpec, SEED_MODEL } from '../../src/model/spec.js';
import type { EpochEvent } from '../../src/train/events.js';
import { GateTracker, gateFromDrift, resolveGateOptions } from '../../src/modulators/gates.js';
import { Run } from '../../src/train/run.js';
import { LocalpropError } from '../../src/util/errors.js';

const close = (actual: ArrayLike<number>, expected: number[], digits = 6) =>
  expected.forEach((v, k) => expect(actual[k]).toBeCloseTo(v, digits));

describe('gates', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('computes drift, magnitude and soft relative gates on a hand-worked example', () => {
    const tracker = new GateTracker(resolveGateOptions({ mode: 'soft', tau: 0.5, scale: 'relative', smoothing: 0.5 }));
    // Two samples, two axes. Axis 0 never moves; axis 1 moves by 1 on both samples, then by 3.
    tracker.observe(tf.tensor2d([[1, 2], [3, 4]]));
    expect(tracker.gates).toBeNull();
    expect(tracker.metrics()).toEqual({ drift: null, gate: 1, open: 1 });
    tracker.observe(tf.tensor2d([[1, 3], [3, 5]]));
    // drift = mean|Δ| = [0, 1]; magnitude = mean|h| = [2, 4]; r = [0, 0.25]; g = 1/(1 + r/0.5) = [1, 2/3].
    close(tracker.gates!.dataSync(), [1, 2 / 3]);
    tracker.observe(tf.tensor2d([[1, 6], [3, 8]]));
    // |Δ| = [0, 3]; EMA 0.5: [0, 0.5·1 + 0.5·3 = 2]; magnitude [2, 7]; r = [0, 2/7]; g = [1, 1/(1 + 4/7) = 7/11].
    close(tracker.gates!.dataSync(), [1, 7 / 11]);
    const m = tracker.metrics();
    // Relative: Σ drift / Σ magnitude = (0 + 2) / (2 + 7).
    expect(m.drift).toBeCloseTo(2 / 9, 6);
    expect(m.gate).toBeCloseTo((1 + 7 / 11) / 2, 6);
    expect(m.open).toBe(1);
    tracker.dispose();
  });

  it('closes hard gates at tau, keeps the floor, and scales absolute drift as is', () => {
    const drift = tf.tensor1d([0.05, 0.2, 1]);
    const magnitude = tf.tensor1d([1, 1, 1]);
    close(gateFromDrift(drift, magnitude, resolveGateOptions({ mode: 'hard', tau: 0.1, scale: 'absolute' })).dataSync(), [1, 0, 0]);
    close(gateFromDrift(drift, magnitude, resolveGateOptions({ mode: 'hard', tau: 0.1, scale: 'absolute', floor: 0.25 })).dataSync(), [1, 0.25, 0.25]);
    // soft absolute, tau 0.2: 1/(1 + d/0.2) = [0.8, 0.5, 1/6].
    close(gateFromDrift(drift, magnitude, resolveGateOptions({ mode: 'soft', tau: 0.2, scale: 'absolute' })).dataSync(), [0.8, 0.5, 1 / 6]);
    close(gateFromDrift(drift, magnitude, resolveGateOptions({ mode: 'off' })).dataSync(), [1, 1, 1]);
  });

  it('scales the rows of the [in, out] weight, or the whole block by the mean gate', () => {
    for (const target of ['weights', 'block'] as const) {
      const tracker = new GateTracker(resolveGateOptions({ mode: 'hard', tau: 0.5, scale: 'absolute', target }));
      tracker.observe(tf.tensor2d([[0, 0]]));
      tracker.observe(tf.tensor2d([[0, 1]]));
      const scales = tracker.scales();
      if (target === 'weights') {
        expect(scales).toHaveLength(1);
        expect(scales[0]!.shape).toEqual([2, 1]);
        close(scales[0]!.dataSync(), [1, 0]);
      } else {
        expect(scales).toHaveLength(2);
        close(scales[0]!.dataSync(), [0.5]);
        close(scales[1]!.dataSync(), [0.5]);
      }
      scales.forEach((s) => s?.dispose());
      tracker.dispose();
    }
  });

  it('rejects bad options with the flag to fix', () => {
    expect(() => resolveGateOptions({ tau: 0 })).toThrow(LocalpropError);
    expect(() => resolveGateOptions({ tau: 0 })).toThrow(/--gate-tau/);
    expect(() => resolveGateOptions({ smoothing: 1 })).toThrow(/--gate-smoothing/);
    expect(() => resolveGateOptions({ mode: 'wide' as never })).toThrow(/--gate must be soft, hard or off/);
  });

  it('with gates fixed at 1 takes exactly local-parallel\'s steps (same weights after 20 epochs)', async () => {
    const spec = parseModelSpec(SEED_MODEL);
    const start = seededStart(4, spec, { dataset: 'signed_xor' });
    const weightsAfter = async (schedule: string, gate?: { mode: 'off' }) => {
      const run = new Run({ schedule, spec, ...start, parameters: cloneParameters(start.parameters), epochs: 20, gate });
      await run.complete();
      const params = run.network.toParameters();
      run.dispose();
      return params;
    };
    const parallel = await weightsAfter('local-parallel');
    const gated = await weightsAfter('local-gated', { mode: 'off' });
    for (const [name, t] of Object.entries(parallel)) {
      const other = gated[name].data;
      const worst = t.data.reduce((m, v, k) => Math.max(m, Math.abs(v - other[k])), 0);
      expect(worst, name).toBeLessThanOrEqual(1e-6);
    }
  });

  it('reports drift and gates per block, the first block always open, and frees its tensors', async () => {
    const spec = parseModelSpec(SEED_MODEL);
    const start = seededStart(0, spec, { dataset: 'signed_xor' });
    const before = tf.memory().numTensors;
    for (const step of ['epoch', 'batch'] as const) {
      // Soft gates: never exactly 0, so the check below sees every block's gate.
      const run = new Run({ schedule: 'local-gated', spec, ...start, parameters: cloneParameters(start.parameters), epochs: 3, step, optimizer: step === 'batch' ? { name: 'adam' } : undefined, gate: { mode: 'soft' } });
      const events: EpochEvent[] = [];
      await run.complete((e) => {
        if (e.type === 'epoch' && e.epoch > 0) events.push(e);
      });
      run.dispose();
      expect(events.map((e) => e.gates!.length)).toEqual([4, 4, 4]);
      for (const e of events) expect(e.gates![0]).toEqual({ drift: null, gate: 1, open: 1 });
      // Drift needs two observations: none in the first epoch, measured from the second on.
      expect(events[0].gates![1].drift).toBeNull();
      for (const g of events[2].gates!.slice(1)) {
        expect(g.drift).toBeGreaterThan(0);
        expect(g.gate).toBeGreaterThan(0);
        expect(g.gate).toBeLessThanOrEqual(1);
      }
      expect(events[2].blockAccuracy).toHaveLength(4);
      expect(events[2].blockAccuracy[3]).toBe(events[2].testAccuracy);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('step-size gates (Rprop)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('shrinks the step after a sign flip by etaMinus^gate', async () => {
    const { Rprop } = await import('../../src/optim/rprop.js');
    const param = tf.variable(tf.zeros([3, 1]));
    const opt = new Rprop({ lr: 0.1, etaMinus: 0.5, etaPlus: 1.2 });
    const gate = tf.tensor2d([[0], [0.5], [1]]);
    opt.step([param], [tf.ones([3, 1])], [{ shrinkGate: gate }]); // first step: -0.1 each
    opt.step([param], [tf.fill([3, 1], -1)], [{ shrinkGate: gate }]); // flip: no move, steps × 0.5^g
    opt.step([param], [tf.fill([3, 1], -1)], [{ shrinkGate: gate }]); // memory was reset: move by the shrunk step
    // Each weight: -0.1, then +step. Steps: 0.1·0.5^0 = 0.1, 0.1·0.5^0.5 ≈ 0.0707107, 0.1·0.5 = 0.05.
    close(param.dataSync(), [-0.1 + 0.1, -0.1 + 0.1 * Math.SQRT1_2, -0.1 + 0.05]);
    opt.dispose();
    param.dispose();
    gate.dispose();
  });

  it('is accepted only as a known gate target', () => {
    expect(resolveGateOptions({ target: 'step-sizes' }).target).toBe('step-sizes');
    expect(() => resolveGateOptions({ target: 'steps' as never })).toThrow(/weights, block or step-sizes/);
  });
});
