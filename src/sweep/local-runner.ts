import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { LocalpropError } from '../util/errors.js';
import { pipelined } from './configuration.js';
import type { PlannedRun } from './plan.js';
import type { RecordStore } from './store.js';
import type { FromWorker, ToWorker, WorkerSettings } from './worker-messages.js';

/** How `sweep run` runs: how many worker processes, how runs checkpoint, and who listens. */
export interface LocalRunOptions extends WorkerSettings {
  jobs: number;
  /** Train the runs recorded as failed again (by default a rerun leaves them failed). */
  retryFailed?: boolean;
  /** Polled a few times a second: true stops every worker at its next epoch, checkpointed. */
  shouldStop?: () => boolean;
  /** Everything the workers report, with the process that reported it. */
  onEvent?: (event: RunnerEvent) => void;
}

export type RunnerEvent =
  | { type: 'started'; run: PlannedRun; pid: number }
  | (Extract<FromWorker, { type: 'epoch' | 'checkpoint' | 'outcome' }> & { run: PlannedRun; pid: number })
  | { type: 'worker-died'; run: PlannedRun; pid: number; reason: string; retry: boolean };

/** What a `sweep run` did: ids by what became of them. */
export interface LocalRunSummary {
  done: string[];
  failed: string[];
  /** Stopped by a stop request, checkpointed, to resume on the next run. */
  stopped: string[];
  /** Already recorded (done, or failed without --retry-failed): not trained. */
  skipped: string[];
  /** Claimed by another runner sharing the records folder (see claimRun): not trained here. */
  claimed: { id: string; owner: string }[];
}

/** Threads one run keeps busy: its training thread (or its pipeline's `workers`) and, unless `evalThread` is off, the evaluation thread. */
export function threadsPerRun(run: PlannedRun): number {
  const training = pipelined(run.options) ? (run.options.workers as number) : 1;
  return training + (run.options.evalThread === 'off' ? 0 : 1);
}

/** As many jobs as the cores allow, given each run's own threads (jobs × threads ≤ cores), at least one. */
export function defaultJobs(runs: PlannedRun[], cores = availableParallelism()): number {
  const threads = Math.max(1, ...runs.map(threadsPerRun));
  return Math.max(1, Math.floor(cores / threads));
}

/** A worker process that died mid-run gets its run again once (from its checkpoint); a second death fails it. */
const DEATHS_ALLOWED = 1;

/**
 * Trains the runs of `runs` that `store` holds no record of, on `jobs`
 * child processes each training one run at a time. Every run resumes from
 * its checkpoint when it has one. A run that fails is recorded failed and
 * the others go on; a worker that dies (killed, out of memory) is replaced
 * and its run continues from its checkpoint.
 */
export async function runSweepLocally(runs: PlannedRun[], store: RecordStore, options: LocalRunOptions): Promise<LocalRunSummary> {
  const summary: LocalRunSummary = { done: [], failed: [], stopped: [], skipped: [], claimed: [] };
  const queue: PlannedRun[] = [];
  for (const run of runs) {
    if (store.record(run.id) || (store.failure(run.id) && !options.retryFailed)) summary.skipped.push(run.id);
    else queue.push(run);
  }
  if (queue.length === 0) return summary;
  const settings: WorkerSettings = { checkpointEvery: options.checkpointEvery, checkpointSeconds: options.checkpointSeconds };
  const deaths = new Map<string, number>();
  const workers = new Set<ChildProcess>();
  let stopping = false;
  let startFailures = 0;

  await new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      if (stopping || !options.shouldStop?.()) return;
      stopping = true;
      for (const w of workers) if (w.connected) w.send({ type: 'stop' } satisfies ToWorker);
    }, 100);
    const finished = () => {
      if (workers.size > 0) return;
      clearInterval(poll);
      resolve();
    };

    const start = () => {
      const worker = spawnWorker();
      workers.add(worker);
      let current: PlannedRun | null = null;
      let ready = false;
      const next = () => {
        current = stopping ? null : (queue.shift() ?? null);
        if (!current) {
          worker.send({ type: 'exit' } satisfies ToWorker);
          return;
        }
        if (options.retryFailed) store.clearFailure(current.id);
        worker.send({ type: 'run', run: current, records: store.folder, settings } satisfies ToWorker);
        options.onEvent?.({ type: 'started', run: current, pid: worker.pid! });
      };
      // A message to a worker that has just died fails here; its 'exit' below decides what becomes of its run.
      worker.on('error', () => undefined);
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          ready = true;
          return next();
        }
        if (!current) return;
        options.onEvent?.({ ...message, run: current, pid: worker.pid! });
        if (message.type !== 'outcome') return;
        if (message.status === 'claimed') summary.claimed.push({ id: current.id, owner: message.message! });
        else summary[message.status === 'done' ? 'done' : message.status === 'failed' ? 'failed' : 'stopped'].push(current.id);
        next();
      });
      worker.on('exit', (code, signal) => {
        workers.delete(worker);
        const lost = current;
        current = null;
        if (lost) {
          const died = (deaths.get(lost.id) ?? 0) + 1;
          deaths.set(lost.id, died);
          const reason = signal ? `signal ${signal}` : `exit code ${code}`;
          const retry = !stopping && died <= DEATHS_ALLOWED;
          options.onEvent?.({ type: 'worker-died', run: lost, pid: worker.pid!, reason, retry });
          if (retry) queue.unshift(lost);
          else if (stopping) summary.stopped.push(lost.id);
          else {
            const progress = store.progress(lost.id);
            store.writeFailure({ id: lost.id, label: lost.label, message: `its worker process died ${died} times (the last by ${reason}); a run that takes more memory than the machine has is killed this way`, epoch: progress?.epoch ?? 0, at: new Date().toISOString() });
            store.clearProgress(lost.id);
            summary.failed.push(lost.id);
          }
        }
        if (!ready && ++startFailures >= 2) {
          // A process that cannot start once will not start the next time either: stop instead of forking forever.
          stopping = true;
          clearInterval(poll);
          for (const w of workers) if (w.connected) w.send({ type: 'stop' } satisfies ToWorker);
          reject(new LocalpropError(`sweep worker processes exit before they start (${signal ? `signal ${signal}` : `exit code ${code}`}); their error is printed above`));
          return;
        }
        if (!stopping && queue.length > 0 && workers.size < options.jobs) start();
        finished();
      });
    };
    for (let i = 0; i < Math.min(options.jobs, queue.length); i++) start();
  });
  return summary;
}

/**
 * Forks the sweep worker entry (one training process, also a queue worker's): the compiled one, or under tsx (tests, `npx tsx`)
 * the TypeScript one with tsx's loader, which a child does not inherit.
 */
export function spawnWorker(): ChildProcess {
  const typescript = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(new URL(typescript ? './worker-process.ts' : './worker-process.js', import.meta.url));
  return fork(entry, [], { execArgv: typescript ? ['--import', 'tsx'] : [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced' });
}
