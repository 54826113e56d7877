import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockChart, comparisonChart, groupRuns, scheduleFigure, timelineFigure, type Canvas } from '../../src/report/figures.js';
import type { Frame, RunRecord } from '../../src/report/recorder.js';
import type { BoundaryGrid } from '../../src/report/grid.js';
import { resolveRunOptions } from '../../src/train/run.js';
import type { EpochEvent } from '../../src/train/events.js';

/*
 * Figures drawn from fixed, synthetic run records (no training), compared
 * with the SVGs committed beside this file. On a mismatch the new drawing is
 * written as NAME-changed.svg next to the snapshot, to look at; if it is
 * right, copy it over the snapshot. UPDATE_SNAPSHOTS=1 rewrites them all.
 */
const DIR = join(import.meta.dirname, 'snapshots');

function matchesSnapshot(name: string, svg: string): void {
  const path = join(DIR, `${name}.svg`);
  const changed = join(DIR, `${name}-changed.svg`);
  if (process.env.UPDATE_SNAPSHOTS === '1') writeFileSync(path, svg);
  expect(existsSync(path), `no committed snapshot ${path}; run with UPDATE_SNAPSHOTS=1, look at it, and commit it`).toBe(true);
  const saved = readFileSync(path, 'utf8');
  if (saved === svg) {
    rmSync(changed, { force: true });
    return;
  }
  writeFileSync(changed, svg);
  expect.fail(`${name}.svg differs from its snapshot; the new drawing is in ${changed}`);
}

/** A 6×6 grid whose class-1 score rises from left to right, tilted by `tilt`. */
function grid(tilt: number): BoundaryGrid {
  const size = 6;
  const values = new Float32Array(size * size);
  for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) values[r * size + c] = Math.min(1, Math.max(0, (c + tilt * (r - 2.5)) / (size - 1)));
  return { area: { x: [-1, 1], y: [-1, 1] }, size, outputs: 1, values };
}

function record(schedule: string, seed: number, epochs: number, local: boolean): RunRecord {
  const options = resolveRunOptions({ schedule, seed, epochs, ...(schedule === 'local-gated' ? { gate: { mode: 'soft' } } : {}) }, 1);
  const events: EpochEvent[] = Array.from({ length: epochs }, (_, k) => {
    const e = k + 1;
    const loss = 0.7 * Math.exp(-e / (schedule === 'local-gated' ? 4 : local ? 3 : 2)) + 0.01 * seed + 0.02;
    return {
      type: 'epoch',
      schedule,
      seed,
      decoders: 'learned',
      epoch: e,
      epochs,
      block: null,
      trainLoss: loss,
      testLoss: loss * 1.1,
      testAccuracy: 1 - loss / 1.5,
      blockLosses: local ? [loss * 1.3, loss * 1.2, loss * 1.1, loss] : [null, null, null, loss],
      blockAccuracy: [0.6 + 0.03 * e, 0.62 + 0.04 * e, 0.65 + 0.04 * e, 1 - loss / 1.5],
      ...(schedule === 'local-gated' ? { gates: [{ drift: null, gate: 1, open: 1 }, ...[1, 2, 3].map((b) => ({ drift: 0.2 / (e * b), gate: 1 - 0.5 / (e + b), open: 1 - 0.3 / (e + b) }))] } : {}),
      seconds: 0.1 * e,
    };
  });
  const frames: Frame[] = seed === 0 ? [0, 3, epochs].map((epoch, k) => ({ epoch, trainedBlock: null, blocks: [0, 1, 2, 3].map((b) => grid((k - 1) * 0.4 + b * 0.1)) })) : [];
  return { schedule, decoders: 'learned', seed, options, epochs: events, frames, ...(seed === 0 ? { finalGrid: grid(0.5) } : {}) };
}

const runs = ['backprop', 'local-parallel', 'local-gated'].flatMap((s) => [0, 1, 2].map((seed) => record(s, seed, 8, s !== 'backprop')));
const groups = groupRuns(runs);
const canvas: Canvas = {
  area: { x: [-1, 1], y: [-1, 1] },
  points: { x: new Float32Array([-0.5, -0.5, 0.5, 0.5, -0.5, 0.5, 0.5, -0.5]), labels: new Int32Array([0, 1, 1, 0]) },
  classes: 2,
};

describe('figures against their committed snapshots', () => {
  it('comparison charts: test loss (log), test accuracy', () => {
    matchesSnapshot('comparison-test-loss', comparisonChart(groups, 'testLoss', 'log'));
    matchesSnapshot('comparison-test-accuracy', comparisonChart(groups, 'testAccuracy', 'log'));
  });

  it("per-block charts: local-parallel's decoder accuracy, local-gated's gates", () => {
    matchesSnapshot('local-parallel-block-accuracy', blockChart(groups[1], 'blockAccuracy'));
    matchesSnapshot('local-gated-gate', blockChart(groups[2], 'gate'));
  });

  it('a schedule figure and a timeline, with boundary pictures', () => {
    matchesSnapshot('backprop-figure', scheduleFigure(groups[0], canvas, 'linear'));
    matchesSnapshot('local-parallel-timeline', timelineFigure(groups[1], canvas, 3));
  });
});
