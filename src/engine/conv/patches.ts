import type { ConvGeometry } from './geometry.js';

/**
 * The patch matrices (im2col) that turn a convolution and its two gradients
 * into one matrix product each. All tensors are NHWC, so a filter row's
 * taps over the input's width lie next to each other in memory: most of a
 * patch is copied in runs of kw·channels floats, not float by float.
 */

/**
 * Below this many floats a loop copies faster than `copyWithin` (measured
 * here: 3·10⁵ runs of 9 floats 6.6 ms as a loop, 9.5 ms as copyWithin; of
 * 96 floats 59 ms as a loop, 13 ms as copyWithin, 23 ms as `set` of a
 * `subarray`, which allocates a view each call).
 */
const SHORT_RUN = 16;

function copyRun(heap: Float32Array, from: number, to: number, length: number): void {
  if (length < SHORT_RUN) {
    for (let k = 0; k < length; k++) heap[to + k] = heap[from + k];
  } else {
    heap.copyWithin(to, from, from + length);
  }
}

function zero(heap: Float32Array, start: number, end: number): void {
  if (end - start < SHORT_RUN) {
    for (let k = start; k < end; k++) heap[k] = 0;
  } else {
    heap.fill(0, start, end);
  }
}

/**
 * Rows `firstRow … firstRow + rows - 1` of the input's patch matrix into
 * `heap` from float `cols` on, the input x being at float `x` of the same
 * array (the wasm heap: patches are copied with `copyWithin`): row p = (n, oh, ow) of the output holds the input values its
 * filter covers, in the filter's order (kh, kw, in), zeros where the patch
 * lies in the padding. These rows times the filter as [kh·kw·in, out] are
 * the output's rows p; their transpose times dy's rows p is those rows'
 * share of the filter gradient.
 */
export function gatherInputPatches(heap: Float32Array, x: number, g: ConvGeometry, firstRow: number, rows: number, cols: number): void {
  const { inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth, padTop, padLeft } = g;
  const rowLength = filterHeight * filterWidth * inChannels;
  const tapRow = filterWidth * inChannels;
  const perImage = outHeight * outWidth;
  let n = Math.floor(firstRow / perImage);
  let oh = Math.floor((firstRow - n * perImage) / outWidth);
  let ow = firstRow - n * perImage - oh * outWidth;
  for (let r = 0; r < rows; r++) {
    const base = cols + r * rowLength;
    const iw0 = ow * strideWidth - padLeft;
    // The filter columns that fall inside the image form one range, so each filter row is one run of memory.
    const jLo = Math.max(0, -iw0);
    const jHi = Math.min(filterWidth, inWidth - iw0);
    for (let i = 0; i < filterHeight; i++) {
      const at = base + i * tapRow;
      const ih = oh * strideHeight + i - padTop;
      if (ih < 0 || ih >= inHeight || jHi <= jLo) {
        zero(heap, at, at + tapRow);
        continue;
      }
      zero(heap, at, at + jLo * inChannels);
      copyRun(heap, x + ((n * inHeight + ih) * inWidth + iw0 + jLo) * inChannels, at + jLo * inChannels, (jHi - jLo) * inChannels);
      zero(heap, at + jHi * inChannels, at + tapRow);
    }
    if (++ow === outWidth) {
      ow = 0;
      if (++oh === outHeight) {
        oh = 0;
        n++;
      }
    }
  }
}

/**
 * The same rows as {@link gatherInputPatches}, written transposed: patch
 * row r's value at position k goes to float `cols + k·rows + r`. For the
 * wasm filter gradient, whose product packs its second operand anew each
 * call: the patches as the first operand, transposed, cost half as much.
 */
export function gatherInputPatchesTransposed(heap: Float32Array, x: number, g: ConvGeometry, firstRow: number, rows: number, cols: number): void {
  const { inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth, padTop, padLeft } = g;
  const tapRow = filterWidth * inChannels;
  const perImage = outHeight * outWidth;
  let n = Math.floor(firstRow / perImage);
  let oh = Math.floor((firstRow - n * perImage) / outWidth);
  let ow = firstRow - n * perImage - oh * outWidth;
  for (let r = 0; r < rows; r++) {
    const iw0 = ow * strideWidth - padLeft;
    const lo = Math.max(0, -iw0) * inChannels;
    const hi = Math.min(filterWidth, inWidth - iw0) * inChannels;
    let to = cols + r;
    for (let i = 0; i < filterHeight; i++) {
      const ih = oh * strideHeight + i - padTop;
      if (ih < 0 || ih >= inHeight || hi <= lo) {
        for (let q = 0; q < tapRow; q++, to += rows) heap[to] = 0;
        continue;
      }
      const from = x + ((n * inHeight + ih) * inWidth + iw0) * inChannels;
      for (let q = 0; q < lo; q++, to += rows) heap[to] = 0;
      for (let q = lo; q < hi; q++, to += rows) heap[to] = heap[from + q];
      for (let q = hi; q < tapRow; q++, to += rows) heap[to] = 0;
    }
    if (++ow === outWidth) {
      ow = 0;
      if (++oh === outHeight) {
        oh = 0;
        n++;
      }
    }
  }
}

