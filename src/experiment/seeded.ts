import type { Dataset } from '../data/dataset.js';
import { buildDataset, type DatasetOptions } from '../data/registry.js';
import { initialParameters, type ParameterMap } from '../model/parameters.js';
import type { ModelSpec } from '../model/spec.js';
import { Rng } from '../util/rng.js';
import { resolveRule } from '../rules/registry.js';
import type { LocalRule } from '../rules/rule.js';

/**
 * What seed k fixes before any schedule runs: the data (unless the user gave
 * files) and the initial parameters, each from its own stream of the seed.
 */
export interface SeededStart {
  seed: number;
  train: Dataset;
  test: Dataset;
  parameters: ParameterMap;
}

/**
 * The start of seed `seed`: its data (drawn from the registry, or the sets
 * given) and the initial parameters for `spec`, each from its own stream.
 *
 * @example
 * ```ts
 * const spec = parseModelSpec(MERTENS_MODEL);
 * const start = seededStart(0, spec, { dataset: 'signed_xor' });
 * const run = new Run({ schedule: 'local-parallel', spec, ...start });
 * ```
 */
export function seededStart(
  seed: number,
  spec: ModelSpec,
  data: { dataset: string; options?: DatasetOptions } | { train: Dataset; test: Dataset },
  /** The rule whose tensors the parameters include (default the decoder rule). */
  rule?: string | LocalRule,
): SeededStart {
  const rng = new Rng(seed);
  const sets = 'dataset' in data ? buildDataset(data.dataset, rng.fork('data'), data.options) : data;
  return { seed, ...sets, parameters: initialParameters(spec, rng.fork('init'), resolveRule(rule)) };
}
