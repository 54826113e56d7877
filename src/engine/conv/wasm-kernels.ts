// tfjs-core itself, not ../backend.js: backend.ts imports this file to register the kernels.
import * as tf from '@tensorflow/tfjs-core';
import { convGeometry, gradientPatchLength, patchLength, rowsPerChunk, unsupported, type ConvAttrs } from './geometry.js';
import { flipFilter } from './patches.js';
import { gatherers } from './simd-patches.js';
import { registerPoolGradients } from './pool-kernels.js';

/**
 * The convolution gradients of the wasm backend, as patch matrices
 * (./patches.ts) times wasm's own matrix product (XNNPACK). TF.js 4.22's
 * wasm backend has no `Conv2DBackpropFilter` at all, and its
 * `Conv2DBackpropInput` is a plain loop: 1.3 s for a batch of 128 28×28
 * images 32→32 channels, where this one takes about 0.1 s
 * (docs/engine-notes.md). The forward `Conv2D` stays XNNPACK's. Nothing here
 * uses Node, so a browser's wasm backend gets the same kernels.
 *
 * XNNPACK keeps the weights it packed for the second operand of a product
 * by that tensor's id, so the second operand is never a buffer rewritten
 * between products: a constant (the flipped filter) or a fresh tensor.
 */

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: tf.DataId): boolean;
}

const WASM = 'wasm';

function view(heap: WasmBackend, info: tf.TensorInfo): Float32Array {
  return heap.typedArrayFromHeap(info) as Float32Array;
}

/** The first `rows` rows of a scratch tensor, as the operand of a product (the same data, another shape). */
function rowsOf(info: tf.TensorInfo, rows: number, columns: number): tf.TensorInfo {
  return { dataId: info.dataId, shape: [rows, columns], dtype: info.dtype };
}

/** a · b by the wasm backend's own matrix kernel (XNNPACK); a new [m, n] tensor. */
function product(backend: unknown, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  const kernel = tf.getKernel('BatchMatMul', WASM);
  if (!kernel) throw new Error('the wasm backend has no BatchMatMul kernel');
  return kernel.kernelFunc({ inputs: { a, b }, backend: backend as tf.KernelBackend, attrs: { transposeA: false, transposeB: false } }) as tf.TensorInfo;
}

function heapOffset(heap: WasmBackend, info: tf.TensorInfo): { all: Float32Array; at: number } {
  const v = view(heap, info);
  return { all: new Float32Array(v.buffer), at: v.byteOffset / 4 };
}

/**
 * `Conv2DBackpropInput` (NHWC, no dilation): dx's rows, a chunk at a time,
 * are the output gradient's patches times the flipped filter; other calls
 * go to wasm's own kernel.
 */
export function wasmConv2dBackpropInputKernel(fallback: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const heap = args.backend as WasmBackend;
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
    if (unsupported(attrs) || dy.dtype !== 'float32' || filter.dtype !== 'float32') return fallback(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    const g = convGeometry(attrs.inputShape, filter.shape, attrs);
    const dx = heap.makeOutput([g.batch, g.inHeight, g.inWidth, g.inChannels], 'float32');
    const rows = g.batch * g.inHeight * g.inWidth;
    const n = g.inChannels;
    const k = gradientPatchLength(g);
    if (rows * n === 0) return dx;
    if (k === 0) {
      view(heap, dx).fill(0);
      return dx;
    }
    const flipped = heap.makeOutput([k, n], 'float32');
    const chunk = rowsPerChunk(k, rows);
    const cols = heap.makeOutput([chunk * k], 'float32');
    try {
      flipFilter(view(heap, filter), g, view(heap, flipped));
      for (let first = 0; first < rows; first += chunk) {
        const m = Math.min(chunk, rows - first);
        const source = heapOffset(heap, dy);
        gatherers(heap).gradient(source.all, source.at, g, first, m, heapOffset(heap, cols).at);
        const part = product(args.backend, rowsOf(cols, m, k), flipped);
        // The product allocated: views are taken again.
        view(heap, dx).set(view(heap, part), first * n);
        heap.disposeData(part.dataId);
      }
    } finally {
      heap.disposeData(cols.dataId);
      heap.disposeData(flipped.dataId);
    }
    return dx;
  };
}

