import type { ModelSpec } from '../model/spec.js';
import type { GateOptions } from '../modulators/gates.js';
import type { OptimizerName } from '../optim/index.js';
import { USER_POINTS } from '../options/run-table.js';
import { LocalpropError } from '../util/errors.js';
import type { ColumnRules } from './column-rules.js';
import { STATE_OPTIONS, type StateOption } from './page-table.js';
import { decodePoints, encodePoints, type Point } from './points.js';
import { fitModel, hiddenLayout, modelText } from './model.js';

export { USER_POINTS, planeDatasets } from '../options/run-table.js';
export type { Control } from '../options/option.js';
export { PLAYGROUND_BACKENDS, SPEEDS, STATE_OPTIONS, type StateOption } from './page-table.js';
export { fitModel, hiddenLayout, HIDDEN_ACTIVATIONS, modelText, pageModel, withHiddenControls, type HiddenLayout } from './model.js';

/**
 * Everything a playground experiment is, as plain data. Field names are the
 * option table's keys, and the URL uses the CLI's flag names, so a link, a
 * downloaded config.json and a command line all say the same thing.
 */
export interface PlaygroundState {
  /** A 2-D dataset of the registry, or {@link USER_POINTS} for the user's own points. */
  dataset: string;
  /** Noise std of the 2-D set; null keeps the dataset's own. */
  noise: number | null;
  trainShare: number;
  /** The model as data, its blocks and options; its ends follow the data (see {@link fitModel}); `modelText` writes it for links and the CLI. */
  model: ModelSpec;
  schedules: string[];
  /** Each column's learning rule, by schedule, where it is not the decoder rule. */
  rules: ColumnRules;
  decoders: 'fixed' | 'learned';
  /** Epochs of every schedule (per block for local-sequential); null keeps each schedule's own. */
  epochs: number | null;
  step: 'epoch' | 'batch';
  batchSize: number;
  optimizer: OptimizerName;
  /** null keeps the optimizer's default rate. */
  lr: number | null;
  /** Forward-Forward's threshold θ and goodness, for columns with rule ff. */
  ffThreshold: number;
  ffGoodness: 'mean' | 'sum';
  /** Always `append`: the page's points have 2 inputs, and Forward-Forward appends the label to them. */
  ffEmbed: 'append';
  /** predsim's β, for columns with rule predsim. */
  predsimBeta: number;
  gate: GateOptions['mode'];
  gateTau: number;
  gateScale: GateOptions['scale'];
  gateSmoothing: number;
  gateFloor: number;
  gateTarget: GateOptions['target'];
  seed: number;
  /** A TF.js backend, or `auto` (see the worker's choice). */
  backend: string;
  /** Epochs every column advances between two pictures. */
  speed: number;
  /** The user's points, when `dataset` is {@link USER_POINTS}. */
  points: Point[];
}

/** The seed's experiment, every schedule side by side: each row's initial value, as the table gives it. */
export const DEFAULT_STATE: PlaygroundState = {
  ...(Object.fromEntries(STATE_OPTIONS.map((o) => [o.key, o.initial])) as unknown as PlaygroundState),
  model: fitModel(STATE_OPTIONS.find((o) => o.key === 'model')!.initial as ModelSpec, 2, 1),
};

/** A state read from a URL, with what could not be read (those options keep their defaults). */
export interface ReadState {
  state: PlaygroundState;
  problems: string[];
}

/** Reads a URL's query (`?dataset=spiral&seed=3…`); unknown names and bad values are reported, never fatal. */
export function stateFromQuery(query: string): ReadState {
  const params = new URLSearchParams(query);
  const state: PlaygroundState = structuredClone(DEFAULT_STATE);
  const problems: string[] = [];
  const linked = STATE_OPTIONS.filter((o) => !o.fixed);
  const byName = new Map(linked.map((o) => [o.name, o]));
  for (const [name, text] of params) {
    const option = byName.get(name);
    if (!option) {
      problems.push(`unknown option "${name}" in the link; known: ${linked.map((o) => o.name).join(', ')}`);
      continue;
    }
    try {
      (state as unknown as Record<string, unknown>)[option.key] = option.read(text);
    } catch (e) {
      if (!(e instanceof LocalpropError)) throw e;
      problems.push(`${name}: ${e.message} (kept ${String(option.write(DEFAULT_STATE[option.key] as never) ?? 'the default')})`);
    }
  }
  return { state, problems };
}

/**
 * The groups whose "advanced" fold a state should open: those with an
 * advanced option away from its default, so a link that sets one shows it.
 * The model's advanced part is its normalize flag and anything its spec
 * says beyond widths and activation (an output activation or loss).
 */
export function unfoldedGroups(state: PlaygroundState): Set<StateOption['group']> {
  const groups = new Set<StateOption['group']>();
  for (const option of STATE_OPTIONS) {
    if (option.tier !== 'advanced') continue;
    const write = (value: unknown) => option.write(value as never);
    if (write(state[option.key]) !== write(DEFAULT_STATE[option.key])) groups.add(option.group);
  }
  const { widths, activation } = hiddenLayout(state.model);
  const outputs = state.model.stack[state.model.stack.length - 1].units as number;
  const plainModel = fitModel(DEFAULT_STATE.model, state.model.input[0], outputs, { widths, activation });
  if (modelText(state.model) !== modelText(plainModel)) groups.add('Model');
  return groups;
}

/** Points a link carries at most; beyond it the page says to download the run instead. */
export const MAX_LINK_POINTS = 200;

/**
 * The URL query of a state: every option with a value, in the table's
 * order, so a link reproduces the experiment even if defaults change.
 * `pointsLeftOut` is true when the user's points are too many (or too
 * precise) for a link.
 */
export function queryFromState(state: PlaygroundState): { query: string; pointsLeftOut: boolean } {
  const params = new URLSearchParams();
  let pointsLeftOut = false;
  for (const option of STATE_OPTIONS) {
    if (option.fixed) continue;
    const value = state[option.key];
    if (option.key === 'points') {
      const points = value as Point[];
      if (state.dataset !== USER_POINTS || points.length === 0) continue;
      const text = encodePoints(points);
      if (points.length > MAX_LINK_POINTS || !samePoints(decodePoints(text), points)) {
        pointsLeftOut = true;
        continue;
      }
    }
    const text = option.write(value as never);
    if (text !== null) params.set(option.name, text);
  }
  return { query: params.toString(), pointsLeftOut };
}

function samePoints(a: Point[], b: Point[]): boolean {
  return a.length === b.length && a.every((p, i) => p[0] === b[i][0] && p[1] === b[i][1] && p[2] === b[i][2]);
}
