// tfjs-core itself, not ../backend.js: backend.ts imports this file (through ./wasm-kernels.ts) to register the kernels.
import * as tf from '@tensorflow/tfjs-core';

/**
 * The pooling gradients of the wasm and native backends, as loops over the
 * wasm heap (NHWC; channels innermost, so a window's pixels are runs of
 * memory). TF.js 4.22's own are wrong:
 *
 * - wasm's `MaxPoolGrad` drops the gradient of every window whose largest
 *   value is not positive (all negative, or all zero), and gives a tied
 *   window's to its last largest value. Here each window's gradient goes to
 *   its first largest value, as PyTorch and TF.js's cpu backend do.
 * - `AvgPoolGrad` (wasm and cpu) divides by the whole window where the window
 *   overlaps the padding, while the forward `AvgPool` divides by the pixels
 *   inside the image: the gradient is not the forward's. Here it is; windows
 *   without padding go to wasm's own kernel, which is right for them.
 */

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function poolInfo(shape: number[], attrs: PoolAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
}

function floats(backend: HeapBackend, info: tf.TensorInfo): Float32Array {
  if (info.dtype !== 'float32') throw new Error(`pooling gradients take float32 tensors, not ${info.dtype}`);
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** `MaxPoolGrad`: each window's dy added at the window's first largest input, in row-major order. */
export function maxPoolGradKernel(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as HeapBackend;
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const info = poolInfo(input.shape, args.attrs as unknown as PoolAttrs);
  const dxInfo = backend.makeOutput([...input.shape], 'float32');
  const dx = floats(backend, dxInfo);
  const x = floats(backend, input);
  const g = floats(backend, dy);
  dx.fill(0);
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const best = new Float64Array(channels);
  const at = new Int32Array(channels);
  let o = 0;
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const ih0 = oh * strideHeight - top;
      const iLo = Math.max(0, ih0);
      const iHi = Math.min(inHeight, ih0 + filterHeight);
      for (let ow = 0; ow < outWidth; ow++, o += channels) {
        const iw0 = ow * strideWidth - left;
        const jLo = Math.max(0, iw0);
        const jHi = Math.min(inWidth, iw0 + filterWidth);
        if (iLo >= iHi || jLo >= jHi) continue;
        const first = ((n * inHeight + iLo) * inWidth + jLo) * channels;
        for (let c = 0; c < channels; c++) {
          best[c] = x[first + c];
          at[c] = first + c;
        }
        for (let ih = iLo; ih < iHi; ih++) {
          for (let iw = jLo; iw < jHi; iw++) {
            const base = ((n * inHeight + ih) * inWidth + iw) * channels;
            for (let c = 0; c < channels; c++) {
              const v = x[base + c];
              if (v > best[c]) {
                best[c] = v;
                at[c] = base + c;
              }
            }
          }
        }
        for (let c = 0; c < channels; c++) dx[at[c]] += g[o + c];
      }
    }
  }
  return dxInfo;
}

/**
 * `AvgPoolGrad` where windows overlap the padding: each window's dy shared
 * among the pixels inside the image, as the forward averaged them; other
 * calls go to `fallback`.
 */
export function avgPoolGradKernel(fallback: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const backend = args.backend as HeapBackend;
    const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const info = poolInfo(input.shape, args.attrs as unknown as PoolAttrs);
    const { top, left, bottom, right } = info.padInfo;
    if (top === 0 && left === 0 && bottom === 0 && right === 0) return fallback(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    const dxInfo = backend.makeOutput([...input.shape], 'float32');
    const dx = floats(backend, dxInfo);
    const g = floats(backend, dy);
    dx.fill(0);
    const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
    let o = 0;
    for (let n = 0; n < batchSize; n++) {
      for (let oh = 0; oh < outHeight; oh++) {
        const ih0 = oh * strideHeight - top;
        const iLo = Math.max(0, ih0);
        const iHi = Math.min(inHeight, ih0 + filterHeight);
        for (let ow = 0; ow < outWidth; ow++, o += channels) {
          const iw0 = ow * strideWidth - left;
          const jLo = Math.max(0, iw0);
          const jHi = Math.min(inWidth, iw0 + filterWidth);
          const count = Math.max(0, iHi - iLo) * Math.max(0, jHi - jLo);
          if (count === 0) continue;
          const share = 1 / count;
          for (let ih = iLo; ih < iHi; ih++) {
            for (let iw = jLo; iw < jHi; iw++) {
              const base = ((n * inHeight + ih) * inWidth + iw) * channels;
              for (let c = 0; c < channels; c++) dx[base + c] += g[o + c] * share;
            }
          }
        }
      }
    }
    return dxInfo;
  };
}

/**
 * Puts both pooling gradients on `backendName`, in place of the kernels it
 * has (kept as the fallback, with their setup, which binds the wasm
 * functions they call).
 */
export function registerPoolGradients(backendName: string): void {
  const own = tf.getKernel('AvgPoolGrad', backendName);
  const fallback = own?.kernelFunc;
  for (const kernelName of ['MaxPoolGrad', 'AvgPoolGrad']) {
    const existing = tf.getKernel(kernelName, backendName);
    if (existing) tf.unregisterKernel(kernelName, backendName);
    const kernelFunc = kernelName === 'MaxPoolGrad' ? maxPoolGradKernel : avgPoolGradKernel(fallback ?? (() => {
      throw new Error(`the ${backendName} backend has no AvgPoolGrad for windows inside the image`);
    }));
    tf.registerKernel({ ...existing, kernelName, backendName, kernelFunc: kernelFunc as tf.KernelFunc });
  }
}
