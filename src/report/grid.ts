import { tf } from '../engine/backend.js';
import type { Dataset } from '../data/dataset.js';
import type { LossName } from '../model/spec.js';
import type { Network } from '../model/network.js';
import { check } from '../util/errors.js';

/** A rectangle of the input plane: x is the first feature, y the second. */
export interface GridArea {
  x: [number, number];
  y: [number, number];
}

/** The seed's square. */
export const SEED_AREA: GridArea = { x: [-1, 1], y: [-1, 1] };

/**
 * What a model predicts at every point of a `size × size` lattice over an
 * area: plain data, so a report, a worker or a browser canvas can draw it.
 * Lattice points include the area's edges (like numpy's linspace); row 0 is
 * the top edge (largest y), so the array reads as an image.
 */
export interface BoundaryGrid {
  area: GridArea;
  size: number;
  /**
   * Numbers per point. 1: the score of class 1, on the scale the model's
   * accuracy reads it (≥ 0.5 means class 1). More: one score per class;
   * probabilities when the reading is a softmax or sigmoid, raw decoder
   * outputs for an mse decoder.
   */
  outputs: number;
  /** `size × size × outputs`, row-major. */
  values: Float32Array;
}

/** The lattice point of row `row` and column `col`. */
export function gridPoint(area: GridArea, size: number, row: number, col: number): [number, number] {
  const step = (range: [number, number], k: number) => (size === 1 ? (range[0] + range[1]) / 2 : range[0] + ((range[1] - range[0]) * k) / (size - 1));
  return [step(area.x, col), step([area.y[1], area.y[0]], row)];
}

/** Every lattice point as `size² × 2` features, in the grid's row order. */
export function gridInputs(area: GridArea, size: number): Float32Array {
  check(Number.isInteger(size) && size >= 2, `a boundary grid needs at least 2 points a side, got ${size}`);
  const x = new Float32Array(size * size * 2);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const [a, b] = gridPoint(area, size, row, col);
      x[2 * (row * size + col)] = a;
      x[2 * (row * size + col) + 1] = b;
    }
  }
  return x;
}

/**
 * The area a report draws for a 2-D dataset: the seed's [-1, 1]², widened
 * with a 5% margin where the points reach beyond it (noise), so every point
 * shows.
 */
export function areaOf(data: Pick<Dataset, 'x' | 'count' | 'inputSize'>): GridArea {
  check(data.inputSize === 2, `boundaries are drawn for 2-D inputs only; this data has ${data.inputSize} features`);
  const lo = [-1, -1];
  const hi = [1, 1];
  for (let i = 0; i < data.count; i++) {
    for (let d = 0; d < 2; d++) {
      const v = data.x[2 * i + d];
      lo[d] = Math.min(lo[d], v);
      hi[d] = Math.max(hi[d], v);
    }
  }
  const widen = (d: number): [number, number] => {
    if (lo[d] === -1 && hi[d] === 1) return [-1, 1];
    const margin = 0.05 * (hi[d] - lo[d]);
    return [lo[d] === -1 ? -1 : lo[d] - margin, hi[d] === 1 ? 1 : hi[d] + margin];
  };
  return { x: widen(0), y: widen(1) };
}

/** Rows per forward pass: bounds the activations a 500×500 grid needs at once. */
const CHUNK = 16384;

/**
 * What `read` gives for every lattice point, computed in chunks: one grid per
 * tensor it returns. `read` runs inside a tidy and returns `[rows, outputs]` tensors.
 */
function evaluateGrids(area: GridArea, size: number, read: (x: tf.Tensor2D) => tf.Tensor2D[]): BoundaryGrid[] {
  const inputs = gridInputs(area, size);
  const points = size * size;
  let grids: BoundaryGrid[] = [];
  for (let start = 0; start < points; start += CHUNK) {
    const rows = Math.min(CHUNK, points - start);
    const outs = tf.tidy(() => read(tf.tensor2d(inputs.subarray(2 * start, 2 * (start + rows)), [rows, 2])));
    if (start === 0) grids = outs.map((t) => ({ area, size, outputs: t.shape[1], values: new Float32Array(points * t.shape[1]) }));
    outs.forEach((t, k) => grids[k].values.set(t.dataSync() as Float32Array, start * grids[k].outputs));
    tf.dispose(outs);
  }
  return grids;
}

/** The network's output over the area: its probabilities for sigmoid and softmax outputs. */
export function networkGrid(network: Network, area: GridArea, size: number): BoundaryGrid {
  checkTwoD(network);
  return evaluateGrids(area, size, (x) => [network.predict(x)])[0];
}

/**
 * decoder∘block∘encoder over the area: what block `block`'s decoder predicts
 * from that block's output, read the way the run's accuracy reads it
 * (sigmoid for a bce decoder, softmax for ce, the raw output for mse). The
 * last block has no decoder: its grid is the network's.
 */
export function blockGrid(network: Network, block: number, hiddenLoss: LossName, area: GridArea, size: number): BoundaryGrid {
  checkTwoD(network);
  const blocks = network.blocks.length;
  check(Number.isInteger(block) && block >= 0 && block < blocks, `block ${block} does not exist; the network has blocks 0-${blocks - 1}`);
  if (block === blocks - 1) return networkGrid(network, area, size);
  return evaluateGrids(area, size, (x) => [readProbe(network, block, network.encode(network.dataInput(x), block + 1), hiddenLoss)])[0];
}

/**
 * Every block's grid in one pass over the lattice ({@link blockGrid} for
 * each block, sharing the forward pass): a report takes these frames many
 * times a run.
 */
export function allBlockGrids(network: Network, hiddenLoss: LossName, area: GridArea, size: number): BoundaryGrid[] {
  checkTwoD(network);
  return evaluateGrids(area, size, (x) => {
    let h = network.dataInput(x);
    return network.blocks.map((block) => {
      h = block.apply(h);
      return block.isOutput ? h : readProbe(network, block.index, h, hiddenLoss);
    });
  });
}

/**
 * Block `block`'s read-out of its output `h` on a probability scale (its
 * rule's probe, through a softmax for ce); zeros, an undecided picture,
 * for a rule without a read-out of its own.
 */
function readProbe(network: Network, block: number, h: tf.Tensor2D, hiddenLoss: LossName): tf.Tensor2D {
  const read = network.rules[block].probe(h, hiddenLoss);
  if (!read) return tf.zeros([h.shape[0], network.outputSize]);
  return hiddenLoss === 'ce' ? tf.softmax(read) : read;
}

function checkTwoD(network: Network): void {
  // A rule may feed block 0 more than the point (Forward-Forward appends the label): the data's width counts.
  const inputs = network.dataInputs;
  check(inputs === 2, `boundaries are drawn for 2-D inputs only; this model takes ${inputs}`);
}

/**
 * The predicted class at one grid point and how sure the reading is, in
 * [0, 1]: for one output the score itself (clamped; the class is score ≥ ½);
 * for more, the lead of the top score over a uniform guess.
 */
export function readCell(grid: BoundaryGrid, index: number): { label: number; confidence: number } {
  const k = grid.outputs;
  if (k === 1) {
    const v = grid.values[index];
    return { label: v >= 0.5 ? 1 : 0, confidence: Math.min(1, Math.max(0, v)) };
  }
  let best = 0;
  for (let j = 1; j < k; j++) if (grid.values[index * k + j] > grid.values[index * k + best]) best = j;
  const top = grid.values[index * k + best];
  const confidence = Math.min(1, Math.max(0, (top - 1 / k) / (1 - 1 / k)));
  return { label: best, confidence };
}
