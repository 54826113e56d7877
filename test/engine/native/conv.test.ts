import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tf, useBackend } from '../../../src/engine/backend.js';
import { expectTorchClose, pattern } from '../conv-support.js';

/**
 * The native backend's conv kernels (patch matrices times the BLAS,
 * src/engine/conv/native-kernels.ts) against wasm's on the same inputs, on
 * shapes large enough for several chunks of patches; what they hand back to
 * wasm's kernels (dilations); the fused conv with bias and activation.
 * The PyTorch fixtures run on native too (test/engine/conv-*.test.ts under
 * `npm run test:native`).
 */
const warn = vi.spyOn(console, 'warn');
afterAll(() => warn.mockRestore());

beforeAll(async () => {
  await useBackend('native');
});

type Inputs = Record<string, { shape: number[]; seed: number }>;

/** `run` on native and on wasm from the same pattern inputs; each result's values. */
async function onBoth(inputs: Inputs, run: (t: Record<string, tf.Tensor>) => tf.Tensor[]): Promise<{ native: Float32Array[]; wasm: Float32Array[] }> {
  const out: Record<string, Float32Array[]> = {};
  for (const backend of ['native', 'wasm']) {
    await useBackend(backend);
    out[backend] = tf.tidy(() => {
      const tensors = Object.fromEntries(Object.entries(inputs).map(([k, { shape, seed }]) => [k, tf.tensor(pattern(shape.reduce((p, d) => p * d, 1), seed, 0.5), shape)]));
      return run(tensors).map((t) => (t.dataSync() as Float32Array).slice());
    });
  }
  await useBackend('native');
  return { native: out.native, wasm: out.wasm };
}

describe('native conv kernels', () => {
  it('registered without TF.js warnings, in place of the copies of wasm', () => {
    expect(warn.mock.calls.filter((call) => /already registered/.test(String(call[0])))).toEqual([]);
    for (const name of ['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']) {
      expect(tf.getKernel(name, 'native')!.kernelFunc, name).not.toBe(tf.getKernel(name, 'wasm')?.kernelFunc);
    }
  });

  it.each([
    ['3×3 same, stride 1, 16→32 channels', 3, 1, 'same', 16, 32],
    ['5×5 valid, stride 2, 3→8 channels', 5, 2, 'valid', 3, 8],
    ['1×1, stride 1 (the input is the patch matrix)', 1, 1, 'valid', 16, 8],
  ] as const)('forward and both gradients equal wasm: %s', async (_, k, stride, pad, cin, cout) => {
    // 8 images of 28×28: at least 6272 patch rows, more than one chunk of 2¹⁸ floats for the 3×3 and 5×5 filters.
    const r = await onBoth({ x: { shape: [8, 28, 28, cin], seed: 1 }, w: { shape: [k, k, cin, cout], seed: 2 } }, ({ x, w }) => {
      const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad);
      const dy = tf.tensor(pattern(y.size, 3), y.shape);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), dy)))([x, w]);
      return [y, dx, dw];
    });
    for (let i = 0; i < 3; i++) expectTorchClose(r.native[i], r.wasm[i]);
  });

  it.each(['linear', 'relu', 'elu'] as const)('the fused conv with a bias and %s equals conv, add, activation', async (activation) => {
    const r = await onBoth({ x: { shape: [3, 9, 7, 4], seed: 4 }, w: { shape: [3, 3, 4, 6], seed: 5 }, b: { shape: [6], seed: 6 } }, ({ x, w, b }) => {
      const fused = tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, bias: b, strides: 2, pad: 'same', activation });
      const sum = tf.add(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'), b);
      const plain = activation === 'relu' ? tf.relu(sum) : activation === 'elu' ? tf.elu(sum) : sum;
      return [fused, plain];
    });
    expectTorchClose(r.native[0], r.native[1]);
    expectTorchClose(r.native[0], r.wasm[1]);
  });

  it('a dilated convolution goes to the wasm kernel, with the same values', async () => {
    const r = await onBoth({ x: { shape: [2, 9, 9, 3], seed: 7 }, w: { shape: [3, 3, 3, 4], seed: 8 } }, ({ x, w }) => [tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NHWC', 2)]);
    expect(Array.from(r.native[0])).toEqual(Array.from(r.wasm[0]));
  });
});
