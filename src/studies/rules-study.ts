import type { RunOptions } from '../train/run.js';
import type { StudyTraining } from './sweep-options.js';

/**
 * The rules study: every learning rule on the same model, data and budget
 * (the shared rows), and the published Forward-Forward and DFA
 * configurations as rows of their own. Every row is one run of one seed.
 */
export interface RulesRow {
  /** Names the row in records and on the page. */
  id: string;
  /** shared: the common budget; published: a paper's or a repository's configuration. */
  part: 'shared' | 'published';
  /** What the row is, for the page. */
  label: string;
  rule: string;
  schedule: string;
  model: string;
  /** Training examples used (the first ones, file order); all 60,000 when absent. The test set is always all 10,000. */
  trainRows?: number;
  training: StudyTraining;
  /** The published test error (%) this row is compared with, and where it is from. */
  published?: { error: number; source: string };
}

/**
 * The shared budget, the same for every rule: 784-500-500-10 with ReLU and
 * length-normalised hidden blocks (Forward-Forward needs the normalisation;
 * the others get it too, so the model is the same), the first 10,000
 * training images, 5 epochs of batch-100 Adam, seed 0. Each rule has the
 * learning rate it is usually run with (no sweep was done): 1e-3 for
 * back-propagation, the decoder rule and DFA, Nøkland & Eidnes' 5e-4 for
 * pred and predsim, 0.01 for Forward-Forward, whose loss moves slowly at 1e-3.
 */
export const SHARED_MODEL = '784-500-500-10 hidden=relu,normalize';
const SHARED: RunOptions['epochs'] = 5;
const SHARED_ROWS = 10_000;
const shared = (lr: number, extra: Partial<RulesRow['training']> = {}): RulesRow['training'] => ({ epochs: SHARED, step: 'batch', batchSize: 100, optimizer: { name: 'adam', lr }, hiddenLoss: 'ce', ...extra });

/**
 * Mean goodness around θ = 2, Forward-Forward's defaults when these rows
 * ran (since: summed goodness around 4), named so the rows keep their
 * options and their records' run ids. The paper row names mean goodness for the same reason.
 */
const FF_MEAN_THETA_2 = { ffThreshold: 2, ffGoodness: 'mean' } as const;

/** loeweX's Forward-Forward as our options first reached it; the row after adds their peer normalisation, gradient-passing ReLU and cooldown. */
const LOEWEX: Omit<RulesRow, 'id' | 'label'> = {
  part: 'published',
  rule: 'ff',
  schedule: 'local-parallel',
  model: '784-1000-1000-1000-10 hidden=relu,normalize=rms',
  training: {
    epochs: 100,
    step: 'batch',
    batchSize: 100,
    optimizer: { name: 'sgd', lr: 1e-3, momentum: 0.9, weightDecay: 3e-4 },
    hiddenLoss: 'ce',
    evalEvery: 10,
    standardize: { mean: 0.1307, std: 0.3081 },
    ruleOptions: { ffGoodness: 'sum', ffThreshold: 1000, ffPredict: 'readout' },
  },
  published: { error: 1.45, source: 'loeweX/Forward-Forward' },
};
const LOEWEX_LABEL =
  "Forward-Forward, loeweX's setup: 3×1000 ReLU, 100 epochs, batch 100, SGD momentum 0.9 lr 1e-3 weight decay 3e-4, summed goodness around θ = 1000 (the width), rows scaled to mean square 1, read-out prediction";

/** loeweX's network with their ReLU, which passes the gradient below zero (it matters with their peer normalisation). */
const LOEWEX_CLOSE_MODEL = '784-1000-1000-1000-10 hidden=relu-full-grad,normalize=rms';
/** loeweX's training with their peer normalisation and cooldown, on raw pixels scaled as theirs, from their initialisation. */
const { standardize: _standardized, ...LOEWEX_RAW } = LOEWEX.training;
const LOEWEX_CLOSE: RulesRow['training'] = { ...LOEWEX_RAW, lrCooldown: 50, ruleOptions: { ...LOEWEX.training.ruleOptions, ffPeerNorm: 0.03, ffInputNorm: 'rms', ffInit: 'normal' } };

