/*
 * What the page's charts and numbers show, as plain functions: which axis
 * a loss chart takes, how a loss is written, where a point of a run lies on
 * a shared "share of the run" axis, and where local-sequential moves on to
 * its next block. DOM-free, so Node tests check them.
 */

/**
 * A loss as the page writes it: three significant digits, exponent
 * notation below 0.001, and an exact zero as "0" (not "0.00e+0").
 */
export function formatLoss(value: number): string {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 0.001 ? String(Number(value.toPrecision(3))) : value.toExponential(2);
}

/**
 * The y axis for loss curves: logarithmic while every loss is above zero,
 * linear once one reaches zero, which a log axis has no place for (its
 * curve would end above the bottom of the chart as if it had stopped).
 */
export function lossAxis(values: Iterable<number>): 'log' | 'linear' {
  for (const v of values) if (Number.isFinite(v) && v <= 0) return 'linear';
  return 'log';
}

/** The title of a loss chart, saying when it is linear because a loss reached zero. */
export function lossTitle(title: string, axis: 'log' | 'linear'): string {
  return axis === 'linear' ? `${title} (linear: a loss reached 0)` : `${title} (log)`;
}

/**
 * An epoch as a percentage of its run's epochs, so runs of different
 * lengths (local-sequential trains one phase per block) share one axis
 * from 0 to 100 and none is squeezed into a corner.
 */
export function shareOfRun(epoch: number, epochs: number): number {
  return epochs > 0 ? (100 * epoch) / epochs : 0;
}

/**
 * Where a run moved on to another block (local-sequential's phases): a
 * mark at the last epoch of each phase, labelled ★ and the block that
 * follows, as the block pictures mark the block in training.
 */
export function phaseMarks(events: readonly { epoch: number; block: number | null }[]): { x: number; label: string }[] {
  const marks: { x: number; label: string }[] = [];
  for (let i = 1; i < events.length; i++) {
    const block = events[i].block;
    if (block !== null && block !== events[i - 1].block) marks.push({ x: events[i - 1].epoch, label: `★${block}` });
  }
  return marks;
}
