import { tf } from '../backend.js';
import type { Blas } from '../native/blas.js';
import { ACTIVATION_KERNELS, repeatRows, type WasmHeapBackend } from '../native/kernels.js';
import { convGeometry, gradientPatchLength, patchLength, rowsPerChunk, unsupported, type ConvAttrs, type ConvGeometry } from './geometry.js';
import { flipFilter } from './patches.js';
import { gatherers } from './simd-patches.js';

/**
 * Convolution kernels of the native backend: each is a patch matrix
 * (./patches.ts) and one sgemm per chunk of it, the product written straight
 * into the output's rows (NHWC rows are the product's rows). The chunk of
 * patches is a scratch tensor on the wasm heap, so that patches are copied
 * within the heap (by ./simd-patches.ts's WebAssembly, or `copyWithin`); it
 * is allocated after the
 * output and before any view is taken, since an allocation may grow the heap
 * and detach older views.
 */

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

function view(heap: WasmHeapBackend, info: tf.TensorInfo): Float32Array {
  return heap.typedArrayFromHeap(info) as Float32Array;
}

/** The whole heap as floats, and where a tensor's view starts in it. */
function floatsAt(v: Float32Array): { all: Float32Array; at: number } {
  return { all: new Float32Array(v.buffer), at: v.byteOffset / 4 };
}

/** Whether the input itself is the patch matrix: a 1×1 filter at stride 1 without padding. */
function patchesAreInput(g: ConvGeometry): boolean {
  return g.filterHeight === 1 && g.filterWidth === 1 && g.strideHeight === 1 && g.strideWidth === 1 && g.padTop === 0 && g.padLeft === 0;
}

function allFloat32(...infos: (tf.TensorInfo | undefined)[]): boolean {
  return infos.every((t) => t === undefined || t.dtype === 'float32');
}

/**
 * Calls `each` for every chunk of `totalRows` patch rows of `rowLength`
 * floats, with the chunk's first row, its row count, the scratch as a view
 * of that many rows, and the whole heap with the scratch's first float in
 * it; `views()` takes every other view the loop needs, once the scratch is
 * allocated.
 */
function inChunks(heap: WasmHeapBackend, rowLength: number, totalRows: number, views: () => void, each: (first: number, rows: number, cols: Float32Array, all: Float32Array, colsAt: number) => void): void {
  const chunk = rowsPerChunk(rowLength, totalRows);
  const scratch = heap.makeOutput([chunk * rowLength], 'float32');
  try {
    views();
    const cols = view(heap, scratch);
    const { all, at } = floatsAt(cols);
    for (let first = 0; first < totalRows; first += chunk) {
      const rows = Math.min(chunk, totalRows - first);
      each(first, rows, cols.subarray(0, rows * rowLength), all, at);
    }
  } finally {
    heap.disposeData(scratch.dataId);
  }
}

/** out (rows of the output, NHWC) = beta·out + patches(x) · filter; `views` gives x, filter and out on the settled heap. */
function forwardInto(blas: Blas, heap: WasmHeapBackend, g: ConvGeometry, views: () => { x: Float32Array; filter: Float32Array; out: Float32Array }, beta: number): void {
  const rows = g.batch * g.outHeight * g.outWidth;
  const k = patchLength(g);
  const n = g.outChannels;
  if (rows === 0 || n === 0) return;
  if (k === 0) {
    if (beta === 0) views().out.fill(0);
    return;
  }
  if (patchesAreInput(g)) {
    const { x, filter, out } = views();
    blas.sgemm(false, false, rows, n, k, 1, x, k, filter, n, beta, out, n);
    return;
  }
  let v!: ReturnType<typeof views>;
  const gather = gatherers(heap).input;
  inChunks(heap, k, rows, () => (v = views()), (first, m, cols, all, colsAt) => {
    gather(all, v.x.byteOffset / 4, g, first, m, colsAt);
    blas.sgemm(false, false, m, n, k, 1, cols, k, v.filter, n, beta, v.out.subarray(first * n, (first + m) * n), n);
  });
}

