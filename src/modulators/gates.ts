import { tf } from '../engine/backend.js';
import { check } from '../util/errors.js';
import type { PlainTensor } from '../model/parameters.js';
import type { GateMetrics } from '../train/events.js';
import type { StepAdjustment } from './modulator.js';

/**
 * How the stability gates of `local-gated` work. Block i's input axis j gets
 * a gate g_j ∈ [floor, 1] from its drift d_j, the mean |Δh_j| over the same
 * samples between consecutive steps, smoothed by an exponential moving
 * average: soft g = 1 / (1 + r/τ), hard g = [r < τ], where r = d_j (absolute)
 * or d_j / mean|h_j| (relative). The gate scales how much the block learns
 * from that axis.
 */
export interface GateOptions {
  /** `soft`, `hard`, or `off` (every gate 1: exactly local-parallel). */
  mode: 'soft' | 'hard' | 'off';
  /** The drift at which a soft gate is ½, or a hard gate closes. */
  tau: number;
  /** Drift relative to each axis's typical magnitude (mean |h_j|), or absolute. */
  scale: 'relative' | 'absolute';
  /** EMA factor of the drift: d ← s·d + (1 - s)·|Δh|. */
  smoothing: number;
  /** Lowest gate: 0 lets a moving axis be ignored, > 0 only slows it. */
  floor: number;
  /**
   * What a gate acts on: `weights`, the change of the weights that read axis
   * j (a row of the [in, out] weight, for any optimizer, sign-based Rprop
   * included); `block`, the change of the whole block by its mean gate;
   * `step-sizes` (Rprop only), how much those weights' step sizes shrink
   * after a sign flip (etaMinus^g): flips caused by a moving input do not
   * collapse the step sizes, flips on a settled input do.
   */
  target: 'weights' | 'block' | 'step-sizes';
}

/** The configuration the sweep of docs/results/gated.md chose (by a margin within noise: see there). */
export const GATE_DEFAULTS: GateOptions = { mode: 'hard', tau: 0.1, scale: 'relative', smoothing: 0.9, floor: 0, target: 'weights' };

