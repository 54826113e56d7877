import { tf } from '../backend.js';
import type { Blas } from './blas.js';

/**
 * The kernels the native backend runs on the BLAS instead of the wasm
 * module. Operands stay on the wasm heap: each kernel allocates its output
 * first (allocation may grow the heap, which detaches older views) and only
 * then takes Float32Array views of every operand, which koffi passes to the
 * library as plain pointers.
 */

/** The parts of TF.js's wasm backend these kernels use (its class is not exported by name). */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: tf.DataId): boolean;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/** A float32 view of a tensor's data on the heap, with its own shape (a reshape shares data). */
function floats(backend: WasmHeapBackend, info: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

function requireFloat32(kernel: string, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) {
    if (info.dtype !== 'float32') throw new Error(`${kernel} on the native backend takes float32 tensors, not ${info.dtype}`);
  }
}

/** The flat batch index of a broadcast operand for each output batch index (NumPy's rules on the leading dims). */
function batchIndices(outer: number[], operandOuter: number[]): number[] {
  const total = outer.reduce((p, d) => p * d, 1);
  const offset = outer.length - operandOuter.length;
  const index: number[] = new Array(total);
  for (let flat = 0; flat < total; flat++) {
    let rest = flat;
    let source = 0;
    let stride = 1;
    for (let d = outer.length - 1; d >= 0; d--) {
      const coordinate = rest % outer[d];
      rest = (rest - coordinate) / outer[d];
      const od = d - offset;
      if (od >= 0) {
        const size = operandOuter[od];
        source += (size === 1 ? 0 : coordinate) * stride;
        stride *= size;
      }
    }
    index[flat] = source;
  }
  return index;
}

interface ProductShape {
  outShape: number[];
  m: number;
  n: number;
  k: number;
  aIndex: number[];
  bIndex: number[];
}

