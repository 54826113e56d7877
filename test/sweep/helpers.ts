import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SweepRecord } from '../../src/sweep/store.js';

/** Writes a sweep spec as JSON into `dir`, returning its path. */
export function writeSpec(dir: string, spec: unknown, name = 'sweep.json'): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(spec, null, 2));
  return path;
}

/**
 * A record without what depends on the clock or on how the run got there
 * (seconds, when it finished, where it resumed): what must be equal
 * between two trainings of the same run.
 */
export function withoutTiming(record: SweepRecord): unknown {
  const { seconds: _s, wallSeconds: _w, finishedAt: _f, resumedAt: _r, ...rest } = record;
  return { ...rest, history: record.history.map(({ seconds: _e, ...epoch }) => epoch) };
}

/** Four short runs, two schedules × two seeds, recorded in `records/`: the sweep the runner and queue tests train. */
export const SMALL_SWEEP = {
  base: { dataset: 'spiral', model: '2-8-8-1', epochs: 4, step: 'batch', batchSize: 100, optimizer: 'adam', lr: 0.01 },
  grid: { schedule: ['backprop', 'local-parallel'] },
  seeds: [0, 1],
  records: 'records',
};