export const RULES_STUDY: RulesRow[] = [
  { id: 'backprop', part: 'shared', label: 'back-propagation', rule: 'decoder', schedule: 'backprop', model: SHARED_MODEL, trainRows: SHARED_ROWS, training: shared(1e-3) },
  { id: 'decoder', part: 'shared', label: "Mertens' decoder rule, local-parallel", rule: 'decoder', schedule: 'local-parallel', model: SHARED_MODEL, trainRows: SHARED_ROWS, training: shared(1e-3) },
  { id: 'pred', part: 'shared', label: "Nøkland & Eidnes' pred (decoder with bias, zero start), local-parallel", rule: 'pred', schedule: 'local-parallel', model: SHARED_MODEL, trainRows: SHARED_ROWS, training: shared(5e-4) },
  { id: 'predsim', part: 'shared', label: "Nøkland & Eidnes' predsim (β 0.99), local-parallel", rule: 'predsim', schedule: 'local-parallel', model: SHARED_MODEL, trainRows: SHARED_ROWS, training: shared(5e-4) },
  // Not the shared model: Nøkland & Eidnes run sim with leaky ReLU. (The ReLU rows' records collapsed to the majority class through a NaN gradient, since fixed: see the page's discussion.)
  { id: 'predsim-leaky', part: 'shared', label: "Nøkland & Eidnes' predsim (β 0.99), local-parallel, on leaky-ReLU blocks (their activation for sim)", rule: 'predsim', schedule: 'local-parallel', model: '784-500-500-10 hidden=leaky-relu,normalize', trainRows: SHARED_ROWS, training: shared(5e-4) },
  { id: 'ff', part: 'shared', label: 'Forward-Forward, local-parallel, goodness of both blocks (mean of squares, θ 2)', rule: 'ff', schedule: 'local-parallel', model: SHARED_MODEL, trainRows: SHARED_ROWS, training: shared(0.01, { ruleOptions: { ffGoodnessBlocks: 'all', ...FF_MEAN_THETA_2 } }) },
  { id: 'dfa', part: 'shared', label: 'DFA, local-parallel', rule: 'dfa', schedule: 'local-parallel', model: SHARED_MODEL, trainRows: SHARED_ROWS, training: shared(1e-3) },
  {
    id: 'ff-paper',
    part: 'published',
    label: "Forward-Forward, the paper: 4×2000 ReLU, 60 epochs (our Adam, batch 100, mean goodness with θ 1: the paper's threshold on the sum at the width, but a logit 2000 times smaller; the paper's prediction sums all but the first block)",
    rule: 'ff',
    schedule: 'local-parallel',
    model: '784-2000-2000-2000-2000-10 hidden=relu,normalize',
    training: { epochs: 60, step: 'batch', batchSize: 100, optimizer: { name: 'adam', lr: 1e-3 }, hiddenLoss: 'ce', evalEvery: 10, ruleOptions: { ffThreshold: 1, ffGoodness: 'mean' } },
    published: { error: 1.36, source: 'Hinton 2022 (Matlab code: 1.47, as loeweX reports)' },
  },
  { id: 'ff-loewex', ...LOEWEX, label: `${LOEWEX_LABEL} (not theirs: standardised inputs, no peer normalisation, ReLU passes no gradient where it is 0, PyTorch's uniform initialisation, a read-out on the last block only at the same rate)` },
  {
    id: 'ff-loewex-peer-cooldown',
    ...LOEWEX,
    label:
      "Forward-Forward, loeweX's setup as the row above, closer: also their peer normalisation (weight 0.03, running means from 0.5, momentum 0.9), their ReLU that passes the gradient below zero, and their linear cooldown of the rate over the second half " +
      "(still not theirs: standardised inputs, PyTorch's uniform initialisation, a read-out on the last block only at the same rate)",
    model: LOEWEX_CLOSE_MODEL,
    training: { ...LOEWEX.training, lrCooldown: 50, ruleOptions: { ...LOEWEX.training.ruleOptions, ffPeerNorm: 0.03 } },
  },
  {
    id: 'ff-loewex-input-init',
    ...LOEWEX,
    label:
      "Forward-Forward, loeweX's setup as the row above, closer still: raw pixels (not standardised), each input row with its label scaled to mean square 1, and their initialisation (weights normal with std 1/√1000, biases 0, the read-out's weight 0) " +
      '(still not theirs: a read-out with a bias on the last block only, at the blocks\' rate and weight decay, where theirs reads blocks 2 and 3 without a bias at 1e-2 with weight decay 3e-3; 60,000 training images, theirs 50,000)',
    model: LOEWEX_CLOSE_MODEL,
    training: LOEWEX_CLOSE,
  },
  {
    id: 'ff-loewex-readout-rate',
    ...LOEWEX,
    label:
      "Forward-Forward, loeweX's setup as the row above, with their read-out's own rate and weight decay (1e-2 and 3e-3, a parameter group of its own) " +
      '(still not theirs: the read-out has a bias and reads the last block only, where theirs reads blocks 2 and 3; 60,000 training images, theirs 50,000)',
    model: LOEWEX_CLOSE_MODEL,
    training: { ...LOEWEX_CLOSE, outputOptimizer: { lr: 1e-2, weightDecay: 3e-3 } },
  },
  {
    id: 'ff-mohammadpz',
    part: 'published',
    label: "Forward-Forward, mohammadpz's setup: 784-500-500, each block 1000 full-batch Adam steps on 50,000 images, lr 0.03, θ 2, goodness of both blocks (our negatives never equal the true label)",
    rule: 'ff',
    schedule: 'local-sequential',
    model: '784-500-500-10 hidden=relu,normalize',
    trainRows: 50_000,
    training: { epochs: 1000, step: 'epoch', batchSize: 50_000, optimizer: { name: 'adam', lr: 0.03 }, hiddenLoss: 'ce', evalEvery: 100, ruleOptions: { ffGoodnessBlocks: 'all', ffReadout: 'off', ...FF_MEAN_THETA_2 } },
    published: { error: 6.84, source: 'mohammadpz/pytorch_forward_forward' },
  },
  {
    id: 'dfa-paper',
    part: 'published',
    label: 'DFA, the paper: 2×800 tanh, every weight and bias from zero, sigmoid outputs with binary cross-entropy, RMSprop lr 1e-4, batch 64, 300 epochs (no early stop at zero training error)',
    rule: 'dfa',
    schedule: 'local-parallel',
    model: '784-800-800-10 hidden=tanh out=sigmoid loss=bce',
    // anokland/dfa-torch zeroes every linear weight and bias under DFA with tanh (Models/mlp.lua).
    training: { epochs: 300, step: 'batch', batchSize: 64, optimizer: { name: 'rmsprop', lr: 1e-4 }, hiddenLoss: 'bce', evalEvery: 10, ruleOptions: { dfaInit: 'zero' } },
    published: { error: 1.74, source: 'Nøkland 2016, Table 1 (MNIST, 2×800 tanh, DFA) as we read it; not re-checked here' },
  },
];

