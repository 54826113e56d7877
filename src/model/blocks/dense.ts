import { tf } from '../../engine/backend.js';
import { dense as denseOp, denseFixedInput } from '../../engine/dense.js';
import { check } from '../../util/errors.js';
import { sizeOf, type LayerKind, type LayerSpec } from './kind.js';
import { checkLayerKeys } from './json.js';

/** A dense block: `units` outputs, each a weighted sum of every input plus a bias. */
export interface DenseLayer extends LayerSpec {
  readonly kind: 'dense';
  readonly units: number;
}

const unitsOk = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;

/**
 * PyTorch's `nn.Linear`: `x · Wᵀ + b` on the input flattened in C×H×W
 * order. Checkpoints hold the weight [out, in] as PyTorch does; the
 * network holds it [in, out], so the forward product needs no transpose.
 */
export const denseKind: LayerKind<DenseLayer> = {
  name: 'dense',
  description: 'PyTorch nn.Linear on the flattened input; dense blocks are written as positive integers, their units, like 100',
  block: true,
  parseToken(token, where) {
    if (!/^[0-9]+$/.test(token)) return null;
    const units = Number(token);
    check(unitsOk(units), `${where}: dense block "${token}" has no units; dense blocks are positive integers, their units, like 100`);
    return { kind: 'dense', units };
  },
  formatToken: (layer) => String(layer.units),
  fromJson(value, where) {
    if (typeof value === 'number') {
      check(unitsOk(value), `${where} must be a whole number of units ≥ 1; got ${JSON.stringify(value)}`);
      return { kind: 'dense', units: value };
    }
    const o = checkLayerKeys(value, ['kind', 'units'], where);
    check(unitsOk(o.units), `${where}: "units" must be a whole number ≥ 1; got ${JSON.stringify(o.units)}`);
    return { kind: 'dense', units: o.units };
  },
  toJson: (layer) => layer.units,
  outputShape: (_input, layer) => [layer.units],
  tensors: (input, layer) => [
    { name: 'weight', shape: [layer.units, sizeOf(input)] },
    { name: 'bias', shape: [layer.units] },
  ],
  fanIn: (input) => sizeOf(input),
  multiplyAdds: (input, layer) => sizeOf(input) * layer.units,
  activationBytes: (_input, layer) => layer.units * 4,
  toInternal: (name, value) => (name === 'weight' ? tf.tidy(() => tf.transpose(tf.tensor2d(value.data, value.shape as [number, number]))) : tf.tensor1d(value.data)),
  fromInternal(name, value) {
    const t = name === 'weight' ? tf.transpose(value) : value;
    const data = (t.dataSync() as Float32Array).slice();
    if (t !== value) t.dispose();
    return { shape: [...t.shape], data };
  },
  forward: (x, [w, b], { inputGrad }) => (inputGrad ? denseOp(x, w as tf.Tensor2D, b as tf.Tensor1D) : denseFixedInput(x, w as tf.Tensor2D, b as tf.Tensor1D)),
  perInputFeature: (factor) => tf.reshape(factor, [factor.shape[0], 1]),
};
