import { splitValidation, type Dataset } from '../data/dataset.js';
import type { DatasetOptions } from '../data/registry.js';
import { cloneParameters, initialParameters, type ParameterMap } from '../model/parameters.js';
import { DEFAULT_RULE, configuredRule } from '../rules/registry.js';
import { Rng } from '../util/rng.js';
import type { ModelSpec } from '../model/spec.js';
import type { DecoderMode } from '../train/events.js';
import { Run, checkDataFitsModel, resolveRunOptions, type RunOptions } from '../train/run.js';
import { getDataset } from '../data/registry.js';
import { getSchedule } from '../schedules/registry.js';
import { check } from '../util/errors.js';
import { seededStart, type SeededStart } from './seeded.js';
import { blockCount, outputSize } from '../model/shapes.js';

/** Where the data comes from: a registered dataset drawn per seed, or fixed sets (user files). */
export type DataSource = { dataset: string; options?: DatasetOptions } | { name: string; train: Dataset; test: Dataset };

/** A comparison: every schedule × decoder mode × seed, all schedules of a seed from the same start. */
export interface ExperimentConfig {
  data: DataSource;
  spec: ModelSpec;
  schedules: string[];
  seeds: number[];
  decoders: DecoderMode[];
  /** The rules to compare (default: the decoder rule alone). */
  rules?: string[];
  /** Training options shared by every run (epochs, step, optimizer, ...). */
  training: Omit<RunOptions, 'schedule' | 'spec' | 'parameters' | 'train' | 'test' | 'seed' | 'decoders' | 'rule'>;
  /** Start every run from these parameters instead of each seed's initialisation. */
  initial?: ParameterMap;
  /**
   * Hold out the last N training examples and score on them instead of the
   * test set: for choosing options, never on the test set.
   */
  holdOut?: number;
}

/**
 * Checks everything that can be checked before training starts (names, the
 * options of every run, data against model), so a mistake fails at once and
 * not after an hour, and before any output file is written.
 */
export function checkExperiment(config: ExperimentConfig): void {
  check(config.schedules.length > 0, 'no schedule to run; name one or more with --schedules');
  check(config.seeds.length > 0, 'no seed to run; give --seeds 5 (seeds 0-4) or a list like --seeds 0,3,7');
  const outputs = outputSize(config.spec);
  const d = config.data;
  const rules = rulesOf(config);
  for (const rule of rules) {
    checkDataFitsModel(
      config.spec,
      'dataset' in d
        ? [{ ...getDataset(d.dataset), count: 1, name: `dataset ${d.dataset}` }]
        : [
            { ...d.train, name: 'the training set' },
            { ...d.test, name: 'the test set' },
          ],
      configuredRule(rule, config.training.ruleOptions),
    );
  }
  check(new Set(rules).size === rules.length, '--rule lists a rule twice');
  for (const schedule of config.schedules) {
    for (const rule of rules) for (const decoders of config.decoders) resolveRunOptions({ ...config.training, schedule, seed: 0, decoders, rule }, outputs, config.spec);
  }
}

/** The experiment's rules, the default decoder rule when none are named. */
export function rulesOf(config: ExperimentConfig): string[] {
  return config.rules && config.rules.length > 0 ? config.rules : [DEFAULT_RULE];
}

export function dataName(data: DataSource): string {
  return 'dataset' in data ? data.dataset : data.name;
}

/** What seed `seed` fixes for every run of the experiment: the data (with the hold-out applied) and the initial parameters. */
export function experimentStart(config: ExperimentConfig, seed: number): SeededStart {
  const data = 'dataset' in config.data ? config.data : { train: config.data.train, test: config.data.test };
  const start = seededStart(seed, config.spec, data);
  if (config.holdOut) {
    const { train, validation } = splitValidation(start.train, config.holdOut);
    start.train = train;
    start.test = validation;
  }
  if (config.initial) start.parameters = config.initial;
  return start;
}

/**
 * One run of the experiment from a seed's start, with its own copy of the
 * initial parameters; the caller disposes it. Under another rule than the
 * decoder rule, the blocks start from the same values and the rule's own
 * tensors are the rule's initialisation from the seed (with its options:
 * Forward-Forward's peer normalisation adds tensors).
 */
export function experimentRun(config: ExperimentConfig, start: SeededStart, schedule: string, decoders: DecoderMode, rule: string = DEFAULT_RULE): Run {
  const parameters = rule === DEFAULT_RULE || config.initial ? cloneParameters(start.parameters) : initialParameters(config.spec, new Rng(start.seed).fork('init'), configuredRule(rule, config.training.ruleOptions));
  return new Run({
    ...config.training,
    schedule,
    rule,
    spec: config.spec,
    parameters,
    train: start.train,
    test: start.test,
    seed: start.seed,
    decoders,
  });
}

/**
 * The runs of an experiment in order: seed by seed, then decoder mode, then
 * schedule. Each run is made only when the caller asks for the next one and
 * freed when the caller moves on, so only one network lives at a time.
 */
export function* experimentRuns(config: ExperimentConfig): Generator<Run> {
  checkExperiment(config);
  for (const seed of config.seeds) {
    const start = experimentStart(config, seed);
    for (const rule of rulesOf(config)) {
      for (const decoders of config.decoders) {
        for (const schedule of config.schedules) {
          const run = experimentRun(config, start, schedule, decoders, rule);
          try {
            yield run;
          } finally {
            run.dispose();
          }
        }
      }
    }
  }
}

/** Total epochs of all runs, for progress bars. */
export function experimentEpochs(config: ExperimentConfig): number {
  const blocks = blockCount(config.spec);
  let perSeed = 0;
  for (const name of config.schedules) {
    const s = getSchedule(name);
    perSeed += s.totalEpochs(config.training.epochs ?? s.defaultEpochs, blocks);
  }
  return perSeed * config.decoders.length * rulesOf(config).length * config.seeds.length;
}
