import { tf } from '../engine/backend.js';
import type { PlainTensor } from '../model/parameters.js';
import type { GateMetrics } from '../train/events.js';
import type { Session } from '../train/session.js';
import { check } from '../util/errors.js';
import { GateTracker, type GateOptions } from './gates.js';
import type { StepAdjustment, StepModulator } from './modulator.js';
import { recordEpochAdjustments, type BlockEpochAdjustments } from './epoch-adjustments.js';

/** Rows whose input drift batch mode follows (all of them when the training set is smaller). */
export const PROBE_ROWS = 1024;

/**
 * The stability gates as a step modulator: block i's step learns from each
 * input axis at a rate set by that axis's gate (see {@link GateOptions}).
 * Drift is measured on the same samples between consecutive steps: in epoch
 * mode on the whole training set at every step, from the input the block
 * learns from; in batch mode once per epoch on the first 1024 training rows.
 * Block 0 reads the data, which never moves: it has no tracker and gate 1.
 */
export class DriftGate implements StepModulator {
  private readonly trackers: (GateTracker | null)[];
  private readonly probe: tf.Tensor2D | null;

  constructor(private readonly session: Session, options: GateOptions) {
    const blocks = session.network.blocks;
    if (options.mode !== 'off' && options.target !== 'block') blocks.slice(1).forEach((b) => b.checkPerInputFeature());
    this.trackers = blocks.map((b, i) => (i === 0 ? null : new GateTracker(options, (g) => b.perInputFeature(g))));
    this.probe = session.options.step === 'batch' ? session.trainX.slice([0, 0], [Math.min(PROBE_ROWS, session.train.count), -1]) : null;
  }

  beginEpoch(): void {
    // A run resumed mid-epoch already observed this epoch's probe before it stopped (the trackers were saved after it).
    if (!this.probe || this.session.startChunk > 0) return;
    for (let i = 1; i < this.trackers.length; i++) {
      const input = this.session.network.encode(this.probe, i);
      this.trackers[i]!.observe(input);
      input.dispose();
    }
  }

  adjust(block: number, input: () => tf.Tensor2D): (StepAdjustment | undefined)[] | undefined {
    const tracker = this.trackers[block];
    if (!tracker) return undefined;
    // Epoch mode: the drift is measured on the input this step learns from (without its dropout mask: a new mask every step is not drift).
    if (!this.probe) tracker.observe(input());
    return tracker.adjustments();
  }

  /** Batch mode: the gates are set once an epoch, from the probe rows, and every step of a block takes the same. */
  epochAdjustments(): BlockEpochAdjustments[] {
    check(this.probe !== null, "local-gated follows every step's input with one step per epoch: its gates are not fixed for an epoch; use --step batch");
    return recordEpochAdjustments(this, this.trackers.length);
  }

  metrics(): GateMetrics[] {
    return this.trackers.map((t) => (t ? t.metrics() : { drift: null, gate: 1, open: 1 }));
  }

  saveState(): Record<string, PlainTensor> {
    const state: Record<string, PlainTensor> = {};
    this.trackers.forEach((t, i) => {
      for (const [key, value] of Object.entries(t?.saveState() ?? {})) state[`trackers.${i}.${key}`] = value;
    });
    return state;
  }

  loadState(state: Record<string, PlainTensor>): void {
    const parts = this.trackers.map(() => ({}) as Record<string, PlainTensor>);
    for (const [name, value] of Object.entries(state)) {
      const match = /^trackers\.(\d+)\.(\w+)$/.exec(name);
      const i = match ? Number(match[1]) : -1;
      check(match !== null && this.trackers[i] !== undefined && this.trackers[i] !== null, `local-gated's saved state has "${name}", which no block's tracker holds; the checkpoint is for another model`);
      parts[i][match![2]] = value;
    }
    this.trackers.forEach((t, i) => t?.loadState(parts[i]));
  }

  dispose(): void {
    this.trackers.forEach((t) => t?.dispose());
    this.probe?.dispose();
  }
}
