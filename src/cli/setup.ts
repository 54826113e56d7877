import { csvDatasets } from '../data/csv.js';
import { dataShape, firstExamples, type Dataset } from '../data/dataset.js';
import { getDataset, type DatasetOptions } from '../data/registry.js';
import type { DataSource, ExperimentConfig } from '../experiment/experiment.js';
import { decodeCheckpoint } from '../io/checkpoint.js';
import type { ParameterMap } from '../model/parameters.js';
import { modelSpecFrom, parseModelSpec, SEED_MODEL, withEnds, type ModelSpec } from '../model/spec.js';
import { listSchedules } from '../schedules/registry.js';
import { getRule } from '../rules/registry.js';
import type { LocalRule } from '../rules/rule.js';
import type { TestEvaluator } from '../train/evaluation.js';
import { LocalpropError, check } from '../util/errors.js';
import { parseJsonInput } from '../util/structured-input.js';
import { readUserFile } from './files.js';
import { readSettingsFile } from './settings-file.js';
import type { OptionValues } from './options.js';
import { experimentOf } from '../options/experiment.js';
import { typedOptions } from '../options/typed.js';

export const DEFAULT_DATASET = 'signed_xor';

/** The data the options name: a registered dataset, or --train/--test CSV files. */
export function dataSourceFrom(values: OptionValues): DataSource {
  const o = typedOptions(values);
  const { train, test } = o;
  check((train === undefined) === (test === undefined), `give both --train FILE.csv and --test FILE.csv (got only ${train !== undefined ? '--train' : '--test'})`);
  if (train !== undefined && test !== undefined) {
    check(o.dataset === undefined, '--dataset and --train/--test both name the data; give one or the other');
    check(o.dataDir === undefined, '--data-dir names the folder of a registered dataset (mnist, fashion-mnist); with --train/--test give the files themselves');
    const sets = csvDatasets(readUserFile(train, '--train').toString('utf8'), readUserFile(test, '--test').toString('utf8'), {
      targets: o.targets,
      classes: o.classes,
      trainSource: train,
      testSource: test,
    });
    const limit = o.limit;
    const cut = (d: Dataset) => (limit === undefined ? d : firstExamples(d, limit));
    return { name: `${train} / ${test}`, train: cut(sets.train), test: cut(sets.test) };
  }
  check(o.targets === undefined, '--targets only applies to --train/--test CSV files');
  check(o.classes === undefined, '--classes only applies to --train/--test CSV files (a registered dataset knows its classes)');
  const name = o.dataset ?? DEFAULT_DATASET;
  getDataset(name);
  const options: DatasetOptions = {};
  if (o.noise !== undefined) options.noise = o.noise;
  if (o.trainShare !== undefined) options.trainShare = o.trainShare;
  if (o.dataDir !== undefined) options.dataDir = o.dataDir;
  if (o.limit !== undefined) options.limit = o.limit;
  return { dataset: name, options };
}

/**
 * The model spec: --model (a spec string, JSON, or a .json file), else the
 * spec a --init checkpoint records, else the seed's network fitted to the
 * data's input and output sizes.
 */
export function modelSpecOf(o: OptionValues, data: DataSource, checkpointSpec: ModelSpec | undefined): ModelSpec {
  const raw = typedOptions(o).model;
  if (raw !== undefined) {
    if (raw.trim().startsWith('{')) return modelSpecFrom(parseJsonInput(raw, '--model'));
    if (raw.endsWith('.json')) return modelSpecFrom(readSettingsFile(raw, '--model'));
    return parseModelSpec(raw);
  }
  if (checkpointSpec) return checkpointSpec;
  const seed = parseModelSpec(SEED_MODEL);
  const sizes = 'dataset' in data ? getDataset(data.dataset) : data.train;
  return withEnds(seed, dataShape(sizes), sizes.outputSize);
}

export function parseJson(textValue: string, label: string): unknown {
  try {
    return JSON.parse(textValue);
  } catch (e) {
    throw new LocalpropError(`${label} is not valid JSON (${(e as Error).message}); check its brackets, quotes and commas`);
  }
}

/** Initial parameters from --init, checked against the spec. */
export function loadInit(path: string, spec: ModelSpec | undefined, rule?: LocalRule): { spec: ModelSpec; parameters: ParameterMap } {
  return decodeCheckpoint(new Uint8Array(readUserFile(path, '--init')), `--init ${path}`, spec, rule);
}

/** An experiment from the options of `compare` or `train`. */
export function experimentFrom(o: OptionValues, schedules: string[], seeds: number[], evaluator?: TestEvaluator): ExperimentConfig {
  const data = dataSourceFrom(o);
  // A checkpoint holds one rule's tensors: those of the rule named alone (the decoder rule's by default).
  const rules = typedOptions(o).rule;
  const initRule = rules && rules.length === 1 ? getRule(rules[0]) : undefined;
  const initFile = typedOptions(o).init;
  const init = initFile !== undefined ? loadInit(initFile, o.model !== undefined ? modelSpecOf(o, data, undefined) : undefined, initRule) : undefined;
  const spec = modelSpecOf(o, data, init?.spec);
  return experimentOf(o, { data, spec, schedules, seeds, initial: init?.parameters, evaluator });
}

export function allScheduleNames(): string[] {
  return listSchedules().map((s) => s.name);
}
