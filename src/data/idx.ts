import { Gunzip, gunzipSync } from 'fflate';
import { makeDataset, oneHot, type Dataset } from './dataset.js';
import { check, LocalpropError } from '../util/errors.js';

/**
 * Reading the IDX format of MNIST and Fashion-MNIST, raw or gzipped, from
 * bytes: no file access here, so this runs in a browser as well as in Node.
 *
 * An IDX file is a 4-byte magic number, one 4-byte big-endian size per
 * dimension, then the values in row-major order. The magic is two zero
 * bytes, a type code (0x08: unsigned byte) and the number of dimensions:
 * 0x00000803 for images [count, rows, columns], 0x00000801 for labels [count].
 */

/** The type code of unsigned bytes, the only element type MNIST-like files use. */
const UBYTE = 0x08;
/** Magic number of an IDX file of images: unsigned bytes, three dimensions. */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** Magic number of an IDX file of labels: unsigned bytes, one dimension. */
export const IDX_LABELS_MAGIC = 0x00000801;

const TYPE_NAMES: Record<number, string> = { 0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'short', 0x0c: 'int', 0x0d: 'float', 0x0e: 'double' };

/** An IDX array of unsigned bytes: its dimensions and its values (a view into the file's bytes). */
export interface IdxArray {
  readonly dims: number[];
  readonly data: Uint8Array;
}

/** Deflate's largest expansion: a 258-byte match coded in about 2 bits. */
const MAX_DEFLATE_RATIO = 1032;

/** True when `bytes` start with gzip's magic bytes 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** `bytes` decompressed when they are gzip, else `bytes` themselves. `source` names them in errors. */
export function gunzipIfNeeded(bytes: Uint8Array, source: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return trailerIsPlausible(bytes) ? gunzipSync(bytes) : gunzipGrowing(bytes);
  } catch (e) {
    throw new LocalpropError(`${source} starts like a gzip file but cannot be decompressed (${(e as Error).message}); the download is probably incomplete: fetch the file again`);
  }
}

/**
 * Whether the size a gzip file's trailer claims could be true. gunzipSync
 * allocates that size up front (4 GiB for a trailer of ff ff ff ff, or a
 * file cut short, whose last bytes are not its trailer); deflate expands
 * data at most 1032-fold.
 */
function trailerIsPlausible(bytes: Uint8Array): boolean {
  if (bytes.length < 18) return false;
  const claimed = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bytes.length - 4, true);
  return claimed <= bytes.length * MAX_DEFLATE_RATIO;
}

/** Decompresses without trusting the trailer: the output grows as it is written. */
function gunzipGrowing(bytes: Uint8Array): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  new Gunzip((chunk) => {
    chunks.push(chunk);
    total += chunk.length;
  }).push(bytes, true);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/**
 * Parses an IDX file of unsigned bytes, gzipped or not, checking that its
 * length is exactly what its header announces.
 */
