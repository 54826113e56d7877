/**
 * Hand-written WebAssembly kernels that run on the TF.js wasm backend's own
 * heap: instantiated against the backend's `WebAssembly.Memory`, they take
 * tensors' byte offsets and read and write the tensors in place, with the
 * SIMD instructions wasm's own kernels use, so a fused update costs one pass
 * over memory instead of one per op. One instance per memory (each thread's
 * backend has its own heap); null where the memory cannot be imported (a
 * shared memory of the browser's threaded build, or no SIMD), and the caller
 * then keeps TF.js's ops.
 */

type WasmModuleLike = { asm?: { memory?: unknown }; wasmMemory?: unknown };

/** The heap of a TF.js wasm (or native) backend object, if it exposes one. */
export function backendMemory(backend: unknown): WebAssembly.Memory | undefined {
  const wasm = (backend as { wasm?: WasmModuleLike }).wasm;
  const memory = wasm?.asm?.memory ?? wasm?.wasmMemory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

const compiled = new Map<string, WebAssembly.Module | null>();
const instances = new WeakMap<WebAssembly.Memory, Map<string, WebAssembly.Exports | null>>();

function decode(base64: string): Uint8Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let k = 0; k < text.length; k++) bytes[k] = text.charCodeAt(k);
  return bytes;
}

function compile(base64: string): WebAssembly.Module | null {
  if (!compiled.has(base64)) {
    let module: WebAssembly.Module | null = null;
    try {
      // A few hundred bytes: small enough for a synchronous compile on a browser's main thread too.
      module = new WebAssembly.Module(decode(base64) as BufferSource);
    } catch {
      module = null; // no SIMD in this engine
    }
    compiled.set(base64, module);
  }
  return compiled.get(base64)!;
}

/** The exports of the module `base64` instantiated on `memory`, or null where that cannot be done. */
export function heapExports(memory: WebAssembly.Memory, base64: string): WebAssembly.Exports | null {
  let byModule = instances.get(memory);
  if (!byModule) instances.set(memory, (byModule = new Map()));
  if (!byModule.has(base64)) {
    const module = compile(base64);
    let exports: WebAssembly.Exports | null = null;
    if (module && !(typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer)) {
      try {
        exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
      } catch {
        exports = null;
      }
    }
    byModule.set(base64, exports);
  }
  return byModule.get(base64)!;
}
