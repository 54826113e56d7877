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
 */
export const dense: (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D = tf.customGrad(
  // customGrad's typing does not know the arity; the casts only restate the signature above.
  ((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    save([x, w]);
    const value = tf.add(tf.matMul(x, w), b) as tf.Tensor2D;
    return {
      value,
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
        return [
          tf.matMul(dy, tf.transpose(sw)),
          tf.matMul(tf.transpose(sx), dy),
          columnSums(dy),
        ];
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
      value: tf.add(tf.matMul(x, wv), bv),
      gradFunc: (dy: tf.Tensor2D) => [tf.matMul(tf.transpose(x), dy), columnSums(dy)],
    };
  }) as unknown as CustomGradientFunc) as unknown as (w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
  return op(w, b);
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
        return [tf.matMul(dy, tf.transpose(sw)), tf.matMul(tf.transpose(sx), dy)];
      },
    };
  }) as unknown as CustomGradientFunc,
) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;
