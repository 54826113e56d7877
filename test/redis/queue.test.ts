import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerImageDatasets } from '../../src/node/image-datasets.js';
import { runSweepLocally } from '../../src/sweep/local-runner.js';
import { planSweep, type PlannedRun } from '../../src/sweep/plan.js';
import { sweepKey } from '../../src/sweep/queue/destination.js';
import { JOB_FORMAT, jobIdOf } from '../../src/sweep/queue/job.js';
import { openQueue } from '../../src/sweep/queue/queue.js';
import { runQueueWorker } from '../../src/sweep/queue/worker.js';
import { LocalpropError } from '../../src/util/errors.js';
import { processAlive } from '../../src/util/process.js';
import type { QueueProgress } from '../../src/sweep/queue/progress.js';
import { KEY_PREFIX, PASSWORD_VARIABLE } from '../../src/sweep/queue/settings.js';
import { parseSweepSpec } from '../../src/sweep/spec.js';
import { RecordStore, type SweepRecord } from '../../src/sweep/store.js';
import { trainPlannedRun } from '../../src/sweep/train-one.js';
import { cli, tempDir } from '../cli/helpers.js';
import { SMALL_SWEEP, withoutTiming, writeSpec } from '../sweep/helpers.js';
import { RedisServer, selfSignedCertificate, startCli, until, type CliProcess } from './server.js';

let server: RedisServer;
const env = () => ({ [PASSWORD_VARIABLE]: server.password });

beforeAll(async () => {
  registerImageDatasets();
  server = await RedisServer.start(tempDir('localprop-redis-'));
  process.env[PASSWORD_VARIABLE] = server.password;
});

afterAll(async () => {
  delete process.env[PASSWORD_VARIABLE];
  await server?.stop();
});

function load(spec: unknown, dir: string): { path: string; runs: PlannedRun[] } {
  const path = writeSpec(dir, spec);
  return { path, runs: planSweep(parseSweepSpec(spec, path), path).runs };
}

/** A queue worker process that leaves once nothing is queued or training; a lost worker is noticed after 2 s. */
const worker = (url: string, ...more: string[]) => startCli(['sweep', 'worker', '--queue', url, '--until-empty', '--lost-after', '2', ...more], env());

/** The same worker, its training folders in `tmp` (TMPDIR). */
const workerIn = (tmp: string, url: string, ...more: string[]) => startCli(['sweep', 'worker', '--queue', url, '--until-empty', '--lost-after', '2', ...more], { ...env(), TMPDIR: tmp });

async function finished(p: CliProcess): Promise<void> {
  const code = await p.exited;
  expect(code, p.stderr()).toBe(0);
}

/** What the queue keeps of run `id` while it trains: its worker and last checkpoint. */
async function progressOf(id: string, queue: string): Promise<QueueProgress | undefined> {
  const client = server.client();
  try {
    const text = await client.get(sweepKey(queue, 'progress', id));
    return text === null ? undefined : (JSON.parse(text) as QueueProgress);
  } finally {
    client.disconnect();
  }
}

async function redisRecord(id: string, queue: string): Promise<SweepRecord | undefined> {
  const client = server.client();
  try {
    const text = await client.get(sweepKey(queue, 'record', id));
    return text === null ? undefined : (JSON.parse(text) as SweepRecord);
  } finally {
    client.disconnect();
  }
}


/**
 * One run long enough to be stopped mid-way, its records and checkpoints in
 * Redis: 160 epochs, about 5 s on an idle 2-core machine, so the signal a
 * test sends after epoch 2 lands well before the end even there (40 epochs
 * once finished before a Ctrl-C took effect).
 */
const LONG = {
  base: { dataset: 'spiral', model: '2-16-16-1', schedule: 'local-gated', epochs: 160, step: 'batch', batchSize: 40, optimizer: 'adam', lr: 0.01 },
  seeds: [2],
  records: 'redis:',
};

