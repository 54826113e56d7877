import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { applyProbe, fitProbe } from '../../src/rules/probe.js';
import { accuracyOf, evaluateNetwork, probeSetOf } from '../../src/train/evaluation.js';
import { makeDataset, oneHot } from '../../src/data/dataset.js';
import { Network } from '../../src/model/network.js';
import { initialParameters } from '../../src/model/parameters.js';
import { parseModelSpec } from '../../src/model/spec.js';
import { dfaRule } from '../../src/rules/dfa.js';
import { Rng } from '../../src/util/rng.js';

beforeAll(async () => {
  await useBackend('wasm');
});

/** Points in three clusters around (0, 0), (4, 0), (0, 4): separable by lines. */
function clusters(count: number, seed: number) {
  const rng = new Rng(seed);
  const centres = [[0, 0], [4, 0], [0, 4]];
  const labels = Array.from({ length: count }, (_, i) => i % 3);
  const x = Float32Array.from(labels.flatMap((l) => centres[l].map((c) => c + rng.uniformIn(-1, 1))));
  return makeDataset(x, oneHot(labels, 3), 2, 3);
}

describe('linear probes', () => {
  it('solve the ridge least squares (G + λI)W = [h 1]ᵀy, λ = 1e-3·trace(G)/3, and nearly recover an exactly linear map', () => {
    const hRows = [[1, 0], [0, 1], [1, 1], [2, -1], [-1, 3]];
    // y = [2·h0 - h1 + 0.5, h1 - 1]
    const yRows = hRows.map(([a, c]) => [2 * a - c + 0.5, c - 1]);
    const w = fitProbe(tf.tensor2d(hRows), tf.tensor2d(yRows));
    // The same system solved here by Gaussian elimination, in plain numbers.
    const hb = hRows.map((r) => [...r, 1]);
    const g = [0, 1, 2].map((i) => [0, 1, 2].map((j) => hb.reduce((s, r) => s + r[i] * r[j], 0)));
    const lambda = (1e-3 * (g[0][0] + g[1][1] + g[2][2])) / 3;
    const want: number[][] = [[], [], []];
    for (let c = 0; c < 2; c++) {
      const m = g.map((row, i) => [...row.map((v, j) => v + (i === j ? lambda : 0)), hb.reduce((s, r, n) => s + r[i] * yRows[n][c], 0)]);
      for (let p = 0; p < 3; p++) for (let i = p + 1; i < 3; i++) { const f = m[i][p] / m[p][p]; for (let j = p; j < 4; j++) m[i][j] -= f * m[p][j]; }
      const sol = [0, 0, 0];
      for (let i = 2; i >= 0; i--) sol[i] = (m[i][3] - m[i].slice(i + 1, 3).reduce((s, v, k) => s + v * sol[i + 1 + k], 0)) / m[i][i];
      sol.forEach((v, i) => (want[i][c] = v));
    }
    Array.from(w.dataSync()).forEach((v, k) => expect(v).toBeCloseTo(want.flat()[k], 5));
    // The ridge is small: the map comes back to within 0.05 even from five rows.
    Array.from(w.dataSync()).forEach((v, k) => expect(Math.abs(v - [2, 0, -1, 1, 0.5, -1][k])).toBeLessThan(0.05));
    Array.from(applyProbe(tf.tensor2d([[3, 3]]), w).dataSync()).forEach((v, c) => expect(v).toBeCloseTo(3 * want[0][c] + 3 * want[1][c] + want[2][c], 5));
  });

  it('separate a linearly separable toy set perfectly, the same probe every time', () => {
    const train = clusters(300, 1);
    const test = clusters(300, 2);
    const fit = () => fitProbe(tf.tensor2d(train.x, [300, 2]), tf.tensor2d(train.y, [300, 3]));
    const w = fit();
    expect(Array.from(fit().dataSync())).toEqual(Array.from(w.dataSync()));
    const scores = applyProbe(tf.tensor2d(test.x, [300, 2]), w);
    expect(accuracyOf(scores, tf.tensor2d(test.y, [300, 3])).dataSync()[0]).toBe(1);
  });

  it("are a rule without read-outs' block accuracy in evaluation, fitted on the training rows", () => {
    const spec = parseModelSpec('2-16-3 hidden=identity');
    const network = Network.fromParameters(spec, initialParameters(spec, new Rng(0), dfaRule), 'test', dfaRule);
    const train = clusters(300, 1);
    const test = clusters(300, 2);
    const x = tf.tensor2d(test.x, [300, 2]);
    const y = tf.tensor2d(test.y, [300, 3]);
    const weights = tf.fill([300], 1 / 300) as tf.Tensor1D;
    // An identity block keeps the clusters separable: its probe scores 1.
    expect(evaluateNetwork(network, x, y, weights, 1, 'ce', probeSetOf(train)).blockAccuracy[0]).toBe(1);
    // Without probe rows there is nothing to report.
    expect(evaluateNetwork(network, x, y, weights, 1, 'ce').blockAccuracy[0]).toBeNaN();
    network.dispose();
  });
});