/** Shapes of `op(a)·op(b)` over broadcast leading dims, checked like TF.js's own kernels. */
function productShape(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): ProductShape {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) throw new Error(`matMul on the native backend needs rank ≥ 2 operands, got shapes ${a.shape} and ${b.shape}`);
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const kA = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (kA !== kB) {
    throw new Error(`Error in matMul: inner shapes (${kA}) and (${kB}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
  }
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  return { outShape: [...outer, m, n], m, n, k: kA, aIndex: batchIndices(outer, outerA), bIndex: batchIndices(outer, outerB) };
}

/**
 * `out[i] = beta·out[i] + op(a[i])·op(b[i])` for every batch `i`, one sgemm
 * each. With beta 0 the output's old contents are ignored (BLAS semantics).
 */
function multiplyInto(blas: Blas, s: ProductShape, a: Float32Array, b: Float32Array, out: Float32Array, transposeA: boolean, transposeB: boolean, beta: number): void {
  const { m, n, k } = s;
  const outSize = m * n;
  if (outSize === 0) return;
  if (k === 0) {
    // An empty sum: BLAS would reject lda = 0, and the product is all zeros.
    if (beta === 0) out.fill(0);
    return;
  }
  const aSize = m * k;
  const bSize = k * n;
  // Leading dimensions of row-major storage: the stored row length, at least 1.
  const lda = Math.max(1, transposeA ? m : k);
  const ldb = Math.max(1, transposeB ? k : n);
  for (let i = 0; i < s.aIndex.length; i++) {
    const ai = s.aIndex[i] * aSize;
    const bi = s.bIndex[i] * bSize;
    blas.sgemm(transposeA, transposeB, m, n, k, 1, a.subarray(ai, ai + aSize), lda, b.subarray(bi, bi + bSize), ldb, beta, out.subarray(i * outSize, (i + 1) * outSize), n);
  }
}

/**
 * Fills `out` with copies of `row`: one `set`, then the filled part doubled
 * by `copyWithin` (a memmove), log₂(rows) calls in all. A `set` per row is
 * a thousand calls for the protocol's 1000 points: 11-12 µs here whatever
 * the width, against 3.5 µs doubling for 1000 rows of 100 and 0.5 µs for
 * 1000 of 10 (the product itself takes 5-20 µs).
 */
export function repeatRows(out: Float32Array, row: Float32Array): void {
  if (out.length === 0) return;
  out.set(row);
  for (let filled = row.length; filled < out.length; filled *= 2) out.copyWithin(filled, 0, Math.min(filled, out.length - filled));
}

/** TF.js's `BatchMatMul` on the BLAS: the transpose flags go to sgemm, so no operand is ever copied. */
export function batchMatMulKernel(blas: Blas) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo => {
    const heap = backend as WasmHeapBackend;
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const transposeA = Boolean(attrs?.transposeA);
    const transposeB = Boolean(attrs?.transposeB);
    requireFloat32('BatchMatMul', a, b);
    const shape = productShape(a, b, transposeA, transposeB);
    const out = heap.makeOutput(shape.outShape, 'float32');
    multiplyInto(blas, shape, floats(heap, a), floats(heap, b), floats(heap, out), transposeA, transposeB, 0);
    return out;
  };
}

/** The activation kernels `_FusedMatMul` may name, with their own attributes (TF.js's fused_util names). */
export const ACTIVATION_KERNELS: Record<string, string> = { relu: 'Relu', relu6: 'Relu6', prelu: 'Prelu', leakyrelu: 'LeakyRelu', sigmoid: 'Sigmoid', elu: 'Elu' };

/**
 * TF.js's `_FusedMatMul` (matMul + bias + activation): the bias is written
 * into the output rows and sgemm adds the product onto it (beta 1); the
 * activation then runs as the backend's own kernel for it.
 */
export function fusedMatMulKernel(blas: Blas, backendName: string) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo => {
    const heap = backend as WasmHeapBackend;
    const { a, b, bias, preluActivationWeights } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
    const transposeA = Boolean(attrs?.transposeA);
    const transposeB = Boolean(attrs?.transposeB);
    const activation = String(attrs?.activation ?? 'linear');
    requireFloat32('_FusedMatMul', a, b, ...(bias ? [bias] : []));
    const activationKernel = activation === 'linear' ? undefined : ACTIVATION_KERNELS[activation];
    if (activation !== 'linear' && activationKernel === undefined) throw new Error(`${activation} activation is not supported by _FusedMatMul on the native backend`);
    const shape = productShape(a, b, transposeA, transposeB);
    const product = heap.makeOutput(shape.outShape, 'float32');
    const out = floats(heap, product);
    let beta = 0;
    if (bias) {
      const bv = floats(heap, bias);
      if (bv.length === shape.n) {
        repeatRows(out, bv);
      } else if (bv.length === 1) {
        out.fill(bv[0]);
      } else {
        throw new Error(`_FusedMatMul on the native backend takes a bias of ${shape.n} or 1 values, not shape ${bias.shape}`);
      }
      beta = 1;
    }
    multiplyInto(blas, shape, floats(heap, a), floats(heap, b), out, transposeA, transposeB, beta);
    if (!activationKernel) return product;
    const kernel = tf.getKernel(activationKernel, backendName);
    if (!kernel) throw new Error(`the native backend has no ${activationKernel} kernel for _FusedMatMul`);
    const activationInputs: tf.NamedTensorInfoMap = activation === 'prelu' ? { x: product, alpha: preluActivationWeights! } : { x: product };
    const activationAttrs: tf.NamedAttrMap = activation === 'leakyrelu' ? { alpha: Number(attrs?.leakyreluAlpha ?? 0.2) } : {};
    const result = kernel.kernelFunc({ inputs: activationInputs, backend: backend as tf.KernelBackend, attrs: activationAttrs }) as tf.TensorInfo;
    heap.disposeData(product.dataId);
    return result;
  };
}

/**
 * TF.js's `Transpose` for 2-D tensors (and any tensor whose permutation is a
 * 2-D transpose once size-1 dims are dropped) on the BLAS's matrix copy;
 * every other permutation goes to the wasm kernel it replaces.
 */
export function transposeKernel(transpose: NonNullable<Blas['transpose']>, fallback: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const heap = args.backend as WasmHeapBackend;
    const x = args.inputs.x as tf.TensorInfo;
    const perm = (args.attrs?.perm as number[] | undefined) ?? [];
    const kept = perm.filter((axis) => x.shape[axis] !== 1);
    const dims = x.shape.filter((d) => d !== 1);
    const isMatrixTranspose = x.dtype === 'float32' && dims.length === 2 && kept.length === 2 && kept[0] > kept[1];
    if (!isMatrixTranspose) return fallback(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    const outShape = perm.map((axis) => x.shape[axis]);
    const out = heap.makeOutput(outShape, 'float32');
    transpose(dims[0], dims[1], floats(heap, x), floats(heap, out));
    return out;
  };
}

/**
 * TF.js's `GatherV2` (without batch dims, on float32 or int32) as row copies
 * on the heap: each gathered slice is one `copyWithin` of contiguous memory.
 * The wasm kernel walks element by element through strides: gathering a
 * batch of 128 MNIST images (128 × 784 values) took 2.7-3.3 ms there and
 * 0.02 ms as copies. A gather copies, so the values are the same.
 */
export function gatherKernel(fallback: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const heap = args.backend as WasmHeapBackend;
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const batchDims = Number(args.attrs?.batchDims ?? 0);
    if (batchDims !== 0 || (x.dtype !== 'float32' && x.dtype !== 'int32') || indices.dtype !== 'int32') return fallback(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    const axis = tf.util.parseAxisParam(Number(args.attrs?.axis ?? 0), x.shape)[0];
    const dim = x.shape[axis];
    const outer = x.shape.slice(0, axis).reduce((p, d) => p * d, 1);
    const inner = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
    const out = heap.makeOutput([...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], x.dtype);
    const rows = heap.typedArrayFromHeap(indices) as Int32Array;
    for (let j = 0; j < rows.length; j++) {
      const row = rows[j];
      if (!(row >= 0 && row <= dim - 1)) throw new Error(`GatherV2: the index value ${row} is not in [0, ${dim - 1}]`);
    }
    if (outer * rows.length * inner === 0) return out;
    const from = heap.typedArrayFromHeap(x);
    const to = heap.typedArrayFromHeap(out);
    // One view of the whole heap moves slices between the two tensors with memmove.
    const all = new (from.constructor as Float32ArrayConstructor)(from.buffer);
    const fromStart = from.byteOffset / 4;
    const toStart = to.byteOffset / 4;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < rows.length; j++) {
        const source = fromStart + (o * dim + rows[j]) * inner;
        all.copyWithin(toStart + (o * rows.length + j) * inner, source, source + inner);
      }
    }
    return out;
  };
}
