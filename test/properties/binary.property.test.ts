import fc from 'fast-check';
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseIdx, parseIdxImages, parseIdxLabels } from '../../src/data/idx.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { decodeCheckpoint } from '../../src/io/checkpoint.js';
import { decodeRunCheckpoint } from '../../src/io/run-checkpoint.js';
import { checkProperty, outcome } from './property.js';

const ascii = (text: string) => new TextEncoder().encode(text);

/** A safetensors file: an 8-byte little-endian length, that many bytes of header, then data. */
function safetensorsBytes(header: Uint8Array, data: Uint8Array, declared = header.length): Uint8Array {
  const bytes = new Uint8Array(8 + header.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(declared), true);
  bytes.set(header, 8);
  bytes.set(data, 8 + header.length);
  return bytes;
}

/** Headers close to right: tensor entries whose dtype, shape and offsets are mostly consistent with the data, sometimes not. */
const tensorEntry = fc.record({
  dtype: fc.oneof({ weight: 8, arbitrary: fc.constant('F32') }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom('F16', 'I64', 'f32'), fc.jsonValue()) }),
  shape: fc.oneof({ weight: 8, arbitrary: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }) }, { weight: 1, arbitrary: fc.jsonValue() }),
  skew: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -8, max: 8 }) }),
});
const header = fc
  .record({
    names: fc.uniqueArray(fc.oneof(fc.constantFrom('blocks.0.weight', 'a', '__proto__', 'constructor', 'toString', '', 'x.y'), fc.string({ maxLength: 6 })), { maxLength: 4 }),
    entries: fc.array(tensorEntry, { minLength: 4, maxLength: 4 }),
    metadata: fc.option(fc.oneof({ weight: 6, arbitrary: fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }) }, { weight: 1, arbitrary: fc.jsonValue() }), { nil: undefined }),
    pad: fc.constantFrom('', ' ', '   '),
    values: fc.array(fc.float({ noNaN: false }), { maxLength: 80 }),
  })
  .map(({ names, entries, metadata, pad, values }) => {
    const json: Record<string, unknown> = {};
    let offset = 0;
    names.forEach((name, i) => {
      const e = entries[i];
      const count = Array.isArray(e.shape) && e.shape.every((d) => typeof d === 'number') ? (e.shape as number[]).reduce((a, b) => a * b, 1) : 1;
      const end = offset + count * 4 + e.skew;
      Object.defineProperty(json, name, { value: { dtype: e.dtype, shape: e.shape, data_offsets: [offset, end] }, enumerable: true, configurable: true, writable: true });
      offset = Math.max(offset, end);
    });
    if (metadata !== undefined) json.__metadata__ = metadata;
    const data = new Uint8Array(new Float32Array(Math.max(values.length, Math.ceil(offset / 4))).map((_, i) => values[i % Math.max(values.length, 1)] ?? 0).buffer).subarray(0, Math.max(offset, 0));
    return safetensorsBytes(ascii(JSON.stringify(json) + pad), data);
  });
const anyBytes = fc.oneof(
  { weight: 6, arbitrary: header },
  // The length prefix lying, and bytes that are not a header at all.
  { weight: 1, arbitrary: fc.tuple(header, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(([b, n]) => { const c = b.slice(); new DataView(c.buffer).setBigUint64(0, n, true); return c; }) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ unit: 'binary', maxLength: 40 }), fc.uint8Array({ maxLength: 16 })).map(([h, d]) => safetensorsBytes(ascii(h), d)) },
);

describe('safetensors headers', () => {
  it('decode to tensors that encode and decode to themselves, or refuse with a message (3000 inputs)', () => {
    const { parsed } = checkProperty(
      anyBytes,
      (bytes) => {
        const r = outcome(() => decodeSafetensors(bytes));
        if (!r.ok) return false;
        const { tensors, metadata } = r.value;
        const again = decodeSafetensors(encodeSafetensors(tensors, metadata));
        expect(Object.keys(again.tensors)).toEqual(Object.keys(tensors));
        for (const [name, t] of Object.entries(tensors)) {
          expect(again.tensors[name].shape).toEqual(t.shape);
          expect(new Uint8Array(again.tensors[name].data.buffer)).toEqual(new Uint8Array(t.data.buffer));
        }
        expect(again.metadata).toEqual(metadata);
        return true;
      },
      3000,
    );
    expect(parsed).toBeGreaterThan(300);
  });

  it('as a model checkpoint or a run checkpoint, any of them is read or refused with a message (2000 inputs)', () => {
    checkProperty(
      anyBytes,
      (bytes) => {
        const a = outcome(() => decodeCheckpoint(bytes, '--init x'));
        const b = outcome(() => decodeRunCheckpoint(bytes, 'run-checkpoint.safetensors'));
        return a.ok || b.ok;
      },
      2000,
    );
  });
});

/** An IDX file: 00 00, a type, a rank, big-endian sizes, then the values, gzipped now and then. */
const idx = fc
  .record({
    type: fc.oneof({ weight: 8, arbitrary: fc.constant(0x08) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
    dims: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 0, maxLength: 4 }),
    extra: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) }),
    magic: fc.oneof({ weight: 10, arbitrary: fc.constant([0, 0]) }, { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })) }),
    gzip: fc.boolean(),
    seed: fc.integer({ min: 0, max: 255 }),
  })
  .map(({ type, dims, extra, magic, gzip, seed }) => {
    const size = Math.max(0, dims.reduce((a, b) => a * b, 1) + extra);
    const bytes = new Uint8Array(4 + 4 * dims.length + size);
    bytes.set([magic[0], magic[1], type, dims.length]);
    dims.forEach((d, k) => new DataView(bytes.buffer).setUint32(4 + 4 * k, d, false));
    for (let i = 0; i < size; i++) bytes[4 + 4 * dims.length + i] = (seed + 31 * i) & 255;
    return gzip ? gzipSync(bytes) : bytes;
  });
const anyIdx = fc.oneof(
  { weight: 6, arbitrary: idx },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  // Starts like gzip, is not.
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 30 }).map((b) => Uint8Array.from([0x1f, 0x8b, ...b])) },
);

/** The IDX bytes of a parsed array. */
function idxBytes(dims: number[], data: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(4 + 4 * dims.length + data.length);
  bytes.set([0, 0, 0x08, dims.length]);
  dims.forEach((d, k) => new DataView(bytes.buffer).setUint32(4 + 4 * k, d, false));
  bytes.set(data, 4 + 4 * dims.length);
  return bytes;
}

describe('IDX headers', () => {
  it('parse to an array that writes back to the same array, or refuse with a message (3000 inputs)', () => {
    const { parsed } = checkProperty(
      anyIdx,
      (bytes) => {
        const r = outcome(() => parseIdx(bytes, 'f.idx'));
        if (!r.ok) return false;
        const { dims, data } = r.value;
        expect(data.length).toBe(dims.reduce((a, b) => a * b, 1));
        const again = parseIdx(idxBytes(dims, data), 'again.idx');
        expect(again.dims).toEqual(dims);
        expect(Array.from(again.data)).toEqual(Array.from(data));
        // As images or labels: read or refused, by rank.
        const images = outcome(() => parseIdxImages(bytes, 'images'));
        const labels = outcome(() => parseIdxLabels(bytes, 'labels'));
        expect(images.ok).toBe(dims.length === 3);
        expect(labels.ok).toBe(dims.length === 1);
        return true;
      },
      3000,
    );
    expect(parsed).toBeGreaterThan(300);
  });
});
