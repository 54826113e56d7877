import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_FORMAT } from '../../src/sweep/queue/job.js';
import { MAX_JOB_BYTES } from '../../src/sweep/queue/job-limits.js';
import { openQueue } from '../../src/sweep/queue/queue.js';
import { KEY_PREFIX, PASSWORD_VARIABLE } from '../../src/sweep/queue/settings.js';
import { runQueueWorker, type QueueWorkerEvent } from '../../src/sweep/queue/worker.js';
import { cli, lines, tempDir } from '../cli/helpers.js';
import { writeSpec } from '../sweep/helpers.js';
import { RedisServer } from './server.js';

/*
 * Queue inputs (issue 37): whoever can write to the queue hands workers
 * jobs. A spec naming files outside its folder, or over the job size cap,
 * is refused by `sweep submit` before anything is queued, and by a worker
 * that finds such a job written by hand, before it reads any file.
 */

let server: RedisServer;

beforeAll(async () => {
  server = await RedisServer.start(tempDir('localprop-redis-'));
  process.env[PASSWORD_VARIABLE] = server.password;
});

afterAll(async () => {
  delete process.env[PASSWORD_VARIABLE];
  await server?.stop();
});

const CSV = 'x,y,c\n0.1,0.2,0\n0.3,-0.4,1\n-0.5,0.6,1\n0.7,0.8,0\n';
const BASE = { model: '2-8-1', schedule: 'backprop', epochs: 1, evalThread: 'off' };

/** A sweep folder with its data, and a well-formed CSV beside the folder. */
function layout(): { root: string; folder: string } {
  const root = tempDir('localprop-queue-');
  const folder = join(root, 'sweep');
  mkdirSync(folder);
  writeFileSync(join(folder, 'train.csv'), CSV);
  writeFileSync(join(root, 'outside.csv'), CSV);
  return { root, folder };
}

async function jobCounts(name: string): Promise<Record<string, number>> {
  const connection = await openQueue(server.url(name));
  try {
    return await connection.queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
  } finally {
    await connection.close();
  }
}

describe('sweep submit', () => {
  it('refuses a spec naming a file outside its folder, in one line, and queues nothing', async () => {
    const { folder } = layout();
    const path = writeSpec(folder, { base: { ...BASE, train: '../outside.csv', test: 'train.csv' }, seeds: [0, 1], records: 'records' });
    const r = await cli('sweep', 'submit', path, '--queue', server.url('outside'));
    expect(r.code, r.stderr).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(`: base "train" names ${join(folder, '..', 'outside.csv')}, outside the spec's folder ${folder}`);
    expect(Object.values(await jobCounts('outside')).every((n) => n === 0)).toBe(true);
    // The same spec with its data in its folder is queued.
    const inside = writeSpec(folder, { base: { ...BASE, train: 'train.csv', test: 'train.csv' }, seeds: [0, 1], records: 'records' }, 'inside.json');
    const ok = await cli('sweep', 'submit', inside, '--queue', server.url('outside'));
    expect(ok.code, ok.stderr).toBe(0);
    expect((await jobCounts('outside')).waiting).toBe(2);
  });

  it('refuses a spec whose jobs would pass the size cap, and queues nothing', async () => {
    const { folder } = layout();
    const path = writeSpec(folder, { base: { ...BASE, dataset: 'spiral', model: `2-8-1${' '.repeat(MAX_JOB_BYTES)}out=sigmoid` }, seeds: [0], records: 'records' });
    const r = await cli('sweep', 'submit', path, '--queue', server.url('big'));
    expect(r.code, r.stderr).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/: one run's job takes 1024 KiB, more than the 1024 KiB a queued job may hold/);
    expect(Object.values(await jobCounts('big')).every((n) => n === 0)).toBe(true);
  });
});

describe('sweep worker', () => {
  it('fails a job written by hand that names files outside its folder, or is too big, at once and without reading the files', async () => {
    const { folder } = layout();
    const specPath = join(folder, 'sweep.json');
    const name = 'by-hand';
    const client = server.client({ maxRetriesPerRequest: null });
    const queue = new Queue(name, { connection: client, prefix: KEY_PREFIX });
    const job = (id: string, spec: unknown) => queue.add(id, { format: JOB_FORMAT, version: 1, spec, specPath, id, label: id }, { jobId: `run-${id}`, attempts: 3 });
    await job('00000000000000aa', { base: { ...BASE, train: '/etc/passwd', test: 'train.csv' }, seeds: [0], records: 'records' });
    await job('00000000000000bb', { base: { ...BASE, dataset: 'spiral' }, seeds: [0], records: '/tmp' });
    await job('00000000000000cc', { base: { ...BASE, dataset: 'spiral', model: `2-8-1${' '.repeat(MAX_JOB_BYTES)}out=sigmoid` }, seeds: [0], records: 'records' });
    await queue.close();
    client.disconnect();

    const events: QueueWorkerEvent[] = [];
    const connection = await openQueue(server.url(name));
    try {
      const summary = await runQueueWorker(connection, { jobs: 1, untilEmpty: true, lostAfter: 2, onEvent: (e) => events.push(e) });
      expect(summary.failed.sort()).toEqual(['00000000000000aa', '00000000000000bb', '00000000000000cc']);
      const failed = Object.fromEntries(events.flatMap((e) => (e.type === 'failed' ? [[e.id, e]] : [])));
      // Each at its first attempt, for good: another would fail the same way.
      for (const e of Object.values(failed)) expect(e.final).toBe(true);
      expect(failed['00000000000000aa'].message).toContain(`base "train" names /etc/passwd, outside the spec's folder ${folder}`);
      expect(failed['00000000000000aa'].message).not.toMatch(/root:/);
      expect(failed['00000000000000bb'].message).toContain(`"records" names /tmp, outside the spec's folder ${folder}`);
      expect(failed['00000000000000cc'].message).toContain('more than the 1024 KiB a queued job may hold');
      const stored = await connection.queue.getJob('run-00000000000000aa');
      expect(stored?.failedReason).toContain('outside the spec\'s folder');
    } finally {
      await connection.close();
    }
  });
});