/** Fills in and checks gate options, with messages in the CLI's terms. */
export function resolveGateOptions(options: Partial<GateOptions> = {}): GateOptions {
  const o = { ...GATE_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as GateOptions;
  check(['soft', 'hard', 'off'].includes(o.mode), `--gate must be soft, hard or off, got "${o.mode}"`);
  check(Number.isFinite(o.tau) && o.tau > 0, `--gate-tau must be a number > 0, got ${o.tau}`);
  check(o.scale === 'relative' || o.scale === 'absolute', `--gate-scale must be relative or absolute, got "${o.scale}"`);
  check(o.smoothing >= 0 && o.smoothing < 1, `--gate-smoothing must be in [0, 1), got ${o.smoothing}`);
  check(o.floor >= 0 && o.floor <= 1, `--gate-floor must be in [0, 1], got ${o.floor}`);
  check(['weights', 'block', 'step-sizes'].includes(o.target), `--gate-target must be weights, block or step-sizes, got "${o.target}"`);
  return o;
}

/** The gate of every axis from its drift and magnitude, as the options say. */
export function gateFromDrift(drift: tf.Tensor1D, magnitude: tf.Tensor1D, o: GateOptions): tf.Tensor1D {
  return tf.tidy(() => {
    if (o.mode === 'off') return tf.onesLike(drift);
    const r = o.scale === 'relative' ? tf.div(drift, tf.add(magnitude, 1e-12)) : drift;
    const g = o.mode === 'soft' ? tf.div(1, tf.add(1, tf.div(r, o.tau))) : tf.cast(tf.less(r, o.tau), 'float32');
    return tf.maximum(g, o.floor) as tf.Tensor1D;
  });
}

/**
 * Follows one block's input over the same samples: its smoothed drift per
 * axis, its magnitude per axis, and the gates they give. Before a second
 * observation there is no drift, and every gate is 1.
 */
export class GateTracker {
  private previous: tf.Tensor2D | null = null;
  private drift: tf.Tensor1D | null = null;
  private magnitude: tf.Tensor1D | null = null;
  private gateValues: tf.Tensor1D | null = null;

  /**
   * `perInput` lays a gate per input feature over the block's weight in
   * its internal layout (the block's kind says how: `Block.perInputFeature`;
   * by default a dense weight's [in, 1]).
   */
  constructor(
    private readonly options: GateOptions,
    private readonly perInput: (g: tf.Tensor1D) => tf.Tensor = (g) => tf.reshape(g, [g.shape[0], 1]),
  ) {}

  /** Records the block's input on the tracked samples (rows in the same order every time). */
  observe(input: tf.Tensor2D): void {
    const o = this.options;
    const next: { drift?: tf.Tensor1D; magnitude: tf.Tensor1D; gate?: tf.Tensor1D } = tf.tidy(() => {
      const magnitude = tf.mean(tf.abs(input), 0) as tf.Tensor1D;
      if (!this.previous) return { magnitude };
      const moved = tf.mean(tf.abs(tf.sub(input, this.previous)), 0) as tf.Tensor1D;
      const drift = this.drift ? (tf.add(tf.mul(this.drift, o.smoothing), tf.mul(moved, 1 - o.smoothing)) as tf.Tensor1D) : moved;
      return { drift, magnitude, gate: gateFromDrift(drift, magnitude, o) };
    });
    // Kept: observe may run inside a caller's tidy, which must not free the tracker's state.
    [next.drift, next.magnitude, next.gate].forEach((t) => t && tf.keep(t));
    this.previous?.dispose();
    this.previous = tf.keep(input.clone());
    this.replace(next.drift ?? null, next.magnitude, next.gate ?? null);
  }

  /** The current gates, or null while every gate is 1. */
  get gates(): tf.Tensor1D | null {
    return this.gateValues;
  }

  /** The scales for the block's [weight, bias, decoder] changes. */
  scales(): (tf.Tensor | undefined)[] {
    const g = this.gateValues;
    if (!g || this.options.target === 'step-sizes') return [];
    if (this.options.target === 'block') {
      const mean = tf.mean(g);
      return [mean, mean];
    }
    return [this.perInput(g)];
  }

  /** The shrink gates for the block's [weight, bias, decoder] step sizes (target `step-sizes`). */
  shrinkGates(): (tf.Tensor | undefined)[] {
    const g = this.gateValues;
    if (!g || this.options.target !== 'step-sizes') return [];
    return [this.perInput(g)];
  }

  /** The adjustments of the block's [weight, bias, decoder] steps: {@link GateTracker.scales} and {@link GateTracker.shrinkGates} together. */
  adjustments(): StepAdjustment[] {
    const scales = this.scales();
    const shrink = this.shrinkGates();
    return Array.from({ length: Math.max(scales.length, shrink.length) }, (_, k) => ({ scale: scales[k], shrinkGate: shrink[k] }));
  }

  /**
   * Mean drift (for a relative scale, Σ drift / Σ magnitude over the axes:
   * a mean of per-axis ratios would be dominated by dead axes whose
   * magnitude is ~0), mean gate and share of open axes.
   */
  metrics(): GateMetrics {
    if (!this.drift || !this.gateValues) return { drift: null, gate: 1, open: 1 };
    const stats = tf.tidy(() => {
      const drift = this.options.scale === 'relative' ? tf.div(tf.sum(this.drift!), tf.add(tf.sum(this.magnitude!), 1e-12)) : tf.mean(this.drift!);
      return tf.stack([drift, tf.mean(this.gateValues!), tf.mean(tf.cast(tf.greaterEqual(this.gateValues!, 0.5), 'float32'))]);
    });
    const [drift, gate, open] = stats.dataSync();
    stats.dispose();
    return { drift, gate, open };
  }

  /** What the tracker remembers (the last input, drift, magnitude and gates; absent before they exist), as plain data. */
  saveState(): Record<string, PlainTensor> {
    const out: Record<string, PlainTensor> = {};
    const fields = { previous: this.previous, drift: this.drift, magnitude: this.magnitude, gate: this.gateValues };
    for (const [key, t] of Object.entries(fields)) if (t) out[key] = { shape: [...t.shape], data: (t.dataSync() as Float32Array).slice() };
    return out;
  }

  /** Continues from a {@link GateTracker.saveState}, as if the observations behind it had been made here. */
  loadState(state: Record<string, PlainTensor>): void {
    const known = ['previous', 'drift', 'magnitude', 'gate'];
    const unknown = Object.keys(state).filter((k) => !known.includes(k));
    check(unknown.length === 0, `a gate tracker's saved state has unknown part(s) ${unknown.join(', ')}; the checkpoint is not from this version's local-gated`);
    const make = (key: string, rank: number) => {
      const t = state[key];
      if (!t) return null;
      check(t.shape.length === rank, `a gate tracker's saved "${key}" has shape [${t.shape.join(', ')}]; expected rank ${rank}`);
      return tf.tensor(t.data, t.shape);
    };
    const previous = make('previous', 2) as tf.Tensor2D | null;
    const drift = make('drift', 1) as tf.Tensor1D | null;
    const magnitude = make('magnitude', 1) as tf.Tensor1D | null;
    const gate = make('gate', 1) as tf.Tensor1D | null;
    this.previous?.dispose();
    this.previous = previous;
    this.replace(drift, magnitude, gate);
  }

  dispose(): void {
    this.previous?.dispose();
    this.replace(null, null, null);
  }

  private replace(drift: tf.Tensor1D | null, magnitude: tf.Tensor1D | null, gate: tf.Tensor1D | null): void {
    for (const [old, next] of [
      [this.drift, drift],
      [this.magnitude, magnitude],
      [this.gateValues, gate],
    ] as const) {
      if (old && old !== next) old.dispose();
    }
    this.drift = drift;
    this.magnitude = magnitude;
    this.gateValues = gate;
  }
}
