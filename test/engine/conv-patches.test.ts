import { describe, expect, it } from 'vitest';
import { convGeometry, gradientPatchLength, patchLength, type ConvGeometry } from '../../src/engine/conv/geometry.js';
import { gatherers, JS_GATHERERS, type Gather } from '../../src/engine/conv/simd-patches.js';
import { pattern } from './conv-support.js';

/**
 * The patch matrices behind every conv kernel, against their definition
 * written out index by index, in JavaScript (./patches.ts) and in
 * WebAssembly (src/engine/fused/simd/patches.wat), which must write the same
 * floats in the same places. No engine: the gathers work on any memory.
 */
interface Shape {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
  stride: [number, number];
  pad: 'same' | 'valid';
}

const SHAPES: Shape[] = [];
for (const [kh, kw] of [[1, 1], [3, 3], [5, 5], [2, 3]]) {
  for (const stride of [[1, 1], [2, 2], [3, 1]] as [number, number][]) {
    for (const pad of ['same', 'valid'] as const) SHAPES.push({ n: 2, h: 7, w: 6, cin: 3, cout: 5, kh, kw, stride, pad });
  }
}
// Runs of 16 floats and more (the JavaScript copies those with copyWithin, shorter ones in a loop).
SHAPES.push({ n: 1, h: 5, w: 9, cin: 17, cout: 16, kh: 3, kw: 3, stride: [1, 1], pad: 'same' });

/** Patch row p = (n, oh, ow), position (i, j, c): x[n, oh·sh + i - padT, ow·sw + j - padL, c], or 0 outside. */
function inputPatches(x: Float32Array, g: ConvGeometry): Float32Array {
  const k = patchLength(g);
  const out = new Float32Array(g.batch * g.outHeight * g.outWidth * k);
  let at = 0;
  for (let n = 0; n < g.batch; n++)
    for (let oh = 0; oh < g.outHeight; oh++)
      for (let ow = 0; ow < g.outWidth; ow++)
        for (let i = 0; i < g.filterHeight; i++)
          for (let j = 0; j < g.filterWidth; j++)
            for (let c = 0; c < g.inChannels; c++, at++) {
              const ih = oh * g.strideHeight + i - g.padTop;
              const iw = ow * g.strideWidth + j - g.padLeft;
              const inside = ih >= 0 && ih < g.inHeight && iw >= 0 && iw < g.inWidth;
              out[at] = inside ? x[((n * g.inHeight + ih) * g.inWidth + iw) * g.inChannels + c] : 0;
            }
  return out;
}

/**
 * Row q = (n, ih, iw), position (i', j', co) with the taps reversed (i = kh-1-i', j = kw-1-j'): dy at the output
 * position whose patch puts tap (i, j) on (ih, iw), that is oh·sh = ih + padT - i, or 0 where there is none.
 */
function gradientPatches(dy: Float32Array, g: ConvGeometry): Float32Array {
  const k = gradientPatchLength(g);
  const out = new Float32Array(g.batch * g.inHeight * g.inWidth * k);
  let at = 0;
  for (let n = 0; n < g.batch; n++)
    for (let ih = 0; ih < g.inHeight; ih++)
      for (let iw = 0; iw < g.inWidth; iw++)
        for (let i2 = 0; i2 < g.filterHeight; i2++)
          for (let j2 = 0; j2 < g.filterWidth; j2++)
            for (let c = 0; c < g.outChannels; c++, at++) {
              const th = ih + g.padTop - (g.filterHeight - 1 - i2);
              const tw = iw + g.padLeft - (g.filterWidth - 1 - j2);
              const oh = th / g.strideHeight;
              const ow = tw / g.strideWidth;
              const inside = Number.isInteger(oh) && Number.isInteger(ow) && oh >= 0 && oh < g.outHeight && ow >= 0 && ow < g.outWidth;
              out[at] = inside ? dy[((n * g.outHeight + oh) * g.outWidth + ow) * g.outChannels + c] : 0;
            }
  return out;
}

function transpose(m: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[c * rows + r] = m[r * columns + c];
  return out;
}

/**
 * Runs `gather` on a fresh memory holding `source` at float 8 (not 0, so an offset dropped would show), over two
 * calls that split the rows unevenly (a call starting mid-image), the destination first filled with NaN.
 */
function run(gather: Gather, memory: WebAssembly.Memory, source: Float32Array, g: ConvGeometry, rows: number, rowLength: number, transposed: boolean): Float32Array {
  const heap = new Float32Array(memory.buffer);
  const sourceAt = 8;
  const colsAt = sourceAt + source.length + 4;
  heap.set(source, sourceAt);
  const split = Math.max(1, Math.floor(rows / 3));
  const out = new Float32Array(rows * rowLength);
  for (const [first, count] of [[0, split], [split, rows - split]]) {
    heap.fill(NaN, colsAt, colsAt + count * rowLength);
    gather(heap, sourceAt, g, first, count, colsAt);
    const part = heap.slice(colsAt, colsAt + count * rowLength);
    // A transposed chunk is [rowLength, count]: back to rows, to compare with the definition.
    out.set(transposed ? transpose(part, rowLength, count) : part, first * rowLength);
  }
  return out;
}

describe('conv patch matrices', () => {
  const memory = new WebAssembly.Memory({ initial: 16 });
  const simd = gatherers({ wasm: { wasmMemory: memory } });

  it('use the WebAssembly gathers where the memory can be imported', () => {
    expect(simd).not.toBe(JS_GATHERERS);
  });

  it.each(SHAPES.map((s) => [`${s.kh}×${s.kw} stride ${s.stride.join('×')} ${s.pad}, ${s.cin}→${s.cout} channels`, s] as const))('equal their definition: %s', (_, s) => {
    const g = convGeometry([s.n, s.h, s.w, s.cin], [s.kh, s.kw, s.cin, s.cout], { strides: s.stride, pad: s.pad });
    const x = pattern(s.n * s.h * s.w * s.cin, 1);
    const dy = pattern(s.n * g.outHeight * g.outWidth * s.cout, 2);
    const outRows = s.n * g.outHeight * g.outWidth;
    const inRows = s.n * s.h * s.w;
    const forward = inputPatches(x, g);
    const backward = gradientPatches(dy, g);
    for (const gathers of [JS_GATHERERS, simd]) {
      expect(run(gathers.input, memory, x, g, outRows, patchLength(g), false)).toEqual(forward);
      expect(run(gathers.inputTransposed, memory, x, g, outRows, patchLength(g), true)).toEqual(forward);
      expect(run(gathers.gradient, memory, dy, g, inRows, gradientPatchLength(g), false)).toEqual(backward);
    }
  });
});
