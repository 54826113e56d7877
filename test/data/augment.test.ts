import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/engine/backend.js';
import { augmentImages, imageSide, standardize } from '../../src/data/augment.js';
import { makeDataset, oneHot } from '../../src/data/dataset.js';
import { Session } from '../../src/train/session.js';
import { Network } from '../../src/model/network.js';
import { initialParameters } from '../../src/model/parameters.js';
import { parseModelSpec } from '../../src/model/spec.js';
import { createOptimizer } from '../../src/optim/index.js';
import { Run, resolveRunOptions } from '../../src/train/run.js';
import { Rng } from '../../src/util/rng.js';
import { localpropErrorOf } from '../support.js';

beforeAll(async () => {
  await useBackend('wasm');
});

/** 5×5 images, each with one lit pixel at (row, col). */
function dots(spots: [number, number][]): Float32Array {
  const x = new Float32Array(spots.length * 25);
  spots.forEach(([r, c], k) => (x[k * 25 + r * 5 + c] = 1));
  return x;
}
const litAt = (img: Float32Array, k: number) => {
  const i = Array.from(img.subarray(k * 25, (k + 1) * 25)).indexOf(1);
  return i < 0 ? null : [Math.floor(i / 5), i % 5];
};

describe('jitter and flip', () => {
  it('shift each image by at most the jitter and mirror it, keep the shape, and fill what comes in from outside', () => {
    const x = dots([[2, 2], [2, 0], [0, 4]]);
    const rows = [0, 1, 2, 0, 0, 0, 0, 0];
    const out = augmentImages(x, 5, rows, { jitter: 1, flip: true }, -7, new Rng(1));
    expect(out.length).toBe(rows.length * 25);
    const moves = new Set<string>();
    for (let k = 0; k < rows.length; k++) {
      const img = out.subarray(k * 25, (k + 1) * 25);
      // Every pixel is the image's (0 or 1) or the fill.
      expect(Array.from(img).every((v) => v === 0 || v === 1 || v === -7)).toBe(true);
      if (rows[k] !== 0) continue;
      const at = litAt(out, k)!;
      // The centre dot stays within one pixel of the centre (a flip keeps its column).
      expect(Math.abs(at[0] - 2)).toBeLessThanOrEqual(1);
      expect(Math.abs(at[1] - 2)).toBeLessThanOrEqual(1);
      moves.add(at.join(','));
    }
    expect(moves.size).toBeGreaterThan(1);
  });

  it('with no jitter and no flip give the images unchanged; a flip alone mirrors columns', () => {
    const x = Float32Array.from({ length: 50 }, (_, i) => i);
    expect(Array.from(augmentImages(x, 5, [1, 0], { jitter: 0, flip: false }, 0, new Rng(0)))).toEqual([...Array.from(x.subarray(25)), ...Array.from(x.subarray(0, 25))]);
    const flips = augmentImages(x, 5, Array(16).fill(0), { jitter: 0, flip: true }, 0, new Rng(0));
    const firstRows = Array.from({ length: 16 }, (_, k) => Array.from(flips.subarray(k * 25, k * 25 + 5)).join(','));
    expect(new Set(firstRows)).toEqual(new Set(['0,1,2,3,4', '4,3,2,1,0']));
  });

  it('are seeded: the same seed draws the same images, another seed others', () => {
    const x = Float32Array.from({ length: 4 * 25 }, (_, i) => (i * 7) % 11);
    const rows = [0, 1, 2, 3, 1, 2];
    const a = augmentImages(x, 5, rows, { jitter: 2, flip: true }, 0, new Rng(9));
    expect(augmentImages(x, 5, rows, { jitter: 2, flip: true }, 0, new Rng(9))).toEqual(a);
    expect(augmentImages(x, 5, rows, { jitter: 2, flip: true }, 0, new Rng(10))).not.toEqual(a);
  });

  it('change only the training inputs of a session: its batches keep their labels and shapes, the stream moves on from batch to batch', () => {
    const spec = parseModelSpec('25-3-2');
    const labels = Array.from({ length: 10 }, (_, i) => i % 2);
    const data = makeDataset(Float32Array.from({ length: 250 }, (_, i) => (i % 25) / 25), oneHot(labels, 2), 25, 2);
    const net = Network.fromParameters(spec, initialParameters(spec, new Rng(0)), 'test');
    const options = { step: 'batch' as const, batchSize: 4, decoders: 'learned' as const, hiddenLoss: 'ce' as const };
    const plain = new Session(net, createOptimizer({ name: 'adam', lr: 1e-3 }), data, data, options, new Rng(3));
    const jittered = new Session(net, createOptimizer({ name: 'adam', lr: 1e-3 }), data, data, { ...options, augment: { jitter: 2, flip: true, fill: 0 } }, new Rng(3), undefined, undefined, new Rng(4));
    plain.beginEpoch();
    jittered.beginEpoch();
    const a = [...plain.chunks()].length;
    const got: { x: number[]; y: number[]; rows: number[] }[] = [];
    for (const chunk of jittered.chunks()) got.push({ x: Array.from(chunk.x.dataSync()), y: Array.from(chunk.y.dataSync()), rows: Array.from(chunk.indices!.dataSync()) });
    expect(got).toHaveLength(a);
    for (const g of got) {
      expect(g.x.length).toBe(g.rows.length * 25);
      expect(g.y).toEqual(g.rows.flatMap((r) => (labels[r] ? [0, 1] : [1, 0])));
    }
    // The test set is never augmented: evaluation is the same network on the same data either way.
    expect(jittered.evaluateTest()).toEqual(plain.evaluateTest());
    plain.dispose();
    jittered.dispose();
    net.dispose();
  });

  it('refuse what is not a square image, and --step epoch', () => {
    expect(localpropErrorOf(() => imageSide(10))).toMatch(/square grey images.*10 inputs/);
    expect(localpropErrorOf(() => resolveRunOptions({ schedule: 'backprop', seed: 0, step: 'epoch', augment: { jitter: 2, flip: false } }, 2))).toMatch(/use --step batch/);
    const spec = parseModelSpec('10-3-2');
    const data = makeDataset(new Float32Array(40), oneHot([0, 1, 0, 1], 2), 10, 2);
    expect(localpropErrorOf(() => new Run({ schedule: 'backprop', spec, parameters: initialParameters(spec, new Rng(0)), train: data, test: data, seed: 0, step: 'batch', augment: { jitter: 1, flip: false } }))).toMatch(/square grey images/);
  });
});

