import { check } from '../util/errors.js';
import type { Optimizer } from './optimizer.js';
import { Rprop, RPROP_DEFAULTS } from './rprop.js';
import { Adam, ADAM_DEFAULTS } from './adam.js';
import { Rmsprop, RMSPROP_DEFAULTS } from './rmsprop.js';
import { Sgd, SGD_DEFAULTS } from './sgd.js';

export type { Optimizer } from './optimizer.js';
export { Rprop, Adam, Rmsprop, Sgd, RPROP_DEFAULTS, ADAM_DEFAULTS, RMSPROP_DEFAULTS, SGD_DEFAULTS };

/** The optimizers by name, with PyTorch's update rules and defaults. */
export const OPTIMIZERS = ['rprop', 'adam', 'rmsprop', 'sgd'] as const;
/** One of {@link OPTIMIZERS}. */
export type OptimizerName = (typeof OPTIMIZERS)[number];

/**
 * An optimizer by name with its hyper-parameters; any left out take
 * PyTorch's defaults. Keys: lr; rprop: etaMinus, etaPlus, stepMin, stepMax;
 * adam: beta1, beta2, eps, weightDecay; rmsprop: alpha, eps, momentum,
 * weightDecay; sgd: momentum, dampening, nesterov, weightDecay.
 */
export interface OptimizerConfig {
  name: OptimizerName;
  lr?: number;
  etaMinus?: number;
  etaPlus?: number;
  stepMin?: number;
  stepMax?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  alpha?: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

const DEFAULTS: Record<OptimizerName, object> = {
  rprop: RPROP_DEFAULTS,
  adam: ADAM_DEFAULTS,
  rmsprop: RMSPROP_DEFAULTS,
  sgd: SGD_DEFAULTS,
};

/** The learning rate `name` uses when none is given. */
export function defaultLearningRate(name: OptimizerName): number {
  return (DEFAULTS[name] as { lr: number }).lr;
}

export function checkOptimizerName(name: string): OptimizerName {
  check((OPTIMIZERS as readonly string[]).includes(name), `unknown optimizer "${name}"; choose one of: ${OPTIMIZERS.join(', ')}`);
  return name as OptimizerName;
}

/** Builds the optimizer `config` names, checking its hyper-parameters. */
export function createOptimizer(config: OptimizerConfig): Optimizer {
  const name = checkOptimizerName(config.name);
  const options: Record<string, number | boolean> = {};
  const allowed = Object.keys(DEFAULTS[name]);
  for (const [key, value] of Object.entries(config)) {
    if (key === 'name' || value === undefined) continue;
    check(allowed.includes(key), `optimizer ${name} has no option "${key}"; its options are ${allowed.join(', ')}`);
    if (typeof value === 'number') check(Number.isFinite(value) && value >= 0, `optimizer ${name}: ${key} must be a finite number ≥ 0, got ${value}`);
    options[key] = value;
  }
  if (name === 'rprop') {
    const o = { ...RPROP_DEFAULTS, ...options };
    check(o.etaMinus < 1 && o.etaPlus > 1, `rprop needs etaMinus < 1 < etaPlus, got ${o.etaMinus} and ${o.etaPlus}`);
    check(o.stepMin <= o.stepMax, `rprop needs stepMin ≤ stepMax, got ${o.stepMin} and ${o.stepMax}`);
    return new Rprop(o);
  }
  if (name === 'adam') return new Adam(options);
  if (name === 'rmsprop') return new Rmsprop(options);
  return new Sgd(options);
}
