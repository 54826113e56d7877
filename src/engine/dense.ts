import { tf } from './backend.js';

type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

/**
 * `x · w + b` for `x` [batch, in], `w` [in, out], `b` [out].
 *
 * The weights are held as [in, out] so the forward product needs no transpose.
 * The gradient is written by hand with explicit transposes: TF.js's own
 * matMul gradient passes transpose flags to the backend, and wasm's XNNPACK
 * runs a transposed operand about 20× slower than a plain one (see
 * ARCHITECTURE.md). The values are the same as the built-in gradient's.
 * On the native backend the BLAS takes the transpose flags at full speed, so
 * there the products pass flags and no transposed copy is made, and the
 * bias is added inside the product (TF.js's fused matMul).
 */
export const dense: (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D = tf.customGrad(
  // customGrad's typing does not know the arity; the casts only restate the signature above.
  ((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    // `save` copies what it keeps (TF.js frees the forward pass's tensors before the backward runs).
    // Weights held in a variable outlive the gradient and change only after it, so they are not
    // copied: 4 MiB a step for a 1024×1024 layer.
    const wIsVariable = w instanceof tf.Variable;
    save(wIsVariable ? [x] : [x, w]);
    return {
      value: affine(x, w, b),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const sx = saved[0] as tf.Tensor2D;
        const sw = wIsVariable ? w : (saved[1] as tf.Tensor2D);
        return [timesTransposed(dy, sw), transposedTimes(sx, dy), columnSums(dy)];
      },
    };
  }) as unknown as CustomGradientFunc,
) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/**
 * `x · w + b` differentiated only with respect to `w` and `b`. A block that
 * learns locally never needs the gradient of its input (the input is
 * another block's frozen output or the data), and skipping it saves a third
 * of the backward pass's multiply-adds.
 */
export function denseFixedInput(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  // Nothing saved: the gradient needs only x, which the caller holds (a saved tensor costs TF.js a copy).
  const op = tf.customGrad(((wv: tf.Tensor2D, bv: tf.Tensor1D) => {
    return {
      value: affine(x, wv, bv),
      gradFunc: (dy: tf.Tensor2D) => [transposedTimes(x, dy), columnSums(dy)],
    };
  }) as unknown as CustomGradientFunc) as unknown as (w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
  return op(w, b);
}

/** Whether the active backend multiplies transposed operands as fast as plain ones: the BLAS does, XNNPACK does not. */
function transposeFlagsAreFast(): boolean {
  return tf.getBackend() === 'native';
}

/**
 * `x · w + b`, as one fused product on the native backend. The kernel is
 * called directly: `tf.fused.matMul` reshapes both operands to a batch of
 * one and the product back (36 of the 328 kernels of a local-parallel epoch
 * of the protocol on native) and wraps it in a gradient of its own, which
 * is never used here (the callers' custom gradients replace it). The same
 * kernel on the same data gives the same numbers.
 */
function affine(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  if (!transposeFlagsAreFast()) return tf.add(tf.matMul(x, w), b) as tf.Tensor2D;
  return tf.engine().runKernel('_FusedMatMul', { a: x, b: w, bias: b }, { transposeA: false, transposeB: false, activation: 'linear' }) as tf.Tensor2D;
}

/** `a · bᵀ`. */
function timesTransposed(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return transposeFlagsAreFast() ? tf.matMul(a, b, false, true) : tf.matMul(a, tf.transpose(b));
}

/** `aᵀ · b`. */
function transposedTimes(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return transposeFlagsAreFast() ? tf.matMul(a, b, true, false) : tf.matMul(tf.transpose(a), b);
}

/** Σ over rows as a product with a row of ones: XNNPACK runs it several times faster than a column sum. */
function columnSums(dy: tf.Tensor2D): tf.Tensor1D {
  return tf.reshape(tf.matMul(tf.ones([1, dy.shape[0]]), dy), [dy.shape[1]]);
}

/** `x · w` without bias (the decoders), with the same fast gradient. */
export const linear: (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(
  ((x: tf.Tensor2D, w: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([x, w]);
    return {
      value: tf.matMul(x, w),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
        return [timesTransposed(dy, sw), transposedTimes(sx, dy)];
      },
    };
  }) as unknown as CustomGradientFunc,
) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;
