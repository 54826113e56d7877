import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { Network } from '../../src/model/network.js';
import { Decoder } from '../../src/rules/decoder.js';
import { initialParameters } from '../../src/model/parameters.js';
import { parseModelSpec, SEED_MODEL } from '../../src/model/spec.js';
import { allBlockGrids, areaOf, blockGrid, gridInputs, gridPoint, networkGrid, readCell, SEED_AREA } from '../../src/report/grid.js';
import { Rng } from '../../src/util/rng.js';
import { makeDataset } from '../../src/data/dataset.js';

beforeAll(async () => {
  await useBackend('cpu');
});

function predictAt(network: Network, points: [number, number][]): Float32Array {
  const x = tf.tensor2d(points.flat(), [points.length, 2]);
  const y = network.predict(x);
  const values = y.dataSync() as Float32Array;
  x.dispose();
  y.dispose();
  return values;
}

describe('boundary grids', () => {
  it('lays the lattice out like an image: row 0 at the top, edges included', () => {
    expect(gridPoint(SEED_AREA, 5, 0, 0)).toEqual([-1, 1]);
    expect(gridPoint(SEED_AREA, 5, 4, 4)).toEqual([1, -1]);
    expect(gridPoint(SEED_AREA, 5, 2, 1)).toEqual([-0.5, 0]);
    const x = gridInputs({ x: [0, 2], y: [10, 20] }, 3);
    // Row 1 (y = 15), column 2 (x = 2).
    expect([x[2 * 5], x[2 * 5 + 1]]).toEqual([2, 15]);
  });

  it("holds the network's own predictions at the lattice points", () => {
    const spec = parseModelSpec(SEED_MODEL);
    const network = Network.fromParameters(spec, initialParameters(spec, new Rng(3)));
    const grid = networkGrid(network, SEED_AREA, 7);
    expect(grid.outputs).toBe(1);
    expect(grid.values.length).toBe(49);
    const cells: [number, number][] = [
      [0, 0],
      [3, 5],
      [6, 6],
      [2, 4],
    ];
    const expected = predictAt(network, cells.map(([r, c]) => gridPoint(SEED_AREA, 7, r, c)));
    cells.forEach(([r, c], k) => expect(grid.values[r * 7 + c]).toBeCloseTo(expected[k], 6));
    network.dispose();
  });

  it("reads a hidden block through its decoder: the sigmoid of decoder(encoder) for bce, the raw output for mse", () => {
    const spec = parseModelSpec('2-8-6-1 hidden=tanh out=sigmoid');
    const network = Network.fromParameters(spec, initialParameters(spec, new Rng(4)));
    const point = gridPoint(SEED_AREA, 5, 1, 3);
    const x = tf.tensor2d([point], [1, 2]);
    const decoded = (network.rules[1] as Decoder).apply(network.encode(x, 2));
    const raw = decoded.dataSync()[0];
    const mse = blockGrid(network, 1, 'mse', SEED_AREA, 5);
    const bce = blockGrid(network, 1, 'bce', SEED_AREA, 5);
    expect(mse.values[1 * 5 + 3]).toBeCloseTo(raw, 6);
    expect(bce.values[1 * 5 + 3]).toBeCloseTo(1 / (1 + Math.exp(-raw)), 6);
    // The last block has no decoder: its grid is the network's.
    expect(Array.from(blockGrid(network, 2, 'mse', SEED_AREA, 5).values)).toEqual(Array.from(networkGrid(network, SEED_AREA, 5).values));
    expect(() => blockGrid(network, 3, 'mse', SEED_AREA, 5)).toThrow(/block 3 does not exist/);
    // One pass over every block gives the same grids.
    const all = allBlockGrids(network, 'bce', SEED_AREA, 5);
    all.forEach((g, b) => Array.from(g.values).forEach((v, k) => expect(v).toBeCloseTo(blockGrid(network, b, 'bce', SEED_AREA, 5).values[k], 6)));
    tf.dispose([x, decoded]);
    network.dispose();
  });

  it('gives one probability per class for a softmax network, summing to 1', () => {
    const spec = parseModelSpec('2-10-3');
    const network = Network.fromParameters(spec, initialParameters(spec, new Rng(1)));
    const grid = networkGrid(network, SEED_AREA, 4);
    expect(grid.outputs).toBe(3);
    for (let i = 0; i < 16; i++) expect(grid.values[3 * i] + grid.values[3 * i + 1] + grid.values[3 * i + 2]).toBeCloseTo(1, 5);
    network.dispose();
  });

  it('refuses models that do not take 2-D input', () => {
    const spec = parseModelSpec('3-4-1');
    const network = Network.fromParameters(spec, initialParameters(spec, new Rng(1)));
    expect(() => networkGrid(network, SEED_AREA, 4)).toThrow(/2-D inputs only; this model takes 3/);
    network.dispose();
  });

  it('reads a cell as a class and a confidence', () => {
    const one = { area: SEED_AREA, size: 1, outputs: 1, values: new Float32Array([0.8]) };
    expect(readCell(one, 0)).toEqual({ label: 1, confidence: expect.closeTo(0.8, 6) });
    const three = { area: SEED_AREA, size: 1, outputs: 3, values: new Float32Array([0.2, 0.2, 0.6]) };
    // Lead over a uniform guess: (0.6 - 1/3) / (2/3) = 0.4.
    expect(readCell(three, 0).label).toBe(2);
    expect(readCell(three, 0).confidence).toBeCloseTo(0.4, 6);
  });

  it("draws the seed's square unless points reach beyond it, then widens with a 5% margin", () => {
    expect(areaOf(makeDataset(new Float32Array([0.5, -0.5, -1, 1]), new Float32Array([0, 1]), 2, 1))).toEqual(SEED_AREA);
    const area = areaOf(makeDataset(new Float32Array([1.2, 0, -1, 0]), new Float32Array([0, 1]), 2, 1));
    expect(area.x[0]).toBe(-1);
    expect(area.x[1]).toBeCloseTo(1.2 + 0.05 * 2.2, 6);
    expect(area.y).toEqual([-1, 1]);
  });
});