export function parseIdx(bytes: Uint8Array, source = 'IDX data'): IdxArray {
  const raw = gunzipIfNeeded(bytes, source);
  check(raw.length >= 4, `${source} is ${raw.length} bytes long, too short for an IDX header; the file is truncated or not IDX`);
  check(raw[0] === 0 && raw[1] === 0, () => `${source} is not an IDX file: it starts with bytes ${hex(raw[0])} ${hex(raw[1])}, an IDX magic number starts with 00 00 (MNIST's files are train-images-idx3-ubyte, train-labels-idx1-ubyte, ...)`);
  const type = raw[2];
  check(type === UBYTE, () => `${source} holds IDX values of type ${hex(type)} (${TYPE_NAMES[type] ?? 'unknown'}); only unsigned bytes (type 08), as in MNIST, can be read`);
  const rank = raw[3];
  check(rank >= 1, `${source} declares an IDX array of 0 dimensions; the file is not an image or label file`);
  const headerLength = 4 + 4 * rank;
  check(raw.length >= headerLength, `${source} is truncated: its header announces ${rank} dimension sizes (${headerLength} bytes) but the file has ${raw.length} bytes`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims = Array.from({ length: rank }, (_, k) => view.getUint32(4 + 4 * k, false));
  const size = dims.reduce((a, b) => a * b, 1);
  const have = raw.length - headerLength;
  check(have >= size, () => `${source} is truncated: its header announces ${dims.join('×')} = ${size} values but only ${have} bytes follow; fetch the file again`);
  check(have === size, () => `${source} has ${have - size} bytes more than its header (${dims.join('×')}) announces; it is not a well-formed IDX file`);
  return { dims, data: raw.subarray(headerLength) };
}

/** Images of an IDX file with magic 0x00000803: `count` images of `rows × columns` bytes. */
export interface IdxImages {
  readonly count: number;
  readonly rows: number;
  readonly columns: number;
  /** `count × rows × columns` pixel values 0..255, row-major. */
  readonly pixels: Uint8Array;
}

/** Reads an IDX image file (magic 0x00000803), raw or gzipped. */
export function parseIdxImages(bytes: Uint8Array, source = 'IDX images'): IdxImages {
  const idx = parseIdx(bytes, source);
  check(idx.dims.length === 3, () => `${source} is not an IDX image file: its magic number is ${magicOf(idx.dims.length)}, images have 0x${IDX_IMAGES_MAGIC.toString(16).padStart(8, '0')} (labels have 0x00000801: check which file is which)`);
  const [count, rows, columns] = idx.dims;
  return { count, rows, columns, pixels: idx.data };
}

/** Reads an IDX label file (magic 0x00000801), raw or gzipped: one byte per example. */
export function parseIdxLabels(bytes: Uint8Array, source = 'IDX labels'): Uint8Array {
  const idx = parseIdx(bytes, source);
  check(idx.dims.length === 1, () => `${source} is not an IDX label file: its magic number is ${magicOf(idx.dims.length)}, labels have 0x${IDX_LABELS_MAGIC.toString(16).padStart(8, '0')} (images have 0x00000803: check which file is which)`);
  return idx.data;
}

/** What {@link idxDataset} needs besides the bytes. */
export interface IdxDatasetOptions {
  /** Number of classes, the width of the one-hot targets; default the largest label + 1. */
  classes?: number;
  /** Names of the two files, for error messages. */
  imagesSource?: string;
  labelsSource?: string;
}

/** p/255 for every byte p, computed once: the same float32 for a pixel wherever it appears. */
const PIXEL_SCALE = Float32Array.from({ length: 256 }, (_, p) => p / 255);

/**
 * A {@link Dataset} from an IDX image file and its label file (each raw or
 * gzipped): features are the pixels scaled to [0, 1] (p / 255, as
 * torchvision's ToTensor), one row per image; targets are one-hot rows.
 */
export function idxDataset(imageBytes: Uint8Array, labelBytes: Uint8Array, options: IdxDatasetOptions = {}): Dataset {
  const imagesSource = options.imagesSource ?? 'the image file';
  const labelsSource = options.labelsSource ?? 'the label file';
  const images = parseIdxImages(imageBytes, imagesSource);
  const labels = parseIdxLabels(labelBytes, labelsSource);
  check(images.count === labels.length, `${imagesSource} holds ${images.count} images but ${labelsSource} holds ${labels.length} labels; the two files must come from the same split (train or t10k)`);
  // Well-formed IDX, but no data to train on: the header's sizes are wrong.
  check(images.count > 0 && images.rows > 0 && images.columns > 0, `${imagesSource} holds ${images.count} images of ${images.rows}×${images.columns} pixels, so there is nothing to train on; its header's sizes are wrong: fetch the file again`);
  let largest = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > largest) largest = labels[i];
  const classes = options.classes ?? largest + 1;
  check(Number.isInteger(classes) && classes >= 2, `an image dataset needs at least 2 classes, got ${classes}`);
  check(largest < classes, `${labelsSource} holds label ${largest}, but the dataset has ${classes} classes (0..${classes - 1})`);
  const x = new Float32Array(images.pixels.length);
  for (let i = 0; i < x.length; i++) x[i] = PIXEL_SCALE[images.pixels[i]];
  return makeDataset(x, oneHot(labels, classes), images.rows * images.columns, classes);
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

function magicOf(rank: number): string {
  return `0x000008${hex(rank)}`;
}
