import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { binariesSource } from '../../scripts/build-wasm.js';
import { heapExports } from '../../src/engine/fused/simd/heap-module.js';
import { ADAM_WASM } from '../../src/engine/fused/simd/binaries.js';

describe('the WebAssembly kernels', () => {
  it('carry the bytes their .wat sources compile to (run `npm run build:wasm` after editing one)', async () => {
    const committed = fs.readFileSync(new URL('../../src/engine/fused/simd/binaries.ts', import.meta.url), 'utf8');
    expect(await binariesSource()).toBe(committed);
  });

  it('instantiate on a plain memory and refuse a shared one, so the caller keeps TF.js ops there', () => {
    const plain = new WebAssembly.Memory({ initial: 1 });
    expect(typeof heapExports(plain, ADAM_WASM)?.adam).toBe('function');
    const shared = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
    expect(heapExports(shared, ADAM_WASM)).toBeNull();
  });

  it('update in place at byte offsets of the memory they are given', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const adam = heapExports(memory, ADAM_WASM)!.adam as (...args: number[]) => void;
    const heap = new Float32Array(memory.buffer);
    // Five elements (one vector of four and a tail of one) of p, g, m, v, then the three outputs.
    const n = 5;
    const at = (k: number) => k * n;
    heap.set([1, 2, 3, 4, 5], at(0));
    heap.set([1, -1, 2, -2, 0], at(1));
    const f = Math.fround;
    adam(at(0) * 4, at(1) * 4, at(2) * 4, at(3) * 4, at(4) * 4, at(5) * 4, at(6) * 4, n, 0.9, 0.1, 0.999, 0.001, Math.sqrt(0.001), 1e-8, -0.01);
    // First step from zero moments: m = 0.1·g, v = 0.001·g², and each weight moves by about lr = 1e-3 against its gradient.
    expect(Array.from(heap.subarray(at(5), at(5) + n))).toEqual([1, -1, 2, -2, 0].map((g) => f(f(g) * f(0.1))));
    const moved = Array.from(heap.subarray(at(4), at(4) + n));
    [0.999, 2.001, 2.999, 4.001, 5].forEach((expected, k) => expect(moved[k]).toBeCloseTo(expected, 5));
  });
});
