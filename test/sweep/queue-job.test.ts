import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planSweep } from '../../src/sweep/plan.js';
import { FolderDestination } from '../../src/sweep/queue/destination.js';
import { JOB_FORMAT, jobData, jobIdOf, planJob } from '../../src/sweep/queue/job.js';
import { parseSweepSpec } from '../../src/sweep/spec.js';
import type { SweepRecord } from '../../src/sweep/store.js';
import { LocalpropError } from '../../src/util/errors.js';
import { tempDir } from '../cli/helpers.js';
import { writeSpec } from './helpers.js';

const SPEC = { base: { dataset: 'spiral', model: '2-8-1', epochs: 2 }, grid: { schedule: ['backprop', 'local-parallel'] }, seeds: [0], records: 'records' };

function planned() {
  const path = writeSpec(tempDir('localprop-job-'), SPEC);
  return { path, runs: planSweep(parseSweepSpec(SPEC, path), path).runs };
}

const refusal = (data: unknown) => {
  try {
    planJob(data);
  } catch (e) {
    expect(e).toBeInstanceOf(LocalpropError);
    return (e as Error).message;
  }
  throw new Error('the job was accepted');
};

describe('queued jobs', () => {
  it('plan on the worker to the run `sweep submit` queued, options and id alike', () => {
    const { path, runs } = planned();
    const job = planJob(JSON.parse(JSON.stringify(jobData(SPEC, path, runs[1]))));
    expect(job.run).toEqual(runs[1]);
    expect(job.specPath).toBe(path);
    expect(jobIdOf(runs[1].id)).toBe(`run-${runs[1].id}`);
    // BullMQ refuses job ids that read as integers; a run id can be 16 decimal digits.
    expect(jobIdOf('1234567890123456')).not.toBe(String(parseInt(jobIdOf('1234567890123456'), 10)));
  });

  it('refuse what `sweep submit` never writes: other keys, code to import, options the option table refuses, a run the spec does not give', () => {
    const { path, runs } = planned();
    const good = jobData(SPEC, path, runs[0]);
    expect(refusal({ ...good, processor: 'function () {}' })).toBe('a queued job has the unknown key "processor": it was not written by this version of `localprop sweep submit`');
    expect(refusal({ ...good, format: 'other' })).toContain('a queued job is not a localprop sweep job');
    expect(refusal({ ...good, specPath: 'relative/spec.json' })).toBe('a queued job has no absolute spec path');
    expect(refusal({ ...good, spec: { ...SPEC, base: { ...SPEC.base, import: '/tmp/rule.js' } } })).toContain(`the spec of queued run ${runs[0].id} (${path}): base "import" cannot be set in a sweep spec`);
    expect(refusal({ ...good, spec: { ...SPEC, base: { ...SPEC.base, epochs: -3 } } })).toMatch(/base "epochs": --epochs must be/);
    expect(refusal({ ...good, id: 'ffffffffffffffff' })).toContain('gives no run with that id on this worker: its data files differ');
    expect(refusal([JOB_FORMAT])).toContain('a queued job is not an object');
  });
});

describe('a shared records folder', () => {
  it('keeps the first record when two workers finish one run', async () => {
    const folder = join(tempDir('localprop-job-'), 'records');
    const destination = new FolderDestination(folder);
    const record = (seconds: number) => ({ format: 'localprop-sweep-record', version: 2, id: '00000000000000aa', seconds }) as unknown as SweepRecord;
    expect(await destination.writeRecordOnce(record(1))).toBe(true);
    expect(await destination.writeRecordOnce(record(2))).toBe(false);
    expect(JSON.parse(readFileSync(join(folder, '00000000000000aa.json'), 'utf8')).seconds).toBe(1);
    expect((await destination.records()).map((r) => r.seconds)).toEqual([1]);
  });
});
