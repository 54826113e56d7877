import type { Command } from 'commander';
import { LocalpropError, check } from '../util/errors.js';

/**
 * Every option the commands share, in one table: its flag, its help, and how
 * a value from the command line (a string) or from --config (any JSON value)
 * becomes a checked value. Keeping them in one table is what lets --config
 * supply any option under the same name.
 */
interface OptionDef {
  key: string;
  flags: string;
  help: string;
  parse: (value: unknown, label: string) => unknown;
}

const text = (v: unknown, label: string): string => {
  check(v !== '' && v !== undefined && v !== null, `${label} needs a value`);
  check(typeof v === 'string', () => `${label} must be a name or a path (a string), got ${JSON.stringify(v)}`);
  return v;
};
/** Decimal numbers only: `Number()` also reads hex, octal, binary and blanks, which no one means as a rate. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const number = (v: unknown, label: string): number => {
  if (typeof v === 'number') {
    check(Number.isFinite(v), `${label} must be a finite number, got ${v}`);
    return v === 0 ? 0 : v;
  }
  check(typeof v !== 'boolean' && !Array.isArray(v) && (typeof v !== 'object' || v === null), () => `${label} must be a number, got ${JSON.stringify(v)}`);
  const s = text(v, label).trim();
  check(!/^[+-]?(infinity|inf|nan)$/i.test(s), `${label} must be a finite number, got "${s}"`);
  check(!/^[+-]?0[xob]/i.test(s), `${label} must be a decimal number (like 16 or 1e-3), got "${s}"`);
  check(DECIMAL.test(s), `${label} must be a number, got "${String(v)}"`);
  const n = Number(s);
  check(Number.isFinite(n), `${label} must be a finite number, got "${s}" (it overflows)`);
  // "-0" is 0: written back (a link, config.json) it would come back as 0, another value.
  return n === 0 ? 0 : n;
};
const positiveInt = (v: unknown, label: string): number => {
  const n = number(v, label);
  check(Number.isInteger(n) && n >= 1, `${label} must be a whole number ≥ 1, got ${String(v)}`);
  check(Number.isSafeInteger(n), `${label} must be a whole number below 2^53, got ${String(v)}`);
  return n;
};
const nonNegative = (v: unknown, label: string): number => {
  const n = number(v, label);
  check(n >= 0, `${label} must be ≥ 0, got ${n}`);
  return n;
};
const positive = (v: unknown, label: string): number => {
  const n = number(v, label);
  check(n > 0, `${label} must be > 0 (a rate of 0 trains nothing), got ${n}`);
  return n;
};
/** Items of a comma-separated list (or a JSON array); an empty item is a stray comma, refused rather than dropped. */
const items = (v: unknown, label: string): string[] => {
  if (Array.isArray(v)) {
    check(v.every((x) => typeof x === 'string' || typeof x === 'number'), () => `${label} must list names or numbers, got ${JSON.stringify(v)}`);
    return v.map((x) => String(x).trim());
  }
  const s = text(v, label);
  const parts = s.split(',').map((p) => p.trim());
  check(!parts.includes(''), `${label} "${s}" has an empty item (a stray comma); write the items separated by single commas, like 0,3,7`);
  return parts;
};
const list = (v: unknown, label: string): string[] => {
  const trimmed = items(v, label);
  check(trimmed.length > 0 && !trimmed.includes(''), `${label} needs at least one name`);
  return trimmed;
};
const pair = (v: unknown, label: string): [number, number] => {
  const two = items(v, label);
  check(two.length === 2, `${label} takes two numbers separated by a comma, like 0.5,1.2`);
  return [nonNegative(two[0], label), nonNegative(two[1], label)];
};
/** The parsed form of --standardize, as results and configs record it. */
const isMeanStd = (v: unknown): v is { mean: unknown; std: unknown } => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).sort().join() === 'mean,std';
const pairOfNumbers = (v: unknown, label: string): [number, number] => {
  const items = Array.isArray(v) ? v : text(v, label).split(',');
  check(items.length === 2, `${label} takes two numbers separated by a comma, like 0.1307,0.3081`);
  return [number(items[0], label), number(items[1], label)];
};
const gridSide = (v: unknown, label: string): number => {
  const n = positiveInt(v, label);
  check(n >= 2 && n <= 2000, `${label} must be between 2 and 2000 points a side, got ${n}`);
  return n;
};
const flag = (v: unknown, label: string): boolean => {
  check(v === true || v === false || v === 'true' || v === 'false', () => `${label} is a switch: give true or false, got ${JSON.stringify(v)}`);
  return v === true || v === 'true';
};
/** A reader of one of `allowed` (the playground's table reads its own choices with it too). */
export const oneOf =
  <T extends string>(...allowed: readonly T[]) =>
  (v: unknown, label: string): T => {
    const s = text(v, label);
    check((allowed as readonly string[]).includes(s), `${label} must be one of ${allowed.join(', ')}, got "${s}"`);
    return s as T;
  };

