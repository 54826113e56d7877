import { check, LocalpropError } from '../util/errors.js';
import { brief, duplicateJsonKey, INPUT_LIMITS, jsonNestingTooDeep } from '../util/structured-input.js';

/**
 * Reads and writes the safetensors format (F32, and I64 for counters such as
 * batch norm's `num_batches_tracked`), so trained weights can
 * be loaded by PyTorch, JAX or the `safetensors` Python package. Kept free of
 * Node imports so the browser build can save and load weights too.
 *
 * Layout: u64 little-endian header length N, N bytes of UTF-8 JSON header,
 * then the data buffer that the header's `data_offsets` point into.
 */

export interface NamedTensor {
  shape: number[];
  /** The values; for an I64 tensor, whole numbers held as floats (exact up to 2^24). */
  data: Float32Array;
  /** How the file stores it: F32 when absent; I64 as PyTorch stores integer counters. */
  dtype?: 'I64';
}

const METADATA_KEY = '__metadata__';
const F32_BYTES = 4;
const I64_BYTES = 8;
const bytesPer = (dtype: 'F32' | 'I64') => (dtype === 'I64' ? I64_BYTES : F32_BYTES);
const ALIGN = 8;

// Typed-array views use the host byte order; the format is little-endian.
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}

function isValidShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/** Encodes `tensors` (written in key order) and optional string metadata. */
export function encodeSafetensors(tensors: Record<string, NamedTensor>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  let dataLength = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    check(name !== METADATA_KEY, `cannot save a tensor named "${METADATA_KEY}": that key is reserved for metadata; rename the tensor`);
    check(isValidShape(tensor.shape), () => `tensor "${name}" has shape ${JSON.stringify(tensor.shape)}; every dimension must be a whole number ≥ 0`);
    const count = elementCount(tensor.shape);
    check(count === tensor.data.length, () => `tensor "${name}" has shape [${tensor.shape.join(', ')}] (${count} values) but ${tensor.data.length} values; make the shape match the data`);
    const dtype = tensor.dtype ?? 'F32';
    if (dtype === 'I64') check(tensor.data.every((v) => Number.isInteger(v)), () => `tensor "${name}" is I64 but holds a value that is not a whole number; round it or store it as F32`);
    const end = dataLength + count * bytesPer(dtype);
    header[name] = { dtype, shape: tensor.shape, data_offsets: [dataLength, end] };
    dataLength = end;
  }
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    for (const [key, value] of Object.entries(metadata)) {
      check(typeof value === 'string', `metadata "${key}" is a ${typeof value}; safetensors metadata values must be strings, so convert it with String() or JSON.stringify()`);
    }
    header[METADATA_KEY] = metadata;
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  // Readers may map the data buffer straight into typed arrays, so the spec
  // pads the header with spaces until the data starts on an 8-byte boundary.
  const headerLength = Math.ceil((8 + json.length) / ALIGN) * ALIGN - 8;
  const bytes = new Uint8Array(8 + headerLength + dataLength);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerLength);

  let offset = 8 + headerLength;
  for (const tensor of Object.values(tensors)) {
    if (tensor.dtype === 'I64') {
      tensor.data.forEach((v, i) => view.setBigInt64(offset + i * I64_BYTES, BigInt(v), true));
      offset += tensor.data.length * I64_BYTES;
    } else {
      writeF32(view, bytes, offset, tensor.data);
      offset += tensor.data.length * F32_BYTES;
    }
  }
  return bytes;
}

function writeF32(view: DataView, bytes: Uint8Array, offset: number, data: Float32Array): void {
  if (HOST_IS_LITTLE_ENDIAN) {
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
  } else {
    for (let i = 0; i < data.length; i++) view.setFloat32(offset + i * F32_BYTES, data[i], true);
  }
}

const NOT_SAFETENSORS = 'the file is truncated or not a safetensors file; save it again or check that you picked the right file';

/** The safetensors library's own limit on the header (its `MAX_HEADER_SIZE`), so a length prefix of 2^64-1 is refused before anything is read. */
const MAX_HEADER_BYTES = 100_000_000;

