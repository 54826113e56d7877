import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { Network } from '../../src/model/network.js';
import { parseModelSpec } from '../../src/model/spec.js';
import { evaluateNetwork } from '../../src/train/evaluation.js';

describe('evaluateNetwork', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('scores decoders only when asked, with the same loss and accuracy either way', () => {
    // 1-2-1 identity network: hidden h = x·[1, -1]; decoder reads h·[1, 0]ᵀ = x; output = sigmoid(h·[1, 1]ᵀ) = sigmoid(0) = 0.5.
    const spec = parseModelSpec('1-2-1 hidden=identity out=sigmoid');
    const net = Network.fromParameters(spec, {
      'blocks.0.weight': { shape: [2, 1], data: Float32Array.from([1, -1]) },
      'blocks.0.bias': { shape: [2], data: new Float32Array(2) },
      'blocks.1.weight': { shape: [1, 2], data: Float32Array.from([1, 1]) },
      'blocks.1.bias': { shape: [1], data: new Float32Array(1) },
      'decoders.0.weight': { shape: [1, 2], data: Float32Array.from([1, 0]) },
    });
    const x = tf.tensor2d([[1], [0.2], [0.9], [-1]]);
    const y = tf.tensor2d([[1], [0], [0], [0]]);
    const w = tf.fill([4], 0.25) as tf.Tensor1D;
    const full = evaluateNetwork(net, x, y, w, 1, 'mse');
    const lossOnly = evaluateNetwork(net, x, y, w, 1, null);
    // Decoder predicts x ≥ 0.5: rows 1 and 3 right of 4 (1 → 1, 0.2 → 0, 0.9 → 1 wrong, -1 → 0): 3/4.
    expect(full.blockAccuracy[0]).toBeCloseTo(0.75, 6);
    // Output 0.5 everywhere counts as class 1: only row 1 right. BCE = ln 2 for every row.
    expect(full.blockAccuracy[1]).toBeCloseTo(0.25, 6);
    expect(full.accuracy).toBeCloseTo(0.25, 6);
    expect(full.loss).toBeCloseTo(Math.LN2, 5);
    expect(lossOnly.blockAccuracy).toEqual([]);
    expect([lossOnly.loss, lossOnly.accuracy]).toEqual([full.loss, full.accuracy]);
    net.dispose();
    [x, y, w].forEach((t) => t.dispose());
  });
});