/** --report on|off, --no-report (commander's false) or a config file's true/false, as on or off. */
const reportSwitch = (v: unknown, label: string): 'on' | 'off' => (typeof v === 'boolean' ? (v ? 'on' : 'off') : oneOf('on', 'off')(v, label));

/** More seeds than anyone runs: `--seeds 1e11` is a typo, not a plan (and would not fit in an array). */
const MAX_SEEDS = 100_000;

/** `--seeds 5` means seeds 0-4; `--seeds 0,3,7` a list. */
export function parseSeeds(v: unknown, label = '--seeds'): number[] {
  if (typeof v === 'number' || (typeof v === 'string' && !v.includes(',')) || v === undefined || v === null) {
    const n = positiveInt(v, label);
    check(n <= MAX_SEEDS, `${label} ${n} asks for ${n} runs of every schedule; give at most ${MAX_SEEDS}, or list the seeds you want, like 0,3,7`);
    return Array.from({ length: n }, (_, i) => i);
  }
  const seeds = items(v, label).map((s) => number(s, label));
  check(seeds.length > 0, `${label} needs at least one seed`);
  check(seeds.every((s) => Number.isSafeInteger(s) && s >= 0), `${label}: seeds must be whole numbers ≥ 0 (below 2^53), got ${String(v)}`);
  check(new Set(seeds).size === seeds.length, `${label}: a seed is listed twice in ${String(v)}`);
  return seeds;
}

