import { PATCHES_WASM } from '../fused/simd/binaries.js';
import { backendMemory, heapExports } from '../fused/simd/heap-module.js';
import type { ConvGeometry } from './geometry.js';
import { gatherGradientPatches, gatherInputPatches, gatherInputPatchesTransposed } from './patches.js';

/**
 * The patch gathers a conv kernel calls: those of
 * src/engine/fused/simd/patches.wat on the backend's heap where its memory
 * can be imported (2-4× faster: one memory.copy per run, no call out of
 * WebAssembly), else ./patches.ts's JavaScript, which writes the same
 * values in the same places.
 */

/** Fills rows `firstRow …` of a patch matrix at float `cols` of `heap` from the tensor at float `source`. */
export type Gather = (heap: Float32Array, source: number, g: ConvGeometry, firstRow: number, rows: number, cols: number) => void;

export interface Gatherers {
  /** x's patches, one row per output position (./patches.ts's gatherInputPatches). */
  input: Gather;
  /** The same, written transposed. */
  inputTransposed: Gather;
  /** dy's patches, one row per input position, for the input gradient. */
  gradient: Gather;
}

export const JS_GATHERERS: Gatherers = {
  input: gatherInputPatches,
  inputTransposed: gatherInputPatchesTransposed,
  gradient: gatherGradientPatches,
};

type WasmGather = (source: number, cols: number, firstRow: number, rows: number, ...geometry: number[]) => void;

const byExports = new WeakMap<WebAssembly.Exports, Gatherers>();

function wrap(f: WasmGather, channels: (g: ConvGeometry) => number): Gather {
  return (_heap, source, g, firstRow, rows, cols) =>
    f(source * 4, cols * 4, firstRow, rows, g.inHeight, g.inWidth, channels(g), g.outHeight, g.outWidth, g.filterHeight, g.filterWidth, g.strideHeight, g.strideWidth, g.padTop, g.padLeft);
}

let simd = true;

/** Turns the WebAssembly gathers off (or on) for everything that follows, for tests and benchmarks of both. */
export function setSimdPatches(on: boolean): void {
  simd = on;
}

/** The gathers for a wasm (or native) backend object. */
export function gatherers(backend: unknown): Gatherers {
  const memory = simd ? backendMemory(backend) : undefined;
  const exports = memory ? heapExports(memory, PATCHES_WASM) : null;
  if (!exports) return JS_GATHERERS;
  let found = byExports.get(exports);
  if (!found) {
    found = {
      input: wrap(exports.gatherInput as WasmGather, (g) => g.inChannels),
      inputTransposed: wrap(exports.gatherInputTransposed as WasmGather, (g) => g.inChannels),
      gradient: wrap(exports.gatherGradient as WasmGather, (g) => g.outChannels),
    };
    byExports.set(exports, found);
  }
  return found;
}
