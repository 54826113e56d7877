import { tf } from '../engine/backend.js';
import type { PlainTensor } from '../model/parameters.js';
import type { GateMetrics } from '../train/events.js';
import type { Session } from '../train/session.js';
import { check } from '../util/errors.js';
import { PROBE_ROWS } from './drift-gate.js';
import { driftWeightOptions, freezeEpoch, tracksDrift, type DriftOptions } from './drift-options.js';
import { GateTracker } from './gates.js';
import type { StepAdjustment, StepModulator } from './modulator.js';
import { recordEpochAdjustments, type BlockEpochAdjustments } from './epoch-adjustments.js';

/**
 * The per-axis bookkeeping of the reset candidate: an axis is "moving"
 * once its weight w fell under ½ (r > τ) and "settles" when w rises above
 * ⅔ (r < τ/2); the gap keeps an axis hovering near τ from resetting at
 * every step. Returns the axes that settled now (1) and the new moving mask.
 */
export function settledAxes(moving: tf.Tensor1D | null, weights: tf.Tensor1D): { settled: tf.Tensor1D; moving: tf.Tensor1D } {
  return tf.tidy(() => {
    const wasMoving = moving ? tf.maximum(moving, tf.cast(tf.less(weights, 0.5), 'float32')) : tf.cast(tf.less(weights, 0.5), 'float32');
    const settled = tf.mul(wasMoving, tf.cast(tf.greater(weights, 2 / 3), 'float32')) as tf.Tensor1D;
    return { settled, moving: tf.sub(wasMoving, settled) as tf.Tensor1D };
  });
}

/** Per block: what the candidates remember between steps. */
interface BlockState {
  tracker: GateTracker | null;
  /** Reset: axes that moved and have not settled since. */
  moving: tf.Tensor1D | null;
  /** Reset: axes that settled at the latest measurement, applied at the block's next step. */
  pendingReset: tf.Tensor1D | null;
  /** Moments: the weights of the latest measurement, applied once at the block's next step. */
  pendingMoments: tf.Tensor1D | null;
  /** Lag: whether the block has started learning. */
  started: boolean;
}

/**
 * The candidates of `local-drift` as one step modulator (see
 * {@link DriftOptions}): it follows each block's input as local-gated's
 * gates do (every step on the whole set in epoch mode, once an epoch on the
 * first 1024 rows in batch mode) and asks the optimizer for the adjustments
 * the switched-on candidates make. With every candidate off it asks for
 * nothing, so the steps are local-parallel's.
 */
export class DriftAware implements StepModulator {
  private readonly blocks: BlockState[];
  private readonly probe: tf.Tensor2D | null;
  private epoch = 0;

  constructor(private readonly session: Session, private readonly options: DriftOptions, private readonly epochs: number) {
    const track = tracksDrift(options);
    this.blocks = Array.from({ length: session.blockCount }, (_, i) => ({
      tracker: track && i > 0 ? new GateTracker(driftWeightOptions(options)) : null,
      moving: null,
      pendingReset: null,
      pendingMoments: null,
      started: i === 0 || options.lag === 0,
    }));
    this.probe = track && session.options.step === 'batch' ? session.trainX.slice([0, 0], [Math.min(PROBE_ROWS, session.train.count), -1]) : null;
  }

  /** Before epoch `epoch` (from 0) trains. */
  beginEpoch(epoch = this.epoch): void {
    this.epoch = epoch;
    // A run resumed mid-epoch already observed this epoch's probe before it stopped (its state was saved after it).
    if (!this.probe || this.session.startChunk > 0) return;
    for (let i = 1; i < this.blocks.length; i++) {
      const input = this.session.network.encode(this.probe, i);
      this.observe(i, input);
      input.dispose();
    }
  }

  adjust(block: number, input: () => tf.Tensor2D): (StepAdjustment | undefined)[] | undefined {
    const b = this.blocks[block];
    if (b.tracker && !this.probe) this.observe(block, input());
    if (!b.started || this.epoch >= freezeEpoch(block, this.blocks.length, this.epochs, this.options.freeze)) {
      return this.session.trainableOf(block).map(() => ({ skip: true }));
    }
    const weights = b.tracker?.gates;
    if (!weights) return undefined;
    const rows = (t: tf.Tensor1D) => this.session.network.blocks[block].perInputFeature(t);
    const adjustment: StepAdjustment = {};
    if (this.options.shrink === 'on') adjustment.shrinkGate = rows(weights);
    if (b.pendingReset) {
      adjustment.resetStepSize = rows(b.pendingReset);
      b.pendingReset.dispose();
      b.pendingReset = null;
    }
    if (b.pendingMoments) {
      adjustment.firstMomentScale = rows(b.pendingMoments);
      if (this.options.moments === 'both') adjustment.secondMomentScale = adjustment.firstMomentScale;
      b.pendingMoments.dispose();
      b.pendingMoments = null;
    }
    return Object.keys(adjustment).length > 0 ? [adjustment] : undefined;
  }

