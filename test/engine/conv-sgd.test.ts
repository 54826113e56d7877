import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { BACKENDS } from '../support.js';
import { expectTorchClose, fromTorch, pattern, readFixture, toTorch, type SgdFixture } from './conv-support.js';

/**
 * One SGD step of a tiny conv net through `tf.variableGrads`, against the
 * same step in PyTorch (bench/peer/conv_fixtures.py,
 * test/fixtures/torch/conv-sgd-step.json): conv 3×3 2→3 'same' with bias,
 * ReLU, 2×2 max pooling, flatten in PyTorch's C×H×W order, linear 27→2,
 * mean cross-entropy. Before localprop's conv kernels, the step failed on
 * wasm and native (no Conv2DBackpropFilter).
 */
const step = readFixture<SgdFixture>('conv-sgd-step.json');

describe.each(BACKENDS)('an SGD step of a conv net on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it("gives PyTorch's loss, gradients and new conv filters", () => {
    const x = fromTorch(pattern(2 * 2 * 6 * 6, 11), [2, 2, 6, 6], 'activation');
    const convW = tf.variable(fromTorch(pattern(3 * 2 * 3 * 3, 12, 0.5), [3, 2, 3, 3], 'filter'));
    const convB = tf.variable(tf.tensor1d(pattern(3, 13, 0.1)));
    // PyTorch's linear weight is [out, in]; the product here takes [in, out].
    const linW = tf.variable(tf.transpose(tf.tensor2d(pattern(2 * 27, 14, 0.3), [2, 27])));
    const linB = tf.variable(tf.tensor1d(pattern(2, 15, 0.1)));
    const labels = tf.oneHot(tf.tensor1d(step.labels, 'int32'), 2);
    const before = toTorch(convW, 'filter');
    expectTorchClose(before, step.initial['conv.weight']);

    const loss = () =>
      tf.tidy(() => {
        const h = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, convW as tf.Variable<tf.Rank.R4>, 1, 'same'), convB)) as tf.Tensor4D, 2, 2, 'valid');
        const flat = tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [2, 27]);
        return tf.losses.softmaxCrossEntropy(labels, tf.add(tf.matMul(flat, linW), linB)) as tf.Scalar;
      });
    const { value, grads } = tf.variableGrads(loss, [convW, convB, linW, linB]);
    expectTorchClose(value.dataSync(), [step.loss]);
    expectTorchClose(toTorch(grads[convW.name], 'filter'), step.grad['conv.weight']);
    expectTorchClose(grads[convB.name].dataSync(), step.grad['conv.bias']);
    expectTorchClose(tf.transpose(grads[linW.name]).dataSync(), step.grad['linear.weight']);
    expectTorchClose(grads[linB.name].dataSync(), step.grad['linear.bias']);

    tf.train.sgd(step.lr).applyGradients(grads);
    const after = toTorch(convW, 'filter');
    // Every filter weight moved (the smallest gradient here is far above float32 rounding), to PyTorch's new value.
    for (let k = 0; k < after.length; k++) expect(after[k], `weight ${k}`).not.toBe(before[k]);
    expectTorchClose(after, step.after['conv.weight']);
    expectTorchClose(convB.dataSync(), step.after['conv.bias']);
    expectTorchClose(tf.transpose(linW).dataSync(), step.after['linear.weight']);
    tf.dispose([x, convW, convB, linW, linB, labels, value, ...Object.values(grads)]);
  });
});
