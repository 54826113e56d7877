import { buildDataset } from '../data/registry.js';
import type { ExperimentConfig } from '../experiment/experiment.js';
import { experimentMemory, type ExperimentMemory } from '../metrics/memory.js';
import { Rng } from '../util/rng.js';

/**
 * Facts of an experiment that `--json` and results.json add to the rows:
 * which held-out set the "test" metrics were measured on (with --val N they
 * are validation metrics, on the last N training examples, not trained on,
 * and the test set is never looked at), and the memory each schedule needs
 * (src/metrics/memory.ts says what is counted).
 */
export function resultsExtras(config: ExperimentConfig): Record<string, unknown> {
  const scoredOn = config.holdOut ? { evaluatedOn: 'validation', validationExamples: config.holdOut } : { evaluatedOn: 'test' };
  return { ...scoredOn, memory: memoryOf(config) };
}

/** The memory of the experiment's runs, for the sizes of the sets they train and score on. */
export function memoryOf(config: ExperimentConfig): ExperimentMemory {
  const d = config.data;
  // Registered sets are drawn again (file-backed ones come from the per-process cache): only their sizes are read.
  const sets = 'dataset' in d ? buildDataset(d.dataset, new Rng(config.seeds[0] ?? 0).fork('data'), d.options) : d;
  const heldOut = config.holdOut ?? sets.test.count;
  return experimentMemory(config, sets.train.count - (config.holdOut ?? 0), heldOut);
}
