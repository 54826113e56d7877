import { tf } from '../backend.js';
import { fusedActive, runFused, type FusedKernel } from './kernel.js';
import { ADAM_WASM } from './simd/binaries.js';
import { backendMemory, heapExports } from './simd/heap-module.js';
import { NATIVE_BACKEND } from '../native/name.js';

type AdamExport = (
  p: number, g: number, m: number, v: number, pOut: number, mOut: number, vOut: number, n: number,
  beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, secondCorrection: number, eps: number, step: number,
) => void;

function adamExport(memory: WebAssembly.Memory | undefined): AdamExport | null {
  const exports = memory ? heapExports(memory, ADAM_WASM) : null;
  return exports ? (exports.adam as AdamExport) : null;
}

/**
 * One Adam update of a variable in one pass (`simd/adam.wat`): the new
 * value, first and second moments from the value, gradient and moments.
 * Bit for bit the numbers of the unfused update in `src/optim/adam.ts` plus
 * the optimizer's add: the same float32 operations in the same order. A
 * JavaScript loop would be slower than TF.js's vectorised ops on large
 * variables (docs/engine-notes.md), so this kernel runs only in WebAssembly
 * and {@link fusedAdamActive} says whether it can.
 */
export const adamKernel: FusedKernel = {
  name: 'LocalpropAdam',
  outputShapes: ([param]) => [param, param, param],
  compute({ inputs: [param, grad, m, v], outputs: [nextParam, nextM, nextV], attrs, memory }) {
    const adam = adamExport(memory);
    if (!adam) throw new Error('LocalpropAdam needs the wasm heap: check fusedAdamActive() first');
    const a = attrs;
    adam(
      param.byteOffset, grad.byteOffset, m.byteOffset, v.byteOffset,
      nextParam.byteOffset, nextM.byteOffset, nextV.byteOffset, param.length,
      a.beta1, a.oneMinusBeta1, a.beta2, a.oneMinusBeta2, a.secondCorrection, a.eps, a.step,
    );
  },
};

/** Whether the fused Adam update runs on the backend in use now (fused kernels on, and its heap importable). */
export function fusedAdamActive(): boolean {
  return fusedActive() && adamExport(backendMemory(tf.backend())) !== null;
}

type AdamOptions = { lr: number; beta1: number; beta2: number; eps: number; step: number };

/** The kernel's scalars from the optimizer's numbers, as the unfused ops make them (rounded to float32 where the kernel receives them). */
function adamScalars(o: AdamOptions) {
  return {
    beta1: o.beta1,
    oneMinusBeta1: 1 - o.beta1,
    beta2: o.beta2,
    oneMinusBeta2: 1 - o.beta2,
    secondCorrection: Math.sqrt(1 - o.beta2 ** o.step),
    eps: o.eps,
    step: -(o.lr / (1 - o.beta1 ** o.step)),
  };
}

type HeapBackend = { refCount(dataId: tf.DataId): number; typedArrayFromHeap(info: tf.TensorInfo): Float32Array };

/**
 * The fused Adam update written into the variable's and the moments' own
 * memory, on the native backend, where no other tensor shares it. TF.js
 * tensors are immutable, but a buffer only these three hold (the backend
 * counts one tensor on it; a reshape, or a variable made from a tensor
 * still alive, count more) can change without anyone seeing it, as long as
 * no kernel keeps what it derived from it. New buffers for every step cost
 * a step of the MNIST MLP 8-10% more here (36 MiB more written, and caches
 * the products then miss). True when it updated; false when it cannot, and
 * {@link fusedAdam} makes new tensors.
 */
export function fusedAdamInPlace(param: tf.Variable, grad: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: AdamOptions): boolean {
  // Native only: wasm's matrix product (XNNPACK) keeps the weights it packed for a tensor id and
  // would multiply by the old values of a variable changed in place; the BLAS keeps nothing.
  if (tf.getBackend() !== NATIVE_BACKEND) return false;
  const backend = tf.backend() as unknown as HeapBackend;
  if (![param, m, v].every((t) => backend.refCount(t.dataId) === 1)) return false;
  const adam = adamExport(backendMemory(backend));
  if (!adam) return false;
  const at = (t: tf.Tensor) => backend.typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: 'float32' }).byteOffset;
  const a = adamScalars(o);
  const [p, mm, vv] = [at(param), at(m), at(v)];
  adam(p, at(grad), mm, vv, p, mm, vv, param.size, a.beta1, a.oneMinusBeta1, a.beta2, a.oneMinusBeta2, a.secondCorrection, a.eps, a.step);
  return true;
}

/**
 * The fused Adam update (see {@link adamKernel}) of `param` at `step` (from 1),
 * without weight decay: the options as `src/optim/adam.ts` takes them.
 */
export function fusedAdam(
  param: tf.Tensor,
  grad: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  o: AdamOptions,
): { param: tf.Tensor; m: tf.Tensor; v: tf.Tensor } {
  const attrs = adamScalars(o);
  const [p, nextM, nextV] = runFused(adamKernel, [param, grad, m, v], attrs);
  return { param: p, m: nextM, v: nextV };
}