const COMMON: OptionDef[] = [
  { key: 'dataset', flags: '--dataset <name>', help: 'registered dataset (see `localprop datasets`); default signed_xor', parse: text },
  { key: 'noise', flags: '--noise <std>', help: 'Gaussian noise added to 2-D inputs after labelling', parse: nonNegative },
  { key: 'trainShare', flags: '--train-share <s>', help: "2-D sets: share of their 2000 points used for training (default 0.5: 1000 and 1000, as in Mertens' protocol)", parse: number },
  { key: 'dataDir', flags: '--data-dir <dir>', help: 'folder holding the IDX files of mnist or fashion-mnist (raw or .gz), instead of their default place', parse: text },
  { key: 'limit', flags: '--limit <n>', help: 'keep only the first n training and the first n test examples (quick runs)', parse: positiveInt },
  { key: 'val', flags: '--val <n>', help: 'score on the last n training examples (held out from training) instead of the test set; reported metrics are then validation metrics', parse: positiveInt },
  { key: 'train', flags: '--train <file.csv>', help: 'your own training set (numeric CSV, targets in the last column(s))', parse: text },
  { key: 'test', flags: '--test <file.csv>', help: 'your own test set, same columns as --train', parse: text },
  { key: 'targets', flags: '--targets <k>', help: 'number of target columns at the end of each CSV row (default 1)', parse: positiveInt },
  { key: 'classes', flags: '--classes <c>', help: "CSV files with one target column: labels are the classes 0..c-1 (default: the training file's largest label + 1, every class present)", parse: positiveInt },
  { key: 'model', flags: '--model <spec>', help: 'model spec, e.g. "2-100-100-10-1 hidden=mish,normalize out=sigmoid", JSON, or a .json file', parse: text },
  { key: 'rule', flags: '--rule <names>', help: 'what hidden blocks learn from: decoder (default; see `localprop rules`), or a comma list to compare rules', parse: list },
  { key: 'decoders', flags: '--decoders <modes>', help: 'fixed, learned, or fixed,learned (default learned)', parse: list },
  { key: 'epochs', flags: '--epochs <n>', help: "epochs for every schedule (per block for local-sequential); default each schedule's own", parse: positiveInt },
  { key: 'step', flags: '--step <mode>', help: "epoch: one step per epoch on the summed batch losses (Mertens' protocol); batch: one per mini-batch", parse: oneOf('epoch', 'batch') },
  { key: 'batchSize', flags: '--batch-size <n>', help: 'mini-batch size (default 100)', parse: positiveInt },
  { key: 'optimizer', flags: '--optimizer <name>', help: 'rprop (default with --step epoch), adam (default with --step batch), rmsprop, sgd', parse: oneOf('rprop', 'adam', 'rmsprop', 'sgd') },
  { key: 'lr', flags: '--lr <rate>', help: 'learning rate (rprop: initial step size); defaults: rprop 0.01, adam 0.001, rmsprop 0.01, sgd 0.01', parse: positive },
  { key: 'etas', flags: '--etas <minus,plus>', help: 'rprop step factors (default 0.5,1.2)', parse: pair },
  { key: 'stepSizes', flags: '--step-sizes <min,max>', help: 'rprop step size bounds (default 1e-6,50)', parse: pair },
  { key: 'betas', flags: '--betas <b1,b2>', help: 'adam moment decays (default 0.9,0.999)', parse: pair },
  { key: 'eps', flags: '--eps <e>', help: 'adam/rmsprop epsilon (default 1e-8)', parse: nonNegative },
  { key: 'alpha', flags: '--alpha <a>', help: 'rmsprop smoothing (default 0.99)', parse: nonNegative },
  { key: 'momentum', flags: '--momentum <m>', help: 'sgd/rmsprop momentum (default 0)', parse: nonNegative },
  { key: 'dampening', flags: '--dampening <d>', help: 'sgd momentum dampening (default 0)', parse: nonNegative },
  { key: 'nesterov', flags: '--nesterov', help: 'sgd: Nesterov momentum', parse: flag },
  { key: 'weightDecay', flags: '--weight-decay <w>', help: 'L2 penalty added to the gradient (adam, rmsprop, sgd)', parse: nonNegative },
  { key: 'lrDecayAt', flags: '--lr-decay-at <epochs>', help: 'multiply the learning rate by --lr-decay after each of these epochs, like 10,15 (per block for local-sequential)', parse: (v, l) => list(v, l).map((e) => positiveInt(e, l)) },
  { key: 'lrDecay', flags: '--lr-decay <factor>', help: 'the factor at each --lr-decay-at milestone (default 0.1)', parse: number },
  { key: 'hiddenLoss', flags: '--hidden-loss <loss>', help: 'loss of hidden blocks through their decoders: mse (default for one output), ce (default for more), bce', parse: oneOf('mse', 'ce', 'bce') },
  { key: 'dropout', flags: '--dropout <p>', help: "inverted dropout on every hidden block's output in training steps: zero each unit with probability p, scale the rest by 1/(1-p) (default 0: off)", parse: number },
  { key: 'dropoutPlacement', flags: '--dropout-placement <where>', help: "shared (default): a hidden block's local loss sees the dropped output the next block gets; after-loss: the loss sees the output before dropout (Nøkland & Eidnes')", parse: oneOf('shared', 'after-loss') },
  { key: 'jitter', flags: '--jitter <pixels>', help: 'shift every training image by up to this many pixels each way, drawn afresh each step (28×28 images; --step batch; test images never)', parse: (v, l) => { const n = number(v, l); check(Number.isInteger(n) && n >= 0, `${l} takes a whole number of pixels ≥ 0, like 2; got ${String(v)}`); return n; } },
  { key: 'flip', flags: '--flip', help: 'mirror every training image left-right with probability 1/2, drawn afresh each step (--step batch; test images never)', parse: flag },
  { key: 'standardize', flags: '--standardize <mean,std>', help: 'standardise every input to (x - mean)/std, training and test sets alike (MNIST 0.1307,0.3081; Fashion-MNIST 0.286,0.353)', parse: (v, l) => { const [mean, std] = isMeanStd(v) ? [number(v.mean, l), number(v.std, l)] : pairOfNumbers(v, l); check(std > 0, `${l}: std must be > 0, got ${std}`); return { mean, std }; } },
  { key: 'predsimBeta', flags: '--predsim-beta <b>', help: "rule predsim: the similarity loss's share β in (1-β)·pred + β·sim, in [0, 1] (default 0.99)", parse: number },
  { key: 'zeroGradSteps', flags: '--zero-grad-steps', help: "reproduce the single optimizer of Mertens' code: each block's step also steps the others with zero gradients (resets Rprop's memory)", parse: flag },
  { key: 'gate', flags: '--gate <mode>', help: 'local-gated: hard (default, chosen by the sweep in docs/results/gated.md), soft, or off (gates fixed at 1: local-parallel)', parse: oneOf('soft', 'hard', 'off') },
  { key: 'gateTau', flags: '--gate-tau <tau>', help: 'local-gated: drift at which a soft gate is 1/2 or a hard gate closes (default 0.1)', parse: nonNegative },
  { key: 'gateScale', flags: '--gate-scale <scale>', help: "local-gated: drift relative to each input axis's mean |h| (default) or absolute", parse: oneOf('relative', 'absolute') },
  { key: 'gateSmoothing', flags: '--gate-smoothing <s>', help: 'local-gated: EMA factor of the drift (default 0.9)', parse: nonNegative },
  { key: 'gateFloor', flags: '--gate-floor <g>', help: 'local-gated: lowest gate; 0 lets a moving axis be ignored (default 0)', parse: nonNegative },
  { key: 'gateTarget', flags: '--gate-target <what>', help: "local-gated: scale the change of the weights reading each axis (weights, default), the block's by its mean gate (block), or temper Rprop's step-size shrink after sign flips (step-sizes)", parse: oneOf('weights', 'block', 'step-sizes') },
  { key: 'ffThreshold', flags: '--ff-threshold <theta>', help: 'rule ff: the goodness threshold θ of the logistic loss (default 2)', parse: number },
  { key: 'ffGoodness', flags: '--ff-goodness <kind>', help: "rule ff: a block's goodness, the mean (default) or the sum of its squared activities", parse: oneOf('mean', 'sum') },
  { key: 'ffEmbed', flags: '--ff-embed <where>', help: 'rule ff: the one-hot label over the first inputs (pixels, default: images) or appended to them (append: 2-D points, with the model taking 2 + classes inputs)', parse: oneOf('pixels', 'append') },
  { key: 'ffPredict', flags: '--ff-predict <how>', help: 'rule ff: test accuracy from the label of highest goodness (goodness, default) or from the linear read-out (readout)', parse: oneOf('goodness', 'readout') },
  { key: 'ffReadout', flags: '--ff-readout <on|off>', help: 'rule ff: train the output block as a softmax read-out on neutral-label rows (default on)', parse: oneOf('on', 'off') },
  { key: 'ffGoodnessBlocks', flags: '--ff-goodness-blocks <which>', help: 'rule ff: blocks whose goodness the prediction sums: after-first (default, the paper; all with one hidden block) or all', parse: oneOf('all', 'after-first') },
  { key: 'evalEvery', flags: '--eval-every <k>', help: 'score the test set every k epochs and on the last (rule ff: a pass per label); the epochs between carry the latest scores (default 1)', parse: positiveInt },
  { key: 'workers', flags: '--workers <n>', help: 'train local-parallel on a pipeline of n threads, one group of blocks each (--step batch; the same results as one thread, see docs/schedules.md)', parse: positiveInt },
  { key: 'evalThread', flags: '--eval-thread <on|off>', help: 'score the test set (and with --step batch the training loss) on a second thread while the epoch trains (same numbers; default on)', parse: oneOf('on', 'off') },
  { key: 'backend', flags: '--backend <name>', help: 'auto (default: native where a BLAS loads, else wasm), native (TF.js wasm with matrix products on the system BLAS: apt-get install libopenblas0-pthread), wasm or cpu', parse: text },
  { key: 'threads', flags: '--threads <n>', help: 'threads of the BLAS while one thread trains (native backend; default: the library\'s own, all cores); with --workers or the evaluation thread each thread runs one', parse: positiveInt },
  { key: 'init', flags: '--init <file.safetensors>', help: 'start from these parameters (shapes checked against the model)', parse: text },
  { key: 'json', flags: '--json', help: 'print one JSON object on stdout instead of tables', parse: flag },
  { key: 'out', flags: '--out <dir>', help: 'write config.json, results.json, one history file per run and the report into this folder; {time} in the name becomes the date and time', parse: text },
  { key: 'checkpointEvery', flags: '--checkpoint-every <k>', help: 'with --out: every k epochs, save the state of the run in progress into the folder, so --resume can continue it', parse: positiveInt },
  { key: 'resume', flags: '--resume <dir>', help: 'continue the stopped command whose --out folder is dir: give the same options; finished runs are read back, the stopped one continues from its checkpoint', parse: text },
  { key: 'report', flags: '--no-report', help: 'with --out: no pictures, no report.html (the same as --report off)', parse: reportSwitch },
  { key: 'report', flags: '--report <on|off>', help: 'with --out: draw SVG and PNG pictures and report.html (default on)', parse: reportSwitch },
  { key: 'gridSize', flags: '--grid-size <n>', help: "report: points a side of the network's final boundary (default 500, as Mertens draws it)", parse: gridSide },
  { key: 'blockGridSize', flags: '--block-grid-size <n>', help: "report: points a side of each block's boundary in the timeline (default 60, as Mertens draws it)", parse: gridSide },
  { key: 'snapshotEvery', flags: '--snapshot-every <k>', help: "report: take the boundaries every k epochs (default: about 20 frames a run)", parse: positiveInt },
  { key: 'lossScale', flags: '--loss-scale <log|linear>', help: 'report: y axis of the loss charts (default log)', parse: oneOf('log', 'linear') },
  { key: 'quiet', flags: '--quiet', help: 'no progress bar', parse: flag },
  { key: 'import', flags: '--import <files>', help: 'load these JavaScript modules first (comma list): each registers your own rules, schedules or datasets through the public API', parse: list },
  { key: 'config', flags: '--config <file.json>', help: 'read any of these options from a JSON file; flags on the command line win', parse: text },
];

