import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerImageDatasets } from '../../src/node/image-datasets.js';
import { runSweepLocally, type RunnerEvent } from '../../src/sweep/local-runner.js';
import { planSweep, type PlannedRun } from '../../src/sweep/plan.js';
import { parseSweepSpec } from '../../src/sweep/spec.js';
import { sweepStatus } from '../../src/sweep/status.js';
import { RecordStore, type SweepRecord } from '../../src/sweep/store.js';
import { trainPlannedRun } from '../../src/sweep/train-one.js';
import { cli, tempDir } from '../cli/helpers.js';
import { SMALL_SWEEP, withoutTiming, writeSpec } from './helpers.js';

beforeAll(() => registerImageDatasets());

const ROOT = resolve(import.meta.dirname, '../..');

function load(spec: unknown, dir: string): { path: string; runs: PlannedRun[]; store: RecordStore } {
  const path = writeSpec(dir, spec);
  const parsed = parseSweepSpec(spec, path);
  return { path, runs: planSweep(parsed, path).runs, store: new RecordStore(join(dir, parsed.records)) };
}

const records = (store: RecordStore, runs: PlannedRun[]) => runs.map((r) => store.record(r.id)!);


/** One run long enough to be stopped mid-way: local-gated, whose checkpoint carries its gates' trackers too. */
const LONG = {
  base: { dataset: 'spiral', model: '2-16-16-1', schedule: 'local-gated', epochs: 14, step: 'batch', batchSize: 40, optimizer: 'adam', lr: 0.01 },
  seeds: [2],
  records: 'records',
};

