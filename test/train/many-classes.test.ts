import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { oneHot } from '../../src/data/dataset.js';
import { meanLoss, perExampleLoss } from '../../src/losses/losses.js';
import { accuracyOf } from '../../src/train/evaluation.js';
import { BACKENDS, expectClose } from '../support.js';

// Ten classes, as MNIST: cross-entropy on the logits and argmax accuracy.
describe.each(BACKENDS)('ten classes on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('cross-entropy of logits 2 at class 3 and 0 elsewhere, by hand', () => {
    // Σ e^z = 9·e⁰ + e² = 9 + 7.389056 = 16.389056, log of it 2.796614.
    // Target class 3 (the largest logit): 2.796614 - 2 = 0.796614; target class 0: 2.796614 - 0 = 2.796614.
    const row = [0, 0, 0, 2, 0, 0, 0, 0, 0, 0];
    const logits = tf.tensor2d([row, row]);
    const target = tf.tensor2d(oneHot([3, 0], 10), [2, 10]);
    expectClose(perExampleLoss('ce', logits, target).dataSync(), [0.7966138, 2.7966138], 1e-5);
    // The batch mean (PyTorch's reduction='mean'): (0.796614 + 2.796614) / 2 = 1.796614
    expect(meanLoss('ce', logits, target).dataSync()[0]).toBeCloseTo(1.7966138, 5);
    // Gradient of the first row's loss: softmax - one-hot = 1/16.389056 = 0.061016 at the zeros, e²/16.389056 - 1 = 0.450853 - 1 at class 3.
    const g = tf.grad((t: tf.Tensor) => tf.sum(perExampleLoss('ce', t as tf.Tensor2D, target.slice([0, 0], [1, 10]) as tf.Tensor2D)))(logits.slice([0, 0], [1, 10])).dataSync();
    expectClose(g, row.map((z, k) => (k === 3 ? 0.4508531 - 1 : 0.0610163)), 1e-6);
    tf.dispose([logits, target]);
  });

  it('accuracy is the share of rows whose largest output is the target class', () => {
    // Predicted classes 7, 2, 9, 0 against targets 7, 2, 1, 0: three of four.
    const prediction = tf.tensor2d(
      [7, 2, 9, 0].map((c) => Array.from({ length: 10 }, (_, k) => (k === c ? 0.5 : 0.05 - k * 0.001))),
    );
    const target = tf.tensor2d(oneHot([7, 2, 1, 0], 10), [4, 10]);
    expect(accuracyOf(prediction, target).dataSync()[0]).toBeCloseTo(0.75, 6);
    tf.dispose([prediction, target]);
  });
});
