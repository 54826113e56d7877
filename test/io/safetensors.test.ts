import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { LocalpropError } from '../../src/util/errors.js';

/** Builds a file by hand from a header object and raw data bytes. */
function handBuilt(header: unknown, data: number[], declaredLength?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(8 + json.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(declaredLength ?? json.length), true);
  bytes.set(json, 8);
  bytes.set(data, 8 + json.length);
  return bytes;
}

function decodeError(bytes: Uint8Array): LocalpropError {
  try {
    decodeSafetensors(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(LocalpropError);
    return error as LocalpropError;
  }
  throw new Error('expected decodeSafetensors to throw');
}

describe('encodeSafetensors', () => {
  it('writes the exact bytes of a tiny file', () => {
    const bytes = encodeSafetensors({ a: { shape: [2], data: new Float32Array([1, -2]) } });
    const json = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expect(json.length).toBe(54);
    // 8 + 54 = 62, so two spaces bring the data start to 64.
    const header = json + '  ';
    const expected = [
      56, 0, 0, 0, 0, 0, 0, 0,
      ...Array.from(header, (c) => c.charCodeAt(0)),
      0x00, 0x00, 0x80, 0x3f, // 1.0f
      0x00, 0x00, 0x00, 0xc0, // -2.0f
    ];
    expect(Array.from(bytes)).toEqual(expected);
  });

  it('aligns the data start to 8 bytes whatever the header length', () => {
    for (const name of ['a', 'ab', 'abc', 'abcd', 'abcde', 'abcdef', 'abcdefg', 'abcdefgh']) {
      const bytes = encodeSafetensors({ [name]: { shape: [1], data: new Float32Array([3]) } });
      const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect((8 + headerLength) % 8).toBe(0);
      expect(bytes.length).toBe(8 + headerLength + 4);
    }
  });

  it('rejects a shape that does not match the data', () => {
    expect(() => encodeSafetensors({ w: { shape: [2, 3], data: new Float32Array(5) } })).toThrow(
      /tensor "w" has shape \[2, 3\] \(6 values\) but 5 values/,
    );
  });

  it('rejects a tensor named __metadata__ and non-string metadata', () => {
    expect(() => encodeSafetensors({ __metadata__: { shape: [1], data: new Float32Array(1) } })).toThrow(/reserved/);
    const metadata = { epochs: 3 } as unknown as Record<string, string>;
    expect(() => encodeSafetensors({}, metadata)).toThrow(/metadata "epochs" is a number.*must be strings/);
  });
});

describe('decodeSafetensors', () => {
  it('round-trips several tensors and metadata', () => {
    const tensors = {
      'block0.weight': { shape: [3, 2], data: new Float32Array([0.5, -1.25, 3, 1e-7, -0, 65504]) },
      'block0.bias': { shape: [2], data: new Float32Array([Math.PI, -Math.E]) },
      scalar: { shape: [], data: new Float32Array([42]) },
      empty: { shape: [0, 4], data: new Float32Array(0) },
    };
    const metadata = { format: 'pt', spec: '{"blocks":1}' };
    const decoded = decodeSafetensors(encodeSafetensors(tensors, metadata));
    expect(Object.keys(decoded.tensors)).toEqual(Object.keys(tensors));
    for (const [name, tensor] of Object.entries(tensors)) {
      expect(decoded.tensors[name].shape).toEqual(tensor.shape);
      expect(decoded.tensors[name].data).toEqual(tensor.data);
      expect(decoded.tensors[name].data).toBeInstanceOf(Float32Array);
    }
    expect(decoded.metadata).toEqual(metadata);
  });

  it('returns empty metadata when the file has none', () => {
    const decoded = decodeSafetensors(encodeSafetensors({ a: { shape: [1], data: new Float32Array([1]) } }));
    expect(decoded.metadata).toEqual({});
  });

  it('reads a file that sits at an odd offset of a larger buffer', () => {
    const file = encodeSafetensors({ a: { shape: [2], data: new Float32Array([1, -2]) } });
    const big = new Uint8Array(file.length + 3);
    big.set(file, 3);
    const decoded = decodeSafetensors(big.subarray(3));
    expect(Array.from(decoded.tensors.a.data)).toEqual([1, -2]);
  });

  it('copies data out so changing the file later does not change the tensor', () => {
    const file = encodeSafetensors({ a: { shape: [1], data: new Float32Array([1]) } });
    const decoded = decodeSafetensors(file);
    file.fill(0);
    expect(decoded.tensors.a.data[0]).toBe(1);
  });

  it('rejects a file shorter than the length prefix', () => {
    expect(decodeError(new Uint8Array(5)).message).toMatch(/only 5 bytes.*truncated or not a safetensors file/);
  });

  it('rejects a truncated file whose header length runs past the end', () => {
    const file = encodeSafetensors({ a: { shape: [2], data: new Float32Array([1, -2]) } });
    const message = decodeError(file.subarray(0, 40)).message;
    expect(message).toMatch(/header claims 56 bytes but only 32 follow/);
    expect(message).toMatch(/truncated/);
  });

  it('rejects a header that is not JSON', () => {
    const bytes = handBuilt({}, []);
    bytes.set(new TextEncoder().encode('{x'), 8);
    expect(decodeError(bytes).message).toMatch(/header is not valid UTF-8 JSON/);
  });

  it('rejects a dtype other than F32, naming the tensor and dtype', () => {
    const bytes = handBuilt({ 'layer.w': { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, [0, 0, 0, 0]);
    const message = decodeError(bytes).message;
    expect(message).toContain('"layer.w"');
    expect(message).toContain('"F16"');
    expect(message).toMatch(/only F32 is supported/);
  });

  it('rejects offsets beyond the data buffer', () => {
    const bytes = handBuilt({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, [0, 0, 0, 0]);
    expect(decodeError(bytes).message).toMatch(/tensor "a" has data_offsets \[0, 8\] outside the 4-byte data buffer/);
  });

  it('rejects reversed offsets', () => {
    const bytes = handBuilt({ a: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, [0, 0, 0, 0]);
    expect(decodeError(bytes).message).toMatch(/tensor "a" has data_offsets \[4, 0\] outside/);
  });

  it('rejects offsets that do not match the shape', () => {
    const bytes = handBuilt({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Array(12).fill(0));
    expect(decodeError(bytes).message).toMatch(/tensor "a" spans 8 bytes but shape \[3\] of F32 needs 12/);
  });

  it('rejects malformed entries and metadata', () => {
    expect(decodeError(handBuilt([1, 2], [])).message).toMatch(/not a JSON object/);
    expect(decodeError(handBuilt({ a: 5 }, [])).message).toMatch(/tensor "a" has no/);
    const badShape = handBuilt({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }, []);
    expect(decodeError(badShape).message).toMatch(/invalid shape \[-1\]/);
    const badOffsets = handBuilt({ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }, []);
    expect(decodeError(badOffsets).message).toMatch(/invalid data_offsets \[0\]/);
    expect(decodeError(handBuilt({ __metadata__: { n: 1 } }, [])).message).toMatch(/metadata "n" is not a string/);
  });
});
