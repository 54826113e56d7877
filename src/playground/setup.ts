import { experimentOf } from '../cli/experiment-options.js';
import { resolveOptions } from '../cli/options.js';
import type { Dataset } from '../data/dataset.js';
import { getDataset, type DatasetOptions } from '../data/registry.js';
import { getSchedule } from '../schedules/registry.js';
import { checkExperiment, experimentStart, type DataSource, type ExperimentConfig } from '../experiment/experiment.js';
import type { SeededStart } from '../experiment/seeded.js';
import { parseModelSpec } from '../model/spec.js';
import { areaOf, type GridArea } from '../report/grid.js';
import { classCount, pointsDataset, splitPoints, type Point } from './points.js';
import { fitModel, STATE_OPTIONS, USER_POINTS, type PlaygroundState } from './state.js';

/** Backends the CLI runs on; a config.json names the browser's backend only when it is one of them. */
const CLI_BACKENDS = ['wasm', 'cpu'];

/** File names of the user's points inside a downloaded run; config.json names them. */
export const POINTS_FILES = { train: 'train.csv', test: 'test.csv' } as const;

/** The user's points as the two sets a run trains and scores on. */
export interface UserSplit {
  train: Point[];
  test: Point[];
  /** True when there were too few points to split: every point is in both sets. */
  sharedTest: boolean;
}

/** The input and output widths of the state's data. */
function dataWidths(state: PlaygroundState): { outputs: number; classes: number } {
  if (state.dataset === USER_POINTS) {
    const classes = classCount(state.points);
    return { outputs: classes > 2 ? classes : 1, classes };
  }
  const entry = getDataset(state.dataset);
  return { outputs: entry.outputSize, classes: entry.outputSize === 1 ? 2 : entry.outputSize };
}

/** The state's model with its ends fitted to the data. */
export function modelOf(state: PlaygroundState): string {
  return fitModel(state.model, 2, dataWidths(state).outputs);
}

/** The state with its model fitted to its data, as the page shows and links it. */
export function fittedState(state: PlaygroundState): PlaygroundState {
  const model = modelOf(state);
  return model === state.model ? state : { ...state, model };
}

/**
 * The state as the options `localprop compare --config` reads (the CLI's
 * names): what a downloaded config.json holds. The user's points become
 * the CSV files {@link POINTS_FILES}; gate options appear only when the
 * gated schedule runs; the seed becomes a one-seed list.
 */
export function cliConfigOf(state: PlaygroundState, backend?: string): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  const userPoints = state.dataset === USER_POINTS;
  for (const option of STATE_OPTIONS) {
    if (!option.cli) continue;
    const value = state[option.key];
    if (value === null) continue;
    if (userPoints && ['dataset', 'noise', 'trainShare'].includes(option.key)) continue;
    if (option.group === 'Gates' && !state.schedules.some((s) => getSchedule(s).optionGroups?.includes('gate'))) continue;
    if (option.key === 'seed') config.seeds = [value];
    else if (option.key === 'model') config.model = modelOf(state);
    else config[option.name] = value;
  }
  if (userPoints) Object.assign(config, POINTS_FILES);
  if (backend !== undefined && CLI_BACKENDS.includes(backend)) config.backend = backend;
  return config;
}

/** Everything a playground experiment starts from. */
export interface PlaygroundSetup {
  state: PlaygroundState;
  config: ExperimentConfig;
  /** The seed's data and initial weights, shared by every column. */
  start: SeededStart;
  area: GridArea;
  classes: number;
  /** The user's points as split, when the data is theirs. */
  split: UserSplit | null;
}

/**
 * Builds the experiment the state describes, reading its options through
 * the CLI's own parsers and mapping, so the page and `localprop compare
 * --config` with the downloaded config.json train the same runs. Throws a
 * LocalpropError for a state the CLI would refuse.
 */
export function setupOf(state: PlaygroundState): PlaygroundSetup {
  const o = resolveOptions('compare', { config: 'the playground' }, () => cliConfigOf(state));
  const spec = parseModelSpec(o.model as string);
  const { classes } = dataWidths(state);
  let data: DataSource;
  let split: UserSplit | null = null;
  if (state.dataset === USER_POINTS) {
    split = splitPoints(state.points, state.trainShare, state.seed);
    const sets: { train: Dataset; test: Dataset } = { train: pointsDataset(split.train, classes), test: pointsDataset(split.test, classes) };
    data = { name: 'your points', ...sets };
  } else {
    const options: DatasetOptions = { trainShare: state.trainShare };
    if (state.noise !== null) options.noise = state.noise;
    data = { dataset: state.dataset, options };
  }
  const config = experimentOf(o, { data, spec, schedules: o.schedules as string[], seeds: o.seeds as number[] });
  checkExperiment(config);
  const start = experimentStart(config, state.seed);
  return { state, config, start, area: areaOf(start.train), classes, split };
}
