import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { dense, denseFixedInput, linear } from '../../src/engine/dense.js';
import { BACKENDS, expectClose } from '../support.js';

/**
 * The hand-written gradients of dense/denseFixedInput/linear must equal what
 * TF.js's own autodiff gives for the same formula. The loss is Σ out ⊙ dy
 * with a random dy, so every upstream gradient entry is different and a
 * transposed or summed-over-the-wrong-axis gradient cannot pass by accident.
 */
const TOL = 1e-5;

describe.each(BACKENDS)('dense layers on %s', (backend) => {
  let x: tf.Tensor2D;
  let w: tf.Tensor2D;
  let b: tf.Tensor1D;
  let dy: tf.Tensor2D;

  beforeAll(async () => {
    await useBackend(backend);
    // Non-square shapes (batch 3, in 4, out 5) so a wrong transpose fails on shape.
    x = tf.randomNormal([3, 4], 0, 1, 'float32', 1) as tf.Tensor2D;
    w = tf.randomNormal([4, 5], 0, 1, 'float32', 2) as tf.Tensor2D;
    b = tf.randomNormal([5], 0, 1, 'float32', 3) as tf.Tensor1D;
    dy = tf.randomNormal([3, 5], 0, 1, 'float32', 4) as tf.Tensor2D;
  });

  afterAll(() => {
    for (const t of [x, w, b, dy]) t.dispose();
  });

  const reference = (xv: tf.Tensor2D, wv: tf.Tensor2D, bv: tf.Tensor1D) => tf.add(tf.matMul(xv, wv), bv) as tf.Tensor2D;

  it('dense computes x·w + b', () => {
    const got = dense(x, w, b);
    const want = reference(x, w, b);
    expect(got.shape).toEqual([3, 5]);
    expectClose(got.dataSync(), want.dataSync(), TOL);
    // One entry by hand: out[0][0] = Σ_k x[0][k]·w[k][0] + b[0].
    const xs = x.arraySync();
    const ws = w.arraySync();
    const bs = b.arraySync();
    const byHand = xs[0].reduce((s, xk, k) => s + xk * ws[k][0], 0) + bs[0];
    expect(got.arraySync()[0][0]).toBeCloseTo(byHand, 5);
    tf.dispose([got, want]);
  });

  it('dense gradients w.r.t. x, w and b equal TF.js autodiff of matMul + add', () => {
    const lossOf = (f: (a: tf.Tensor2D, c: tf.Tensor2D, d: tf.Tensor1D) => tf.Tensor2D) =>
      (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor2D, c as tf.Tensor2D, d as tf.Tensor1D), dy));
    const got = tf.grads(lossOf(dense))([x, w, b]);
    const want = tf.grads(lossOf(reference))([x, w, b]);
    expect(got.map((g) => g.shape)).toEqual([[3, 4], [4, 5], [5]]);
    for (let k = 0; k < 3; k++) expectClose(got[k].dataSync(), want[k].dataSync(), TOL);
    // Independent check of the bias gradient: it is the column sums of dy.
    const dys = dy.arraySync();
    const colSums = dys[0].map((_, j) => dys.reduce((s, row) => s + row[j], 0));
    expectClose(got[2].dataSync(), colSums, TOL);
    tf.dispose([...got, ...want]);
  });

  it('dense with weights in a variable: the gradients of an input made inside the gradient scope, as a backprop network takes them', () => {
    const wv = tf.variable(w.clone(), true, `dense-var-w-${backend}`);
    const bv = tf.variable(b.clone(), true, `dense-var-b-${backend}`);
    const x0 = tf.variable(x.clone(), true, `dense-var-x-${backend}`);
    // x is freed when the forward pass ends: the gradient must use what dense kept of it, and the variable's weights.
    const lossOf = (f: typeof dense) => () => tf.sum(tf.mul(f(tf.relu(x0) as tf.Tensor2D, wv, bv), dy)) as tf.Scalar;
    const got = tf.variableGrads(lossOf(dense), [x0, wv, bv]).grads;
    const want = tf.variableGrads(lossOf(reference as typeof dense), [x0, wv, bv]).grads;
    for (const v of [x0, wv, bv]) expectClose(got[v.name].dataSync(), want[v.name].dataSync(), TOL);
    tf.dispose([wv, bv, x0, ...Object.values(got), ...Object.values(want)]);
  });

  it('denseFixedInput gives the same value and the same w/b gradients as dense', () => {
    const value = denseFixedInput(x, w, b);
    const want = reference(x, w, b);
    expectClose(value.dataSync(), want.dataSync(), TOL);
    const got = tf.grads((wv: tf.Tensor, bv: tf.Tensor) => tf.sum(tf.mul(denseFixedInput(x, wv as tf.Tensor2D, bv as tf.Tensor1D), dy)))([w, b]);
    const ref = tf.grads((wv: tf.Tensor, bv: tf.Tensor) => tf.sum(tf.mul(reference(x, wv as tf.Tensor2D, bv as tf.Tensor1D), dy)))([w, b]);
    expect(got.map((g) => g.shape)).toEqual([[4, 5], [5]]);
    expectClose(got[0].dataSync(), ref[0].dataSync(), TOL);
    expectClose(got[1].dataSync(), ref[1].dataSync(), TOL);
    tf.dispose([value, want, ...got, ...ref]);
  });

  it('denseFixedInput gradients through tf.variableGrads (how the schedules call it)', () => {
    const wv = tf.variable(w.clone(), true, `dense-test-w-${backend}`);
    const bv = tf.variable(b.clone(), true, `dense-test-b-${backend}`);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(denseFixedInput(x, wv, bv), dy)), [wv, bv]);
    const ref = tf.grads((a: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(reference(x, a as tf.Tensor2D, c as tf.Tensor1D), dy)))([w, b]);
    expectClose(grads[wv.name].dataSync(), ref[0].dataSync(), TOL);
    expectClose(grads[bv.name].dataSync(), ref[1].dataSync(), TOL);
    tf.dispose([wv, bv, ...Object.values(grads), ...ref]);
  });

  it('linear computes x·w and its gradients equal TF.js autodiff of matMul', () => {
    const value = linear(x, w);
    const want = tf.matMul(x, w);
    expectClose(value.dataSync(), want.dataSync(), TOL);
    const got = tf.grads((a: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(linear(a as tf.Tensor2D, c as tf.Tensor2D), dy)))([x, w]);
    const ref = tf.grads((a: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(tf.matMul(a as tf.Tensor2D, c as tf.Tensor2D), dy)))([x, w]);
    expect(got.map((g) => g.shape)).toEqual([[3, 4], [4, 5]]);
    expectClose(got[0].dataSync(), ref[0].dataSync(), TOL);
    expectClose(got[1].dataSync(), ref[1].dataSync(), TOL);
    tf.dispose([value, want, ...got, ...ref]);
  });

  it('dense works for a batch of one and a single output', () => {
    // [1, 2]·[[3], [4]] + [0.5] = 1·3 + 2·4 + 0.5 = 11.5; d/dx = w^T = [3, 4]; d/dw = x^T = [[1], [2]]; d/db = [1].
    const xv = tf.tensor2d([[1, 2]]);
    const wv = tf.tensor2d([[3], [4]]);
    const bv = tf.tensor1d([0.5]);
    const out = dense(xv, wv, bv);
    expect(Array.from(out.dataSync())).toEqual([11.5]);
    const [gx, gw, gb] = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(dense(a as tf.Tensor2D, c as tf.Tensor2D, d as tf.Tensor1D)))([xv, wv, bv]);
    expect(Array.from(gx.dataSync())).toEqual([3, 4]);
    expect(Array.from(gw.dataSync())).toEqual([1, 2]);
    expect(Array.from(gb.dataSync())).toEqual([1]);
    tf.dispose([xv, wv, bv, out, gx, gw, gb]);
  });
});
