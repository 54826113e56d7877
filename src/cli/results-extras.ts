import type { ExperimentConfig } from '../experiment/experiment.js';

/**
 * Facts of an experiment that `--json` and results.json add to the rows:
 * which held-out set the "test" metrics were measured on. With --val N they
 * are validation metrics, on the last N training examples (not trained on),
 * and the test set is never looked at.
 */
export function resultsExtras(config: ExperimentConfig): Record<string, unknown> {
  return config.holdOut ? { evaluatedOn: 'validation', validationExamples: config.holdOut } : { evaluatedOn: 'test' };
}
