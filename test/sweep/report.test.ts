import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerImageDatasets } from '../../src/node/image-datasets.js';
import { planSweep, type PlannedRun } from '../../src/sweep/plan.js';
import { summarizeSweep, sweepTable } from '../../src/sweep/report.js';
import { parseSweepSpec } from '../../src/sweep/spec.js';
import { formatSweepStatus, sweepStatus } from '../../src/sweep/status.js';
import { RECORD_FORMAT, RecordStore, type SweepRecord } from '../../src/sweep/store.js';
import { cli, tempDir } from '../cli/helpers.js';
import { writeSpec } from './helpers.js';

beforeAll(() => registerImageDatasets());

const SPEC = { base: { dataset: 'spiral', model: '2-8-1', schedule: 'backprop', epochs: 2 }, grid: { lr: [0.01, 0.02, 0.03] }, seeds: [0, 1, 2], records: 'records' };

/** A record with made-up numbers, to check the arithmetic of the summaries by hand. */
function fakeRecord(run: PlannedRun, testAccuracy: number, testLoss: number, seconds: number, curve: [number, number]): SweepRecord {
  return {
    format: RECORD_FORMAT,
    version: 2,
    id: run.id,
    label: run.label,
    schedule: 'backprop',
    seed: run.options.seed as number,
    backend: 'wasm',
    options: run.options,
    configuration: run.configuration,
    history: [...curve, testAccuracy].map((a, k) => ({ epoch: k, testAccuracy: a })),
    final: { epochs: 2, trainLoss: testLoss / 2, testLoss, testAccuracy },
    seconds,
    resumedAt: [],
    finishedAt: '2026-01-01T00:00:00.000Z',
  };
}

function setUp() {
  const dir = tempDir('localprop-sweep-');
  const path = writeSpec(dir, SPEC);
  const runs = planSweep(parseSweepSpec(SPEC, path), path).runs;
  const store = new RecordStore(join(dir, 'records'));
  // lr 0.01: seeds 0 and 1; lr 0.02: seed 0; lr 0.03: none.
  store.writeRecord(fakeRecord(runs[0], 0.9, 0.3, 10, [0.5, 0.7]));
  store.writeRecord(fakeRecord(runs[1], 0.8, 0.5, 20, [0.6, 0.6]));
  store.writeRecord(fakeRecord(runs[3], 0.7, 0.6, 5, [0.4, 0.5]));
  return { path, runs, store };
}

describe('sweep report', () => {
  it('gives mean ± sample std over the recorded seeds of each configuration, and their mean curve', () => {
    const { runs, store } = setUp();
    const records = new Map(store.records().map((r) => [r.id, r]));
    const [a, b, c] = summarizeSweep(runs, records);
    expect(a.label).toBe('lr=0.01');
    expect(a.planned).toEqual([0, 1, 2]);
    expect(a.seeds).toEqual([0, 1]);
    // (0.9 + 0.8) / 2 and sqrt(((0.05)² + (0.05)²) / (2 - 1)).
    expect(a.testAccuracy!.mean).toBeCloseTo(0.85, 12);
    expect(a.testAccuracy!.std).toBeCloseTo(Math.SQRT2 * 0.05, 12);
    expect(a.testLoss!.std).toBeCloseTo(Math.SQRT2 * 0.1, 12);
    expect(a.seconds!.mean).toBe(15);
    expect(a.curve.map((v) => +v.toFixed(12))).toEqual([0.55, 0.65, 0.85]);
    expect(b.testAccuracy).toEqual({ mean: 0.7, std: 0, min: 0.7, max: 0.7 });
    expect(c.seeds).toEqual([]);
    expect(c.testAccuracy).toBeUndefined();
    expect(sweepTable([a, b, c]).split('\n')).toEqual([
      '| configuration | seeds done | test accuracy | test loss | train loss | seconds per run |',
      '|---|---|---|---|---|---|',
      '| lr=0.01 | 2 of 3 (0, 1) | 0.8500 ± 0.0707 | 0.40000 ± 0.14142 | 0.20000 ± 0.07071 | 15.0 |',
      '| lr=0.02 | 1 of 3 (0) | 0.7000 ± 0.0000 | 0.60000 ± 0.00000 | 0.30000 ± 0.00000 | 5.0 |',
      '| lr=0.03 | 0 of 3 |  |  |  |  |',
    ]);
  });

  it('writes report.md and curves.svg into the records folder', async () => {
    const { path, store } = setUp();
    const r = await cli('sweep', 'report', path);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('3 of 9 runs recorded');
    expect(readFileSync(join(store.folder, 'report.md'), 'utf8')).toBe(r.stdout);
    const svg = readFileSync(join(store.folder, 'curves.svg'), 'utf8');
    expect(svg).toContain('data-series="lr=0.01 (2 seeds)"');
    expect(svg).toContain('data-series="lr=0.02 (1 seed)"');
    expect(svg).not.toContain('lr=0.03');
  });
});

describe('sweep status', () => {
  it('tells done, running (its process alive), left (where it resumes) and failed runs apart', async () => {
    const { path, runs, store } = setUp();
    const gone = spawnSync('true').pid!;
    store.writeProgress({ id: runs[2].id, pid: process.pid, epoch: 1, epochs: 2, checkpointEpoch: null, resumedAt: [], updatedAt: '' });
    // A run that reports its pace gets the time it has to go: 185 epochs of 48.2 s.
    store.writeProgress({ id: runs[6].id, pid: process.pid, epoch: 15, epochs: 200, checkpointEpoch: 15, resumedAt: [], updatedAt: '', secondsPerEpoch: 48.2 });
    store.writeProgress({ id: runs[4].id, pid: gone, epoch: 2, epochs: 2, checkpointEpoch: 1, resumedAt: [], updatedAt: '' });
    store.writeFailure({ id: runs[5].id, label: runs[5].label, message: 'it diverged', epoch: 1, at: '' });
    const status = sweepStatus(runs, store);
    expect(status.counts).toEqual({ done: 3, running: 2, left: 3, failed: 1 });
    expect(status.runs.map((r) => r.status.state)).toEqual(['done', 'done', 'running', 'done', 'left', 'failed', 'running', 'left', 'left']);
    const text = formatSweepStatus(status, 'spec');
    expect(text.split('\n')).toEqual([
      'spec: 9 runs: 3 done, 2 running, 3 left, 1 failed',
      `running  ${runs[2].id}  lr=0.01 seed=2  epoch 1/2 (process ${process.pid})`,
      `left     ${runs[4].id}  lr=0.02 seed=1  resumes from its checkpoint at epoch 1`,
      `failed   ${runs[5].id}  lr=0.02 seed=2  after 1 epoch: it diverged`,
      `running  ${runs[6].id}  lr=0.03 seed=0  epoch 15/200 (process ${process.pid}), 48 s an epoch lately: about 2 h 29 min to go`,
      `left     ${runs[7].id}  lr=0.03 seed=1`,
      `left     ${runs[8].id}  lr=0.03 seed=2`,
    ]);
    const r = await cli('sweep', 'status', path, '--json');
    expect(JSON.parse(r.stdout).counts).toEqual(status.counts);
  });
});
