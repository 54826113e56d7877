import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../../src/engine/backend.js';
import { loadBlas } from '../../../src/engine/native/blas.js';
import { WorkerEvaluator } from '../../../src/node/worker-evaluator.js';
import { expectClose } from '../../support.js';

/**
 * Every kernel the native backend replaces, against the wasm kernel it
 * replaces, on the same inputs. Runs under `npm run test:native` only, which
 * fails without a BLAS. The BLAS sums in another order than XNNPACK, so
 * values agree to float32 rounding of sums over k terms, not bit for bit.
 */

type Run = (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[];

/**
 * Reads `run()` on native and `reference()` (by default the same) on the
 * reference backend (by default wasm), from the same plain inputs.
 */
async function onBoth(inputs: { shape: number[]; seed: number }[], run: Run, reference: Run = run, referenceBackend = 'wasm'): Promise<{ wasm: Float32Array[]; native: Float32Array[]; shapes: number[][] }> {
  const values = inputs.map(({ shape, seed }) => tf.tidy(() => tf.randomNormal(shape, 0, 1, 'float32', seed).dataSync() as Float32Array).slice());
  const results: Record<string, { data: Float32Array[]; shapes: number[][] }> = {};
  for (const [key, backend, f] of [['wasm', referenceBackend, reference], ['native', 'native', run]] as const) {
    await useBackend(backend);
    const out = tf.tidy(() => {
      const xs = inputs.map(({ shape }, i) => tf.tensor(values[i], shape));
      const r = f(...xs);
      const list = Array.isArray(r) ? r : [r];
      return { data: list.map((t) => (t.dataSync() as Float32Array).slice()), shapes: list.map((t) => [...t.shape]) };
    });
    results[key] = out;
  }
  expect(results.native.shapes).toEqual(results.wasm.shapes);
  return { wasm: results.wasm.data, native: results.native.data, shapes: results.wasm.shapes };
}

function expectSame(r: { wasm: Float32Array[]; native: Float32Array[] }, k: number): void {
  // A sum of k products of unit normals: rounding grows like √k ulps of values of size √k.
  const tol = 2e-6 * Math.max(1, k);
  for (let i = 0; i < r.wasm.length; i++) expectClose(r.native[i], r.wasm[i], tol, 1e-5);
}

const stored = (rows: number, cols: number, transposed: boolean) => (transposed ? [cols, rows] : [rows, cols]);

beforeAll(async () => {
  await useBackend('native');
  expect(tf.getBackend()).toBe('native');
});

describe('native BatchMatMul equals wasm', () => {
  // m×k · k×n, odd sizes, rows and columns of 1, a sum of 1 term, a block large enough for the BLAS's packed path.
  const sizes: [number, number, number][] = [[3, 5, 7], [1, 9, 4], [6, 1, 5], [4, 7, 1], [1, 1, 1], [1, 13, 1], [65, 129, 33]];
  const flags: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];
  for (const [m, k, n] of sizes) {
    for (const [ta, tb] of flags) {
      it(`${m}×${k} · ${k}×${n}, transposeA ${ta}, transposeB ${tb}`, async () => {
        const r = await onBoth([{ shape: stored(m, k, ta), seed: 1 }, { shape: stored(k, n, tb), seed: 2 }], (a, b) => tf.matMul(a, b, ta, tb));
        expect(r.shapes[0]).toEqual([m, n]);
        expectSame(r, k);
      });
    }
  }

  it('computes a product by hand: [[1, 2], [3, 4]]ᵀ · [[5, 6], [7, 8]] = [[26, 30], [38, 44]]', async () => {
    await useBackend('native');
    const out = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]]), true, false);
    expect(Array.from(out.dataSync())).toEqual([26, 30, 38, 44]);
    const outT = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]]), false, true);
    // [1·5 + 2·6, 1·7 + 2·8; 3·5 + 4·6, 3·7 + 4·8]
    expect(Array.from(outT.dataSync())).toEqual([17, 23, 39, 53]);
  });

  it('multiplies batches, and broadcasts a batch of one against many', async () => {
    for (const [sa, sb, ta, tb] of [[[4, 3, 5], [4, 5, 2], false, false], [[4, 5, 3], [1, 2, 5], true, true], [[1, 3, 5], [4, 5, 2], false, false]] as [number[], number[], boolean, boolean][]) {
      const r = await onBoth([{ shape: sa, seed: 3 }, { shape: sb, seed: 4 }], (a, b) => tf.matMul(a, b, ta, tb));
      expectSame(r, 5);
    }
  });

  it('broadcasts leading dims of different ranks like NumPy (by hand: TF.js 4.22 wasm and cpu both return too few values here)', async () => {
    await useBackend('native');
    const av = Float32Array.from({ length: 2 * 1 * 3 * 4 }, (_, i) => (i % 5) - 2);
    const bv = Float32Array.from({ length: 3 * 4 * 2 }, (_, i) => (i % 3) - 1);
    const out = tf.matMul(tf.tensor(av, [2, 1, 3, 4]), tf.tensor(bv, [3, 4, 2]));
    expect(out.shape).toEqual([2, 3, 3, 2]);
    const data = out.dataSync();
    expect(data.length).toBe(36);
    for (let p = 0; p < 2; p++) for (let q = 0; q < 3; q++) for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) {
      let sum = 0;
      for (let k = 0; k < 4; k++) sum += av[p * 12 + i * 4 + k] * bv[q * 8 + k * 2 + j];
      expect(data[((p * 3 + q) * 3 + i) * 2 + j]).toBe(sum);
    }
  });

  it('gives zeros for an empty sum and an empty result for an empty operand', async () => {
    await useBackend('native');
    const zero = tf.matMul(tf.zeros([3, 0]), tf.zeros([0, 2]));
    expect(zero.shape).toEqual([3, 2]);
    expect(Array.from(zero.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    expect(tf.matMul(tf.zeros([0, 4]), tf.ones([4, 2])).shape).toEqual([0, 2]);
  });

  it('refuses inner sizes that do not match, like wasm', async () => {
    await useBackend('native');
    expect(() => tf.matMul(tf.ones([2, 3]), tf.ones([4, 2]))).toThrow(/inner shapes \(3\) and \(4\)/);
  });
});

