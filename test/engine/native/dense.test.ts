import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../../src/engine/backend.js';
import { dense, denseFixedInput } from '../../../src/engine/dense.js';

/** Kernels launched while `f` runs, by name. */
function launched(f: () => void): string[] {
  const engine = tf.engine() as unknown as { runKernel: (name: string, ...rest: unknown[]) => unknown };
  const original = engine.runKernel;
  const names: string[] = [];
  engine.runKernel = function (this: unknown, name: string, ...rest: unknown[]) {
    names.push(name);
    return original.call(this, name, ...rest);
  };
  try {
    tf.tidy(f);
  } finally {
    engine.runKernel = original;
  }
  return names;
}

const bits = (t: tf.Tensor) => Array.from(new Uint32Array(Float32Array.from(t.dataSync() as Float32Array).buffer));

/**
 * The dense op on native: its forward is the fused product's kernel called
 * on the matrices as they are, one kernel, with the numbers of
 * `tf.fused.matMul` (which reshapes to a batch of one around the same kernel).
 */
describe('dense on the native backend', () => {
  beforeAll(async () => {
    await useBackend('native');
  });

  it.each([
    [1000, 2, 100],
    [7, 13, 1],
    [1, 5, 3],
  ])('x [%i, %i] · w + b [%i]: one kernel, bit for bit tf.fused.matMul', (rows, inputs, outputs) => {
    const x = tf.randomNormal([rows, inputs], 0, 1, 'float32', 1) as tf.Tensor2D;
    const w = tf.randomNormal([inputs, outputs], 0, 1, 'float32', 2) as tf.Tensor2D;
    const b = tf.randomNormal([outputs], 0, 1, 'float32', 3) as tf.Tensor1D;
    expect(launched(() => dense(x, w, b))).toEqual(['_FusedMatMul']);
    const reference = tf.fused.matMul({ a: x, b: w, bias: b });
    for (const out of [dense(x, w, b), denseFixedInput(x, w, b)]) {
      expect(out.shape).toEqual([rows, outputs]);
      expect(bits(out)).toEqual(bits(reference));
    }
    tf.dispose([x, w, b, reference]);
  });

  it('adds the bias by hand: [[1, 2], [3, 4]] · [[1, 0], [0, 1]] + [10, 20] = [[11, 22], [13, 24]]', () => {
    const out = dense(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[1, 0], [0, 1]]), tf.tensor1d([10, 20]));
    expect(Array.from(out.dataSync())).toEqual([11, 22, 13, 24]);
  });
});
