import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { BCE_LOG_FLOOR, meanLoss, perExampleLoss, weightedLoss } from '../../src/losses/losses.js';
import { batchMeanWeights, epochBatches } from '../../src/data/batches.js';
import { BACKENDS, expectClose } from '../support.js';

describe.each(BACKENDS)('losses on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  describe('bce', () => {
    it('of p = [0.9, 0.2] against y = [1, 0] is [-ln 0.9, -ln 0.8]', () => {
      const p = tf.tensor2d([[0.9], [0.2]]);
      const y = tf.tensor2d([[1], [0]]);
      // -ln 0.9 = 0.1053605, -ln(1 - 0.2) = -ln 0.8 = 0.2231436
      expectClose(perExampleLoss('bce', p, y).dataSync(), [-Math.log(0.9), -Math.log(0.8)], 1e-6);
      // Mean over the two examples: (0.1053605 + 0.2231436) / 2 = 0.1642520
      expect(meanLoss('bce', p, y).dataSync()[0]).toBeCloseTo((-Math.log(0.9) - Math.log(0.8)) / 2, 6);
      tf.dispose([p, y]);
    });

    it('averages over the outputs of one example', () => {
      // Example with two outputs: p = [0.5, 0.25], y = [1, 0] → (-ln 0.5 - ln 0.75) / 2 = (0.693147 + 0.287682) / 2
      const p = tf.tensor2d([[0.5, 0.25]]);
      const y = tf.tensor2d([[1, 0]]);
      expectClose(perExampleLoss('bce', p, y).dataSync(), [(Math.log(2) - Math.log(0.75)) / 2], 1e-6);
      tf.dispose([p, y]);
    });

    it('with p = 0 and y = 1 is 100 (log clamped at -100, as PyTorch) with a finite gradient', () => {
      expect(BCE_LOG_FLOOR).toBe(-100);
      const p = tf.tensor2d([[0], [1]]);
      const y = tf.tensor2d([[1], [0]]);
      // -max(ln 0, -100) = 100 for both (p = 1, y = 0 is the mirror case).
      expectClose(perExampleLoss('bce', p, y).dataSync(), [100, 100], 1e-4);
      const g = tf.grad((t: tf.Tensor) => tf.sum(perExampleLoss('bce', t as tf.Tensor2D, y)))(p).dataSync();
      // PyTorch: (p - y) / max(p(1 - p), 1e-12) = -1 / 1e-12 = -1e12 and +1e12.
      for (const v of g) expect(Number.isFinite(v)).toBe(true);
      expectClose(g, [-1e12, 1e12], 0, 1e-5);
      tf.dispose([p, y]);
    });

    it('has the gradient (p - y) / (p(1 - p))', () => {
      const p = tf.tensor2d([[0.9], [0.2], [0.6]]);
      const y = tf.tensor2d([[1], [0], [0.3]]);
      const g = tf.grad((t: tf.Tensor) => tf.sum(perExampleLoss('bce', t as tf.Tensor2D, y)))(p).dataSync();
      // (0.9 - 1)/(0.9·0.1) = -1.111111; (0.2 - 0)/(0.2·0.8) = 1.25; (0.6 - 0.3)/(0.6·0.4) = 1.25
      expectClose(g, [-0.1 / 0.09, 0.2 / 0.16, 0.3 / 0.24], 1e-5, 1e-5);
      tf.dispose([p, y]);
    });
  });

  describe('mse', () => {
    it('is the mean squared difference over each example’s outputs', () => {
      const prediction = tf.tensor2d([[1, 2], [3, 5]]);
      const target = tf.tensor2d([[0, 0], [3, 3]]);
      // Row 0: (1² + 2²)/2 = 2.5; row 1: (0² + 2²)/2 = 2
      expectClose(perExampleLoss('mse', prediction, target).dataSync(), [2.5, 2], 1e-6);
      // Mean over examples: (2.5 + 2)/2 = 2.25
      expect(meanLoss('mse', prediction, target).dataSync()[0]).toBeCloseTo(2.25, 6);
      // d/dprediction of the mean over 2 examples of the mean over 2 outputs: 2(p - t)/4 = (p - t)/2
      const g = tf.grad((t: tf.Tensor) => meanLoss('mse', t as tf.Tensor2D, target))(prediction).dataSync();
      expectClose(g, [0.5, 1, 0, 1], 1e-6);
      tf.dispose([prediction, target]);
    });
  });

  describe('ce', () => {
    it('of logits [1, 2, 3] against one-hot class 2 is log(e + e² + e³) - 3', () => {
      const logits = tf.tensor2d([[1, 2, 3]]);
      const target = tf.tensor2d([[0, 0, 1]]);
      // log(2.718282 + 7.389056 + 20.085537) - 3 = log(30.192875) - 3 = 0.407606
      const want = Math.log(Math.E + Math.E ** 2 + Math.E ** 3) - 3;
      expectClose(perExampleLoss('ce', logits, target).dataSync(), [want], 1e-6);
      // Its gradient is softmax - onehot = [0.090031, 0.244728, 0.665241 - 1]
      const g = tf.grad((t: tf.Tensor) => tf.sum(perExampleLoss('ce', t as tf.Tensor2D, target)))(logits).dataSync();
      const s = Math.E + Math.E ** 2 + Math.E ** 3;
      expectClose(g, [Math.E / s, Math.E ** 2 / s, Math.E ** 3 / s - 1], 1e-6);
      tf.dispose([logits, target]);
    });

    it('is shift-invariant and stable for large logits', () => {
      // Logits [1001, 1002, 1003] give the same loss as [1, 2, 3]; a naive log(Σe^z) would overflow.
      const logits = tf.tensor2d([[1001, 1002, 1003]]);
      const target = tf.tensor2d([[0, 0, 1]]);
      expectClose(perExampleLoss('ce', logits, target).dataSync(), [Math.log(Math.E + Math.E ** 2 + Math.E ** 3) - 3], 1e-4);
      tf.dispose([logits, target]);
    });
  });

  describe('weightedLoss', () => {
    it('with weights 1/|batch| is the sum of per-batch mean losses for unequal batches (2, 2, 1)', () => {
      // Five examples, mse against 0: per-example losses 1, 4, 9, 16, 25.
      const prediction = tf.tensor2d([[1], [2], [3], [4], [5]]);
      const target = tf.zeros([5, 1]) as tf.Tensor2D;
      // File order, batches of 2: {0,1}, {2,3}, {4} → weights 1/2, 1/2, 1/2, 1/2, 1.
      const batches = epochBatches(5, 2);
      expect(batches.bounds).toEqual([0, 2, 4, 5]);
      const w = batchMeanWeights(batches);
      expect(Array.from(w)).toEqual([0.5, 0.5, 0.5, 0.5, 1]);
      const weights = tf.tensor1d(w);
      // Batch means: (1 + 4)/2 = 2.5, (9 + 16)/2 = 12.5, 25/1 = 25 → sum 40.
      expect(weightedLoss('mse', prediction, target, weights).dataSync()[0]).toBeCloseTo(40, 5);
      // Same as computing each batch's mean loss separately with meanLoss.
      let sum = 0;
      for (let b = 0; b + 1 < batches.bounds.length; b++) {
        const [start, end] = [batches.bounds[b], batches.bounds[b + 1]];
        const rows = tf.slice(prediction, [start, 0], [end - start, 1]) as tf.Tensor2D;
        const zeros = tf.slice(target, [start, 0], [end - start, 1]) as tf.Tensor2D;
        sum += meanLoss('mse', rows, zeros).dataSync()[0];
      }
      expect(sum).toBeCloseTo(40, 5);
      tf.dispose([prediction, target, weights]);
    });

    it('weights the gradient by 1/|batch| too', () => {
      // d/dp of Σ wᵢ pᵢ² = 2 wᵢ pᵢ: [2·0.5·1, 2·0.5·2, 2·0.5·3, 2·0.5·4, 2·1·5] = [1, 2, 3, 4, 10]
      const prediction = tf.tensor2d([[1], [2], [3], [4], [5]]);
      const target = tf.zeros([5, 1]) as tf.Tensor2D;
      const weights = tf.tensor1d([0.5, 0.5, 0.5, 0.5, 1]);
      const g = tf.grad((t: tf.Tensor) => weightedLoss('mse', t as tf.Tensor2D, target, weights))(prediction).dataSync();
      expectClose(g, [1, 2, 3, 4, 10], 1e-5);
      tf.dispose([prediction, target, weights]);
    });
  });
});
