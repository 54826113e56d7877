import { check } from '../util/errors.js';

/**
 * The most runs one sweep spec may expand to. Every run is a training and
 * a record; a grid that multiplies out to millions (ten keys of ten values)
 * is a mistake, and planning it would first hold every configuration.
 */
export const MAX_SWEEP_RUNS = 100_000;

/**
 * Refuses a spec whose runs (the grid's product plus the points, or one
 * configuration without either, times the seeds) pass {@link MAX_SWEEP_RUNS},
 * counted from the lists' lengths before any value in them is read.
 * Anything not a list counts as one value: the spec's own checks refuse it.
 */
export function checkRunCount(grid: unknown, points: unknown, seeds: number, source: string): void {
  const lists = typeof grid === 'object' && grid !== null && !Array.isArray(grid) ? Object.values(grid) : [];
  const lengths = lists.map((values) => (Array.isArray(values) ? values.length : 1));
  const product = lengths.reduce((a, b) => a * b, lengths.length > 0 ? 1 : 0);
  const pointCount = Array.isArray(points) ? points.length : 0;
  const configurations = product + pointCount || 1;
  const runs = configurations * seeds;
  check(
    runs <= MAX_SWEEP_RUNS,
    () => `${source} expands to ${runs <= Number.MAX_SAFE_INTEGER ? runs.toLocaleString('en-US') : runs.toExponential(2)} runs (${describe(lengths, pointCount)} × ${seeds} seed${seeds === 1 ? '' : 's'}), more than the ${MAX_SWEEP_RUNS.toLocaleString('en-US')} one sweep may hold; shorten the grid's lists or split the sweep into several specs`,
  );
}

function describe(lengths: number[], points: number): string {
  const grid = lengths.length > 0 ? `a grid of ${lengths.join(' × ')}` : '';
  const more = points > 0 ? `${points} point${points === 1 ? '' : 's'}` : '';
  return grid && more ? `(${grid}) + ${more}` : grid || more || 'one configuration';
}
