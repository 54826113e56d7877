import { describe, expect, it } from 'vitest';
import { repeatRows } from '../../src/engine/native/kernels.js';

/** The native `_FusedMatMul`'s bias fill (pure JavaScript, so it runs under `npm test` too). */
describe('repeatRows', () => {
  it.each([
    [0, 3],
    [1, 3],
    [2, 1],
    [3, 7],
    [5, 4],
    [1000, 100],
    [1000, 1],
  ])('fills %i rows of %i with the row, touching nothing beyond them', (rows, width) => {
    const heap = new Float32Array(width + rows * width + 2).fill(-1);
    const row = heap.subarray(0, width);
    row.forEach((_, j) => (row[j] = j * 0.5 + 1));
    const out = heap.subarray(width, width + rows * width);
    repeatRows(out, row);
    for (let i = 0; i < rows; i++) for (let j = 0; j < width; j++) if (out[i * width + j] !== j * 0.5 + 1) expect.fail(`row ${i}, column ${j}: ${out[i * width + j]}`);
    // The guard cells after the output are untouched.
    expect(Array.from(heap.subarray(width + rows * width))).toEqual([-1, -1]);
  });
});