/** `Conv2D` (NHWC, no dilation) as patches times the filter; other calls go to the wasm kernel. */
export function conv2dKernel(blas: Blas, fallback: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const heap = args.backend as WasmHeapBackend;
    const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs;
    if (unsupported(attrs) || !allFloat32(x, filter)) return fallback(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    const g = convGeometry(x.shape, filter.shape, attrs);
    const out = heap.makeOutput([g.batch, g.outHeight, g.outWidth, g.outChannels], 'float32');
    forwardInto(blas, heap, g, () => ({ x: view(heap, x), filter: view(heap, filter), out: view(heap, out) }), 0);
    return out;
  };
}

/**
 * `FusedConv2D` (conv + bias + activation): the bias is written into the
 * output rows and the product added onto it, then the activation runs as
 * the backend's own kernel, as the native `_FusedMatMul` does. A bias of
 * another shape than [out] or one value goes to the wasm kernel.
 */
export function fusedConv2dKernel(blas: Blas, backendName: string, fallback: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const heap = args.backend as WasmHeapBackend;
    const { x, filter, bias, preluActivationWeights } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs & { activation?: string; leakyreluAlpha?: number };
    const activation = String(attrs.activation ?? 'linear');
    const activationKernel = activation === 'linear' ? undefined : ACTIVATION_KERNELS[activation];
    const biasSize = bias ? bias.shape.reduce((p, d) => p * d, 1) : 0;
    const outChannels = filter.shape[3];
    const plainBias = !bias || biasSize === 1 || (biasSize === outChannels && bias.shape[bias.shape.length - 1] === outChannels);
    if (unsupported(attrs) || !allFloat32(x, filter, bias) || !plainBias || (activation !== 'linear' && !activationKernel)) {
      return fallback(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    }
    const g = convGeometry(x.shape, filter.shape, attrs);
    const product = heap.makeOutput([g.batch, g.outHeight, g.outWidth, g.outChannels], 'float32');
    if (bias) {
      const out = view(heap, product);
      const b = view(heap, bias);
      if (biasSize === 1) out.fill(b[0]);
      else repeatRows(out, b);
    }
    forwardInto(blas, heap, g, () => ({ x: view(heap, x), filter: view(heap, filter), out: view(heap, product) }), bias ? 1 : 0);
    if (!activationKernel) return product;
    const kernel = tf.getKernel(activationKernel, backendName);
    if (!kernel) throw new Error(`the native backend has no ${activationKernel} kernel for FusedConv2D`);
    const inputs: tf.NamedTensorInfoMap = activation === 'prelu' ? { x: product, alpha: preluActivationWeights! } : { x: product };
    const activationAttrs: tf.NamedAttrMap = activation === 'leakyrelu' ? { alpha: Number(attrs.leakyreluAlpha ?? 0.2) } : {};
    const result = kernel.kernelFunc({ inputs, backend: args.backend as tf.KernelBackend, attrs: activationAttrs }) as tf.TensorInfo;
    heap.disposeData(product.dataId);
    return result;
  };
}

/**
 * `Conv2DBackpropInput`: dx = patches(dy) · the flipped filter (a
 * convolution of dy, the strides becoming gaps of zeros), one input row per
 * patch row, so dx is written once and never accumulated.
 */
export function conv2dBackpropInputKernel(blas: Blas, fallback: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const heap = args.backend as WasmHeapBackend;
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
    if (unsupported(attrs) || !allFloat32(dy, filter)) return fallback(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    const g = convGeometry(attrs.inputShape, filter.shape, attrs);
    const dxInfo = heap.makeOutput([g.batch, g.inHeight, g.inWidth, g.inChannels], 'float32');
    const rows = g.batch * g.inHeight * g.inWidth;
    const n = g.inChannels;
    const k = gradientPatchLength(g);
    if (rows * n === 0) return dxInfo;
    if (k === 0) {
      view(heap, dxInfo).fill(0);
      return dxInfo;
    }
    if (patchesAreInput(g)) {
      // dx = dy · filterᵀ, the filter being [in, out].
      blas.sgemm(false, true, rows, n, k, 1, view(heap, dy), k, view(heap, filter), k, 0, view(heap, dxInfo), n);
      return dxInfo;
    }
    const flipped = new Float32Array(k * n);
    flipFilter(view(heap, filter), g, flipped);
    let dx!: Float32Array;
    let dyAt = 0;
    const gather = gatherers(heap).gradient;
    inChunks(heap, k, rows, () => ((dx = view(heap, dxInfo)), (dyAt = view(heap, dy).byteOffset / 4)), (first, m, cols, all, colsAt) => {
      gather(all, dyAt, g, first, m, colsAt);
      blas.sgemm(false, false, m, n, k, 1, cols, k, flipped, n, 0, dx.subarray(first * n, (first + m) * n), n);
    });
    return dxInfo;
  };
}

