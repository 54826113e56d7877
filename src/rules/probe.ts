import { tf } from '../engine/backend.js';
import { check } from '../util/errors.js';

/**
 * Linear probes: how a block's output reads as a prediction when its rule
 * has no read-out of its own (DFA, Forward-Forward). At every evaluation a
 * probe is fitted per block on the first {@link PROBE_ROWS} training rows
 * (file order, so no randomness is involved) by ridge least squares onto
 * the targets (one-hot rows, or the 0/1 target for one output) with a bias
 * column, then scored on the evaluated set. Least squares has one answer,
 * found in closed form: the same parameters always give the same probe.
 */

/** Training rows a probe is fitted on (all of them when the set is smaller). */
export const PROBE_ROWS = 10_000;

/** The ridge, relative to the mean diagonal of the Gram matrix: small enough not to bias a separable fit, large enough to keep dead units solvable. */
export const PROBE_RIDGE = 1e-3;

/**
 * The probe's weights [features + 1, outputs] (the last row is the bias)
 * minimising ‖[h 1]·W − y‖² + λ‖W‖², λ = {@link PROBE_RIDGE}·trace(G)/(features + 1)
 * where G = [h 1]ᵀ[h 1]. The Gram matrix is summed on the backend; the
 * system is solved by Cholesky in float64 on the CPU.
 */
export function fitProbe(h: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
  check(h.shape[0] === y.shape[0] && h.shape[0] > 0, `a probe needs as many target rows as feature rows (got ${h.shape[0]} and ${y.shape[0]})`);
  const d = h.shape[1] + 1;
  const k = y.shape[1];
  const [gram, cross] = tf.tidy(() => {
    const hb = tf.concat([h, tf.ones([h.shape[0], 1])], 1);
    // wasm runs a transposed matMul operand far slower than an explicit transpose.
    const t = tf.transpose(hb);
    return [tf.matMul(t, hb), tf.matMul(t, y)];
  });
  const g = Float64Array.from(gram.dataSync());
  const r = Float64Array.from(cross.dataSync());
  gram.dispose();
  cross.dispose();
  let trace = 0;
  for (let i = 0; i < d; i++) trace += g[i * d + i];
  const ridge = (PROBE_RIDGE * trace) / d || PROBE_RIDGE;
  for (let i = 0; i < d; i++) g[i * d + i] += ridge;
  choleskyInPlace(g, d);
  const w = new Float32Array(d * k);
  const column = new Float64Array(d);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < d; i++) column[i] = r[i * k + c];
    solveCholesky(g, d, column);
    for (let i = 0; i < d; i++) w[i * k + c] = column[i];
  }
  return tf.tensor2d(w, [d, k]);
}

/** What the probe `weight` (from {@link fitProbe}) predicts for features `h`: scores whose argmax (or value ≥ 0.5 for one output) is the class. */
export function applyProbe(h: tf.Tensor2D, weight: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const d = h.shape[1];
    const w = weight.slice([0, 0], [d, -1]);
    const b = weight.slice([d, 0], [1, -1]);
    return tf.add(tf.matMul(h, w), b) as tf.Tensor2D;
  });
}

/** Overwrites the lower triangle of the symmetric positive-definite `a` (d×d, row-major) with L, a = L·Lᵀ. */
function choleskyInPlace(a: Float64Array, d: number): void {
  for (let j = 0; j < d; j++) {
    const rj = j * d;
    let s = a[rj + j];
    for (let k = 0; k < j; k++) s -= a[rj + k] * a[rj + k];
    check(s > 0, 'the probe\'s system is not positive definite; the block\'s output holds non-finite values');
    const ljj = Math.sqrt(s);
    a[rj + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      const ri = i * d;
      let t = a[ri + j];
      for (let k = 0; k < j; k++) t -= a[ri + k] * a[rj + k];
      a[ri + j] = t / ljj;
    }
  }
}

/** Solves L·Lᵀ·x = b in place, L the lower triangle of `l`. */
function solveCholesky(l: Float64Array, d: number, b: Float64Array): void {
  for (let i = 0; i < d; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * d + k] * b[k];
    b[i] = s / l[i * d + i];
  }
  for (let i = d - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < d; k++) s -= l[k * d + i] * b[k];
    b[i] = s / l[i * d + i];
  }
}