/**
 * The reference is wasm's matMul, add and activation kernels one after the
 * other: TF.js 4.22's own wasm _FusedMatMul adds the bias wrongly when an
 * operand is transposed or the bias has one value (it disagrees with its cpu
 * backend and with the unfused ops there), so it is no reference.
 */
describe('native _FusedMatMul equals the wasm kernels it fuses', () => {
  const activate: Record<string, (x: tf.Tensor, alpha?: tf.Tensor) => tf.Tensor> = {
    linear: (x) => x,
    relu: (x) => tf.relu(x),
    relu6: (x) => tf.relu6(x),
    sigmoid: (x) => tf.sigmoid(x),
    elu: (x) => tf.elu(x),
    leakyrelu: (x) => tf.leakyRelu(x, 0.1),
    prelu: (x, alpha) => tf.prelu(x, alpha!),
  };
  const flags: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];
  for (const [ta, tb] of flags) {
    for (const activation of ['linear', 'relu', 'sigmoid', 'elu', 'leakyrelu', 'relu6'] as const) {
      it(`bias and ${activation}, transposeA ${ta}, transposeB ${tb}, odd sizes`, async () => {
        const r = await onBoth(
          [{ shape: stored(5, 9, ta), seed: 5 }, { shape: stored(9, 3, tb), seed: 6 }, { shape: [3], seed: 7 }],
          (a, b, bias) => tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, transposeA: ta, transposeB: tb, bias, activation, leakyreluAlpha: 0.1 }),
          (a, b, bias) => activate[activation](tf.add(tf.matMul(a, b, ta, tb), bias)),
        );
        expectSame(r, 9);
      });
    }
  }

  it('without bias, a row of 1, a bias of one value, and prelu', async () => {
    expectSame(await onBoth([{ shape: [1, 6], seed: 8 }, { shape: [6, 4], seed: 9 }], (a, b) => tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D }), (a, b) => tf.matMul(a, b)), 6);
    expectSame(
      await onBoth([{ shape: [3, 6], seed: 8 }, { shape: [6, 4], seed: 9 }, { shape: [1], seed: 10 }], (a, b, bias) => tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias }), (a, b, bias) => tf.add(tf.matMul(a, b), bias)),
      6,
    );
    expectSame(
      await onBoth(
        [{ shape: [3, 6], seed: 8 }, { shape: [6, 4], seed: 9 }, { shape: [4], seed: 10 }, { shape: [4], seed: 11 }],
        (a, b, bias, alpha) => tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation: 'prelu', preluActivationWeights: alpha }),
        (a, b, bias, alpha) => activate.prelu(tf.add(tf.matMul(a, b), bias), alpha),
      ),
      6,
    );
  });

  it('adds the bias to every row: [[1, 0], [0, 1]] · [[2], [3]] + [10] = [[12], [13]]', async () => {
    await useBackend('native');
    const out = tf.fused.matMul({ a: tf.tensor2d([[1, 0], [0, 1]]), b: tf.tensor2d([[2], [3]]), bias: tf.tensor1d([10]) });
    expect(Array.from(out.dataSync())).toEqual([12, 13]);
  });
});