const COMPARE: OptionDef[] = [
  { key: 'schedules', flags: '--schedules <names>', help: 'comma-separated schedules (default: all, listed below)', parse: list },
  { key: 'seeds', flags: '--seeds <n|list>', help: '5 means seeds 0-4; 0,3,7 a list (default 5)', parse: (v, l) => parseSeeds(v, l) },
];

const TRAIN: OptionDef[] = [
  { key: 'schedule', flags: '--schedule <name>', help: 'the schedule to run (required; every schedule is listed below and by `localprop schedules`)', parse: text },
  { key: 'seed', flags: '--seed <k>', help: 'seed of the data, initial weights and shuffles (default 0)', parse: (v, l) => { const n = number(v, l); check(Number.isSafeInteger(n) && n >= 0, `${l} must be a whole number ≥ 0 (below 2^53), got ${String(v)}`); return n; } },
  { key: 'save', flags: '--save <file.safetensors>', help: 'save the trained parameters', parse: text },
  { key: 'logEvery', flags: '--log-every <n>', help: 'print every n-th epoch (default: about 20 lines)', parse: positiveInt },
];

export type CommandName = 'compare' | 'train';
const DEFS: Record<CommandName, OptionDef[]> = { compare: [...COMMON, ...COMPARE], train: [...COMMON, ...TRAIN] };

