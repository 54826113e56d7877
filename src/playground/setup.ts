import { experimentOf } from '../options/experiment.js';
import { resolveOptions } from '../options/resolve.js';
import type { Dataset } from '../data/dataset.js';
import { getDataset, type DatasetOptions } from '../data/registry.js';
import { getSchedule } from '../schedules/registry.js';
import { checkExperiment, experimentStart, type DataSource, type ExperimentConfig } from '../experiment/experiment.js';
import type { SeededStart } from '../experiment/seeded.js';
import { parseModelSpec, type ModelSpec } from '../model/spec.js';
import { areaOf, type GridArea } from '../report/grid.js';
import { configuredRule, DEFAULT_RULE } from '../rules/registry.js';
import { columnRule } from './column-rules.js';
import { classCount, pointsDataset, splitPoints, type Point } from './points.js';
import { STATE_OPTIONS, USER_POINTS, type PlaygroundState } from './state.js';
import { fitModel, modelText } from './model.js';

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

/**
 * The state's model with its ends fitted to the data, for the columns of
 * `rule`: a rule that feeds block 0 more than the point (Forward-Forward
 * appends the label) gets the inputs that leave the point's 2 for the data.
 */
export function modelOf(state: PlaygroundState, rule: string = DEFAULT_RULE): ModelSpec {
  const outputs = dataWidths(state).outputs;
  const fitted = fitModel(state.model, 2, outputs);
  const configured = configuredRule(rule, ruleOptionsOf(state, rule));
  if (!configured.dataInputs) return fitted;
  const extra = 2 - configured.dataInputs(fitted);
  return extra === 0 ? fitted : fitModel(state.model, 2 + extra, outputs);
}

/** The page's values of the options `rule` declares, by key. */
function ruleOptionsOf(state: PlaygroundState, rule: string): Record<string, unknown> {
  return Object.fromEntries(STATE_OPTIONS.filter((o) => o.owner?.kind === 'rule' && o.owner.rule === rule).map((o) => [o.key, state[o.key]]));
}

/** The columns' rules in column order, each with its schedules: one `localprop compare` each. */
export function ruleGroups(state: PlaygroundState): { rule: string; schedules: string[] }[] {
  const groups: { rule: string; schedules: string[] }[] = [];
  for (const schedule of state.schedules) {
    const rule = columnRule(state.rules, schedule);
    const group = groups.find((g) => g.rule === rule);
    if (group) group.schedules.push(schedule);
    else groups.push({ rule, schedules: [schedule] });
  }
  return groups;
}

/** The state with its model fitted to its data, as the page shows and links it. */
export function fittedState(state: PlaygroundState): PlaygroundState {
  const model = modelOf(state);
  return modelText(model) === modelText(state.model) ? state : { ...state, model };
}

/**
 * The state as the options `localprop compare --config` reads (the CLI's
 * names), for the columns that train with `rule`: what a downloaded
 * config.json holds. The user's points become the CSV files
 * {@link POINTS_FILES}; a schedule's or rule's own options appear only when
 * it runs; the seed becomes a one-seed list.
 */
export function cliConfigOf(state: PlaygroundState, backend?: string, rule: string = DEFAULT_RULE): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  const userPoints = state.dataset === USER_POINTS;
  const schedules = state.schedules.filter((s) => columnRule(state.rules, s) === rule);
  for (const option of STATE_OPTIONS) {
    if (!option.cli) continue;
    const value = state[option.key];
    if (value === null) continue;
    if (userPoints && ['dataset', 'noise', 'trainShare'].includes(option.key)) continue;
    const owner = option.owner;
    if (owner?.kind === 'schedule' && !schedules.some((s) => getSchedule(s).optionGroups?.includes(owner.group))) continue;
    if (owner?.kind === 'rule' && owner.rule !== rule) continue;
    if (option.key === 'seed') config.seeds = [value];
    else if (option.key === 'model') config.model = modelText(modelOf(state, rule));
    else if (option.key === 'schedules') config.schedules = schedules;
    else config[option.name] = value;
  }
  if (rule !== DEFAULT_RULE) config.rule = [rule];
  if (userPoints) Object.assign(config, POINTS_FILES);
  if (backend !== undefined && CLI_BACKENDS.includes(backend)) config.backend = backend;
  return config;
}

/** A downloaded run's config file for the columns of `rule`: config.json for the first column's rule, config-<rule>.json for the others'. */
export function configFile(state: PlaygroundState, rule: string): string {
  return ruleGroups(state)[0]?.rule === rule ? 'config.json' : `config-${rule}.json`;
}

/** One column of the page: its schedule and rule, and the experiment and start it trains from. */
export interface ColumnSetup {
  schedule: string;
  rule: string;
  /** The experiment of the columns of this rule (its model fitted to the rule). */
  config: ExperimentConfig;
  /** The seed's data and initial weights for that model. */
  start: SeededStart;
}

/** Everything a playground experiment starts from. */
export interface PlaygroundSetup {
  state: PlaygroundState;
  /** The experiment of the first column's rule. */
  config: ExperimentConfig;
  /** The seed's data and initial weights, shared by every column of the same model. */
  start: SeededStart;
  /** Every column, in the state's order. */
  columns: ColumnSetup[];
  area: GridArea;
  classes: number;
  /** The user's points as split, when the data is theirs. */
  split: UserSplit | null;
}

/**
 * Builds the experiment the state describes, reading its options through
 * the CLI's own parsers and mapping, so the page and `localprop compare
 * --config` with the downloaded config files train the same runs: one
 * experiment per rule of the columns, all from the same seed and data.
 * Throws a LocalpropError for a state the CLI would refuse.
 */
export function setupOf(state: PlaygroundState): PlaygroundSetup {
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
  const groups = ruleGroups(state);
  // No column at all: the CLI's own message for an empty --schedules.
  if (groups.length === 0) groups.push({ rule: DEFAULT_RULE, schedules: [] });
  const starts = new Map<string, SeededStart>();
  const columns: ColumnSetup[] = [];
  const configs = groups.map(({ rule }) => {
    const o = resolveOptions('compare', { config: 'the playground' }, () => cliConfigOf(state, undefined, rule));
    const spec = parseModelSpec(o.model as string);
    const config = experimentOf(o, { data, spec, schedules: o.schedules as string[], seeds: o.seeds as number[] });
    checkExperiment(config);
    const key = JSON.stringify(spec);
    const start = starts.get(key) ?? experimentStart(config, state.seed);
    starts.set(key, start);
    return { rule, config, start };
  });
  for (const schedule of state.schedules) {
    const { rule, config, start } = configs.find((c) => c.rule === columnRule(state.rules, schedule))!;
    columns.push({ schedule, rule, config, start });
  }
  const first = configs[0];
  return { state, config: first.config, start: first.start, columns, area: areaOf(first.start.train), classes, split };
}
