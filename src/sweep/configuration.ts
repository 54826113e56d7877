import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DEFAULT_BACKEND } from '../engine/backend.js';
import { checkExperiment, rulesOf, type ExperimentConfig } from '../experiment/experiment.js';
import type { DatasetOptions } from '../data/registry.js';
import { modelSpecJson, type ModelSpecJson } from '../model/spec.js';
import { canonicalJson, resolveRunOptions, type ResolvedRunOptions } from '../train/run.js';
import { getSchedule } from '../schedules/registry.js';
import { pipelineRefusal } from '../train/pipeline.js';
import { check } from '../util/errors.js';
import type { OptionValues } from '../cli/options.js';
import { experimentFrom } from '../cli/setup.js';
import { outputSize } from '../model/shapes.js';

/**
 * Everything that decides what a run computes, with every default filled
 * in: what its id hashes, and what its record keeps. Files enter by the
 * sha256 of their bytes, so a run moved with its data keeps its id and a
 * run on edited data gets a new one.
 */
export interface RunConfiguration {
  data: { dataset: string; options: DatasetOptions } | { train: string; test: string; targets?: number; limit?: number };
  /** The model in its JSON form, as records have always held it (a network of dense blocks as `{"layers": [2, 8, 1], …}`). */
  model: ModelSpecJson;
  /** The run's resolved options: schedule, rule (when not the decoder rule), seed, decoders, epochs, step, optimizer, … */
  run: ResolvedRunOptions;
  /** Training examples held out to score on (`--val`). */
  holdOut?: number;
  /** sha256 of the `--init` file. */
  init?: string;
  backend: string;
}

const fileHash = (path: string) => `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;

/**
 * The experiment of one run's options (`schedule`, `seed` and the rest, as
 * `localprop train` reads them; files already found), checked as a
 * command would check it, before anything trains.
 */
export function runExperimentConfig(options: OptionValues): ExperimentConfig {
  check(typeof options.schedule === 'string', 'a sweep run needs a schedule: give "schedule" in the spec\'s base, grid or point');
  const config = experimentFrom(options, [options.schedule], [options.seed as number]);
  check(config.decoders.length === 1, `a sweep run has one decoder mode, but "decoders" is ${config.decoders.join(',')}; put the modes in the grid instead: "decoders": ["fixed", "learned"]`);
  check(rulesOf(config).length === 1, `a sweep run has one rule, but "rule" is ${rulesOf(config).join(',')}; put the rules in the grid instead: "rule": ["decoder", "…"]`);
  checkExperiment(config);
  if (pipelined(options)) {
    const r = resolveRunOptions({ ...config.training, schedule: options.schedule, seed: 0, decoders: config.decoders[0] }, outputSize(config.spec));
    const refusal = pipelineRefusal({ schedule: getSchedule(options.schedule), step: r.step, zeroGradSteps: r.zeroGradSteps });
    check(refusal === null, () => refusal!);
  }
  return config;
}

/**
 * True when the run trains on a pipeline of `workers` threads: a schedule
 * that can be pipelined, with `workers` above 1. The others ignore
 * `workers`, so one spec can give it to a grid of schedules.
 */
export function pipelined(options: OptionValues): boolean {
  return ((options.workers as number | undefined) ?? 1) > 1 && getSchedule(options.schedule as string).pipelinable;
}

/**
 * The {@link RunConfiguration} of one run's options. `givenDataDir` is the
 * data folder as the spec wrote it, so the id does not change with where
 * the checkout lies.
 */
export function runConfiguration(options: OptionValues, givenDataDir?: string): RunConfiguration {
  const config = runExperimentConfig(options);
  const outputs = outputSize(config.spec);
  const { testEvaluator: _evaluator, pipeline: _pipeline, ...training } = config.training;
  const run = resolveRunOptions({ ...training, schedule: config.schedules[0], seed: config.seeds[0], decoders: config.decoders[0], rule: rulesOf(config)[0] }, outputs);
  const data: RunConfiguration['data'] =
    'dataset' in config.data
      ? { dataset: config.data.dataset, options: { ...config.data.options, ...(givenDataDir !== undefined ? { dataDir: givenDataDir } : {}) } }
      : { train: fileHash(options.train as string), test: fileHash(options.test as string), ...(options.targets !== undefined ? { targets: options.targets as number } : {}), ...(options.limit !== undefined ? { limit: options.limit as number } : {}) };
  return {
    data,
    model: modelSpecJson(config.spec),
    run,
    ...(config.holdOut !== undefined ? { holdOut: config.holdOut } : {}),
    ...(options.init !== undefined ? { init: fileHash(options.init as string) } : {}),
    backend: (options.backend as string | undefined) ?? DEFAULT_BACKEND,
  };
}

/** A run's stable id: the first 16 hex digits of the sha256 of its configuration's canonical JSON (key order never matters). */
export function runId(configuration: RunConfiguration): string {
  return createHash('sha256').update(canonicalJson(configuration)).digest('hex').slice(0, 16);
}
