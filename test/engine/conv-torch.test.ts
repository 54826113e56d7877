import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { BACKENDS, expectClose } from '../support.js';
import { expectTorchClose, fromTorch, pattern, readFixture, toTorch, type ConvFixture, type PoolFixture } from './conv-support.js';

/**
 * The convolution and its two gradients, and the pooling a conv net uses,
 * through TF.js's ops and autodiff (`tf.grads`), against hand values and
 * against PyTorch (bench/peer/conv_fixtures.py, committed in
 * test/fixtures/torch/conv-kernels.json). On wasm and native the
 * gradients are localprop's kernels (src/engine/conv/); cpu, TF.js's own,
 * is a second reference.
 */
const fixtures = readFixture<{ conv: ConvFixture[]; pool: PoolFixture[] }>('conv-kernels.json');

const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);

function describeConv(c: ConvFixture): string {
  const [kh, kw] = pair(c.k);
  return `${c.n}×${c.in}×${c.h}×${c.w} → ${c.out}, ${kh}×${kw}, stride ${pair(c.stride).join('×')}, ${c.padding}`;
}

describe.each(BACKENDS)('conv2d on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('gives hand-computed values and gradients on a 3×3 image and a 2×2 filter', () => {
    // x = 1…9 row by row, filter [[1, 2], [3, 4]], valid, stride 1: y = [[37, 47], [67, 77]];
    // with dy = 1 everywhere, dW[i][j] sums x over the window each tap sees and dx[i][j] sums the taps that see x[i][j].
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const w = tf.tensor4d([1, 2, 3, 4], [2, 2, 1, 1]);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid')))([x, w]);
    expect(Array.from(tf.conv2d(x, w, 1, 'valid').dataSync())).toEqual([37, 47, 67, 77]);
    expect(Array.from(dw.dataSync())).toEqual([12, 16, 24, 28]);
    expect(Array.from(dx.dataSync())).toEqual([1, 3, 2, 4, 10, 6, 3, 7, 4]);
  });

  it("pads 'same' at stride 2 as TF.js does, the odd pixel after", () => {
    // A 4×4 image of ones, a 3×3 filter of ones, stride 2: out 2×2 and a total padding of 1 per dimension, all of
    // it after (bottom, right). The first window covers rows 0-2 and cols 0-2 (9 ones), the last rows 2-3 × cols 2-3.
    const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
    const w = tf.ones([3, 3, 1, 1]) as tf.Tensor4D;
    expect(Array.from(tf.conv2d(x, w, 2, 'same').dataSync())).toEqual([9, 6, 6, 4]);
    // Each pixel's gradient counts the windows over it: rows (and cols) 0, 1, 3 lie in one window row, row 2 in two.
    const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, w, 2, 'same')))(x);
    expect(Array.from(dx.dataSync())).toEqual([1, 1, 2, 1, 1, 1, 2, 1, 2, 2, 4, 2, 1, 1, 2, 1]);
    const dw = tf.grad((b: tf.Tensor) => tf.sum(tf.conv2d(x, b as tf.Tensor4D, 2, 'same')))(w);
    // Tap (i, j) sees pixels (2r + i, 2c + j) for r, c in {0, 1}, those at 4 being padding.
    expect(Array.from(dw.dataSync())).toEqual([4, 4, 2, 4, 4, 2, 2, 2, 1]);
  });

  it.each(fixtures.conv.map((c) => [describeConv(c), c] as const))('matches PyTorch: %s', (_, c) => {
    const [kh, kw] = pair(c.k);
    const x = fromTorch(pattern(c.n * c.in * c.h * c.w, 1), [c.n, c.in, c.h, c.w], 'activation');
    const w = fromTorch(pattern(c.out * c.in * kh * kw, 2, 0.5), [c.out, c.in, kh, kw], 'filter');
    const dy = fromTorch(pattern(c.outShape.reduce((p, d) => p * d, 1), 3), c.outShape, 'activation');
    const strides = pair(c.stride);
    const y = tf.conv2d(x, w, strides, c.padding);
    expect(y.shape).toEqual([c.outShape[0], c.outShape[2], c.outShape[3], c.outShape[1]]);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, c.padding), dy)))([x, w]);
    expectTorchClose(toTorch(y, 'activation'), c.y);
    expectTorchClose(toTorch(dx, 'activation'), c.dx);
    expectTorchClose(toTorch(dw, 'filter'), c.dw);
    tf.dispose([x, w, dy, y, dx, dw]);
  });
});

