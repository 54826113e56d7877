import type { ModelSpec } from './spec.js';
import type { Rng } from '../util/rng.js';
import { check } from '../util/errors.js';

/** A tensor as plain data: what checkpoints, workers and browsers exchange. */
export interface PlainTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * Every parameter of a network and its decoders, by name, in PyTorch's layout:
 * `blocks.{i}.weight` [out, in], `blocks.{i}.bias` [out], `decoders.{i}.weight`
 * [outputs, hidden] for each hidden block i.
 */
export type ParameterMap = Record<string, PlainTensor>;

/** The names and shapes a spec's parameters must have, in checkpoint order. */
export function parameterShapes(spec: ModelSpec): [string, number[]][] {
  const { layers } = spec;
  const outputs = layers[layers.length - 1];
  const shapes: [string, number[]][] = [];
  for (let i = 0; i + 1 < layers.length; i++) {
    shapes.push([`blocks.${i}.weight`, [layers[i + 1], layers[i]]]);
    shapes.push([`blocks.${i}.bias`, [layers[i + 1]]]);
  }
  for (let i = 0; i + 2 < layers.length; i++) shapes.push([`decoders.${i}.weight`, [outputs, layers[i + 1]]]);
  return shapes;
}

/**
 * PyTorch's default initialisation of `nn.Linear`: weight and bias uniform on
 * ±1/√fan_in (kaiming_uniform with a=√5 reduces to that bound). Decoders are
 * `Linear(hidden, outputs, bias=False)`, initialised the same way.
 */
export function initialParameters(spec: ModelSpec, rng: Rng): ParameterMap {
  const params: ParameterMap = {};
  for (const [name, shape] of parameterShapes(spec)) {
    const fanIn = name.endsWith('.bias') ? spec.layers[Number(name.split('.')[1])] : shape[1];
    const bound = 1 / Math.sqrt(fanIn);
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let k = 0; k < data.length; k++) data[k] = rng.uniformIn(-bound, bound);
    params[name] = { shape, data };
  }
  return params;
}

/** Checks that `params` holds exactly the tensors `spec` needs, naming what differs and what to do. */
export function checkParameters(spec: ModelSpec, params: ParameterMap, source: string): void {
  const expected = parameterShapes(spec);
  const expectedNames = new Set(expected.map(([n]) => n));
  const extra = Object.keys(params).filter((n) => !expectedNames.has(n) && !n.startsWith('data.'));
  const fix = `use a checkpoint saved for this model, or pass the spec it was saved with (--model)`;
  check(extra.length === 0, () => `${source}: unexpected tensor(s) ${extra.join(', ')} for model ${spec.layers.join('-')}; ${fix}`);
  for (const [name, shape] of expected) {
    const t = params[name];
    check(t !== undefined, `${source}: tensor "${name}" is missing for model ${spec.layers.join('-')}; ${fix}`);
    check(
      t.shape.length === shape.length && t.shape.every((d, k) => d === shape[k]),
      `${source}: tensor "${name}" has shape [${t.shape.join(', ')}] but model ${spec.layers.join('-')} needs [${shape.join(', ')}]; ${fix}`,
    );
  }
}

/** A deep copy, so one seed's initial parameters can start several runs. */
export function cloneParameters(params: ParameterMap): ParameterMap {
  const out: ParameterMap = {};
  for (const [name, t] of Object.entries(params)) out[name] = { shape: [...t.shape], data: t.data.slice() };
  return out;
}