/**
 * What the page reads of one finished run: the record of the format before
 * the study ran as a sweep (one file a run, still read as it is), and the
 * view of a sweep record (`rulesRunView` in rules-sweep.ts).
 */
export interface RulesRunRecord {
  dataset: string;
  row: string;
  rule: string;
  schedule: string;
  model: string;
  seed: number;
  epochs: number;
  trainRows: number;
  testError: number;
  testLoss: number;
  /** Each hidden block's accuracy on the test set at the last scored epoch (decoder or probe). */
  blockAccuracy: number[];
  /** Training wall time of the run (its loop and evaluations). */
  seconds: number;
  /** Optimizer steps the run took (all blocks' steps of a mini-batch count as one). */
  steps: number;
  /** The TF.js backend it trained on (absent in the records from before the study moved to native: wasm). */
  backend?: string;
  quick?: boolean;
}

/** The record's file name before the study ran as a sweep, and the row's name in progress lines. */
export function rulesRunKey(dataset: string, row: RulesRow, seed: number, quick: boolean): string {
  return `${dataset}-${row.id}-seed${seed}${quick ? '-quick' : ''}`;
}

/**
 * The quick version of a row: 1000 training images, one epoch, evaluated
 * once. A row with a cooldown gets two epochs, cooling after the first, so
 * its option still reaches the run (and it stays another run than the row
 * without).
 */
export function quickRow(row: RulesRow): RulesRow {
  const cooled = row.training.lrCooldown !== undefined;
  return { ...row, trainRows: 1000, training: { ...row.training, epochs: cooled ? 2 : 1, evalEvery: undefined, lrCooldown: cooled ? 1 : undefined } };
}