  /**
   * Batch mode: drift is measured once an epoch, from the probe rows, so a
   * block's first step takes the epoch's reset and moments and every later
   * step the same shrink (or skip).
   */
  epochAdjustments(): BlockEpochAdjustments[] {
    check(this.session.options.step === 'batch', "local-drift follows every step's input with one step per epoch: its adjustments are not fixed for an epoch; use --step batch");
    return recordEpochAdjustments(this, this.blocks.length);
  }

  /** A new measurement of block `block`'s input: drift, then what each candidate makes of it. */
  private observe(block: number, input: tf.Tensor2D): void {
    const b = this.blocks[block];
    const tracker = b.tracker!;
    tracker.observe(input);
    const weights = tracker.gates;
    if (!weights) return;
    if (this.options.reset === 'on') {
      const next = settledAxes(b.moving, weights);
      b.moving?.dispose();
      b.pendingReset?.dispose();
      b.moving = tf.keep(next.moving);
      // Only worth a step's adjustment when some axis settled.
      const any = tf.tidy(() => tf.max(next.settled).dataSync()[0]) > 0;
      b.pendingReset = any ? tf.keep(next.settled) : null;
      if (!any) next.settled.dispose();
    }
    if (this.options.moments !== 'off') {
      b.pendingMoments?.dispose();
      b.pendingMoments = tf.keep(weights.clone());
    }
    if (!b.started && this.blocks[block - 1].started) {
      const drift = tracker.metrics().drift;
      b.started = drift !== null && drift < this.options.lag;
    }
  }

  metrics(): GateMetrics[] {
    return this.blocks.map((b, i) => {
      const learning = b.started && this.epoch < freezeEpoch(i, this.blocks.length, this.epochs, this.options.freeze);
      const measured = b.tracker ? b.tracker.metrics() : { drift: null, gate: 1, open: 1 };
      // A block that does not learn (waiting or frozen) shows a closed gate; one that learns its mean axis weight.
      return learning ? measured : { drift: measured.drift, gate: 0, open: 0 };
    });
  }

  saveState(): Record<string, PlainTensor> {
    const plain = (t: tf.Tensor): PlainTensor => ({ shape: [...t.shape], data: (t.dataSync() as Float32Array).slice() });
    const state: Record<string, PlainTensor> = { started: { shape: [this.blocks.length], data: Float32Array.from(this.blocks, (b) => (b.started ? 1 : 0)) } };
    this.blocks.forEach((b, i) => {
      for (const [key, value] of Object.entries(b.tracker?.saveState() ?? {})) state[`trackers.${i}.${key}`] = value;
      if (b.moving) state[`moving.${i}`] = plain(b.moving);
      if (b.pendingReset) state[`pendingReset.${i}`] = plain(b.pendingReset);
      if (b.pendingMoments) state[`pendingMoments.${i}`] = plain(b.pendingMoments);
    });
    return state;
  }

  loadState(state: Record<string, PlainTensor>): void {
    const trackerParts = this.blocks.map(() => ({}) as Record<string, PlainTensor>);
    const fields: { moving: (PlainTensor | null)[]; pendingReset: (PlainTensor | null)[]; pendingMoments: (PlainTensor | null)[] } = {
      moving: this.blocks.map(() => null),
      pendingReset: this.blocks.map(() => null),
      pendingMoments: this.blocks.map(() => null),
    };
    for (const [name, value] of Object.entries(state)) {
      if (name === 'started') {
        check(value.data.length === this.blocks.length, `local-drift's saved state covers ${value.data.length} blocks; this network has ${this.blocks.length}`);
        continue;
      }
      const tracker = /^trackers\.(\d+)\.(\w+)$/.exec(name);
      const field = /^(moving|pendingReset|pendingMoments)\.(\d+)$/.exec(name);
      const i = Number(tracker?.[1] ?? field?.[2] ?? -1);
      check((tracker || field) && this.blocks[i]?.tracker, `local-drift's saved state has "${name}", which no block's tracker holds; the checkpoint is for another model or other --drift options`);
      if (tracker) trackerParts[i][tracker[2]] = value;
      else fields[field![1] as keyof typeof fields][i] = value;
    }
    const started = state.started?.data;
    this.blocks.forEach((b, i) => {
      b.tracker?.loadState(trackerParts[i]);
      for (const key of ['moving', 'pendingReset', 'pendingMoments'] as const) {
        b[key]?.dispose();
        const saved = fields[key][i];
        b[key] = saved ? tf.tensor1d(saved.data) : null;
      }
      if (started) b.started = started[i] === 1;
    });
  }

  dispose(): void {
    for (const b of this.blocks) {
      b.tracker?.dispose();
      b.moving?.dispose();
      b.pendingReset?.dispose();
      b.pendingMoments?.dispose();
    }
    this.probe?.dispose();
  }
}
