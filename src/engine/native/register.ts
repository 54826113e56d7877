import { isMainThread } from 'node:worker_threads';
import { tf } from '../backend.js';
import { applyBlasThreads } from '../threads.js';
import { requireBlas, type Blas } from './blas.js';
import { NATIVE_BACKEND } from './name.js';
import { batchMatMulKernel, fusedMatMulKernel, gatherKernel, transposeKernel } from './kernels.js';
import { registerNativeConvKernels } from '../conv/native-kernels.js';

export { NATIVE_BACKEND };

/**
 * Registers the `native` backend (once per thread): the wasm backend's own
 * factory, so every op, gradient and the tensor storage are TF.js wasm's, and
 * every wasm kernel under the new name, except the matrix products and the
 * 2-D transpose, which call the BLAS, the gather, which copies rows, and the
 * convolutions, which are patch matrices times the BLAS (../conv/).
 * Throws a LocalpropError naming the package to install when no BLAS loads.
 */
export function registerNativeBackend(): Blas {
  const blas = requireBlas();
  if (Object.keys(tf.engine().registryFactory).includes(NATIVE_BACKEND)) return blas;
  // The thread count is the process's: only the main thread, which knows how many threads compute, sets it.
  const threads = blas.threads;
  if (isMainThread && threads) {
    const own = threads.get();
    applyBlasThreads((n) => threads.set(n ?? own));
  }
  // Low priority: TF.js never picks it by itself; localprop asks for it by name.
  tf.registerBackend(NATIVE_BACKEND, tf.findBackendFactory('wasm'), -1);
  const replaced: Record<string, tf.KernelFunc> = {
    BatchMatMul: batchMatMulKernel(blas) as tf.KernelFunc,
    _FusedMatMul: fusedMatMulKernel(blas, NATIVE_BACKEND) as tf.KernelFunc,
  };
  for (const kernel of tf.getKernelsForBackend('wasm')) {
    // localprop's fused kernels register on both backends themselves; one registered already is not copied twice.
    if (tf.getKernel(kernel.kernelName, NATIVE_BACKEND)) continue;
    let kernelFunc = replaced[kernel.kernelName] ?? kernel.kernelFunc;
    if (kernel.kernelName === 'Transpose' && blas.transpose) kernelFunc = transposeKernel(blas.transpose, kernel.kernelFunc) as tf.KernelFunc;
    if (kernel.kernelName === 'GatherV2') kernelFunc = gatherKernel(kernel.kernelFunc) as tf.KernelFunc;
    // The wasm kernels' setup binds their module functions; TF.js reruns it for whichever backend becomes active.
    tf.registerKernel({ ...kernel, backendName: NATIVE_BACKEND, kernelFunc });
  }
  // After the copies: the conv kernels hand what they do not compute (NCHW, dilations) to wasm's, copied above.
  registerNativeConvKernels(blas, NATIVE_BACKEND);
  return blas;
}
