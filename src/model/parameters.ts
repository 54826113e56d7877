import type { ModelSpec } from './spec.js';
import type { Rng } from '../util/rng.js';
import { check } from '../util/errors.js';
import type { LocalRule } from '../rules/rule.js';
import { decoderRule } from '../rules/decoder.js';
import { BATCH_NORM_TENSORS } from './batch-norm.js';
import { blockCount, hiddenBlocks, modelShapes } from './shapes.js';
import { formatLayers } from './spec.js';

export { hiddenBlocks } from './shapes.js';

/** A tensor as plain data: what checkpoints, workers and browsers exchange. */
export interface PlainTensor {
  shape: number[];
  data: Float32Array;
  /** I64 for integer counters (batch norm's `num_batches_tracked`), stored so in safetensors; F32 when absent. */
  dtype?: 'I64';
}

/**
 * Every parameter of a network and its rule, by name, in PyTorch's layout:
 * `blocks.{i}.weight` [out, in], `blocks.{i}.bias` [out], with batch norm
 * `blocks.{i}.bn.{weight,bias,running_mean,running_var}` [out] and
 * `blocks.{i}.bn.num_batches_tracked` [] (I64), and the rule's
 * tensors for each hidden block i (the decoder rule's `decoders.{i}.weight`
 * [outputs, hidden]).
 */
export type ParameterMap = Record<string, PlainTensor>;

/**
 * The names and shapes of the blocks' own parameters, in checkpoint order:
 * each block's tensors as its kind names them (`blocks.{i}.weight`, …), a
 * hidden block's batch norm after them, over the channels of its output
 * (a dense block's units).
 */
export function blockParameterShapes(spec: ModelSpec): [string, number[]][] {
  const shapes: [string, number[]][] = [];
  for (const b of modelShapes(spec).blocks) {
    for (const t of b.kind.tensors(b.input, b.layer)) shapes.push([`blocks.${b.index}.${t.name}`, t.shape]);
    if (spec.hidden.batchNorm && !b.isOutput) {
      for (const t of BATCH_NORM_TENSORS) shapes.push([`blocks.${b.index}.bn.${t}`, t === 'num_batches_tracked' ? [] : [b.output[0]]]);
    }
  }
  return shapes;
}

/** PyTorch's initial batch norm state: γ 1, β 0, running mean 0, running variance 1, no batch counted. */
function initialBatchNorm(name: string, shape: number[]): PlainTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const ones = name.endsWith('.bn.weight') || name.endsWith('.bn.running_var');
  return { shape, data: new Float32Array(size).fill(ones ? 1 : 0), ...(name.endsWith('.num_batches_tracked') ? { dtype: 'I64' as const } : {}) };
}

/** The names and shapes a spec's parameters must have under `rule`, in checkpoint order: the blocks', then the rule's. */
export function parameterShapes(spec: ModelSpec, rule: LocalRule = decoderRule): [string, number[]][] {
  const ruleShapes = hiddenBlocks(spec).flatMap((i) => rule.tensors(spec, i).map((t): [string, number[]] => [t.name, t.shape]));
  return [...blockParameterShapes(spec), ...ruleShapes];
}

/**
 * PyTorch's default initialisation for the blocks: weight and bias uniform
 * on ±1/√fan_in, the fan-in as the block's kind says (kaiming_uniform with
 * a=√5 reduces to that bound), or the rule's {@link LocalRule.blockInit}; batch norm as PyTorch
 * starts it (no draws); then the rule's tensors as the rule initialises
 * them, from the same stream (so every rule of a seed starts from the same
 * blocks). A rule with
 * {@link LocalRule.zeroOutputWeight} then zeroes the output block's weight,
 * and one with {@link LocalRule.zeroBlocks} every block's weight and bias.
 */
export function initialParameters(spec: ModelSpec, rng: Rng, rule: LocalRule = decoderRule): ParameterMap {
  const params: ParameterMap = {};
  const fanIns = modelShapes(spec).blocks.map((b) => b.kind.fanIn(b.input, b.layer));
  for (const [name, shape] of blockParameterShapes(spec)) {
    // Batch norm starts from constants, so the blocks' draws are the same with it and without.
    if (name.includes('.bn.')) {
      params[name] = initialBatchNorm(name, shape);
      continue;
    }
    params[name] = { shape, data: rule.blockInit === 'normal-by-width' ? normalByWidth(name, shape, rng) : torchDefault(fanIns[Number(name.split('.')[1])], shape, rng) };
  }
  for (const i of hiddenBlocks(spec)) Object.assign(params, rule.initialize(spec, i, rng));
  // After every draw, so the stream (and every other tensor) is the same as without it.
  if (rule.zeroOutputWeight) params[`blocks.${blockCount(spec) - 1}.weight`].data.fill(0);
  if (rule.zeroBlocks) for (const [name] of blockParameterShapes(spec)) if (!name.includes('.bn.')) params[name].data.fill(0);
  return params;
}

/** PyTorch's default for `nn.Linear` and `nn.Conv2d`: weight and bias uniform on ±1/√fan_in. */
function torchDefault(fanIn: number, shape: number[], rng: Rng): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let k = 0; k < data.length; k++) data[k] = rng.uniformIn(-bound, bound);
  return data;
}

/** loeweX's: weight [out, in] normal with std 1/√out, bias 0 (no draws). */
function normalByWidth(name: string, shape: number[], rng: Rng): Float32Array {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  if (name.endsWith('.bias')) return data;
  const std = 1 / Math.sqrt(shape[0]);
  for (let k = 0; k < data.length; k++) data[k] = rng.normal() * std;
  return data;
}

/** Checks that `params` holds exactly the tensors `spec` needs, naming what differs and what to do. */
export function checkParameters(spec: ModelSpec, params: ParameterMap, source: string, rule: LocalRule = decoderRule): void {
  const expected = parameterShapes(spec, rule);
  const expectedNames = new Set(expected.map(([n]) => n));
  const extra = Object.keys(params).filter((n) => !expectedNames.has(n) && !n.startsWith('data.'));
  const fix = `use a checkpoint saved for this model, or pass the spec it was saved with (--model)`;
  check(extra.length === 0, () => `${source}: unexpected tensor(s) ${extra.join(', ')} for model ${formatLayers(spec)}; ${fix}`);
  for (const [name, shape] of expected) {
    const t = params[name];
    check(t !== undefined, `${source}: tensor "${name}" is missing for model ${formatLayers(spec)}; ${fix}`);
    check(
      t.shape.length === shape.length && t.shape.every((d, k) => d === shape[k]),
      `${source}: tensor "${name}" has shape [${t.shape.join(', ')}] but model ${formatLayers(spec)} needs [${shape.join(', ')}]; ${fix}`,
    );
  }
}

/** A deep copy, so one seed's initial parameters can start several runs. */
export function cloneParameters(params: ParameterMap): ParameterMap {
  const out: ParameterMap = {};
  for (const [name, t] of Object.entries(params)) out[name] = { shape: [...t.shape], data: t.data.slice(), ...(t.dtype ? { dtype: t.dtype } : {}) };
  return out;
}
