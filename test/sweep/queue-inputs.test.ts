import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planSweep } from '../../src/sweep/plan.js';
import { JOB_FORMAT, jobData, planJob } from '../../src/sweep/queue/job.js';
import { MAX_JOB_BYTES } from '../../src/sweep/queue/job-limits.js';
import { parseSweepSpec } from '../../src/sweep/spec.js';
import { localpropErrorOf } from '../support.js';
import { tempDir } from '../cli/helpers.js';
import { writeSpec } from './helpers.js';

/*
 * What a worker plans from a job anyone who can write to the queue could
 * have written: files and records only in the spec's folder, within a size.
 */

const BASE = { model: '2-8-1', schedule: 'backprop', epochs: 1 };

/** A folder holding a spec, and beside the folder a CSV whose bad cell would show in a message if it were ever read. */
function layout(): { folder: string; specPath: string } {
  const root = tempDir('localprop-job-');
  const folder = join(root, 'sweep');
  mkdirSync(join(folder, 'data'), { recursive: true });
  writeFileSync(join(root, 'secret.csv'), 'x,y,c\nTOPSECRET,1,0\n');
  for (const name of ['data/train.csv', 'data/test.csv', '..data.csv']) writeFileSync(join(folder, name), 'x,y,c\n0.1,0.2,0\n0.3,-0.4,1\n-0.5,0.6,1\n0.7,0.8,0\n');
  return { folder, specPath: join(folder, 'sweep.json') };
}

/** A job as `sweep submit` writes it, for a spec (which need not plan) at `specPath`. */
const job = (spec: unknown, specPath: string) => ({ format: JOB_FORMAT, version: 1, spec, specPath, id: '0123456789abcdef', label: 'x' });

describe('a queued job names files only in its spec\'s folder', () => {
  it('refuses a data file outside it, before reading it, in the base, the grid or a point', () => {
    const { folder, specPath } = layout();
    for (const [spec, where] of [
      [{ base: { ...BASE, train: '../secret.csv', test: 'data/test.csv' }, seeds: [0], records: 'records' }, 'base "train"'],
      [{ base: { ...BASE, test: 'data/test.csv' }, grid: { train: ['data/train.csv', '../secret.csv'] }, seeds: [0], records: 'records' }, 'grid (value 2) "train"'],
      [{ base: { ...BASE, train: 'data/train.csv' }, points: [{ test: 'data/test.csv' }, { test: '/etc/passwd' }], seeds: [0], records: 'records' }, 'point 2 "test"'],
      [{ base: { ...BASE, model: '../model.json' }, seeds: [0], records: 'records' }, 'base "model"'],
      [{ base: { ...BASE, dataset: 'mnist', dataDir: '..' }, seeds: [0], records: 'records' }, 'base "dataDir"'],
      [{ base: BASE, seeds: [0], records: '../records' }, '"records"'],
      [{ base: BASE, seeds: [0], records: '/tmp' }, '"records"'],
    ] as const) {
      const message = localpropErrorOf(() => planJob(job(spec, specPath)));
      expect(message).toContain(`the spec of queued run 0123456789abcdef (${specPath}): ${where} names `);
      expect(message).toContain(`outside the spec's folder ${folder}; a queued spec may name only files in its own folder or below it`);
      expect(message).not.toContain('TOPSECRET');
    }
  });

  it('plans files below the folder, a name that starts with "..", a link inside it, and records in Redis', () => {
    const { folder, specPath } = layout();
    symlinkSync(join(folder, '..', 'secret.csv'), join(folder, 'linked.csv'));
    const spec = { base: { ...BASE, train: 'data/train.csv', test: '..data.csv' }, grid: { model: ['2-4-1', '{"layers": [2, 3, 1]}'] }, seeds: [0], records: 'redis:' };
    writeSpec(folder, spec);
    const runs = planSweep(parseSweepSpec(spec, specPath), specPath).runs;
    expect(planJob(jobData(spec, specPath, runs[1])).run.id).toBe(runs[1].id);
    // A link is the folder owner's choice: it passes, and only then is the file read (here, refused as CSV).
    const linked = { base: { ...BASE, train: 'linked.csv', test: 'data/test.csv' }, seeds: [0], records: 'records' };
    expect(localpropErrorOf(() => planJob(job(linked, specPath)))).toContain('TOPSECRET');
  });
});

describe('a queued job has a size', () => {
  it('refuses a job over 1 MiB, and one nested past the input limits, in one line', () => {
    const { specPath } = layout();
    expect(MAX_JOB_BYTES).toBe(1024 * 1024);
    // A valid spec all the same: the model's text may hold any blanks.
    const padded = { base: { ...BASE, dataset: 'spiral', model: `2-8-1${' '.repeat(MAX_JOB_BYTES)}out=sigmoid` }, seeds: [0], records: 'records' };
    expect(localpropErrorOf(() => planJob(job(padded, specPath)))).toMatch(/: one run's job takes 1024 KiB, more than the 1024 KiB a queued job may hold \(each job carries the whole spec\)/);
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(localpropErrorOf(() => planJob(job({ base: BASE, seeds: [0], records: 'records', points: deep }, specPath)))).toMatch(/nests arrays and objects more than 64 levels deep/);
  });
});