/** Adds the command's options to a commander command. */
export function addOptions(command: Command, name: CommandName): Command {
  for (const def of DEFS[name]) command.option(def.flags, def.help);
  return command;
}

/** Parsed option values by key; absent keys were not given anywhere. */
export type OptionValues = Record<string, unknown>;

/** Options that name files to read; in a config file they are relative to the file's folder. */
const INPUT_FILES = ['train', 'test', 'init', 'dataDir', 'model'];

/**
 * Merges --config (if any) under the flags given on the command line and
 * parses every value. Unknown keys in the config file are errors, so a typo
 * does not silently run the default. Files a config file names are found
 * beside it (`besideConfig` joins the config's path and a relative name), so
 * a folder holding a config and its data works from any directory.
 */
export function resolveOptions(
  name: CommandName,
  cli: OptionValues,
  readConfig: (path: string) => unknown,
  besideConfig: (configPath: string, file: string) => string = (_c, file) => file,
): OptionValues {
  const defs = DEFS[name];
  const byKey = new Map(defs.map((d) => [d.key, d]));
  const merged: OptionValues = {};
  if (cli.config !== undefined) {
    const path = text(cli.config, '--config');
    const file = readConfig(path);
    check(typeof file === 'object' && file !== null && !Array.isArray(file), `--config ${path} must hold a JSON object of options, like {"epochs": 50}`);
    for (const [rawKey, value] of Object.entries(file as Record<string, unknown>)) {
      const key = rawKey.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      const def = byKey.get(key);
      check(key !== 'import', `--config ${path}: "import" loads code, which only the command line may do; pass --import on the command line`);
      if (!def || key === 'config') {
        throw new LocalpropError(`--config ${path}: unknown option "${rawKey}" for \`localprop ${name}\`; known: ${defs.filter((d) => d.key !== 'config').map((d) => d.key).join(', ')}`);
      }
      const parsed = def.parse(value, `"${rawKey}" in ${path}`);
      // A model given inline (spec text or JSON) is not a file.
      const isFile = INPUT_FILES.includes(key) && (key !== 'model' || String(parsed).endsWith('.json'));
      merged[key] = isFile ? besideConfig(path, parsed as string) : parsed;
    }
  }
  for (const [key, value] of Object.entries(cli)) {
    if (value === undefined || key === 'config') continue;
    const def = byKey.get(key);
    if (def) merged[key] = def.parse(value, def.flags.split(' ')[0]);
  }
  return merged;
}

/**
 * Parses one option's value as `localprop name` would, with the flag in any
 * message; `key` is the option's camelCase key. For callers that hold
 * options outside a command line (the playground's URL).
 */
export function parseOptionValue(name: CommandName, key: string, value: unknown): unknown {
  const def = DEFS[name].find((d) => d.key === key);
  check(def !== undefined, `\`localprop ${name}\` has no option ${key}`);
  return def.parse(value, def.flags.split(' ')[0]);
}
