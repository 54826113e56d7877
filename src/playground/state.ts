import { oneOf, parseOptionValue } from '../cli/options.js';
import { listDatasets } from '../data/registry.js';
import { ACTIVATIONS, type Activation } from '../model/activations.js';
import { parseModelSpec, SEED_MODEL } from '../model/spec.js';
import { listSchedules } from '../schedules/registry.js';
import type { GateOptions } from '../modulators/gates.js';
import type { OptimizerName } from '../optim/index.js';
import { LocalpropError, check } from '../util/errors.js';
import { decodePoints, encodePoints, type Point } from './points.js';

/**
 * Everything a playground experiment is, as plain data. Field names are the
 * CLI's option keys, and the URL uses the CLI's flag names, so a link, a
 * downloaded config.json and a command line all say the same thing.
 */
export interface PlaygroundState {
  /** A 2-D dataset of the registry, or {@link USER_POINTS} for the user's own points. */
  dataset: string;
  /** Noise std of the 2-D set; null keeps the dataset's own. */
  noise: number | null;
  trainShare: number;
  /** A model spec in the CLI's compact form; its ends follow the data (see {@link fitModel}). */
  model: string;
  schedules: string[];
  decoders: 'fixed' | 'learned';
  /** Epochs of every schedule (per block for local-sequential); null keeps each schedule's own. */
  epochs: number | null;
  step: 'epoch' | 'batch';
  batchSize: number;
  optimizer: OptimizerName;
  /** null keeps the optimizer's default rate. */
  lr: number | null;
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

/** The dataset value that means "the points I clicked or uploaded". */
export const USER_POINTS = 'points';

export const PLAYGROUND_BACKENDS = ['auto', 'wasm', 'webgl', 'webgpu', 'cpu'] as const;
export const SPEEDS = [1, 2, 5, 10, 20, 50] as const;

/** A control the page builds for an option. */
export type Control =
  | { kind: 'select'; choices: () => { value: string; label: string }[] }
  | { kind: 'checklist'; choices: () => { value: string; label: string }[] }
  | { kind: 'number'; min: number; max?: number; step: number; placeholder?: string }
  | { kind: 'text'; placeholder?: string }
  | { kind: 'none' };

/** One row of the table: an option of the page, its URL name, its control and how its text is read. */
export interface StateOption {
  key: keyof PlaygroundState;
  /** The URL parameter and the CLI flag without its dashes. */
  name: string;
  label: string;
  group: 'Data' | 'Model' | 'Training' | 'Gates' | 'Run';
  help: string;
  /**
   * Where the page shows it: `common` options in their group, `advanced`
   * ones folded under their group's "advanced", `toolbar` beside Play.
   */
  tier: 'common' | 'advanced' | 'toolbar';
  control: Control;
  /** Read from the URL's text; throws a {@link LocalpropError} saying what is wrong. */
  read: (text: string) => unknown;
  /** Written to the URL; null leaves the parameter out. */
  write: (value: never) => string | null;
  /** Part of the configuration the CLI reads (`localprop compare --config`). */
  cli: boolean;
}

const cliValue = (key: string) => (text: string) => parseOptionValue('compare', key, text);
const nullable = (read: (text: string) => unknown) => (text: string) => (text === '' || text === 'default' ? null : read(text));
const plain = (value: unknown): string | null => (value === null ? null : String(value));
const choices = (values: readonly string[]) => () => values.map((v) => ({ value: v, label: v }));

/** The 2-D datasets of the registry: the ones a boundary can be drawn for. */
export function planeDatasets(): string[] {
  return listDatasets()
    .filter((d) => d.inputSize === 2)
    .map((d) => d.name);
}

/** The table: every option of the page, in the order the page shows them. */
export const STATE_OPTIONS: StateOption[] = [
  {
    key: 'dataset', name: 'dataset', label: 'Dataset', group: 'Data', cli: true, tier: 'common',
    help: 'a 2-D dataset of the registry, or your own points (click the picture or upload a CSV)',
    control: { kind: 'select', choices: () => [...planeDatasets().map((d) => ({ value: d, label: d })), { value: USER_POINTS, label: 'your points' }] },
    read: (text) => oneOf(...planeDatasets(), USER_POINTS)(text, '--dataset'), write: plain,
  },
  {
    key: 'noise', name: 'noise', label: 'Noise', group: 'Data', cli: true, tier: 'common',
    help: "Gaussian noise std added to the points (empty: the dataset's own)",
    control: { kind: 'number', min: 0, max: 1, step: 0.01, placeholder: 'default' },
    read: nullable(cliValue('noise')), write: plain,
  },
  {
    key: 'trainShare', name: 'train-share', label: 'Training share', group: 'Data', cli: true, tier: 'advanced',
    help: 'share of the points used for training; the rest are the test set',
    control: { kind: 'number', min: 0.05, max: 0.95, step: 0.05 },
    read: (text) => {
      const v = cliValue('trainShare')(text) as number;
      check(v > 0 && v < 1, `--train-share must be between 0 and 1 exclusive, got ${v}`);
      return v;
    },
    write: plain,
  },
  {
    key: 'model', name: 'model', label: 'Model', group: 'Model', cli: true, tier: 'common',
    help: 'the network as the CLI writes it; the controls below edit its hidden blocks',
    control: { kind: 'text' },
    read: (text) => {
      parseModelSpec(text);
      return text.trim();
    },
    write: plain,
  },
  {
    key: 'schedules', name: 'schedules', label: 'Schedules', group: 'Training', cli: true, tier: 'common',
    help: 'one column each, trained side by side from the same initial weights',
    control: { kind: 'checklist', choices: () => listSchedules().map((s) => ({ value: s.name, label: s.name })) },
    read: (text) => {
      const names = cliValue('schedules')(text) as string[];
      const known = listSchedules().map((s) => s.name);
      names.forEach((n) => check(known.includes(n), `--schedules: unknown schedule "${n}"; choose from ${known.join(', ')}`));
      check(new Set(names).size === names.length, `--schedules lists a schedule twice: ${text}`);
      return names;
    },
    write: (v: string[]) => v.join(','),
  },
  {
    key: 'decoders', name: 'decoders', label: 'Decoders', group: 'Training', cli: true, tier: 'advanced',
    help: 'learned: trained with their block; fixed: random and frozen (Mertens’ code)',
    control: { kind: 'select', choices: choices(['learned', 'fixed']) },
    read: (text) => oneOf('learned', 'fixed')(text, '--decoders'), write: plain,
  },
  {
    key: 'epochs', name: 'epochs', label: 'Epochs', group: 'Training', cli: true, tier: 'advanced',
    help: "epochs of every schedule, per block for local-sequential (empty: each schedule's own)",
    control: { kind: 'number', min: 1, step: 1, placeholder: 'default' },
    read: nullable(cliValue('epochs')), write: plain,
  },
  {
    key: 'step', name: 'step', label: 'Step', group: 'Training', cli: true, tier: 'advanced',
    help: 'epoch: one step per epoch on the summed batch losses (Mertens’ protocol); batch: one per mini-batch',
    control: { kind: 'select', choices: choices(['epoch', 'batch']) },
    read: (text) => cliValue('step')(text), write: plain,
  },
  {
    key: 'batchSize', name: 'batch-size', label: 'Batch size', group: 'Training', cli: true, tier: 'advanced',
    help: 'examples per mini-batch',
    control: { kind: 'number', min: 1, step: 1 },
    read: cliValue('batchSize'), write: plain,
  },
  {
    key: 'optimizer', name: 'optimizer', label: 'Optimizer', group: 'Training', cli: true, tier: 'common',
    help: 'rprop is Mertens’ optimizer; adam, rmsprop and sgd take a learning rate',
    control: { kind: 'select', choices: choices(['rprop', 'adam', 'rmsprop', 'sgd']) },
    read: cliValue('optimizer'), write: plain,
  },
  {
    key: 'lr', name: 'lr', label: 'Learning rate', group: 'Training', cli: true, tier: 'common',
    help: "learning rate (rprop: initial step size); empty: the optimizer's default",
    control: { kind: 'number', min: 0, step: 0.001, placeholder: 'default' },
    read: nullable(cliValue('lr')), write: plain,
  },
  {
    key: 'gate', name: 'gate', label: 'Gate', group: 'Gates', cli: true, tier: 'common',
    help: 'local-gated: hard gates close when an input axis drifts; soft ones shrink; off is local-parallel',
    control: { kind: 'select', choices: choices(['hard', 'soft', 'off']) },
    read: cliValue('gate'), write: plain,
  },
  {
    key: 'gateTau', name: 'gate-tau', label: 'Gate τ', group: 'Gates', cli: true, tier: 'advanced',
    help: 'drift at which a soft gate is ½ or a hard gate closes',
    control: { kind: 'number', min: 0.001, step: 0.01 },
    read: cliValue('gateTau'), write: plain,
  },
  {
    key: 'gateScale', name: 'gate-scale', label: 'Drift scale', group: 'Gates', cli: true, tier: 'advanced',
    help: "drift relative to each axis's mean |h|, or absolute",
    control: { kind: 'select', choices: choices(['relative', 'absolute']) },
    read: cliValue('gateScale'), write: plain,
  },
  {
    key: 'gateSmoothing', name: 'gate-smoothing', label: 'Drift smoothing', group: 'Gates', cli: true, tier: 'advanced',
    help: 'EMA factor of the drift, in [0, 1)',
    control: { kind: 'number', min: 0, max: 0.99, step: 0.05 },
    read: cliValue('gateSmoothing'), write: plain,
  },
  {
    key: 'gateFloor', name: 'gate-floor', label: 'Gate floor', group: 'Gates', cli: true, tier: 'advanced',
    help: 'the lowest a gate goes',
    control: { kind: 'number', min: 0, max: 1, step: 0.05 },
    read: cliValue('gateFloor'), write: plain,
  },
  {
    key: 'gateTarget', name: 'gate-target', label: 'Gate acts on', group: 'Gates', cli: true, tier: 'advanced',
    help: "the weights reading each axis, the whole block by its mean gate, or Rprop's step sizes",
    control: { kind: 'select', choices: choices(['weights', 'block', 'step-sizes']) },
    read: cliValue('gateTarget'), write: plain,
  },
  {
    key: 'seed', name: 'seed', label: 'Seed', group: 'Run', cli: true, tier: 'common',
    help: 'fixes the data, the initial weights and the shuffles',
    control: { kind: 'number', min: 0, step: 1 },
    read: (text) => parseOptionValue('train', 'seed', text), write: plain,
  },
  {
    key: 'backend', name: 'backend', label: 'Backend', group: 'Run', cli: false, tier: 'advanced',
    help: 'TF.js backend; auto takes wasm, the fastest for networks this small, then webgl, then cpu',
    control: { kind: 'select', choices: choices(PLAYGROUND_BACKENDS) },
    read: (text) => oneOf(...PLAYGROUND_BACKENDS)(text, 'backend'), write: plain,
  },
  {
    key: 'speed', name: 'speed', label: 'Epochs per frame', group: 'Run', cli: false, tier: 'toolbar',
    help: 'how many epochs every column trains between two pictures',
    control: { kind: 'select', choices: () => SPEEDS.map((s) => ({ value: String(s), label: String(s) })) },
    read: (text) => Number(oneOf(...SPEEDS.map(String))(text, 'speed')), write: plain,
  },
  {
    key: 'points', name: 'points', label: 'Points', group: 'Data', cli: false, tier: 'common',
    help: 'your points as x,y,class;… (only while few enough for a link)',
    control: { kind: 'none' },
    read: decodePoints, write: (v: Point[]) => encodePoints(v),
  },
];

/** The seed's experiment, every schedule side by side. */
export const DEFAULT_STATE: PlaygroundState = {
  dataset: 'signed_xor',
  noise: null,
  trainShare: 0.5,
  model: fitModel(SEED_MODEL, 2, 1),
  schedules: listSchedules().map((s) => s.name),
  decoders: 'learned',
  epochs: null,
  step: 'epoch',
  batchSize: 100,
  optimizer: 'rprop',
  lr: null,
  gate: 'hard',
  gateTau: 0.1,
  gateScale: 'relative',
  gateSmoothing: 0.9,
  gateFloor: 0,
  gateTarget: 'weights',
  seed: 0,
  backend: 'auto',
  speed: 1,
  points: [],
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
  const byName = new Map(STATE_OPTIONS.map((o) => [o.name, o]));
  for (const [name, text] of params) {
    const option = byName.get(name);
    if (!option) {
      problems.push(`unknown option "${name}" in the link; known: ${STATE_OPTIONS.map((o) => o.name).join(', ')}`);
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
  const ends = parseModelSpec(state.model).layers;
  const plainModel = fitModel(DEFAULT_STATE.model, ends[0], ends[ends.length - 1], { widths, activation, normalize: hiddenLayout(DEFAULT_STATE.model).normalize });
  if (state.model !== plainModel) groups.add('Model');
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

/** The hidden part of a model spec, which the page's controls edit. */
export interface HiddenLayout {
  widths: number[];
  activation: Activation;
  normalize: boolean;
}

export function hiddenLayout(model: string): HiddenLayout {
  const spec = parseModelSpec(model);
  return { widths: spec.layers.slice(1, -1), activation: spec.hidden.activation, normalize: spec.hidden.normalize };
}

/** Hidden activations a control offers (softmax is for outputs only). */
export const HIDDEN_ACTIVATIONS = ACTIVATIONS.filter((a) => a !== 'softmax');

/**
 * The model with these hidden blocks and ends fitted to `inputs` and
 * `outputs`. The output activation and loss are kept while the output
 * width stays; a new width takes that width's defaults (sigmoid + bce for
 * one output, softmax + ce for more).
 */
export function fitModel(model: string, inputs: number, outputs: number, hidden: Partial<HiddenLayout> = {}): string {
  const spec = parseModelSpec(model);
  const widths = hidden.widths ?? spec.layers.slice(1, -1);
  check(widths.every((w) => Number.isInteger(w) && w >= 1), `hidden widths must be whole numbers ≥ 1, like 100-100-10; got ${widths.join('-')}`);
  const activation = hidden.activation ?? spec.hidden.activation;
  const normalize = hidden.normalize ?? spec.hidden.normalize;
  const layers = [inputs, ...widths, outputs];
  const keepsOut = spec.layers[spec.layers.length - 1] === outputs;
  const defaultOut = outputs === 1 ? 'sigmoid' : 'softmax';
  // The loss the spec parser infers from the output activation.
  const inferredLoss = spec.out === 'softmax' ? 'ce' : spec.out === 'sigmoid' ? 'bce' : 'mse';
  const extra = keepsOut ? [spec.out !== defaultOut ? `out=${spec.out}` : '', spec.loss !== inferredLoss ? `loss=${spec.loss}` : ''] : [];
  const text = [layers.join('-'), `hidden=${activation}${normalize ? ',normalize' : ''}`, ...extra].filter(Boolean).join(' ');
  parseModelSpec(text);
  return text;
}
