import { checkParameters, type ParameterMap } from '../model/parameters.js';
import { formatModelSpec, parseModelSpec, type ModelSpec } from '../model/spec.js';
import { check } from '../util/errors.js';
import type { LocalRule } from '../rules/rule.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

/** What a checkpoint records beside the tensors, all as `__metadata__` strings. */
export interface CheckpointInfo {
  spec: ModelSpec;
  /** Free-form facts (schedule, seed, options as JSON, ...). */
  extra?: Record<string, string>;
  /** The rule whose tensors the parameters hold (default the decoder rule); recorded as `rule` when another. */
  rule?: LocalRule;
}

/**
 * A network's parameters as safetensors: `blocks.{i}.weight` [out, in],
 * `blocks.{i}.bias`, `decoders.{i}.weight` [outputs, hidden], F32, with the
 * spec in the metadata, so `safetensors.torch.load_file` reads it in PyTorch.
 */
export function encodeCheckpoint(params: ParameterMap, info: CheckpointInfo): Uint8Array {
  checkParameters(info.spec, params, 'checkpoint', info.rule);
  const rule: Record<string, string> = info.rule && info.rule.name !== 'decoder' ? { rule: info.rule.name } : {};
  return encodeSafetensors(params, { format: 'localprop', spec: formatModelSpec(info.spec), ...rule, ...info.extra });
}

/**
 * Reads a checkpoint and checks it against `spec`, or against the spec it
 * records when `spec` is not given, with the tensors of `rule` (default the
 * decoder rule's).
 */
export function decodeCheckpoint(bytes: Uint8Array, source: string, spec?: ModelSpec, rule?: LocalRule): { spec: ModelSpec; parameters: ParameterMap; metadata: Record<string, string> } {
  const { tensors, metadata } = decodeSafetensors(bytes);
  let resolved = spec;
  if (!resolved) {
    check(metadata.spec !== undefined, `${source} does not record its model spec; give it with --model`);
    resolved = parseModelSpec(metadata.spec);
  }
  checkParameters(resolved, tensors, source, rule);
  for (const [name, t] of Object.entries(tensors)) checkFiniteTensor(name, t.data, source);
  const parameters: ParameterMap = {};
  for (const [name, t] of Object.entries(tensors)) if (!name.startsWith('data.')) parameters[name] = t;
  return { spec: resolved, parameters, metadata };
}

/**
 * Refuses a tensor holding NaN or ±Infinity, naming it and the first bad
 * value's index: training from it would fail at the first epoch and look
 * like a learning rate that is too high.
 */
function checkFiniteTensor(name: string, data: Float32Array, source: string): void {
  let bad = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      if (first < 0) first = i;
      bad++;
    }
  }
  check(bad === 0, () => `${source}: tensor "${name}" holds ${bad} non-finite value${bad > 1 ? 's' : ''} (the first, ${data[first]}, at index ${first}); the checkpoint was saved from a run that had diverged or is damaged, so save it again from a run that finished`);
}