/** `Conv2DBackpropFilter`: dW = Σ over chunks of patches(x)ᵀ · dy's rows, sgemm accumulating into dW. */
export function conv2dBackpropFilterKernel(blas: Blas) {
  return (args: KernelArgs): tf.TensorInfo => {
    const heap = args.backend as WasmHeapBackend;
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs & { filterShape: number[] };
    const reason = unsupported(attrs) ?? (allFloat32(x, dy) ? null : `dtype ${x.dtype}/${dy.dtype} (only float32)`);
    if (reason) throw new Error(`Conv2DBackpropFilter on the native backend does not take ${reason}`);
    const g = convGeometry(x.shape, attrs.filterShape, attrs);
    const dwInfo = heap.makeOutput([...attrs.filterShape], 'float32');
    const rows = g.batch * g.outHeight * g.outWidth;
    const k = patchLength(g);
    const n = g.outChannels;
    if (k * n === 0) return dwInfo;
    if (rows === 0) {
      view(heap, dwInfo).fill(0);
      return dwInfo;
    }
    if (patchesAreInput(g)) {
      blas.sgemm(true, false, k, n, rows, 1, view(heap, x), k, view(heap, dy), n, 0, view(heap, dwInfo), n);
      return dwInfo;
    }
    let dw!: Float32Array;
    let dyv!: Float32Array;
    let xAt = 0;
    const gather = gatherers(heap).input;
    inChunks(heap, k, rows, () => ((dw = view(heap, dwInfo)), (dyv = view(heap, dy)), (xAt = view(heap, x).byteOffset / 4)), (first, m, cols, all, colsAt) => {
      gather(all, xAt, g, first, m, colsAt);
      blas.sgemm(true, false, k, n, m, 1, cols, k, dyv.subarray(first * n, (first + m) * n), n, first === 0 ? 0 : 1, dw, n);
    });
    return dwInfo;
  };
}

/**
 * Puts the conv kernels on `backendName` (the native backend, after it has
 * copied wasm's kernels): each replaces the copy it finds and keeps its
 * setup, which binds the wasm functions the copy, now the fallback for NCHW
 * and dilations, calls. The pooling gradients need nothing here: the copies
 * are localprop's own from wasm (../conv/pool-kernels.ts), already loops
 * over the heap.
 */
export function registerNativeConvKernels(blas: Blas, backendName: string): void {
  const kernels: Record<string, (fallback: tf.KernelFunc) => (args: KernelArgs) => tf.TensorInfo> = {
    Conv2D: (fallback) => conv2dKernel(blas, fallback),
    FusedConv2D: (fallback) => fusedConv2dKernel(blas, backendName, fallback),
    Conv2DBackpropInput: (fallback) => conv2dBackpropInputKernel(blas, fallback),
    Conv2DBackpropFilter: () => conv2dBackpropFilterKernel(blas),
  };
  for (const [kernelName, make] of Object.entries(kernels)) {
    const copied = tf.getKernel(kernelName, backendName);
    const fallback = copied?.kernelFunc ?? unavailable(kernelName);
    if (copied) tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel({ ...copied, kernelName, backendName, kernelFunc: make(fallback) as tf.KernelFunc });
  }
}

function unavailable(kernelName: string): tf.KernelFunc {
  return () => {
    throw new Error(`${kernelName} on the native backend takes NHWC float32 tensors without dilation`);
  };
}
