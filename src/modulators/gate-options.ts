import { selectOf, type OptionDef } from '../options/option.js';
import { chosen, nonNegative } from '../options/values.js';
import { GATE_DEFAULTS } from './gates.js';

const owner = { kind: 'schedule', group: 'gate' } as const;

/**
 * The drift gates' options, which the schedules listing the `gate` option
 * group (local-gated) declare: flags, config keys, and the playground's
 * Gates group, shown while such a schedule runs.
 */
export const GATE_OPTIONS = [
  {
    key: 'gate', flag: '--gate <mode>', help: 'local-gated: hard (default, chosen by the sweep in docs/results/gated.md), soft, or off (gates fixed at 1: local-parallel)', ...chosen(['soft', 'hard', 'off'] as const), default: GATE_DEFAULTS.mode, owner,
    page: { label: 'Gate', group: 'Gates', tier: 'common', initial: GATE_DEFAULTS.mode, help: 'local-gated: hard gates close when an input axis drifts; soft ones shrink; off is local-parallel', control: selectOf(['hard', 'soft', 'off']) },
  },
  {
    key: 'gateTau', flag: '--gate-tau <tau>', help: 'local-gated: drift at which a soft gate is 1/2 or a hard gate closes (default 0.1)', parse: nonNegative, default: GATE_DEFAULTS.tau, owner,
    page: { label: 'Gate τ', group: 'Gates', tier: 'advanced', initial: GATE_DEFAULTS.tau, help: 'drift at which a soft gate is ½ or a hard gate closes', control: { kind: 'number', min: 0.001, step: 0.01 } },
  },
  {
    key: 'gateScale', flag: '--gate-scale <scale>', help: "local-gated: drift relative to each input axis's mean |h| (default) or absolute", ...chosen(['relative', 'absolute'] as const), default: GATE_DEFAULTS.scale, owner,
    page: { label: 'Drift scale', group: 'Gates', tier: 'advanced', initial: GATE_DEFAULTS.scale, help: "drift relative to each axis's mean |h|, or absolute", control: selectOf(['relative', 'absolute']) },
  },
  {
    key: 'gateSmoothing', flag: '--gate-smoothing <s>', help: 'local-gated: EMA factor of the drift (default 0.9)', parse: nonNegative, default: GATE_DEFAULTS.smoothing, owner,
    page: { label: 'Drift smoothing', group: 'Gates', tier: 'advanced', initial: GATE_DEFAULTS.smoothing, help: 'EMA factor of the drift, in [0, 1)', control: { kind: 'number', min: 0, max: 0.99, step: 0.05 } },
  },
  {
    key: 'gateFloor', flag: '--gate-floor <g>', help: 'local-gated: lowest gate; 0 lets a moving axis be ignored (default 0)', parse: nonNegative, default: GATE_DEFAULTS.floor, owner,
    page: { label: 'Gate floor', group: 'Gates', tier: 'advanced', initial: GATE_DEFAULTS.floor, help: 'the lowest a gate goes', control: { kind: 'number', min: 0, max: 1, step: 0.05 } },
  },
  {
    key: 'gateTarget', flag: '--gate-target <what>', help: "local-gated: scale the change of the weights reading each axis (weights, default), the block's by its mean gate (block), or temper Rprop's step-size shrink after sign flips (step-sizes)", ...chosen(['weights', 'block', 'step-sizes'] as const), default: GATE_DEFAULTS.target, owner,
    page: { label: 'Gate acts on', group: 'Gates', tier: 'advanced', initial: GATE_DEFAULTS.target, help: "the weights reading each axis, the whole block by its mean gate, or Rprop's step sizes", control: selectOf(['weights', 'block', 'step-sizes']) },
  },
] as const satisfies readonly OptionDef[];
