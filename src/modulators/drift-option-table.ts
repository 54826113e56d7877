import type { OptionDef } from '../options/option.js';
import { chosen, nonNegative, number } from '../options/values.js';
import { DRIFT_DEFAULTS } from './drift-options.js';

const owner = { kind: 'schedule', group: 'drift' } as const;

/**
 * The options of local-drift's candidates (`drift` option group): flags,
 * config keys and sweep-spec keys. No playground controls: the schedule runs
 * only when named, and the playground's columns are the default schedules.
 */
export const DRIFT_OPTIONS = [
  { key: 'driftTau', flag: '--drift-tau <tau>', help: 'local-drift: the relative drift at which an input axis counts as half moving, its weight 1/(1 + r/tau) (default 0.1)', parse: nonNegative, default: DRIFT_DEFAULTS.tau, owner },
  { key: 'driftSmoothing', flag: '--drift-smoothing <s>', help: 'local-drift: EMA factor of the drift (default 0.9)', parse: nonNegative, default: DRIFT_DEFAULTS.smoothing, owner },
  { key: 'driftShrink', flag: '--drift-shrink <on|off>', help: 'local-drift, rprop: shrink step sizes after a sign flip by etaMinus^weight, less on moving axes (default off)', ...chosen(['on', 'off'] as const), default: DRIFT_DEFAULTS.shrink, owner },
  { key: 'driftReset', flag: '--drift-reset <on|off>', help: "local-drift, rprop: when an input axis that moved settles, raise its weights' step sizes back to at least lr (default off)", ...chosen(['on', 'off'] as const), default: DRIFT_DEFAULTS.reset, owner },
  { key: 'driftMoments', flag: '--drift-moments <which>', help: 'local-drift, adam: multiply the moments of the weights reading each axis by its weight at every drift measurement: first, both, or off (default)', ...chosen(['off', 'first', 'both'] as const), default: DRIFT_DEFAULTS.moments, owner },
  { key: 'driftLag', flag: '--drift-lag <tau>', help: "local-drift: block i starts learning once block i-1 has and block i's input drift is below this (0: off, default)", parse: nonNegative, default: DRIFT_DEFAULTS.lag, owner },
  { key: 'driftFreeze', flag: '--drift-freeze <share>', help: 'local-drift: freeze hidden blocks progressively, block 0 after this share of the epochs, the output block never (1: off, default)', parse: number, default: DRIFT_DEFAULTS.freeze, owner },
] as const satisfies readonly OptionDef[];
