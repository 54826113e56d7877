import { listDatasets } from '../data/registry.js';
import { SEED_MODEL } from '../model/spec.js';
import { ADAM_DEFAULTS, RMSPROP_DEFAULTS, RPROP_DEFAULTS, SGD_DEFAULTS } from '../optim/index.js';
import { listSchedules } from '../schedules/registry.js';
import { check } from '../util/errors.js';
import { selectOf, type OptionDef } from './option.js';
import { chosen, flag, isMeanStd, list, nonNegative, number, oneOf, pair, pairOfNumbers, parseSeeds, positive, positiveInt, text } from './values.js';

/** The playground's dataset value that means "the points I clicked or uploaded". */
export const USER_POINTS = 'points';

/** The 2-D datasets of the registry: the ones a boundary can be drawn for. */
export function planeDatasets(): string[] {
  return listDatasets()
    .filter((d) => d.inputSize === 2)
    .map((d) => d.name);
}

const seedOf = (v: unknown, l: string) => {
  const n = number(v, l);
  check(Number.isSafeInteger(n) && n >= 0, `${l} must be a whole number ≥ 0 (below 2^53), got ${String(v)}`);
  return n;
};

/** The page reads --schedules as the CLI does, and names an unknown or repeated schedule at once (a link cannot wait for the run). */
function pageSchedules(textValue: string): string[] {
  const names = list(textValue, '--schedules');
  const known = listSchedules().map((s) => s.name);
  names.forEach((n) => check(known.includes(n), `--schedules: unknown schedule "${n}"; choose from ${known.join(', ')}`));
  check(new Set(names).size === names.length, `--schedules lists a schedule twice: ${textValue}`);
  return names;
}

/**
 * The options of a run: its data, model, rule and training. Every command
 * that trains takes them, as do config files and sweep specs; those with a
 * `page` part are the playground's controls and URL parameters too.
 */