describe('sweep run', () => {
  let oneJob: SweepRecord[];

  beforeAll(async () => {
    const { runs, store } = load(SMALL_SWEEP, tempDir('localprop-sweep-'));
    const summary = await runSweepLocally(runs, store, { jobs: 1 });
    expect(summary.done).toEqual(runs.map((r) => r.id));
    oneJob = records(store, runs);
  });

  it('records every run with its id, configuration, backend, seed, history, final metrics and seconds', () => {
    expect(oneJob).toHaveLength(4);
    for (const r of oneJob) {
      expect(r.format).toBe('localprop-sweep-record');
      expect(r.backend).toBe('wasm');
      expect(r.configuration.run.seed).toBe(r.seed);
      expect(r.history.map((e) => e.epoch)).toEqual([0, 1, 2, 3, 4]);
      expect(r.final.epochs).toBe(4);
      expect(r.final.testAccuracy).toBeGreaterThan(0.4);
      expect(r.seconds).toBeGreaterThan(0);
      expect(r.resumedAt).toEqual([]);
    }
    expect(oneJob.map((r) => `${r.schedule} ${r.seed}`)).toEqual(['backprop 0', 'backprop 1', 'local-parallel 0', 'local-parallel 1']);
  });

  it('gives the same records with 2 jobs as with 1, timing aside', async () => {
    const { runs, store } = load(SMALL_SWEEP, tempDir('localprop-sweep-'));
    const pids = new Set<number>();
    await runSweepLocally(runs, store, { jobs: 2, onEvent: (e) => e.type === 'started' && pids.add(e.pid) });
    expect(pids.size).toBe(2);
    expect(records(store, runs).map(withoutTiming)).toEqual(oneJob.map(withoutTiming));
  });

  it('skips recorded runs on a rerun', async () => {
    const dir = tempDir('localprop-sweep-');
    const { runs, store } = load(SMALL_SWEEP, dir);
    await runSweepLocally(runs.slice(0, 1), store, { jobs: 1 });
    const before = readFileSync(join(store.folder, `${runs[0].id}.json`), 'utf8');
    const summary = await runSweepLocally(runs.slice(0, 2), store, { jobs: 1 });
    expect(summary.skipped).toEqual([runs[0].id]);
    expect(summary.done).toEqual([runs[1].id]);
    expect(readFileSync(join(store.folder, `${runs[0].id}.json`), 'utf8')).toBe(before);
  });

  it('resumes a run whose worker was SIGKILLed from its checkpoint, to the record of a run never stopped', async () => {
    const reference = load(LONG, tempDir('localprop-sweep-'));
    const uninterrupted = await trainPlannedRun(reference.runs[0], reference.store, { checkpointEvery: 3 });
    expect(uninterrupted.status).toBe('done');

    const { runs, store } = load(LONG, tempDir('localprop-sweep-'));
    const events: RunnerEvent[] = [];
    let killed = 0;
    const summary = await runSweepLocally(runs, store, {
      jobs: 1,
      checkpointEvery: 3,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'checkpoint' && killed === 0) {
          killed = e.epoch;
          process.kill(e.pid, 'SIGKILL');
        }
      },
    });
    expect(killed).toBe(3);
    const died = events.filter((e) => e.type === 'worker-died');
    expect(died.map((e) => e.type === 'worker-died' && [e.reason, e.retry])).toEqual([['signal SIGKILL', true]]);
    expect(summary.done).toEqual([runs[0].id]);
    const record = store.record(runs[0].id)!;
    // It may have passed a later checkpoint before the signal landed; it resumed from the last one it wrote.
    expect(record.resumedAt).toHaveLength(1);
    expect(record.resumedAt[0] % 3).toBe(0);
    expect(record.resumedAt[0]).toBeLessThan(14);
    expect(withoutTiming(record)).toEqual(withoutTiming((uninterrupted as { record: SweepRecord }).record));
    expect(readdirSync(store.folder).sort()).toEqual([`${runs[0].id}.json`]);
  });

  it('stops on Ctrl-C at a checkpoint (exit 130), and a rerun continues to the same record', async () => {
    const reference = load(LONG, tempDir('localprop-sweep-'));
    await trainPlannedRun(reference.runs[0], reference.store, {});
    const { path, runs, store } = load(LONG, tempDir('localprop-sweep-'));
    // Its own process group, so the signal reaches the runner and its workers as a terminal's Ctrl-C does.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'sweep', 'run', path, '--jobs', '1', '--checkpoint-every', '100'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const running = join(store.folder, `${runs[0].id}.running.json`);
    // Wait until the run has trained an epoch (its progress file says so), then interrupt.
    const deadline = Date.now() + 50_000;
    while (child.exitCode === null && !(existsSync(running) && JSON.parse(readFileSync(running, 'utf8')).epoch >= 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(child.exitCode, `the sweep ended before it could be interrupted: ${stderr}`).toBeNull();
    process.kill(-child.pid!, 'SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('1 stopped at their checkpoints; run the same command again to continue');
    const stoppedAt = store.checkpoint(runs[0].id)!.epoch;
    expect(stoppedAt).toBeGreaterThanOrEqual(1);
    expect(stoppedAt).toBeLessThan(14);
    expect(sweepStatus(runs, store).runs[0].status).toEqual({ state: 'left', resumesAt: stoppedAt });

    const rerun = await cli('sweep', 'run', path, '--jobs', '1', '--quiet');
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toContain('1 trained, 0 failed, 0 already recorded');
    const record = store.record(runs[0].id)!;
    expect(record.resumedAt).toEqual([stoppedAt]);
    expect(withoutTiming(record)).toEqual(withoutTiming(reference.store.record(runs[0].id)!));
  });

  it('trains local-parallel on a pipeline (workers: 2) to the record of one thread, through a stop and a resume', async () => {
    const base = { dataset: 'spiral', model: '2-16-16-16-1', schedule: 'local-parallel', epochs: 6, step: 'batch', batchSize: 50, optimizer: 'adam', lr: 0.01, evalThread: 'off' };
    const single = load({ base, seeds: [0], records: 'records' }, tempDir('localprop-sweep-'));
    const reference = await trainPlannedRun(single.runs[0], single.store);
    expect(reference.status).toBe('done');
    const piped = load({ base: { ...base, workers: 2 }, seeds: [0], records: 'records' }, tempDir('localprop-sweep-'));
    expect(piped.runs[0].id).toBe(single.runs[0].id);
    let trained = 0;
    let pace: number | undefined;
    const onEpoch = (e: number) => {
      trained = e;
      // The progress file written after epoch 1 says how long that epoch took, for `sweep status`.
      if (e === 2) pace = piped.store.progress(piped.runs[0].id)?.secondsPerEpoch;
    };
    const stopped = await trainPlannedRun(piped.runs[0], piped.store, { checkpointEvery: 2, onEpoch, shouldStop: () => trained >= 3 });
    expect(stopped).toEqual({ status: 'stopped', epoch: 3 });
    expect(Number.isFinite(pace) && pace! > 0).toBe(true);
    const done = await trainPlannedRun(piped.runs[0], piped.store, { checkpointEvery: 2 });
    expect(done.status).toBe('done');
    const record = piped.store.record(piped.runs[0].id)!;
    expect(record.resumedAt).toEqual([3]);
    // The same numbers; only the options it was given say it ran on a pipeline.
    expect(record.options.workers).toBe(2);
    const { options: _piped, ...rest } = record;
    const { options: _single, ...expected } = (reference as { record: SweepRecord }).record;
    expect(withoutTiming(rest as SweepRecord)).toEqual(withoutTiming(expected as SweepRecord));
  });

  it('records a diverging run as failed once, with its message, while the others finish', async () => {
    const spec = { base: { dataset: 'spiral', model: '2-8-1 out=identity loss=mse', schedule: 'backprop', epochs: 3, optimizer: 'sgd' }, grid: { lr: [0.01, 1e6, 0.02] }, seeds: [0], records: 'records' };
    const { path, runs, store } = load(spec, tempDir('localprop-sweep-'));
    const started: string[] = [];
    const summary = await runSweepLocally(runs, store, { jobs: 2, onEvent: (e) => e.type === 'started' && started.push(e.run.id) });
    expect(summary.failed).toEqual([runs[1].id]);
    expect(summary.done.sort()).toEqual([runs[0].id, runs[2].id].sort());
    expect(started.filter((id) => id === runs[1].id)).toHaveLength(1);
    const failure = store.failure(runs[1].id)!;
    expect(failure.message).toMatch(/^backprop \(seed 0\) diverged at epoch 1: .*lower the learning rate \(--lr, now 1000000\)/);
    expect(store.record(runs[1].id)).toBeUndefined();

    // A rerun leaves it failed (the same file) and trains nothing.
    const again = await runSweepLocally(runs, store, { jobs: 1 });
    expect(again.skipped).toHaveLength(3);
    expect(store.failure(runs[1].id)).toEqual(failure);
    const status = await cli('sweep', 'status', path);
    expect(status.stdout).toContain(`${path}: 3 runs: 2 done, 0 running, 0 left, 1 failed`);
    expect(status.stdout).toContain(`failed   ${runs[1].id}  lr=1000000 seed=0  after 0 epochs: backprop (seed 0) diverged at epoch 1`);
  });

  it('makes `sweep run` exit 1 after every other run finished when one failed, saying how many, and again on a rerun that leaves it failed', async () => {
    const spec = { base: { dataset: 'spiral', model: '2-8-1 out=identity loss=mse', schedule: 'backprop', epochs: 2, optimizer: 'sgd', evalThread: 'off' }, grid: { lr: [1e6, 0.01, 0.02] }, seeds: [0], records: 'records' };
    const { path, runs, store } = load(spec, tempDir('localprop-sweep-'));
    const r = await cli('sweep', 'run', path, '--jobs', '1', '--quiet');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe(`${path}: 2 trained, 1 failed, 0 already recorded; see \`localprop sweep status\` for the failures\n`);
    expect(r.stderr).toBe(`localprop: 1 run of 3 failed, the others finished; \`localprop sweep status ${path}\` shows why, and \`sweep run --retry-failed\` trains it again\n`);
    // The failing run came first: the two after it finished all the same.
    expect(runs.map((run) => [store.record(run.id) !== undefined, store.failure(run.id) !== undefined])).toEqual([[false, true], [true, false], [true, false]]);
    const again = await cli('sweep', 'run', path, '--jobs', '1', '--quiet');
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('0 trained, 0 failed, 3 already recorded');
    expect(again.stderr).toContain('localprop: 1 run of 3 failed before (left so), the others finished;');
  });
});