describe.each(BACKENDS)('pooling on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('max and average pooling by hand on a 2×3 image, 2×2 windows, stride 2', () => {
    // 'valid' keeps one window (cols 0-1); 'same' pads one column on the right, which averages count out.
    const x = tf.tensor4d([1, 5, 2, 4, 3, 6], [1, 2, 3, 1]);
    expect(Array.from(tf.maxPool(x, 2, 2, 'valid').dataSync())).toEqual([5]);
    expect(Array.from(tf.avgPool(x, 2, 2, 'same').dataSync())).toEqual([3.25, 4]);
    const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 2, 2, 'same')))(x);
    expect(Array.from(dx.dataSync())).toEqual([0, 1, 0, 0, 0, 1]);
  });

  it("max pooling's gradient goes to each window's first largest value, negative or tied", () => {
    // Windows [-1, -5, -5, -5] and [-2, -3, -4, -6] (maxima -1 and -2, top-left), a window of zeros as a ReLU
    // leaves them (its first pixel takes the gradient, as in PyTorch), and [7, 1, 2, 3]. TF.js 4.22's wasm kernel
    // dropped the gradients of the second and third.
    const x = tf.tensor4d([-1, -5, -2, -3, -5, -5, -4, -6, 0, 0, 7, 1, 0, 0, 2, 3], [1, 4, 4, 1]);
    const dy = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), dy)))(x);
    expect(Array.from(dx.dataSync())).toEqual([1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0]);
  });

  // TF.js's cpu AvgPoolGrad divides by the whole window (0.25 everywhere here): not localprop's kernel, not checked.
  it.skipIf(backend === 'cpu')("average pooling's gradient over 'same' padding divides by the pixels the forward averaged", () => {
    // 2×3 image, 2×2 windows, stride 2: the second window holds one column (2 pixels), so each of them gets dy/2.
    const x = tf.tensor4d([1, 5, 2, 4, 3, 6], [1, 2, 3, 1]);
    const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.avgPool(a as tf.Tensor4D, 2, 2, 'same')))(x);
    expect(Array.from(dx.dataSync())).toEqual([0.25, 0.25, 0.5, 0.25, 0.25, 0.5]);
  });

  // cpu's average pooling gradient over padding: see above.
  const poolCases = fixtures.pool.filter((c) => !(backend === 'cpu' && c.op === 'avg' && c.padding === 'same'));
  it.each(poolCases.map((c) => [`${c.op} ${c.n}×${c.c}×${c.h}×${c.w}, ${c.k}×${c.k}, stride ${c.stride}, ${c.padding}`, c] as const))('matches PyTorch: %s', (_, c) => {
    const x = fromTorch(pattern(c.n * c.c * c.h * c.w, c.seed), [c.n, c.c, c.h, c.w], 'activation');
    const dy = fromTorch(pattern(c.outShape.reduce((p, d) => p * d, 1), 5), c.outShape, 'activation');
    const pool = (a: tf.Tensor) => (c.op === 'max' ? tf.maxPool(a as tf.Tensor4D, c.k, c.stride, c.padding) : tf.avgPool(a as tf.Tensor4D, c.k, c.stride, c.padding));
    const y = pool(x);
    const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(pool(a), dy)))(x);
    expectTorchClose(toTorch(y, 'activation'), c.y);
    expectTorchClose(toTorch(dx, 'activation'), c.dx);
    tf.dispose([x, dy, y, dx]);
  });
});

