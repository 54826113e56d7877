import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { localpropErrorOf } from '../support.js';

describe('I64 tensors', () => {
  it('are written as 8-byte little-endian integers and read back as the same whole numbers', () => {
    const bytes = encodeSafetensors({ count: { shape: [], data: Float32Array.from([469]), dtype: 'I64' }, w: { shape: [2], data: Float32Array.from([0.5, -1]) } });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, { dtype: string; data_offsets: number[] }>;
    expect(header.count).toEqual({ dtype: 'I64', shape: [], data_offsets: [0, 8] });
    expect(new DataView(bytes.buffer, 8 + headerLength).getBigInt64(0, true)).toBe(469n);
    const back = decodeSafetensors(bytes).tensors;
    expect(back.count).toEqual({ shape: [], data: Float32Array.from([469]), dtype: 'I64' });
    expect(back.w.dtype).toBeUndefined();
  });

  it('refuse a value that is not a whole number, and one beyond what a float keeps exactly', () => {
    expect(localpropErrorOf(() => encodeSafetensors({ c: { shape: [1], data: Float32Array.from([1.5]), dtype: 'I64' } }))).toMatch(/tensor "c" is I64 but holds a value that is not a whole number/);
    const bytes = encodeSafetensors({ c: { shape: [1], data: Float32Array.from([0]), dtype: 'I64' } });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    new DataView(bytes.buffer, 8 + headerLength).setBigInt64(0, 2n ** 40n, true);
    expect(localpropErrorOf(() => decodeSafetensors(bytes))).toMatch(/holds the I64 value 1099511627776/);
  });
});