/**
 * Rows `firstRow … firstRow + rows - 1` of the output gradient's patch
 * matrix into `heap` from float `cols` on (dy at float `dy`), for the input
 * gradient as a product: row q = (n, ih, iw) of the input holds the dy
 * values of every output position whose patch covers (ih, iw), in the
 * flipped filter's order (kh, kw, out) with kh and kw reversed, zeros where
 * no output position lies (the padding, and between the positions a stride
 * skips). These rows times {@link flipFilter}'s matrix are dx's rows q.
 */
export function gatherGradientPatches(heap: Float32Array, dy: number, g: ConvGeometry, firstRow: number, rows: number, cols: number): void {
  const { inHeight, inWidth, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth, padTop, padLeft } = g;
  const rowLength = filterHeight * filterWidth * outChannels;
  const tapRow = filterWidth * outChannels;
  const perImage = inHeight * inWidth;
  let n = Math.floor(firstRow / perImage);
  let ih = Math.floor((firstRow - n * perImage) / inWidth);
  let iw = firstRow - n * perImage - ih * inWidth;
  for (let r = 0; r < rows; r++) {
    const base = cols + r * rowLength;
    // Flipped tap i' reads output row (ih + padTop - (kh - 1 - i')) / stride, where that is a whole row inside the output.
    const t0 = ih + padTop - filterHeight + 1;
    const u0 = iw + padLeft - filterWidth + 1;
    for (let i = 0; i < filterHeight; i++) {
      const at = base + i * tapRow;
      const t = t0 + i;
      const oh = t / strideHeight;
      if (t < 0 || oh >= outHeight || t % strideHeight !== 0) {
        zero(heap, at, at + tapRow);
        continue;
      }
      const rowStart = dy + (n * outHeight + oh) * outWidth * outChannels;
      if (strideWidth === 1) {
        const jLo = Math.max(0, -u0);
        const jHi = Math.min(filterWidth, outWidth - u0);
        if (jHi <= jLo) {
          zero(heap, at, at + tapRow);
          continue;
        }
        zero(heap, at, at + jLo * outChannels);
        copyRun(heap, rowStart + (u0 + jLo) * outChannels, at + jLo * outChannels, (jHi - jLo) * outChannels);
        zero(heap, at + jHi * outChannels, at + tapRow);
      } else {
        for (let j = 0; j < filterWidth; j++) {
          const u = u0 + j;
          const ow = u / strideWidth;
          const to = at + j * outChannels;
          if (u < 0 || ow >= outWidth || u % strideWidth !== 0) zero(heap, to, to + outChannels);
          else copyRun(heap, rowStart + ow * outChannels, to, outChannels);
        }
      }
    }
    if (++iw === inWidth) {
      iw = 0;
      if (++ih === inHeight) {
        ih = 0;
        n++;
      }
    }
  }
}

/**
 * The filter [kh, kw, in, out] as the [kh·kw·out, in] matrix that
 * {@link gatherGradientPatches}' rows multiply: spatially reversed, each
 * tap's [in, out] block transposed.
 */
export function flipFilter(filter: Float32Array, g: ConvGeometry, out: Float32Array): void {
  const { filterHeight: kh, filterWidth: kw, inChannels: cin, outChannels: cout } = g;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const from = ((kh - 1 - i) * kw + (kw - 1 - j)) * cin * cout;
      const to = (i * kw + j) * cout * cin;
      for (let ci = 0; ci < cin; ci++) {
        for (let co = 0; co < cout; co++) out[to + co * cin + ci] = filter[from + ci * cout + co];
      }
    }
  }
}

/**
 * `to[c·rows + r] = from[(firstRow + r)·columns + c]`: rows of a row-major
 * matrix written transposed, for products whose operand must be the
 * transpose (wasm's matrix product is slow with a transpose flag).
 */
export function transposeRows(from: Float32Array, columns: number, firstRow: number, rows: number, to: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const start = (firstRow + r) * columns;
    for (let c = 0; c < columns; c++) to[c * rows + r] = from[start + c];
  }
}
