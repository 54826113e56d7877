import { tf } from '../backend.js';
import { runFused, type FusedKernel } from './kernel.js';

const f = Math.fround;

/** PyTorch's floor on the norm in `F.normalize`, squared, as the unfused op compares it (float32). */
const NORM_FLOOR_SQUARED = f(1e-12 ** 2);

/**
 * Mish's tail after wasm's own sigmoid `s` of `z` (the sigmoid stays a TF.js
 * kernel: its polynomial is XNNPACK's, not IEEE arithmetic), optionally
 * followed by row L2-normalisation: `t = a / (2 - a)` with `a = s(2 - s)`,
 * `h = z·t`, and with `normalize` 1, `y = h / max(‖h‖, 1e-12)` as
 * `h · rsqrt(max(Σh², 1e-24))`. The same operations in the same order, row
 * sums left to right, as the unfused ops in `src/model/activations.ts`.
 */
export const mishForwardKernel: FusedKernel = {
  name: 'LocalpropMishForward',
  outputShapes: ([z]) => [z],
  compute({ inputs: [z, s], inputShapes: [[rows, columns]], outputs: [y], attrs: { normalize } }) {
    mishRows(z, s, rows, columns, normalize === 1, y, null, null, null);
  },
};

/**
 * The gradient of {@link mishForwardKernel}'s output for the upstream
 * gradient `g`, from [g, z, s]: through the normalisation
 * (`r·(g - y·Σ(g·y))`, just `r·g` on a clamped row) when `normalize`, then
 * through Mish (`dz = g'·(t + z·s·(1 - t²))`). It recomputes t, y and r from
 * z and s (the same deterministic loop as the forward) rather than having
 * TF.js save and copy them.
 */
export const mishBackwardKernel: FusedKernel = {
  name: 'LocalpropMishBackward',
  outputShapes: ([g]) => [g],
  compute({ inputs: [g, z, s], inputShapes: [[rows, columns]], outputs: [dz], attrs: { normalize } }) {
    const t = new Float32Array(z.length);
    if (normalize === 1) {
      const y = new Float32Array(z.length);
      const r = new Float32Array(rows);
      const unclamped = new Uint8Array(rows);
      mishRows(z, s, rows, columns, true, y, t, r, unclamped);
      for (let i = 0; i < rows; i++) {
        const row = i * columns;
        let along = 0;
        for (let j = 0; j < columns; j++) along = f(along + f(g[row + j] * y[row + j]));
        along = f(along * unclamped[i]);
        const ri = r[i];
        for (let j = 0; j < columns; j++) dz[row + j] = ri * f(g[row + j] - f(y[row + j] * along));
      }
    } else {
      mishRows(z, s, rows, columns, false, dz, t, null, null);
      dz.set(g);
    }
    for (let k = 0; k < dz.length; k++) {
      const tk = t[k];
      dz[k] = dz[k] * f(tk + f(f(z[k] * s[k]) * f(1 - f(tk * tk))));
    }
  },
};

/** The forward loop, writing y, and t, r and unclamped when given. */
function mishRows(
  z: Float32Array,
  s: Float32Array,
  rows: number,
  columns: number,
  normalize: boolean,
  y: Float32Array,
  t: Float32Array | null,
  r: Float32Array | null,
  unclamped: Uint8Array | null,
): void {
  for (let k = 0; k < z.length; k++) {
    const sk = s[k];
    const a = f(sk * f(2 - sk));
    const tk = f(a / f(2 - a));
    if (t) t[k] = tk;
    y[k] = z[k] * tk;
  }
  if (!normalize) return;
  for (let i = 0; i < rows; i++) {
    const row = i * columns;
    let squared = 0;
    for (let j = 0; j < columns; j++) squared = f(squared + f(y[row + j] * y[row + j]));
    if (unclamped) unclamped[i] = squared > NORM_FLOOR_SQUARED ? 1 : 0;
    const ri = rsqrt(Math.max(squared, NORM_FLOOR_SQUARED));
    if (r) r[i] = ri;
    for (let j = 0; j < columns; j++) y[row + j] = y[row + j] * ri;
  }
}

/** wasm's rsqrt: 1 / sqrt(x), each rounded to float32. */
function rsqrt(x: number): number {
  return f(1 / f(Math.sqrt(x)));
}

type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

function mishOp(normalize: boolean): (z: tf.Tensor2D) => tf.Tensor2D {
  const attrs = { normalize: normalize ? 1 : 0 };
  return tf.customGrad(((z: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const s = tf.sigmoid(z);
    save([z, s]);
    return {
      value: runFused(mishForwardKernel, [z, s], attrs)[0] as tf.Tensor2D,
      gradFunc: (g: tf.Tensor2D, [sz, ss]: tf.Tensor[]) => [runFused(mishBackwardKernel, [g, sz, ss], attrs)[0]],
    };
  }) as unknown as CustomGradientFunc) as unknown as (z: tf.Tensor2D) => tf.Tensor2D;
}

/** Mish in one fused kernel after TF.js's sigmoid (and one for its gradient); the numbers of `activations.ts`'s `mish`. */
export const fusedMish = mishOp(false);

/** Mish then row L2-normalisation, fused; the numbers of `normalizeRows(mish(z))`. */
export const fusedMishNormalize = mishOp(true);