describe('standardisation', () => {
  it("is torchvision's (x - mean)/std and leaves its input alone", () => {
    const x = Float32Array.from([0, 0.1307, 1]);
    const out = standardize(x, 0.1307, 0.3081);
    expect(out[0]).toBeCloseTo(-0.1307 / 0.3081, 6);
    expect(out[1]).toBeCloseTo(0, 6);
    expect(out[2]).toBeCloseTo((1 - 0.1307) / 0.3081, 6);
    expect(x[2]).toBe(1);
    expect(localpropErrorOf(() => standardize(x, 0, 0))).toMatch(/std > 0/);
  });

  it('applies to the training set of a run (and the test set alike), recorded with its options', async () => {
    const spec = parseModelSpec('4-2');
    const data = makeDataset(Float32Array.from([0, 1, 0, 1, 1, 0, 1, 0]), oneHot([0, 1], 2), 4, 2);
    const run = new Run({ schedule: 'backprop', spec, parameters: initialParameters(spec, new Rng(0)), train: data, test: data, seed: 0, epochs: 1, step: 'batch', batchSize: 2, standardize: { mean: 0.5, std: 0.5 } });
    expect(Array.from(run.trainSet.x)).toEqual([-1, 1, -1, 1, 1, -1, 1, -1]);
    expect(run.options.standardize).toEqual({ mean: 0.5, std: 0.5 });
    await run.complete();
    run.dispose();
  });
});