describe.each(BACKENDS.filter((b) => b !== 'cpu'))('conv gradients on %s beyond the fixtures', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('a batch whose patches span several chunks equals the cpu backend', async () => {
    // 16 images of 28×28×8 with 3×3 filters: 12544 patch rows of 72 floats, four chunks of 2¹⁸ floats.
    const values = (count: number, seed: number) => pattern(count, seed, 0.5);
    const run = () =>
      tf.tidy(() => {
        const x = tf.tensor4d(values(16 * 28 * 28 * 8, 6), [16, 28, 28, 8]);
        const w = tf.tensor4d(values(3 * 3 * 8 * 8, 7), [3, 3, 8, 8]);
        const dy = tf.tensor4d(values(16 * 28 * 28 * 8, 8), [16, 28, 28, 8]);
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), dy)))([x, w]);
        return grads.map((g) => (g.dataSync() as Float32Array).slice());
      });
    const [dx, dw] = run();
    await useBackend('cpu');
    const [cpuDx, cpuDw] = run();
    await useBackend(backend);
    expectTorchClose(dx, cpuDx);
    expectTorchClose(dw, cpuDw);
  });

  it.each([
    ['a number (PyTorch-style padding=1)', 1, 1],
    ['explicit and uneven', [[0, 0], [1, 2], [0, 1], [0, 0]] as tf.backend_util.ExplicitPadding, 2],
  ] as const)('padding given as %s equals the cpu backend', async (_, pad, stride) => {
    const run = () =>
      tf.tidy(() => {
        const x = tf.tensor4d(pattern(2 * 7 * 6 * 3, 12), [2, 7, 6, 3]);
        const w = tf.tensor4d(pattern(3 * 3 * 3 * 4, 13), [3, 3, 3, 4]);
        const y = tf.conv2d(x, w, stride, pad);
        const dy = tf.tensor(pattern(y.size, 14), y.shape);
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), dy)))([x, w]);
        return [y, ...grads].map((t) => (t.dataSync() as Float32Array).slice());
      });
    const got = run();
    await useBackend('cpu');
    const want = run();
    await useBackend(backend);
    for (let i = 0; i < 3; i++) expectTorchClose(got[i], want[i]);
  });

  it('refuses a filter gradient it cannot compute, in one line that says what it takes', () => {
    const x = tf.zeros([1, 2, 4, 4]);
    const dy = tf.zeros([1, 3, 2, 2]);
    expect(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'valid', dataFormat: 'NCHW', filterShape: [3, 3, 2, 3] })).toThrow(
      /^Conv2DBackpropFilter on the \w+ backend does not take data format NCHW \(only NHWC\)$/,
    );
  });

  it('a 1×1 filter at stride 1, whose patches are the input itself, and an empty batch', () => {
    const x = tf.tensor4d(pattern(2 * 3 * 3 * 4, 9), [2, 3, 3, 4]);
    const w = tf.tensor4d(pattern(4 * 5, 10), [1, 1, 4, 5]);
    const dy = tf.tensor4d(pattern(2 * 3 * 3 * 5, 11), [2, 3, 3, 5]);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid'), dy)))([x, w]);
    // A 1×1 convolution is a product of the [18, 4] pixel rows with the [4, 5] filter.
    const rows = tf.reshape(x, [18, 4]);
    const dyRows = tf.reshape(dy, [18, 5]);
    expectClose(dx.dataSync(), tf.matMul(dyRows, tf.reshape(w, [4, 5]), false, true).dataSync(), 1e-6, 1e-6);
    expectClose(dw.dataSync(), tf.matMul(rows, dyRows, true, false).dataSync(), 1e-6, 1e-6);
    const none = tf.zeros([0, 5, 5, 2]) as tf.Tensor4D;
    const dwNone = tf.grad((b: tf.Tensor) => tf.sum(tf.conv2d(none, b as tf.Tensor4D, 1, 'same')))(tf.ones([3, 3, 2, 2]));
    expect(Array.from(dwNone.dataSync())).toEqual(new Array(36).fill(0));
  });
});
