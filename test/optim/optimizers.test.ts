import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { Adam, createOptimizer, defaultLearningRate, Rmsprop, Rprop, Sgd, type Optimizer } from '../../src/optim/index.js';
import { BACKENDS, expectClose, localpropErrorOf } from '../support.js';

/**
 * Feeds `grads[s]` to one parameter vector starting at `initial` for each
 * step s and returns the parameter after every step. `scales[s]`, when given,
 * is passed as the step's scale.
 */
function trajectory(optimizer: Optimizer, initial: number[], grads: number[][], scales?: (number[] | undefined)[]): number[][] {
  const param = tf.variable(tf.tensor1d(initial));
  const out: number[][] = [];
  grads.forEach((g, s) => {
    const grad = tf.tensor1d(g);
    const scale = scales?.[s] ? tf.tensor1d(scales[s]!) : undefined;
    optimizer.step([param], [grad], [scale ? { scale } : undefined]);
    out.push(Array.from(param.dataSync()));
    tf.dispose([grad, ...(scale ? [scale] : [])]);
  });
  optimizer.dispose();
  param.dispose();
  return out;
}

// float32 parameters: values of order 1 carry ~6e-8 rounding per step.
const TOL = 1e-6;

describe.each(BACKENDS)('optimizers on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  describe('Rprop', () => {
    it('follows PyTorch’s rule on a hand-computed sequence', () => {
      // lr 0.1, etas (0.5, 1.2). Four elements, each showing one rule:
      //   e0: signs +,+,+,+  → steps 0.1, 0.12, 0.144, 0.1728, always moving -step
      //   e1: signs -,+,+,+  → step 1: +0.1; step 2 flips: step 0.05, NO move, remembered grad 0;
      //                         step 3: step stays 0.05 (neither grows nor shrinks), moves -0.05;
      //                         step 4: same sign again → 0.06, moves -0.06
      //   e2: signs +,+,-,-  → -0.1, -0.12, flip: step 0.12·0.5 = 0.06, no move; then stays 0.06: +0.06
      //   e3: signs 0,+,+,+  → zero gradient: no move; then 0.1 (not grown), 0.12, 0.144
      const grads = [
        [1, -2, 3, 0],
        [1, 5, 2, 1],
        [1, 1, -1, 1],
        [1, 1, -1, 1],
      ];
      const got = trajectory(new Rprop({ lr: 0.1 }), [0, 0, 0, 0], grads);
      const want = [
        [-0.1, 0.1, -0.1, 0],
        [-0.1 - 0.12, 0.1, -0.1 - 0.12, -0.1],
        [-0.22 - 0.144, 0.1 - 0.05, -0.22, -0.1 - 0.12],
        [-0.364 - 0.1728, 0.05 - 0.06, -0.22 + 0.06, -0.22 - 0.144],
      ];
      got.forEach((p, s) => expectClose(p, want[s], TOL));
    });

    it('first step moves by -lr·sign(g) whatever the gradient’s size', () => {
      // Defaults: lr 0.01 → [1 - 0.01, 1 + 0.01, 1 - 0.01] for g = [1e-6, -300, 2].
      const [p] = trajectory(new Rprop(), [1, 1, 1], [[1e-6, -300, 2]]);
      expectClose(p, [0.99, 1.01, 0.99], TOL);
    });

    it('clamps the step at stepMax (also on the first step) and at stepMin', () => {
      // lr 1, etaPlus 2, stepMax 1.5: steps 1, min(2, 1.5) = 1.5, min(3, 1.5) = 1.5 → 0, -1, -2.5, -4
      const up = trajectory(createOptimizer({ name: 'rprop', lr: 1, etaPlus: 2, stepMax: 1.5 }), [0], [[1], [1], [1]]);
      expectClose(up.flat(), [-1, -2.5, -4], TOL);
      // lr 2 > stepMax 1.5: the first step is already clamped to 1.5 (PyTorch clamps every step).
      const first = trajectory(createOptimizer({ name: 'rprop', lr: 2, stepMax: 1.5 }), [0], [[1]]);
      expectClose(first.flat(), [-1.5], TOL);
      // lr 1, etaMinus 0.5, stepMin 0.3; signs +,-,-,+,+:
      //   +: move -1 (step 1) → -1;  -: flip, step 0.5, no move → -1;  -: step stays 0.5, move +0.5 → -0.5;
      //   +: flip, step max(0.25, 0.3) = 0.3, no move → -0.5;  +: move -0.3 → -0.8 (unclamped it would be -0.75)
      const down = trajectory(createOptimizer({ name: 'rprop', lr: 1, etaMinus: 0.5, stepMin: 0.3 }), [0], [[1], [-1], [-1], [1], [1]]);
      expectClose(down.flat(), [-1, -1, -0.5, -0.5, -0.8], TOL);
    });

    it('moves on tiny gradients: only an exact zero means "no sign" (PyTorch’s sign)', () => {
      // g = ±1e-9 is small but has a sign: first step -0.01·sign(g) → [-0.01, +0.01]
      const [p] = trajectory(new Rprop(), [0, 0], [[1e-9, -1e-9]]);
      expectClose(p, [-0.01, 0.01], TOL);
    });

    it('adapts step sizes when gradients are small (the sign of g·prev, not its size, decides)', () => {
      // Gradients of 1e-4, typical late in training; g·prev = ±1e-8.
      //   e0: +,+,+ → steps 0.01, 0.012, 0.0144 → -0.01, -0.022, -0.0364
      //   e1: +,-,- → -0.01; flip: step 0.005, no move → -0.01; then stays 0.005: +0.005 → -0.005
      const got = trajectory(new Rprop(), [0, 0], [[1e-4, 1e-4], [1e-4, -1e-4], [1e-4, -1e-4]]);
      expectClose(got[0], [-0.01, -0.01], TOL);
      expectClose(got[1], [-0.022, -0.01], TOL);
      expectClose(got[2], [-0.0364, -0.005], TOL);
    });

    it('does not move a weight whose gradient is zero', () => {
      const got = trajectory(new Rprop({ lr: 0.1 }), [0.5, -0.5], [[0, 1], [0, 1], [0, 1]]);
      expect(got.map((p) => p[0])).toEqual([0.5, 0.5, 0.5]);
      expectClose(got.map((p) => p[1]), [-0.6, -0.72, -0.864], TOL);
    });

    it('scales the change per element; scale 0 leaves an element unmoved', () => {
      // Step 1: -0.01·[1, 0, 0.5] = [-0.01, 0, -0.005]; step 2 (step sizes 0.012): [-0.022, 0, -0.011]
      const got = trajectory(new Rprop(), [0, 0, 0], [[1, 1, 1], [1, 1, 1]], [[1, 0, 0.5], [1, 0, 0.5]]);
      expectClose(got[0], [-0.01, 0, -0.005], TOL);
      expectClose(got[1], [-0.022, 0, -0.011], TOL);
      expect(got[1][1]).toBe(0);
    });
  });

  describe('Adam', () => {
    it('first two steps match PyTorch’s formula with bias corrections', () => {
      // lr 0.1, betas (0.9, 0.999), eps 1e-8; p0 = [1, -2]; g1 = [0.5, -1]; g2 = [0.1, 3].
      // Step 1: m = 0.1·g1 = [0.05, -0.1]; v = 0.001·g1² = [0.00025, 0.001];
      //   m̂ = m/0.1 = g1, √v̂ = √(v/0.001) = |g1| → p -= 0.1·g1/(|g1| + 1e-8) ≈ 0.1·sign(g1) → [0.9, -1.9]
      // Step 2: m = 0.9·m + 0.1·g2 = [0.055, 0.21]; v = 0.999·v + 0.001·g2² = [0.00025975, 0.009999];
      //   bc1 = 1 - 0.81 = 0.19, bc2 = 1 - 0.998001 = 0.001999;
      //   e0: (0.1/0.19)·0.055 / (√0.00025975/√0.001999) = 0.5263158·0.055/0.3604716 = 0.0803041 → 0.9 - 0.0803041 = 0.8196959
      //   e1: (0.1/0.19)·0.21 / (√0.009999/√0.001999) = 0.5263158·0.21/2.2365150 = 0.0494190 → -1.9 - 0.0494190 = -1.9494190
      const got = trajectory(new Adam({ lr: 0.1 }), [1, -2], [[0.5, -1], [0.1, 3]]);
      expectClose(got[0], [0.9, -1.9], TOL);
      expectClose(got[1], [0.8196959, -1.949419], 2e-6);
    });

    it('adds weight decay to the gradient (L2), so a zero gradient still moves the weight', () => {
      // weightDecay 0.5, p = 2, g = 0 → g' = 0 + 0.5·2 = 1; first Adam step ≈ -lr·sign(g') = -0.1 → 1.9.
      // Without decay a zero gradient gives m = 0 and no move.
      expectClose(trajectory(new Adam({ lr: 0.1, weightDecay: 0.5 }), [2], [[0]]).flat(), [1.9], TOL);
      expectClose(trajectory(new Adam({ lr: 0.1 }), [2], [[0]]).flat(), [2], 0);
    });

    it('scales the change', () => {
      // First step ≈ -0.1·sign(g); with scale [0.5, 0] → [-0.05, 0]
      const [p] = trajectory(new Adam({ lr: 0.1 }), [0, 0], [[3, -4]], [[0.5, 0]]);
      expectClose(p, [-0.05, 0], TOL);
    });
  });

  describe('RMSprop', () => {
    it('first two steps match PyTorch’s formula', () => {
      // lr 0.01, alpha 0.99, eps 1e-8; p0 = 1; g1 = 2, g2 = 1.
      // Step 1: v = 0.01·4 = 0.04, √v = 0.2 → p -= 0.01·2/(0.2 + 1e-8) = 0.1 → 0.9
      // Step 2: v = 0.99·0.04 + 0.01·1 = 0.0496, √v = 0.2227106 → p -= 0.01·1/0.2227106 = 0.0449013 → 0.8550987
      const got = trajectory(new Rmsprop(), [1], [[2], [1]]);
      expectClose(got.flat(), [0.9, 0.8550987], TOL);
    });

    it('with momentum buffers the scaled gradient', () => {
      // momentum 0.9: b1 = 2/0.2 = 10 → p = 1 - 0.1 = 0.9; b2 = 0.9·10 + 4.4901323 = 13.4901323 → p = 0.9 - 0.1349013 = 0.7650987
      const got = trajectory(new Rmsprop({ momentum: 0.9 }), [1], [[2], [1]]);
      expectClose(got.flat(), [0.9, 0.7650987], TOL);
    });

    it('adds weight decay to the gradient', () => {
      // weightDecay 1, p = 1, g = 1 → g' = 2: same first step as g = 2 above → 0.9
      expectClose(trajectory(new Rmsprop({ weightDecay: 1 }), [1], [[1]]).flat(), [0.9], TOL);
    });
  });

  describe('SGD', () => {
    it('without momentum steps by -lr·g', () => {
      // lr 0.1: 1 - 0.1·2 = 0.8, 0.8 - 0.1·(-1) = 0.9
      expectClose(trajectory(new Sgd({ lr: 0.1 }), [1], [[2], [-1]]).flat(), [0.8, 0.9], TOL);
    });

    it('with momentum starts its buffer at the first gradient', () => {
      // lr 0.1, momentum 0.9; g = 1, 2, 3:
      //   b1 = g1 = 1 → 1 - 0.1 = 0.9;  b2 = 0.9·1 + 2 = 2.9 → 0.9 - 0.29 = 0.61;  b3 = 0.9·2.9 + 3 = 5.61 → 0.61 - 0.561 = 0.049
      const got = trajectory(new Sgd({ lr: 0.1, momentum: 0.9 }), [1], [[1], [2], [3]]);
      expectClose(got.flat(), [0.9, 0.61, 0.049], TOL);
    });

    it('does not damp the first buffer (PyTorch) but damps later gradients', () => {
      // dampening 0.5: b1 = g1 = 1 → 0.9;  b2 = 0.9·1 + 0.5·2 = 1.9 → 0.9 - 0.19 = 0.71
      const got = trajectory(new Sgd({ lr: 0.1, momentum: 0.9, dampening: 0.5 }), [1], [[1], [2]]);
      expectClose(got.flat(), [0.9, 0.71], TOL);
    });

    it('with nesterov steps along g + momentum·buffer', () => {
      // b1 = 1, direction 1 + 0.9·1 = 1.9 → 1 - 0.19 = 0.81;  b2 = 0.9 + 2 = 2.9, direction 2 + 0.9·2.9 = 4.61 → 0.81 - 0.461 = 0.349
      const got = trajectory(new Sgd({ lr: 0.1, momentum: 0.9, nesterov: true }), [1], [[1], [2]]);
      expectClose(got.flat(), [0.81, 0.349], TOL);
    });

    it('adds weight decay to the gradient', () => {
      // weightDecay 0.1, p = 2, g = 1 → g' = 1 + 0.2 = 1.2 → 2 - 0.1·1.2 = 1.88
      expectClose(trajectory(new Sgd({ lr: 0.1, weightDecay: 0.1 }), [2], [[1]]).flat(), [1.88], TOL);
    });

    it('scales the change', () => {
      // -0.1·[2, 2]·[0.25, 1] = [-0.05, -0.2]
      expectClose(trajectory(new Sgd({ lr: 0.1 }), [0, 0], [[2, 2]], [[0.25, 1]])[0], [-0.05, -0.2], TOL);
    });
  });

  describe('state', () => {
    it('is kept per variable: two parameters in one step do not share Rprop step sizes', () => {
      const opt = new Rprop({ lr: 0.1 });
      const a = tf.variable(tf.tensor1d([0]));
      const b = tf.variable(tf.tensor1d([0]));
      const g = tf.tensor1d([1]);
      opt.step([a, b], [g, g]); // both -0.1
      opt.step([a], [g]); // a: step 0.12 → -0.22
      opt.step([b], [g]); // b: its own second step, also 0.12 → -0.22 (not 0.144)
      expectClose(a.dataSync(), [-0.22], TOL);
      expectClose(b.dataSync(), [-0.22], TOL);
      opt.dispose();
      tf.dispose([a, b, g]);
    });

    it.each([
      ['rprop', () => new Rprop()],
      ['adam', () => new Adam()],
      ['rmsprop with momentum', () => new Rmsprop({ momentum: 0.9 })],
      ['sgd', () => new Sgd()],
      ['sgd with momentum', () => new Sgd({ momentum: 0.9 })],
    ])('%s: tensor count stays flat over steps and dispose returns it to where it was', (_name, make) => {
      const params = [tf.variable(tf.tensor2d([[1, 2], [3, 4]])), tf.variable(tf.tensor1d([5, 6]))];
      const grads = [tf.tensor2d([[0.1, -0.2], [0.3, -0.4]]), tf.tensor1d([-1, 1])];
      const before = tf.memory().numTensors;
      const opt = make();
      opt.step(params, grads);
      const afterOne = tf.memory().numTensors;
      opt.step(params, grads);
      opt.step(params, grads);
      expect(tf.memory().numTensors).toBe(afterOne);
      opt.dispose();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([...params, ...grads]);
    });
  });
});

