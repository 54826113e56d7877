import { tf } from '../backend.js';
import { backendMemory } from './simd/heap-module.js';

/**
 * The float32 views a fused kernel reads (`inputs`) and writes (`outputs`),
 * and its numeric attributes.
 */
export interface FusedCall {
  inputs: Float32Array[];
  inputShapes: number[][];
  outputs: Float32Array[];
  attrs: Record<string, number>;
  /** The heap the views lie in, for kernels written in WebAssembly (src/engine/fused/simd/). */
  memory?: WebAssembly.Memory;
}

/** A fused kernel: the shapes of its outputs from its inputs' shapes, and the loop that fills them. */
export interface FusedKernel {
  name: string;
  outputShapes(inputShapes: number[][], attrs: Record<string, number>): number[][];
  compute(call: FusedCall): void;
}

/**
 * The backends fused kernels are registered on: wasm, and native, which is
 * wasm's module with its matrix products on the BLAS, so its element-wise
 * ops (IEEE float32, as the loops are) and its heap are wasm's.
 */
const FUSED_BACKENDS = ['wasm', 'native'] as const;

type WasmLike = {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
};

const registered = new Set<string>();

/**
 * Registers `kernel` as a TF.js kernel on the wasm and native backends (once). Outputs
 * are allocated before any view is taken: an allocation may grow the wasm
 * heap, which detaches earlier views. Nothing here uses Node APIs, so the
 * same kernels run in a browser's wasm backend.
 */
export function registerFused(kernel: FusedKernel): void {
  if (registered.has(kernel.name)) return;
  registered.add(kernel.name);
  for (const backendName of FUSED_BACKENDS) {
    // The native backend copies wasm's kernels when it registers, these among them if they came first.
    if (tf.getKernel(kernel.name, backendName)) continue;
    tf.registerKernel({
      kernelName: kernel.name,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const wasm = backend as unknown as WasmLike;
        const ins = Object.values(inputs) as tf.TensorInfo[];
        const numeric = (attrs ?? {}) as Record<string, number>;
        const inputShapes = ins.map((t) => t.shape);
        const outs = kernel.outputShapes(inputShapes, numeric).map((shape) => wasm.makeOutput(shape, 'float32'));
        kernel.compute({
          inputs: ins.map((t) => wasm.typedArrayFromHeap(t)),
          inputShapes,
          outputs: outs.map((t) => wasm.typedArrayFromHeap(t)),
          attrs: numeric,
          memory: backendMemory(backend),
        });
        return outs;
      },
    });
  }
}

let enabled = true;

/**
 * Turns the fused kernels off (or back on) for everything that follows: the
 * unfused TF.js ops give the same numbers, so this only changes the speed
 * (benchmarks measure both in one process).
 */
export function setFusedKernels(on: boolean): void {
  enabled = on;
}

/**
 * Whether fused kernels run now: switched on (the default) and on a backend
 * that has them (the others use the unfused TF.js ops). With `elements`,
 * also whether a tensor of that many elements is small enough for a fused
 * JavaScript loop to beat the TF.js ops it replaces: XNNPACK's SIMD
 * kernels win on large tensors, where a kernel's launch is a small part of
 * its cost (see docs/engine-notes.md for the crossovers measured).
 */
export function fusedActive(elements?: number, limit = FUSED_ELEMENT_LIMIT): boolean {
  return enabled && (elements === undefined || elements <= limit) && (FUSED_BACKENDS as readonly string[]).includes(tf.getBackend());
}

/**
 * The largest tensor an element-wise fused kernel (Mish, the losses) takes:
 * Mish with row normalisation on [1000, 100] took 2 ms fused against 1 ms
 * unfused here, on [1000, 10] 0.1 ms against 0.3.
 */
export const FUSED_ELEMENT_LIMIT = 16384;

/**
 * Runs a registered fused kernel on `inputs` (all float32, in the order the
 * kernel reads them) and returns its outputs as tensors.
 */
export function runFused(kernel: FusedKernel, inputs: tf.Tensor[], attrs: Record<string, number> = {}): tf.Tensor[] {
  registerFused(kernel);
  const named: Record<string, tf.Tensor> = {};
  inputs.forEach((t, k) => (named[`in${k}`] = t));
  const out = tf.engine().runKernel(kernel.name, named as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap);
  return Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor];
}
