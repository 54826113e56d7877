import { classLabels, type Dataset } from '../data/dataset.js';
import type { Evaluation } from './evaluation.js';

/** How far above a constant guess a run's test accuracy must have been to count as having learned. */
const LEARNED_MARGIN = 0.2;
/** How close to a constant guess a learned run's test accuracy must fall back to count as collapsed. */
const COLLAPSED_MARGIN = 0.02;

/**
 * The accuracy of always answering the test set's most common class: what a
 * network that has stopped using its input scores.
 */
export function constantGuessAccuracy(test: Dataset): number {
  const labels = classLabels(test);
  const counts = new Map<number, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return labels.length === 0 ? 0 : Math.max(...counts.values()) / labels.length;
}

/**
 * Watches a run's scores for a collapse that its losses do not show (they
 * stay finite, so the divergence check passes): test accuracy back at a
 * constant guess's after the run had learned, or a hidden block whose
 * output is zero for every test example (dead ReLUs, a weight turned to
 * zero), which no later block can learn through.
 */
export class CollapseWatch {
  private best = 0;
  private bestEpoch = 0;

  constructor(private readonly guess: number) {}

  /** Why the network scored `test` at `epoch` has collapsed, or null. */
  observe(epoch: number, test: Evaluation): string | null {
    if (test.accuracy > this.best) {
      this.best = test.accuracy;
      this.bestEpoch = epoch;
    }
    const reasons: string[] = [];
    if (this.best >= this.guess + LEARNED_MARGIN && test.accuracy <= this.guess + COLLAPSED_MARGIN) {
      reasons.push(`test accuracy ${test.accuracy.toFixed(4)} is back at a constant guess's (${this.guess.toFixed(4)}, the most common class) after ${this.best.toFixed(4)} at epoch ${this.bestEpoch}`);
    }
    // At epoch 0 a block may output zeros by design (DFA's zero initial condition): only training can silence one.
    const silent = epoch === 0 ? [] : (test.blockPeaks ?? []).flatMap((peak, b) => (peak === 0 ? [b] : []));
    if (silent.length > 0) reasons.push(`hidden block${silent.length > 1 ? 's' : ''} ${silent.join(', ')} output${silent.length > 1 ? '' : 's'} zero for every test example`);
    return reasons.length > 0 ? reasons.join('; ') : null;
  }
}