describe('createOptimizer', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('builds each rule with PyTorch’s default learning rates', () => {
    expect(createOptimizer({ name: 'rprop' })).toBeInstanceOf(Rprop);
    expect(createOptimizer({ name: 'adam' })).toBeInstanceOf(Adam);
    expect(createOptimizer({ name: 'rmsprop' })).toBeInstanceOf(Rmsprop);
    expect(createOptimizer({ name: 'sgd' })).toBeInstanceOf(Sgd);
    expect(createOptimizer({ name: 'rprop' }).learningRate).toBe(0.01);
    expect(createOptimizer({ name: 'adam' }).learningRate).toBe(0.001);
    expect(createOptimizer({ name: 'rmsprop' }).learningRate).toBe(0.01);
    expect(defaultLearningRate('adam')).toBe(0.001);
    expect(createOptimizer({ name: 'adam', lr: 0.5 }).learningRate).toBe(0.5);
  });

  it('passes options through (sgd momentum, as seen in its steps)', () => {
    // Same sequence as the hand-computed momentum test: 0.9, 0.61
    const got = trajectory(createOptimizer({ name: 'sgd', lr: 0.1, momentum: 0.9 }), [1], [[1], [2]]);
    expectClose(got.flat(), [0.9, 0.61], TOL);
  });

  it('rejects an unknown name, listing the valid ones', () => {
    const message = localpropErrorOf(() => createOptimizer({ name: 'lbfgs' as never }));
    expect(message).toContain('"lbfgs"');
    expect(message).toContain('rprop, adam, rmsprop, sgd');
  });

  it('rejects an option the rule does not have, listing the valid ones', () => {
    const message = localpropErrorOf(() => createOptimizer({ name: 'adam', momentum: 0.9 }));
    expect(message).toContain('"momentum"');
    expect(message).toContain('lr, beta1, beta2, eps, weightDecay');
    const rprop = localpropErrorOf(() => createOptimizer({ name: 'rprop', beta1: 0.9 }));
    expect(rprop).toContain('"beta1"');
    expect(rprop).toContain('lr, etaMinus, etaPlus, stepMin, stepMax');
  });

  it('rejects negative or non-finite numbers', () => {
    expect(localpropErrorOf(() => createOptimizer({ name: 'sgd', lr: -1 }))).toMatch(/lr must be a finite number ≥ 0, got -1/);
    expect(localpropErrorOf(() => createOptimizer({ name: 'adam', eps: Number.NaN }))).toMatch(/eps .*NaN/);
    expect(localpropErrorOf(() => createOptimizer({ name: 'rmsprop', lr: Infinity }))).toMatch(/lr .*Infinity/);
  });

  it('rejects Rprop etas and step bounds that make no sense', () => {
    expect(localpropErrorOf(() => createOptimizer({ name: 'rprop', etaPlus: 0.9 }))).toMatch(/etaMinus < 1 < etaPlus/);
    expect(localpropErrorOf(() => createOptimizer({ name: 'rprop', etaMinus: 1.5 }))).toMatch(/etaMinus < 1 < etaPlus/);
    expect(localpropErrorOf(() => createOptimizer({ name: 'rprop', stepMin: 2, stepMax: 1 }))).toMatch(/stepMin ≤ stepMax/);
  });
});