export const RUN_OPTIONS = [
  {
    key: 'dataset', flag: '--dataset <name>', help: 'registered dataset (see `localprop datasets`); default signed_xor', parse: text, default: 'signed_xor',
    page: {
      label: 'Dataset', group: 'Data', tier: 'common', initial: 'signed_xor',
      help: 'a 2-D dataset of the registry, or your own points (click the picture or upload a CSV)',
      control: { kind: 'select', choices: () => [...planeDatasets().map((d) => ({ value: d, label: d })), { value: USER_POINTS, label: 'your points' }] },
      read: (t) => oneOf(...planeDatasets(), USER_POINTS)(t, '--dataset'),
    },
  },
  {
    key: 'noise', flag: '--noise <std>', help: 'Gaussian noise added to 2-D inputs after labelling', parse: nonNegative,
    page: { label: 'Noise', group: 'Data', tier: 'common', initial: null, nullable: true, help: "Gaussian noise std added to the points (empty: the dataset's own)", control: { kind: 'number', min: 0, max: 1, step: 0.01, placeholder: 'default' } },
  },
  {
    key: 'trainShare', flag: '--train-share <s>', help: "2-D sets: share of their 2000 points used for training (default 0.5: 1000 and 1000, as in Mertens' protocol)", parse: number, default: 0.5,
    page: {
      label: 'Training share', group: 'Data', tier: 'advanced', initial: 0.5, help: 'share of the points used for training; the rest are the test set',
      control: { kind: 'number', min: 0.05, max: 0.95, step: 0.05 },
      read: (t) => {
        const v = number(t, '--train-share');
        check(v > 0 && v < 1, `--train-share must be between 0 and 1 exclusive, got ${v}`);
        return v;
      },
    },
  },
  { key: 'dataDir', flag: '--data-dir <dir>', help: 'folder holding the IDX files of mnist or fashion-mnist (raw or .gz), instead of their default place', parse: text, file: true },
  { key: 'limit', flag: '--limit <n>', help: 'keep only the first n training and the first n test examples (quick runs)', parse: positiveInt },
  { key: 'val', flag: '--val <n>', help: 'score on the last n training examples (held out from training) instead of the test set; reported metrics are then validation metrics', parse: positiveInt },
  { key: 'train', flag: '--train <file.csv>', help: 'your own training set (numeric CSV, targets in the last column(s))', parse: text, file: true },
  { key: 'test', flag: '--test <file.csv>', help: 'your own test set, same columns as --train', parse: text, file: true },
  { key: 'targets', flag: '--targets <k>', help: 'number of target columns at the end of each CSV row (default 1)', parse: positiveInt, default: 1 },
  { key: 'classes', flag: '--classes <c>', help: "CSV files with one target column: labels are the classes 0..c-1 (default: the training file's largest label + 1, every class present)", parse: positiveInt },
  {
    key: 'model', flag: '--model <spec>', help: 'model spec, e.g. "2-100-100-10-1 hidden=mish,normalize out=sigmoid", JSON, or a .json file', parse: text, file: true,
    page: {
      // The page holds it as data (src/playground/model.ts reads and writes it).
      label: 'Model', group: 'Model', tier: 'common', initial: SEED_MODEL, help: 'the network as the CLI writes it; the controls below edit its hidden blocks',
      control: { kind: 'text' },
    },
  },
  {
    key: 'schedules', flag: '--schedules <names>', help: 'comma-separated schedules (default: all, listed below)', parse: list, commands: ['compare'],
    page: {
      label: 'Schedules', group: 'Training', tier: 'common', initial: () => listSchedules().map((s) => s.name), help: 'one column each, trained side by side from the same initial weights',
      control: { kind: 'checklist', choices: () => listSchedules().map((s) => ({ value: s.name, label: s.name })) },
      read: pageSchedules,
      write: (v: string[]) => v.join(','),
    },
  },
  { key: 'rule', flag: '--rule <names>', help: 'what hidden blocks learn from: decoder (default; see `localprop rules`), or a comma list to compare rules', parse: list, default: ['decoder'] },
  {
    key: 'decoders', flag: '--decoders <modes>', help: 'fixed, learned, or fixed,learned (default learned)', parse: list, default: ['learned'],
    page: { label: 'Decoders', group: 'Training', tier: 'advanced', initial: 'learned', help: 'learned: trained with their block; fixed: random and frozen (Mertens’ code)', control: selectOf(['learned', 'fixed']), read: (t) => oneOf('learned', 'fixed')(t, '--decoders') },
  },
  {
    key: 'epochs', flag: '--epochs <n>', help: "epochs for every schedule (per block for local-sequential); default each schedule's own", parse: positiveInt,
    page: { label: 'Epochs', group: 'Training', tier: 'advanced', initial: null, nullable: true, help: "epochs of every schedule, per block for local-sequential (empty: each schedule's own)", control: { kind: 'number', min: 1, step: 1, placeholder: 'default' } },
  },
  {
    key: 'step', flag: '--step <mode>', help: "epoch: one step per epoch on the summed batch losses (Mertens' protocol); batch: one per mini-batch", ...chosen(['epoch', 'batch'] as const),
    page: { label: 'Step', group: 'Training', tier: 'advanced', initial: 'epoch', help: 'epoch: one step per epoch on the summed batch losses (Mertens’ protocol); batch: one per mini-batch', control: selectOf(['epoch', 'batch']) },
  },
  {
    key: 'batchSize', flag: '--batch-size <n>', help: 'mini-batch size (default 100)', parse: positiveInt, default: 100,
    page: { label: 'Batch size', group: 'Training', tier: 'advanced', initial: 100, help: 'examples per mini-batch', control: { kind: 'number', min: 1, step: 1 } },
  },
  {
    key: 'optimizer', flag: '--optimizer <name>', help: 'rprop (default with --step epoch), adam (default with --step batch), rmsprop, sgd', ...chosen(['rprop', 'adam', 'rmsprop', 'sgd'] as const),
    page: { label: 'Optimizer', group: 'Training', tier: 'common', initial: 'rprop', help: 'rprop is Mertens’ optimizer; adam, rmsprop and sgd take a learning rate', control: selectOf(['rprop', 'adam', 'rmsprop', 'sgd']) },
  },
  {
    key: 'lr', flag: '--lr <rate>', help: 'learning rate (rprop: initial step size); defaults: rprop 0.01, adam 0.001, rmsprop 0.01, sgd 0.01', parse: positive,
    page: { label: 'Learning rate', group: 'Training', tier: 'common', initial: null, nullable: true, help: "learning rate (rprop: initial step size); empty: the optimizer's default", control: { kind: 'number', min: 0, step: 0.001, placeholder: 'default' } },
  },
  { key: 'etas', flag: '--etas <minus,plus>', help: 'rprop step factors (default 0.5,1.2)', parse: pair, default: [RPROP_DEFAULTS.etaMinus, RPROP_DEFAULTS.etaPlus] },
  { key: 'stepSizes', flag: '--step-sizes <min,max>', help: 'rprop step size bounds (default 1e-6,50)', parse: pair, default: [RPROP_DEFAULTS.stepMin, RPROP_DEFAULTS.stepMax] },
  { key: 'betas', flag: '--betas <b1,b2>', help: 'adam moment decays (default 0.9,0.999)', parse: pair, default: [ADAM_DEFAULTS.beta1, ADAM_DEFAULTS.beta2] },
  { key: 'eps', flag: '--eps <e>', help: 'adam/rmsprop epsilon (default 1e-8)', parse: nonNegative, default: ADAM_DEFAULTS.eps },
  { key: 'alpha', flag: '--alpha <a>', help: 'rmsprop smoothing (default 0.99)', parse: nonNegative, default: RMSPROP_DEFAULTS.alpha },
  { key: 'momentum', flag: '--momentum <m>', help: 'sgd/rmsprop momentum (default 0)', parse: nonNegative, default: SGD_DEFAULTS.momentum },
  { key: 'dampening', flag: '--dampening <d>', help: 'sgd momentum dampening (default 0)', parse: nonNegative, default: SGD_DEFAULTS.dampening },
  { key: 'nesterov', flag: '--nesterov', help: 'sgd: Nesterov momentum', parse: flag, default: SGD_DEFAULTS.nesterov },
  { key: 'weightDecay', flag: '--weight-decay <w>', help: 'L2 penalty added to the gradient (adam, rmsprop, sgd)', parse: nonNegative, default: ADAM_DEFAULTS.weightDecay },
  { key: 'outputLr', flag: '--output-lr <rate>', help: "the output block's own learning rate, a second parameter group (loeweX's Forward-Forward read-out: 0.01); milestones and cooldowns scale it too", parse: positive },
  { key: 'outputWeightDecay', flag: '--output-weight-decay <w>', help: "the output block's own weight decay (loeweX's read-out: 0.003; default: --weight-decay)", parse: nonNegative },
  { key: 'lrDecayAt', flag: '--lr-decay-at <epochs>', help: 'multiply the learning rate by --lr-decay after each of these epochs, like 10,15 (per block for local-sequential)', parse: (v, l) => list(v, l).map((e) => positiveInt(e, l)) },
  { key: 'lrCooldown', flag: '--lr-cooldown <epoch>', help: "after this epoch the rate falls linearly, to 2/(epochs - it) of itself at the last epoch (loeweX's Forward-Forward: half the epochs); per block for local-sequential", parse: positiveInt },
  { key: 'lrDecay', flag: '--lr-decay <factor>', help: 'the factor at each --lr-decay-at milestone (default 0.1)', parse: number, default: 0.1 },
  { key: 'hiddenLoss', flag: '--hidden-loss <loss>', help: 'loss of hidden blocks through their decoders: mse (default for one output), ce (default for more), bce', ...chosen(['mse', 'ce', 'bce'] as const) },
  { key: 'dropout', flag: '--dropout <p>', help: "inverted dropout on every hidden block's output in training steps: zero each unit with probability p, scale the rest by 1/(1-p) (default 0: off)", parse: number, default: 0 },
  { key: 'dropoutPlacement', flag: '--dropout-placement <where>', help: "shared (default): a hidden block's local loss sees the dropped output the next block gets; after-loss: the loss sees the output before dropout (Nøkland & Eidnes')", ...chosen(['shared', 'after-loss'] as const), default: 'shared' },
  {
    key: 'jitter', flag: '--jitter <pixels>', help: 'shift every training image by up to this many pixels each way, drawn afresh each step (28×28 images; --step batch; test images never)', default: 0,
    parse: (v, l) => {
      const n = number(v, l);
      check(Number.isInteger(n) && n >= 0, `${l} takes a whole number of pixels ≥ 0, like 2; got ${String(v)}`);
      return n;
    },
  },
  { key: 'flip', flag: '--flip', help: 'mirror every training image left-right with probability 1/2, drawn afresh each step (--step batch; test images never)', parse: flag, default: false },
  {
    key: 'standardize', flag: '--standardize <mean,std>', help: 'standardise every input to (x - mean)/std, training and test sets alike (MNIST 0.1307,0.3081; Fashion-MNIST 0.286,0.353)',
    parse: (v, l) => {
      const [mean, std] = isMeanStd(v) ? [number(v.mean, l), number(v.std, l)] : pairOfNumbers(v, l);
      check(std > 0, `${l}: std must be > 0, got ${std}`);
      return { mean, std };
    },
  },
  { key: 'zeroGradSteps', flag: '--zero-grad-steps', help: "reproduce the single optimizer of Mertens' code: each block's step also steps the others with zero gradients (resets Rprop's memory)", parse: flag, default: false },
  { key: 'evalEvery', flag: '--eval-every <k>', help: 'score the test set every k epochs and on the last (rule ff: a pass per label); the epochs between carry the latest scores (default 1)', parse: positiveInt, default: 1 },
  { key: 'seeds', flag: '--seeds <n|list>', help: '5 means seeds 0-4; 0,3,7 a list (default 5)', parse: (v, l) => parseSeeds(v, l), commands: ['compare'], notInSweep: 'give the seeds as the spec\'s "seeds" list' },
  {
    key: 'seed', flag: '--seed <k>', help: 'seed of the data, initial weights and shuffles (default 0)', parse: seedOf, default: 0, commands: ['train'], notInSweep: 'give the seeds as the spec\'s "seeds" list',
    // The page trains one seed; its config.json gives it as compare's one-seed list.
    page: { label: 'Seed', group: 'Run', tier: 'common', initial: 0, help: 'fixes the data, the initial weights and the shuffles', control: { kind: 'number', min: 0, step: 1 } },
  },
] as const satisfies readonly OptionDef[];