describe('sweeps on a Redis queue', () => {
  it('trains every run of a sweep on two worker processes to the records of `sweep run`, timing aside', async () => {
    const reference = load(SMALL_SWEEP, tempDir('localprop-queue-'));
    const store = new RecordStore(join(tempDir('localprop-queue-'), 'records'));
    await runSweepLocally(reference.runs, store, { jobs: 1 });

    const { path, runs } = load(SMALL_SWEEP, tempDir('localprop-queue-'));
    const url = server.url('small');
    const submitted = await cli('sweep', 'submit', path, '--queue', url);
    expect(submitted.code, submitted.stderr).toBe(0);
    expect(submitted.stdout).toBe(`${path}: 4 runs on ${url}: 4 queued, 0 in the queue already, 0 recorded already\n`);
    const workers = [worker(url), worker(url)];
    await Promise.all(workers.map(finished));

    const folder = new RecordStore(join(path, '..', 'records'));
    expect(runs.map((r) => withoutTiming(folder.record(r.id)!))).toEqual(reference.runs.map((r) => withoutTiming(store.record(r.id)!)));
    // Both took part: each says which runs it trained.
    const trained = workers.map((w) => (w.stderr().match(/: done, test accuracy/g) ?? []).length);
    expect(trained.reduce((a, b) => a + b)).toBe(4);
    expect(Math.min(...trained), workers.map((w) => w.stderr()).join('\n')).toBeGreaterThan(0);

    const status = await cli('sweep', 'status', path, '--queue', url, '--json');
    const parsed = JSON.parse(status.stdout) as { counts: Record<string, number>; runs: { id: string; state: string; worker: string }[] };
    expect(parsed.counts).toEqual({ queued: 0, running: 0, done: 4, failed: 0 });
    expect(new Set(parsed.runs.map((r) => r.worker)).size).toBe(2);
    // A second submit queues nothing: every run is recorded.
    const again = await cli('sweep', 'submit', path, '--queue', url);
    expect(again.stdout).toContain('0 queued, 0 in the queue already, 4 recorded already');
  });

  it('resumes a run whose worker was SIGKILLed on the other worker, from its checkpoint in Redis, to the record of a run never stopped', async () => {
    const reference = load({ ...LONG, records: 'records' }, tempDir('localprop-queue-'));
    const uninterrupted = await trainPlannedRun(reference.runs[0], new RecordStore(join(tempDir('localprop-queue-'), 'records')), {});
    expect(uninterrupted.status).toBe('done');

    const { path, runs } = load(LONG, tempDir('localprop-queue-'));
    const id = runs[0].id;
    const url = server.url('killed');
    expect((await cli('sweep', 'submit', path, '--queue', url)).code).toBe(0);
    const tmp = tempDir('localprop-tmp-');
    const workers = [workerIn(tmp, url, '--checkpoint-every', '3'), workerIn(tmp, url, '--checkpoint-every', '3')];
    await until(async () => ((await progressOf(id, 'killed'))?.checkpointEpoch ?? 0) >= 3, 'the run has a checkpoint in Redis');
    const training = (await progressOf(id, 'killed'))!;
    const victim = workers.find((w) => training.worker.includes(`pid ${w.child.pid} `))!;
    victim.child.kill('SIGKILL');
    const survivor = workers.find((w) => w !== victim)!;
    await finished(survivor);
    expect(survivor.stderr()).toMatch(new RegExp(`${id} seed=2: started from its checkpoint at epoch \\d+`));

    // The killed worker's training folder stayed behind; the next worker started here removes it once its training process has gone.
    const left = readdirSync(tmp).filter((f) => f.startsWith(`localprop-queue-${id}-`));
    expect(left).toHaveLength(1);
    const trainer = (JSON.parse(readFileSync(join(tmp, left[0], `${id}.running.json`), 'utf8')) as { pid: number }).pid;
    await until(() => !processAlive(trainer), "the killed worker's training process has exited");
    const next = workerIn(tmp, url);
    await finished(next);
    expect(next.stderr()).toContain(`removed 1 training folder that stopped workers had left (${join(tmp, left[0])})`);
    expect(readdirSync(tmp).filter((f) => f.startsWith('localprop-queue-'))).toEqual([]);

    const record = (await redisRecord(id, 'killed'))!;
    expect(record.resumedAt).toHaveLength(1);
    expect(record.resumedAt[0] % 3).toBe(0);
    expect(record.resumedAt[0]).toBeGreaterThanOrEqual(3);
    expect(withoutTiming(record)).toEqual(withoutTiming((uninterrupted as { record: SweepRecord }).record));
    const client = server.client();
    expect(await client.exists(sweepKey('killed', 'checkpoint', id))).toBe(0);
    // The password is in no value the queue keeps.
    const keys = await client.keys(`${KEY_PREFIX}:killed:*`);
    for (const key of keys) if ((await client.type(key)) === 'string') expect(await client.get(key)).not.toContain(server.password);
    client.disconnect();

    // Gathered into a folder, they report as any sweep's records.
    const into = tempDir('localprop-queue-');
    const collected = await cli('sweep', 'collect', into, '--queue', url);
    expect(collected.stdout).toContain(`1 records and 0 failures from ${url} into ${into}`);
    expect(readdirSync(into)).toEqual([`${id}.json`]);
    const report = await cli('sweep', 'report', path, '--records', into);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain('1 of 1 runs recorded');
    expect(readFileSync(join(into, 'report.md'), 'utf8')).toBe(report.stdout);
  });

  it('keeps one record when a worker thought lost finishes the run another worker finished too', async () => {
    const reference = load({ ...LONG, records: 'records' }, tempDir('localprop-queue-'));
    const uninterrupted = await trainPlannedRun(reference.runs[0], new RecordStore(join(tempDir('localprop-queue-'), 'records')), {});
    const { path, runs } = load(LONG, tempDir('localprop-queue-'));
    const id = runs[0].id;
    const url = server.url('paused');
    await cli('sweep', 'submit', path, '--queue', url);
    const first = worker(url, '--checkpoint-every', '3');
    await until(async () => ((await progressOf(id, 'paused'))?.checkpointEpoch ?? 0) >= 3, 'the run has a checkpoint in Redis');
    // Paused, it sends no heartbeat; its training process goes on and finishes meanwhile.
    first.child.kill('SIGSTOP');
    const second = worker(url, '--checkpoint-every', '3');
    await finished(second);
    const kept = (await redisRecord(id, 'paused'))!;
    first.child.kill('SIGCONT');
    await finished(first);
    expect(first.stderr()).toContain('another worker had recorded it first: its record stays');
    expect(await redisRecord(id, 'paused')).toEqual(kept);
    expect(withoutTiming(kept)).toEqual(withoutTiming((uninterrupted as { record: SweepRecord }).record));
  });

  it('puts a run back into the queue at its checkpoint on Ctrl-C (exit 130), where the next worker resumes it to the same record', async () => {
    const reference = load({ ...LONG, records: 'records' }, tempDir('localprop-queue-'));
    const uninterrupted = await trainPlannedRun(reference.runs[0], new RecordStore(join(tempDir('localprop-queue-'), 'records')), {});
    const { path, runs } = load(LONG, tempDir('localprop-queue-'));
    const id = runs[0].id;
    const url = server.url('interrupted');
    await cli('sweep', 'submit', path, '--queue', url);
    const first = worker(url);
    await until(async () => ((await progressOf(id, 'interrupted'))?.epoch ?? 0) >= 2, 'the run has trained two epochs');
    // The worker posts the run's pace with its epochs, for `sweep status --queue`.
    expect((await progressOf(id, 'interrupted'))?.secondsPerEpoch).toBeGreaterThan(0);
    first.child.kill('SIGINT');
    expect(await first.exited, first.stderr()).toBe(130);
    expect(first.stderr()).toMatch(/worker stopped: 0 trained, 0 failed, 1 back in the queue at their checkpoints/);
    const stoppedAt = (await progressOf(id, 'interrupted'))!.checkpointEpoch!;
    expect(stoppedAt).toBeGreaterThanOrEqual(2);
    const status = await cli('sweep', 'status', '--queue', url);
    expect(status.stdout).toContain(`queued   ${id}  seed=2  resumes from its checkpoint at epoch ${stoppedAt}`);
    const second = worker(url);
    await finished(second);
    expect(second.stderr()).toContain(`started from its checkpoint at epoch ${stoppedAt}`);
    const record = (await redisRecord(id, 'interrupted'))!;
    expect(record.resumedAt).toEqual([stoppedAt]);
    expect(withoutTiming(record)).toEqual(withoutTiming((uninterrupted as { record: SweepRecord }).record));
  });

  it('marks a failing run failed with its message after its attempts, fails a job asking for code at once, and the others finish', async () => {
    const spec = { base: { dataset: 'spiral', model: '2-8-1 out=identity loss=mse', schedule: 'backprop', epochs: 3, optimizer: 'sgd', evalThread: 'off' }, grid: { lr: [0.01, 1e6] }, seeds: [0], records: 'records' };
    const { path, runs } = load(spec, tempDir('localprop-queue-'));
    const url = server.url('failing');
    expect((await cli('sweep', 'submit', path, '--queue', url, '--attempts', '2')).code).toBe(0);
    // A job written by hand, not by `sweep submit`: its spec asks the worker to load a module.
    const client = server.client({ maxRetriesPerRequest: null });
    const queue = new Queue('failing', { connection: client, prefix: KEY_PREFIX });
    await queue.add('import', { format: JOB_FORMAT, version: 1, spec: { ...spec, base: { ...spec.base, import: '/tmp/evil.js' } }, specPath: path, id: '0123456789abcdef', label: 'import' }, { jobId: 'run-0123456789abcdef', attempts: 3 });
    await queue.close();
    client.disconnect();

    const w = worker(url);
    await finished(w);
    expect(w.stderr()).toContain(`${runs[1].id} lr=1000000 seed=0: failed: backprop (seed 0) diverged at epoch 1`);
    expect(w.stderr().match(/it will be tried again/g)).toHaveLength(1);
    const status = await cli('sweep', 'status', '--queue', url);
    expect(status.stdout).toContain(`${url}: 3 runs: 0 queued, 0 running, 1 done, 2 failed`);
    expect(status.stdout).toMatch(new RegExp(`failed   ${runs[1].id}  lr=1000000 seed=0  after 2 attempts: backprop \\(seed 0\\) diverged at epoch 1: .*lower the learning rate`));
    expect(status.stdout).toContain('failed   0123456789abcdef  import  after 1 attempt: the spec of queued run 0123456789abcdef');
    expect(status.stdout).toContain('base "import" cannot be set in a sweep spec');
    // The spec's folder keeps the failure as `sweep run` does, so a local rerun leaves it failed too.
    const failure = new RecordStore(join(path, '..', 'records')).failure(runs[1].id)!;
    expect(failure.message).toMatch(/diverged at epoch 1: .* \(2 attempts\)$/);
  });

  it('loses no finished record and no queued run when Redis restarts mid-sweep', async () => {
    const spec = { base: { dataset: 'spiral', model: '2-16-16-1', schedule: 'local-parallel', epochs: 40, step: 'batch', batchSize: 40, optimizer: 'adam', lr: 0.01 }, seeds: [0, 1, 2, 3], records: 'redis:' };
    const { path, runs } = load(spec, tempDir('localprop-queue-'));
    const referenceStore = new RecordStore(join(tempDir('localprop-queue-'), 'records'));
    const reference = load({ ...spec, records: 'records' }, tempDir('localprop-queue-'));
    for (const r of reference.runs) expect((await trainPlannedRun(r, referenceStore, {})).status).toBe('done');

    const url = server.url('restart');
    await cli('sweep', 'submit', path, '--queue', url);
    const w = worker(url, '--checkpoint-every', '2');
    await until(async () => (await redisRecord(runs[0].id, 'restart')) !== undefined, 'the first run is recorded');
    const first = await redisRecord(runs[0].id, 'restart');
    const recordedBefore = (await Promise.all(runs.map((r) => redisRecord(r.id, 'restart')))).filter(Boolean).length;
    expect(recordedBefore, 'the sweep ended before Redis could be restarted mid-way').toBeLessThan(runs.length);
    await server.stop();
    await new Promise((r) => setTimeout(r, 1000));
    await server.restart();
    expect(await redisRecord(runs[0].id, 'restart')).toEqual(first);
    await finished(w);
    for (const [k, r] of runs.entries()) expect(withoutTiming((await redisRecord(r.id, 'restart'))!)).toEqual(withoutTiming(referenceStore.record(reference.runs[k].id)!));
    const status = await cli('sweep', 'status', '--queue', url);
    expect(status.stdout).toContain(`${url}: 4 runs: 0 queued, 0 running, 4 done, 0 failed`);
  });

  it('gives one clear line (exit 2) for a wrong or missing password, naming the variable and never the password', async () => {
    const url = server.url('small');
    process.env[PASSWORD_VARIABLE] = 'not-the-password';
    try {
      const wrong = await cli('sweep', 'status', '--queue', url);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toBe(`localprop: the Redis at ${url} refused the password in ${PASSWORD_VARIABLE} (WRONGPASS); set it to the server's password (requirepass), or the user's when the URL names one\n`);
      delete process.env[PASSWORD_VARIABLE];
      const missing = await cli('sweep', 'worker', '--queue', url);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toBe(`localprop: the Redis at ${url} needs a password (NOAUTH); set ${PASSWORD_VARIABLE} to it\n`);
    } finally {
      process.env[PASSWORD_VARIABLE] = server.password;
    }
  });

  it('speaks TLS where the URL says rediss://, checking the certificate, and says so when the URL and the server disagree', async () => {
    const dir = tempDir('localprop-redis-tls-');
    const tls = selfSignedCertificate(dir);
    const secure = await RedisServer.start(dir, 'tls-password', tls);
    try {
      const status = (url: string, extra: NodeJS.ProcessEnv = {}) => {
        const p = startCli(['sweep', 'status', '--queue', url], { [PASSWORD_VARIABLE]: 'tls-password', ...extra });
        return p.exited.then((code) => ({ code, stdout: p.stdout(), stderr: p.stderr() }));
      };
      const trusted = await status(`rediss://localhost:${secure.port}/tls`, { NODE_EXTRA_CA_CERTS: tls.cert });
      expect(trusted, trusted.stderr).toMatchObject({ code: 0, stdout: `rediss://localhost:${secure.port}/tls: 0 runs: 0 queued, 0 running, 0 done, 0 failed\n` });
      const untrusted = await status(`rediss://localhost:${secure.port}/tls`);
      expect(untrusted.code).toBe(2);
      expect(untrusted.stderr).toMatch(new RegExp(`^localprop: the Redis at rediss://localhost:${secure.port}/tls: TLS failed \\(self[- ]signed certificate\\); .*NODE_EXTRA_CA_CERTS`));
      const plain = await status(`redis://localhost:${secure.port}/tls`);
      expect(plain.code).toBe(2);
      expect(plain.stderr).toBe(`localprop: the Redis at redis://localhost:${secure.port}/tls closed the connection; if it speaks TLS, use rediss://\n`);
      const wrongWay = await status(`rediss://localhost:${server.port}/tls`, { NODE_EXTRA_CA_CERTS: tls.cert });
      expect(wrongWay.code).toBe(2);
      expect(wrongWay.stderr).toBe(`localprop: the Redis at rediss://localhost:${server.port}/tls did not answer in time; check the address, the port and any firewall, and that the server speaks TLS (rediss://)\n`);
    } finally {
      await secure.stop();
    }
  });

  it('refuses --import on a worker, and more jobs than cores, before it takes anything', async () => {
    const url = server.url('refusals');
    const imported = await cli('sweep', 'worker', '--queue', url, '--import', 'rule.js');
    expect(imported.code).toBe(2);
    expect(imported.stderr).toMatch(/^localprop: a queue worker never loads code \(--import\): it trains only what a sweep spec can say/);
    const many = await cli('sweep', 'worker', '--queue', url, '--jobs', '4096');
    expect(many.code).toBe(2);
    expect(many.stderr).toMatch(/^localprop: --jobs 4096 is more than this machine's \d+ cores; give --jobs ≤ \d+\n$/);
  });

  it('stops a worker whose --jobs would share out more threads than cores, leaving the run queued for others', async () => {
    const { path, runs } = load({ ...SMALL_SWEEP, grid: undefined, base: { ...SMALL_SWEEP.base, schedule: 'backprop' }, seeds: [0] }, tempDir('localprop-queue-'));
    const url = server.url('cores');
    await cli('sweep', 'submit', path, '--queue', url);
    const connection = await openQueue(url);
    try {
      // Two jobs of a run with its training and evaluation threads on 2 cores: 4 threads.
      await expect(runQueueWorker(connection, { jobs: 2, cores: 2, untilEmpty: true })).rejects.toThrow(
        new LocalpropError(`run ${runs[0].id} (seed=0) keeps 2 threads busy, so --jobs 2 would need 4 of this machine's 2 cores; start this worker with --jobs 1 (its runs went back into the queue)`),
      );
      expect(await (await connection.queue.getJob(jobIdOf(runs[0].id)))!.getState()).toBe('waiting');
    } finally {
      await connection.close();
    }
  });
});