describe('native Transpose equals wasm', () => {
  for (const shape of [[3, 5], [1, 7], [7, 1], [1, 1], [33, 65], [1, 4, 1, 6]]) {
    it(`transposes [${shape.join(', ')}] exactly`, async () => {
      const r = await onBoth([{ shape, seed: 12 }], (x) => tf.transpose(x));
      // A copy: bit for bit.
      expect(Array.from(r.native[0])).toEqual(Array.from(r.wasm[0]));
    });
  }

  it('hands other permutations to the wasm kernel, which gives the same', async () => {
    const r = await onBoth([{ shape: [2, 3, 4], seed: 13 }], (x) => [tf.transpose(x, [1, 0, 2]), tf.transpose(x, [2, 0, 1]), tf.transpose(x, [0, 1, 2])]);
    for (let i = 0; i < 3; i++) expect(Array.from(r.native[i])).toEqual(Array.from(r.wasm[i]));
  });

  it('transposes by hand: [[1, 2, 3], [4, 5, 6]]ᵀ = [[1, 4], [2, 5], [3, 6]]', async () => {
    await useBackend('native');
    const t = tf.transpose(tf.tensor2d([[1, 2, 3], [4, 5, 6]]));
    expect(t.shape).toEqual([3, 2]);
    expect(Array.from(t.dataSync())).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

describe('native GatherV2 equals wasm', () => {
  /** `tf.gather(x, indices, axis)` on native and on wasm, from the same values. */
  async function gatherOnBoth(shape: number[], indices: number[] | number[][], axis: number, dtype: 'float32' | 'int32' = 'float32', batchDims = 0) {
    const size = shape.reduce((p, d) => p * d, 1);
    const values = Array.from({ length: size }, (_, k) => (dtype === 'int32' ? k * 3 - 7 : Math.fround(Math.sin(k) * 100)));
    const out: Record<string, { data: number[]; shape: number[] }> = {};
    for (const backend of ['wasm', 'native']) {
      await useBackend(backend);
      out[backend] = tf.tidy(() => {
        const r = tf.gather(tf.tensor(values, shape, dtype), tf.tensor(indices, undefined, 'int32'), axis, batchDims);
        return { data: Array.from(r.dataSync()), shape: [...r.shape] };
      });
    }
    expect(out.native).toEqual(out.wasm);
    return out.native;
  }

  it.each([
    [[7, 5], [6, 0, 3, 3], 0],
    [[7, 5], [4, 0], 1],
    [[7, 5], [4, 0, 2], -1],
    [[2, 3, 4], [2, 0], 1],
    [[3, 4], [[1, 2], [0, 0]], 0],
    [[6, 1], [5], 0],
    [[1, 784], [0, 0], 0],
  ])('gathers [%j] at %j along axis %i exactly', async (shape, indices, axis) => {
    await gatherOnBoth(shape, indices, axis);
  });

  it('gathers rows by hand, int32 too: rows 2, 0 of [[0, 1], [2, 3], [4, 5]]', async () => {
    await useBackend('native');
    const r = tf.tidy(() => Array.from(tf.gather(tf.tensor2d([0, 1, 2, 3, 4, 5], [3, 2], 'int32'), tf.tensor1d([2, 0], 'int32')).dataSync()));
    expect(r).toEqual([4, 5, 0, 1]);
    await gatherOnBoth([4, 3], [3, 1], 0, 'int32');
  });

  it('gives an empty result for no indices, and hands batch dims to the wasm kernel', async () => {
    expect((await gatherOnBoth([4, 3], [], 0)).shape).toEqual([0, 3]);
    await gatherOnBoth([2, 4, 3], [[1, 3], [0, 0]], 1, 'float32', 1);
  });

  it('refuses an index out of range with the wasm kernel\'s message', async () => {
    await useBackend('native');
    expect(() => tf.tidy(() => tf.gather(tf.zeros([3, 2]), tf.tensor1d([3], 'int32')))).toThrow('GatherV2: the index value 3 is not in [0, 2]');
    expect(() => tf.tidy(() => tf.gather(tf.zeros([3, 2]), tf.tensor1d([-1], 'int32')))).toThrow('GatherV2: the index value -1 is not in [0, 2]');
  });
});

describe('the native backend when the wasm heap grows', () => {
  it('reads the operands where they are after the output grew the heap (views taken after allocation)', async () => {
    await useBackend('native');
    const rows = 4096;
    const av = Float32Array.from({ length: rows * 3 }, (_, i) => (i % 7) - 3);
    const bv = Float32Array.from({ length: 3 * rows }, (_, i) => (i % 5) - 2);
    const a = tf.tensor2d(av, [rows, 3]);
    const b = tf.tensor2d(bv, [3, rows]);
    const memory = () => ((tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.byteLength);
    const heapBefore = memory();
    // A 64 MiB output: more than the heap had free, so allocating it grows (and moves) the memory.
    const out = tf.matMul(a, b);
    expect(memory()).toBeGreaterThan(heapBefore);
    const data = out.dataSync();
    for (const [i, j] of [[0, 0], [1, 4095], [4095, 1], [2047, 2048]]) {
      const byHand = av[i * 3] * bv[j] + av[i * 3 + 1] * bv[rows + j] + av[i * 3 + 2] * bv[2 * rows + j];
      expect(data[i * rows + j]).toBe(byHand);
    }
    tf.dispose([a, b, out]);
  });
});

describe('the BLAS thread count on the native backend', () => {
  it("runs one BLAS thread per caller while the evaluation thread lives, and the library's own count after", async () => {
    await useBackend('native');
    const threads = loadBlas()!.threads!;
    const own = threads.get();
    const evaluator = WorkerEvaluator.start();
    expect(threads.get()).toBe(1);
    await evaluator.close();
    expect(threads.get()).toBe(own);
  });
});