/**
 * `Conv2DBackpropFilter` (NHWC, no dilation), which wasm lacks: for each
 * chunk of output positions, the input's patches, written transposed (XNNPACK
 * multiplies a transposed operand an order of magnitude slower), times dy's
 * rows gives the chunk's share of dW, added into it. The patches are the
 * first operand: XNNPACK packs the second anew for every fresh tensor, and
 * dy's rows are a ninth of the patches' size for a 3×3 filter.
 */
export function wasmConv2dBackpropFilterKernel() {
  return (args: KernelArgs): tf.TensorInfo => {
    const heap = args.backend as WasmBackend;
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs & { filterShape: number[] };
    const reason = unsupported(attrs) ?? (x.dtype === 'float32' && dy.dtype === 'float32' ? null : `dtype ${x.dtype}/${dy.dtype} (only float32)`);
    if (reason) throw new Error(`Conv2DBackpropFilter on the wasm backend does not take ${reason}`);
    const g = convGeometry(x.shape, attrs.filterShape, attrs);
    const dwInfo = heap.makeOutput([...attrs.filterShape], 'float32');
    const rows = g.batch * g.outHeight * g.outWidth;
    const k = patchLength(g);
    const n = g.outChannels;
    if (k * n === 0) return dwInfo;
    view(heap, dwInfo).fill(0);
    if (rows === 0) return dwInfo;
    const chunk = rowsPerChunk(k, rows);
    const colsT = heap.makeOutput([k * chunk], 'float32');
    try {
      for (let first = 0; first < rows; first += chunk) {
        const m = Math.min(chunk, rows - first);
        // A fresh tensor each chunk: it is the product's second operand, whose packing XNNPACK keeps by id.
        const dyRows = heap.makeOutput([m, n], 'float32');
        const source = heapOffset(heap, x);
        gatherers(heap).inputTransposed(source.all, source.at, g, first, m, heapOffset(heap, colsT).at);
        view(heap, dyRows).set(view(heap, dy).subarray(first * n, (first + m) * n));
        const part = product(args.backend, rowsOf(colsT, k, m), dyRows);
        heap.disposeData(dyRows.dataId);
        const dw = view(heap, dwInfo);
        const p = view(heap, part);
        for (let q = 0; q < k * n; q++) dw[q] += p[q];
        heap.disposeData(part.dataId);
      }
    } finally {
      heap.disposeData(colsT.dataId);
    }
    return dwInfo;
  };
}

let registered = false;

/**
 * Registers a conv net's gradients on the wasm backend (once per thread):
 * the filter gradient it lacks, the input gradient in place of its own (kept
 * as the fallback for NCHW and dilations), and the pooling gradients in
 * place of its wrong ones (./pool-kernels.ts). The native backend copies
 * them from wasm when it registers.
 */
export function registerWasmConvKernels(): void {
  if (registered) return;
  registered = true;
  const own = tf.getKernel('Conv2DBackpropInput', WASM);
  if (own) tf.unregisterKernel('Conv2DBackpropInput', WASM);
  const fallback: tf.KernelFunc =
    own?.kernelFunc ??
    (() => {
      throw new Error('Conv2DBackpropInput on the wasm backend takes NHWC float32 tensors without dilation');
    });
  tf.registerKernel({ ...own, kernelName: 'Conv2DBackpropInput', backendName: WASM, kernelFunc: wasmConv2dBackpropInputKernel(fallback) as tf.KernelFunc });
  if (!tf.getKernel('Conv2DBackpropFilter', WASM)) {
    tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: WASM, kernelFunc: wasmConv2dBackpropFilterKernel() as tf.KernelFunc });
  }
  registerPoolGradients(WASM);
}
