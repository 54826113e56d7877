import { check } from '../util/errors.js';
import type { GateOptions } from './gates.js';

/**
 * The candidates of `local-drift` (docs/parallel.md), each switched on by
 * its own option; with every one off the schedule takes exactly
 * local-parallel's steps. Drift is measured as local-gated measures it
 * (the same samples between steps, relative to each axis's mean |h|,
 * smoothed), and an axis's weight w = 1 / (1 + r/τ) says how far it is
 * still moving (1 settled, towards 0 moving).
 */
export interface DriftOptions {
  /** The relative drift r at which an axis counts as half moving (w = ½). */
  tau: number;
  /** EMA factor of the drift: d ← s·d + (1 - s)·|Δh|. */
  smoothing: number;
  /** Rprop: the step-size shrink after a sign flip is etaMinus^w, so flips on a moving axis shrink less. */
  shrink: 'on' | 'off';
  /**
   * Rprop: when an axis that moved (r > τ) settles (r < τ/2), the step
   * sizes of the weights reading it go back to at least the initial lr.
   */
  reset: 'on' | 'off';
  /**
   * Adam: at each new drift measurement the moments of the weights reading
   * an axis are multiplied by its w: `first` the mean of gradients only,
   * `both` the mean of squares too.
   */
  moments: 'off' | 'first' | 'both';
  /**
   * Lagged start: block i ≥ 1 learns only once block i-1 learns and the
   * mean relative drift of block i's input fell below this (once: it then
   * keeps learning); 0 is off.
   */
  lag: number;
  /**
   * Progressive freezing: hidden block i stops learning after epoch
   * round(E·(f + (1-f)·i/(n-1))) of E, so block 0 stops at f·E and the
   * output block never; 1 is off.
   */
  freeze: number;
}

/** Every candidate off: exactly local-parallel. */
export const DRIFT_DEFAULTS: DriftOptions = { tau: 0.1, smoothing: 0.9, shrink: 'off', reset: 'off', moments: 'off', lag: 0, freeze: 1 };

/** Fills in and checks the options, with messages in the CLI's terms. */
export function resolveDriftOptions(options: Partial<DriftOptions> = {}): DriftOptions {
  const o = { ...DRIFT_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as DriftOptions;
  check(Number.isFinite(o.tau) && o.tau > 0, `--drift-tau must be a number > 0, like 0.1; got ${o.tau}`);
  check(Number.isFinite(o.smoothing) && o.smoothing >= 0 && o.smoothing < 1, `--drift-smoothing must be in [0, 1), like 0.9; got ${o.smoothing}`);
  check(o.shrink === 'on' || o.shrink === 'off', `--drift-shrink must be on or off, got "${o.shrink}"`);
  check(o.reset === 'on' || o.reset === 'off', `--drift-reset must be on or off, got "${o.reset}"`);
  check(['off', 'first', 'both'].includes(o.moments), `--drift-moments must be off, first or both, got "${o.moments}"`);
  check(Number.isFinite(o.lag) && o.lag >= 0, `--drift-lag must be a relative drift ≥ 0 (0 is off), like 0.05; got ${o.lag}`);
  check(Number.isFinite(o.freeze) && o.freeze > 0 && o.freeze <= 1, `--drift-freeze must be a share of the epochs in (0, 1] (1 is off), like 0.5; got ${o.freeze}`);
  return o;
}

/** Whether any candidate needs the blocks' input drift measured. */
export function tracksDrift(o: DriftOptions): boolean {
  return o.shrink === 'on' || o.reset === 'on' || o.moments !== 'off' || o.lag > 0;
}

/** The gate options whose soft gate is an axis's weight w = 1 / (1 + r/τ). */
export function driftWeightOptions(o: DriftOptions): GateOptions {
  return { mode: 'soft', tau: o.tau, scale: 'relative', smoothing: o.smoothing, floor: 0, target: 'weights' };
}

/**
 * The epoch (counted from 0) from which block `block` of `blocks` no longer
 * learns in a run of `epochs` frozen progressively with share `share`, or
 * `epochs` when it learns to the end (the output block, or share 1).
 */
export function freezeEpoch(block: number, blocks: number, epochs: number, share: number): number {
  if (block >= blocks - 1 || share >= 1) return epochs;
  return Math.round(epochs * (share + ((1 - share) * block) / (blocks - 1)));
}
