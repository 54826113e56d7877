import { readFileSync } from 'node:fs';
import { tf } from '../../src/engine/backend.js';
import { expectClose } from '../support.js';

/**
 * The inputs of the PyTorch fixtures (bench/peer/conv_fixtures.py), computed
 * as the script does: multiples of 1/32768 in [-1, 1) from the upper 16
 * bits of Knuth's multiplicative hash, every step an integer below 2⁵³.
 */
export function pattern(count: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const k = ((i + 7919 * seed) * 2654435761) % 4294967296;
    out[i] = (Math.floor(k / 65536) / 32768 - 1) * scale;
  }
  return out;
}

export interface ConvFixture {
  n: number;
  in: number;
  out: number;
  h: number;
  w: number;
  k: number | [number, number];
  stride: number | [number, number];
  padding: 'same' | 'valid';
  outShape: [number, number, number, number];
  y: number[];
  dx: number[];
  dw: number[];
}

export interface PoolFixture {
  op: 'max' | 'avg';
  n: number;
  c: number;
  h: number;
  w: number;
  k: number;
  stride: number;
  padding: 'same' | 'valid';
  seed: number;
  outShape: [number, number, number, number];
  y: number[];
  dx: number[];
}

export interface SgdFixture {
  labels: number[];
  lr: number;
  loss: number;
  initial: Record<string, number[]>;
  grad: Record<string, number[]>;
  after: Record<string, number[]>;
}

export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/torch/${name}`, import.meta.url), 'utf8')) as T;
}

/** PyTorch's NCHW (or [out, in, kh, kw]) values as TF.js's NHWC (or [kh, kw, in, out]) tensor. */
export function fromTorch(values: ArrayLike<number>, torchShape: number[], kind: 'activation' | 'filter'): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.tensor4d(Float32Array.from(values), torchShape as [number, number, number, number]), kind === 'activation' ? [0, 2, 3, 1] : [2, 3, 1, 0]));
}

/** A TF.js NHWC (or [kh, kw, in, out]) tensor's values in PyTorch's order. */
export function toTorch(t: tf.Tensor, kind: 'activation' | 'filter'): Float32Array {
  return tf.tidy(() => tf.transpose(t, kind === 'activation' ? [0, 3, 1, 2] : [3, 2, 0, 1]).dataSync() as Float32Array).slice();
}

/**
 * Within 1e-5 of the reference relative to its largest value (float32 sums
 * in another order differ by a few ulps of the terms, not of a result that
 * cancels to near zero), and 1e-5 relative elementwise on top.
 */
export function expectTorchClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel = 1e-5): void {
  let scale = 0;
  for (let k = 0; k < expected.length; k++) scale = Math.max(scale, Math.abs(expected[k]));
  expectClose(actual, expected, rel * scale, rel);
}