/** Decodes a safetensors file holding F32 (and I64) tensors, validating the header. */
export function decodeSafetensors(bytes: Uint8Array): { tensors: Record<string, NamedTensor>; metadata: Record<string, string> } {
  check(bytes.length >= 8, `safetensors file is only ${bytes.length} bytes, too short for the 8-byte header length: ${NOT_SAFETENSORS}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  check(declared <= BigInt(MAX_HEADER_BYTES), `safetensors header claims ${declared} bytes, more than the ${MAX_HEADER_BYTES} the format allows: ${NOT_SAFETENSORS}`);
  check(declared <= BigInt(bytes.length - 8), `safetensors header claims ${declared} bytes but only ${bytes.length - 8} follow: ${NOT_SAFETENSORS}`);
  const headerLength = Number(declared);
  const header = parseHeader(bytes.subarray(8, 8 + headerLength));
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;

  const tensors: Record<string, NamedTensor> = {};
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      metadata = readMetadata(entry);
      continue;
    }
    const { shape, begin, end, dtype } = readEntry(name, entry, dataLength);
    tensors[name] =
      dtype === 'I64'
        ? { shape, data: readI64(view, dataStart + begin, (end - begin) / I64_BYTES, name), dtype }
        : { shape, data: readF32(view, dataStart + begin, (end - begin) / F32_BYTES) };
  }
  return { tensors, metadata };
}

function parseHeader(json: Uint8Array): Record<string, unknown> {
  let text: string;
  let header: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(json);
    // A header is two levels deep (tensor, entry) and its shapes one more.
    const deep = jsonNestingTooDeep(text);
    if (deep !== null) throw new LocalpropError(`safetensors header nests arrays and objects more than ${INPUT_LIMITS.depth} levels deep: ${NOT_SAFETENSORS}`);
    header = JSON.parse(text);
  } catch (error) {
    if (error instanceof LocalpropError) throw error;
    throw new LocalpropError(`safetensors header is not valid UTF-8 JSON (${(error as Error).message}): ${NOT_SAFETENSORS}`);
  }
  check(isObject(header), `safetensors header is not a JSON object: ${NOT_SAFETENSORS}`);
  // JSON.parse would keep the second of two tensors of one name, silently.
  const twice = duplicateJsonKey(text);
  check(twice === null, () => `safetensors header names "${brief(twice!.key)}" twice: ${NOT_SAFETENSORS}`);
  return header;
}

/** Values shown in messages, cut short: a header may hold anything. */
const shown = (value: unknown): string => brief(JSON.stringify(value) ?? String(value));

function readEntry(name: string, entry: unknown, dataLength: number): { shape: number[]; begin: number; end: number; dtype: 'F32' | 'I64' } {
  check(isObject(entry), `safetensors tensor "${brief(name)}" has no {dtype, shape, data_offsets} entry in the header: ${NOT_SAFETENSORS}`);
  const { dtype, shape, data_offsets: offsets } = entry;
  check(dtype === 'F32' || dtype === 'I64', () => `safetensors tensor "${brief(name)}" has dtype ${shown(dtype)}, but only F32 is supported (and I64, for integer counters); convert the tensor to float32 before saving (e.g. tensor.float() in PyTorch)`);
  check(isValidShape(shape), () => `safetensors tensor "${brief(name)}" has invalid shape ${shown(shape)}; dimensions must be whole numbers ≥ 0: ${NOT_SAFETENSORS}`);
  check(
    Array.isArray(offsets) && offsets.length === 2 && offsets.every((o) => Number.isSafeInteger(o)),
    () => `safetensors tensor "${brief(name)}" has invalid data_offsets ${shown(offsets)}; expected [begin, end]: ${NOT_SAFETENSORS}`,
  );
  const [begin, end] = offsets as [number, number];
  check(0 <= begin && begin <= end && end <= dataLength, `safetensors tensor "${brief(name)}" has data_offsets [${begin}, ${end}] outside the ${dataLength}-byte data buffer: ${NOT_SAFETENSORS}`);
  const expected = elementCount(shape) * bytesPer(dtype);
  check(end - begin === expected, () => `safetensors tensor "${brief(name)}" spans ${end - begin} bytes but shape [${brief(shape.join(', '))}] of ${dtype} needs ${expected}: ${NOT_SAFETENSORS}`);
  return { shape: [...shape], begin, end, dtype };
}

function readMetadata(entry: unknown): Record<string, string> {
  check(isObject(entry), `safetensors ${METADATA_KEY} must be an object of strings: ${NOT_SAFETENSORS}`);
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(entry)) {
    check(typeof value === 'string', `safetensors metadata "${brief(key)}" is not a string; metadata values must be strings: ${NOT_SAFETENSORS}`);
    metadata[key] = value;
  }
  return metadata;
}

// The data may sit at any byte offset of a shared buffer (e.g. a Node Buffer
// slice), so copy through a DataView instead of viewing it as a Float32Array.
function readF32(view: DataView, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + i * F32_BYTES, true);
  return out;
}

/** I64 values as floats: counters are far below 2^24, larger ones would silently lose digits, so they are refused. */
function readI64(view: DataView, offset: number, count: number, name: string): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const v = view.getBigInt64(offset + i * I64_BYTES, true);
    check(v >= -(2n ** 24n) && v <= 2n ** 24n, `safetensors tensor "${brief(name)}" holds the I64 value ${v}, beyond what localprop keeps exactly (±2^24); only counters are read as I64`);
    out[i] = Number(v);
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
