import { selectOf, type OptionDef } from '../options/option.js';
import { chosen, nonNegative, number } from '../options/values.js';
import type { FFOptions } from './ff.js';

/**
 * Forward-Forward's defaults: summed goodness around θ = 4, the label over
 * the first pixels, prediction by goodness. The rule length-normalises every
 * block's output, so the next block reads rows of length 1 and, from
 * PyTorch's initialisation, its summed goodness starts at about
 * outputs/(3·inputs), 1/3 for equal widths: θ = 4 puts the logit g - θ a
 * few units away from the first step. Mean goodness around θ = 2
 * (mohammadpz's, with Adam at 0.03 for 1000 full-batch steps) asks a
 * 500-unit block reading unit rows for a summed goodness of 1000, weights
 * some 50 times their start; at Adam's 1e-3 the second block was still
 * growing after 3 epochs, ranking the true label last (docs/rules-ff-dfa.md).
 */
export const FF_DEFAULTS: FFOptions = { threshold: 4, goodness: 'sum', embed: 'pixels', predict: 'goodness', readout: true, goodnessBlocks: 'after-first', peerNorm: 0, inputNorm: 'off', init: 'torch' };

const owner = { kind: 'rule', rule: 'ff' } as const;

/**
 * Forward-Forward's options (`--ff-*`), declared by the rule: flags, config
 * keys and, for the threshold and the goodness, the playground's Rules
 * group while a column trains with ff. The page always appends the label
 * to its 2-D points, so `--ff-embed` is not one of its controls.
 */
export const FF_OPTIONS = [
  {
    key: 'ffThreshold', flag: '--ff-threshold <theta>', help: 'rule ff: the goodness threshold θ of the logistic loss (default 4)', parse: number, default: FF_DEFAULTS.threshold, owner,
    page: { label: 'FF threshold θ', group: 'Rules', tier: 'advanced', initial: FF_DEFAULTS.threshold, help: 'ff: a row is positive when its goodness exceeds θ', control: { kind: 'number', min: 0, step: 0.1 } },
  },
  {
    key: 'ffGoodness', flag: '--ff-goodness <kind>', help: "rule ff: a block's goodness, the sum (default) or the mean of its squared activities", ...chosen(['mean', 'sum'] as const), default: FF_DEFAULTS.goodness, owner,
    page: { label: 'FF goodness', group: 'Rules', tier: 'advanced', initial: FF_DEFAULTS.goodness, help: "ff: a block's goodness, the mean or the sum of its squared activities", control: selectOf(['mean', 'sum']) },
  },
  {
    key: 'ffEmbed', flag: '--ff-embed <where>', help: 'rule ff: the one-hot label over the first inputs (pixels, default: images) or appended to them (append: 2-D points, with the model taking 2 + classes inputs)', ...chosen(['pixels', 'append'] as const), default: FF_DEFAULTS.embed, owner,
    // The page's points are 2-D: it always appends the label, so neither a control nor the link needs to say so.
    page: { label: 'FF label', group: 'Rules', tier: 'advanced', initial: 'append', control: { kind: 'none' }, fixed: true },
  },
  { key: 'ffPredict', flag: '--ff-predict <how>', help: 'rule ff: test accuracy from the label of highest goodness (goodness, default) or from the linear read-out (readout)', ...chosen(['goodness', 'readout'] as const), default: FF_DEFAULTS.predict, owner },
  { key: 'ffReadout', flag: '--ff-readout <on|off>', help: 'rule ff: train the output block as a softmax read-out on neutral-label rows (default on)', ...chosen(['on', 'off'] as const), default: FF_DEFAULTS.readout ? 'on' : 'off', owner },
  { key: 'ffPeerNorm', flag: '--ff-peer-norm <weight>', help: "rule ff: loeweX's peer normalisation, this weight times the spread of each unit's running mean activity on positive rows around the block's (default 0: off; loeweX 0.03)", parse: nonNegative, default: FF_DEFAULTS.peerNorm, owner },
  {
    key: 'ffInputNorm', flag: '--ff-input-norm <off|rms>', help: "rule ff: scale each first-block input row, label embedded, to mean square 1 (rms: loeweX's, on raw pixels; default off)", ...chosen(['off', 'rms'] as const), default: FF_DEFAULTS.inputNorm, owner,
  },
  {
    key: 'ffInit', flag: '--ff-init <torch|normal>', help: "rule ff: the blocks' initial weights, PyTorch's uniform (torch, default) or loeweX's normal with std 1/√(block width), biases and the read-out's weight 0 (normal)", ...chosen(['torch', 'normal'] as const), default: FF_DEFAULTS.init, owner,
  },
  { key: 'ffGoodnessBlocks', flag: '--ff-goodness-blocks <which>', help: 'rule ff: blocks whose goodness the prediction sums: after-first (default, the paper; all with one hidden block) or all', ...chosen(['all', 'after-first'] as const), default: FF_DEFAULTS.goodnessBlocks, owner },
] as const satisfies readonly OptionDef[];
