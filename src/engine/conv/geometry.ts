// tfjs-core itself, not ../backend.js: backend.ts imports this file to register the kernels.
import * as tf from '@tensorflow/tfjs-core';

/**
 * The shape of a 2-D convolution as localprop's conv kernels compute it:
 * NHWC tensors, filters [kh, kw, in, out], no dilation. Padding is TF.js's
 * (`same` puts the odd pixel at the bottom and right), so the kernels give
 * what TF.js's own cpu kernels give.
 */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

/** The attributes TF.js's conv kernels (Conv2D, its two gradients, FusedConv2D) receive. */
export interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Why these kernels cannot compute a convolution (NCHW data or a dilation),
 * or null when they can; the caller then hands the call to another kernel or
 * says so.
 */
export function unsupported(attrs: ConvAttrs): string | null {
  if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC') return `data format ${attrs.dataFormat} (only NHWC)`;
  const d = attrs.dilations ?? 1;
  const [dh, dw] = typeof d === 'number' ? [d, d] : d;
  if (dh !== 1 || dw !== 1) return `dilations ${dh}×${dw} (only 1)`;
  return null;
}

/** The geometry of a convolution of `inShape` (NHWC) by `filterShape` ([kh, kw, in, out]) under TF.js's attributes. */
export function convGeometry(inShape: number[], filterShape: number[], attrs: ConvAttrs): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** The length of one patch row: kh·kw·in (the filter's rows as a [kh·kw·in, out] matrix). */
export function patchLength(g: ConvGeometry): number {
  return g.filterHeight * g.filterWidth * g.inChannels;
}

/** The length of one row of output-gradient patches (the input gradient's product): kh·kw·out. */
export function gradientPatchLength(g: ConvGeometry): number {
  return g.filterHeight * g.filterWidth * g.outChannels;
}

/**
 * Patch rows per product: the patch matrix is built and multiplied one
 * chunk at a time, so it never holds a whole batch (a batch of 128 28×28
 * images with 3×3×32 patches is 115 MB) and each chunk is still in cache
 * when the product reads it.
 */
export function rowsPerChunk(rowLength: number, totalRows: number, chunkFloats = CHUNK_FLOATS): number {
  return Math.max(1, Math.min(totalRows, Math.floor(chunkFloats / Math.max(1, rowLength))));
}

/** The size of one chunk of patches, in floats (see {@link rowsPerChunk}). */
export const CHUNK_FLOATS = 1 << 18;
