import { DelayedError, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { LocalpropError, check } from '../../util/errors.js';
import { threadsPerRun } from '../local-runner.js';
import { RecordStore } from '../store.js';
import type { FromWorker, ToWorker, WorkerSettings } from '../worker-messages.js';
import { FolderDestination, type SweepDestination } from './destination.js';
import { claimOwner, claimRun, describeOwner, type RunClaim } from '../claim.js';
import { planJob, type JobRun, type SweepJobData } from './job.js';
import { ProgressBoard } from './progress.js';
import { EpochPace } from '../epoch-pace.js';
import { makeQueueFolder, removeStaleQueueFolders } from './scratch-folders.js';
import { destinationOf, type QueueConnection } from './queue.js';
import { DEFAULT_LOST_AFTER, KEY_PREFIX, LOST_WORKERS_ALLOWED } from './settings.js';
import { TrainerPool } from './trainer-pool.js';

/** How a queue worker runs. */
export interface QueueWorkerOptions extends WorkerSettings {
  /** Runs trained at once, each in its own process. */
  jobs: number;
  /**
   * Seconds without a heartbeat after which another worker takes a run
   * back to the queue (BullMQ's lock duration and stalled-check interval;
   * default 30). A lost worker's run resumes within about twice this.
   */
  lostAfter?: number;
  /** Leave once the queue has nothing waiting or training. */
  untilEmpty?: boolean;
  /** Polled a few times a second: true stops every run at its next epoch, checkpointed, back into the queue. */
  shouldStop?: () => boolean;
  onEvent?: (event: QueueWorkerEvent) => void;
  /** The cores of this machine (jobs × threads per run may not exceed them). */
  cores?: number;
}

export type QueueWorkerEvent =
  | { type: 'started'; id: string; label: string; resumesAt: number | null }
  | { type: 'done'; id: string; label: string; testAccuracy: number; seconds: number; kept: boolean }
  | { type: 'failed'; id: string; label: string; message: string; final: boolean }
  | { type: 'returned'; id: string; label: string; epoch: number }
  /** The run is claimed in its records folder by another runner (a `sweep run`, an `experiment`): delayed, not trained here. */
  | { type: 'claimed'; id: string; label: string; owner: string }
  /** Training folders that workers killed past their cleanup had left in the temporary folder, removed as this one started. */
  | { type: 'cleaned'; folders: string[] }
  /** An error of the queue's connection or of BullMQ's bookkeeping (a lost lock): the worker goes on. */
  | { type: 'queue-error'; message: string };

/** What a worker did before it left. */
export interface QueueWorkerSummary {
  done: string[];
  failed: string[];
  /** Stopped at a checkpoint and put back into the queue. */
  returned: string[];
}

/** A run's own failure, with the epochs it finished. */
class RunFailed extends Error {
  constructor(
    message: string,
    readonly epoch: number,
  ) {
    super(message);
  }
}

/** What a job's processor returns into BullMQ's completed job: what status prints. */
export interface JobResult {
  worker: string;
  testAccuracy: number;
  seconds: number;
  /** False when another worker had recorded the run first (its record stays). */
  kept: boolean;
}

const PROGRESS_SECONDS = 1;
/** How long a job whose run another runner holds waits before a worker looks again. */
const CLAIMED_RETRY_MS = 60_000;

/**
 * Takes runs from the queue, `jobs` at a time, and trains each in a
 * training process from its last checkpoint in the spec's store,
 * checkpointing into it as it goes, until stopped (or, with `untilEmpty`,
 * until nothing is left). A run that fails is retried as its job says and
 * then recorded failed; a job that cannot be what a spec asks (unknown
 * keys, `import`, options the option table refuses) fails at once.
 */
export async function runQueueWorker(connection: QueueConnection, options: QueueWorkerOptions): Promise<QueueWorkerSummary> {
  const cores = options.cores ?? availableParallelism();
  check(options.jobs <= cores, `--jobs ${options.jobs} is more than this machine's ${cores} cores; give --jobs ≤ ${cores}`);
  const lostAfter = options.lostAfter ?? DEFAULT_LOST_AFTER;
  const name = `${hostname()} pid ${process.pid}`;
  const summary: QueueWorkerSummary = { done: [], failed: [], returned: [] };
  const pool = new TrainerPool();
  const board = new ProgressBoard(connection.redis, connection.address.name);
  const plans = new Map<string, JobRun[]>();
  let stopping = false;
  // Set when a run needs more threads than --jobs leaves it: the worker stops and says so.
  let refusedJobs: LocalpropError | undefined;
  // Runs this worker is training, as it sees them: one whose job another worker took over (its lock lost) is still one, to its end.
  let busy = 0;
  const emit = (e: QueueWorkerEvent) => options.onEvent?.(e);
  const cleaned = removeStaleQueueFolders();
  if (cleaned.length > 0) emit({ type: 'cleaned', folders: cleaned });

  const processor = async (job: Job<SweepJobData>, token?: string): Promise<JobResult> => {
    let planned: JobRun | undefined;
    let destination: SweepDestination | undefined;
    try {
      try {
        planned = planJob(job.data, plans);
      } catch (e) {
        // A spec that does not plan here will not plan on the next attempt either.
        throw new UnrecoverableError(e instanceof LocalpropError ? e.message : `internal error, please report it: ${(e as Error).message}`);
      }
      const { run } = planned;
      const threads = threadsPerRun(run);
      // One run at a time is always allowed (as `sweep run` allows it); more may not share out more threads than there are cores.
      if (options.jobs > 1 && options.jobs * threads > cores) {
        // Not the run's fault: it goes back for other workers, and this one stops with what to do.
        await job.moveToWait(token).catch(() => undefined);
        refusedJobs ??= new LocalpropError(`run ${run.id} (${run.label}) keeps ${threads} threads busy, so --jobs ${options.jobs} would need ${options.jobs * threads} of this machine's ${cores} cores; start this worker with --jobs ${Math.max(1, Math.floor(cores / threads))} (its runs went back into the queue)`);
        stopping = true;
        pool.stopAll();
        throw new WaitingError();
      }
      destination = destinationOf(planned.spec, planned.specPath, connection);
      const recorded = await destination.record(run.id);
      if (recorded) return { worker: name, testAccuracy: recorded.final.testAccuracy, seconds: recorded.seconds, kept: false };
      // Records in a folder that a `sweep run` or `experiment` may share: claimed there too, so no two train the run.
      let claim: RunClaim | null | undefined;
      if (destination instanceof FolderDestination) {
        const records = destination.store.folder;
        claim = await claimRun(records, run.id);
        if (!claim) {
          emit({ type: 'claimed', id: run.id, label: run.label, owner: describeOwner(claimOwner(records, run.id)) });
          // Back in a minute, for whichever worker is free then: by then its owner may have recorded it (done) or died (its claim taken over).
          await job.moveToDelayed(Date.now() + CLAIMED_RETRY_MS, token);
          throw new DelayedError();
        }
      }
      const folder = makeQueueFolder(run.id);
      let child: ChildProcess | undefined;
      busy++;
      try {
        child = await pool.take();
        return await trainJob(job, token, planned, destination, new RecordStore(folder), child);
      } finally {
        busy--;
        if (child) pool.release(child);
        rmSync(folder, { recursive: true, force: true });
        await claim?.release();
      }
    } catch (e) {
      if (e instanceof WaitingError || e instanceof DelayedError) throw e;
      return await failed(job, planned, destination, e as Error);
    }
  };

  const trainJob = async (job: Job<SweepJobData>, token: string | undefined, { run }: JobRun, destination: SweepDestination, local: RecordStore, child: ChildProcess): Promise<JobResult> => {
    const { id, label } = run;
    const checkpoint = await destination.checkpoint(id);
    const earlier = checkpoint ? ((await board.get(id))?.resumedAt ?? []) : [];
    if (checkpoint) local.writeCheckpointBytes(id, checkpoint);
    const resumesAt = checkpoint ? local.checkpoint(id)!.epoch : null;
    // The resumes before this one, so the record lists every one of them, whichever worker made it.
    local.writeProgress({ id, pid: child.pid!, epoch: resumesAt ?? 0, epochs: 0, checkpointEpoch: resumesAt, resumedAt: earlier, updatedAt: new Date().toISOString() });
    const progress = { id, worker: `${name} (training process ${child.pid})`, epoch: resumesAt ?? 0, epochs: 0, checkpointEpoch: resumesAt, resumedAt: resumesAt === null ? earlier : [...earlier, resumesAt], updatedAt: '' };
    const pace = new EpochPace();
    pace.start();
    const post = () => {
      const secondsPerEpoch = pace.seconds();
      return board.set({ ...progress, updatedAt: new Date().toISOString(), ...(secondsPerEpoch !== undefined ? { secondsPerEpoch } : {}) });
    };
    await post();
    emit({ type: 'started', id, label, resumesAt });

    // Checkpoint uploads in order, each after the file is written; a refused one (too big for Redis) stops the run.
    let uploads: Promise<void> = Promise.resolve();
    let refusal: Error | undefined;
    let lastPost = 0;
    const outcome = await new Promise<Extract<FromWorker, { type: 'outcome' }>>((resolve, reject) => {
      const onMessage = (m: FromWorker) => {
        if (m.type === 'epoch') {
          pace.epochEnded();
          progress.epoch = m.epoch;
          progress.epochs = m.epochs;
          if (Date.now() - lastPost >= PROGRESS_SECONDS * 1000) {
            lastPost = Date.now();
            void post().catch(() => undefined);
          }
        } else if (m.type === 'checkpoint') {
          // Read now: the file may already hold a later checkpoint (then that one is stored), or be gone when the run has finished meanwhile.
          const bytes = local.checkpointBytes(id);
          uploads = uploads.then(async () => {
            if (refusal || !bytes) return;
            try {
              await destination.writeCheckpoint(id, bytes);
              progress.checkpointEpoch = m.epoch;
              await post();
            } catch (e) {
              refusal = e as Error;
              if (child.connected) child.send({ type: 'stop' } satisfies ToWorker);
            }
          });
        } else if (m.type === 'outcome') {
          done();
          resolve(m);
        }
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        done();
        reject(new Error(`its training process died (${signal ? `signal ${signal}` : `exit code ${code}`}) at epoch ${progress.epoch}; a run that takes more memory than the machine has is killed this way`));
      };
      const done = () => {
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ type: 'run', run, records: local.folder, settings: { checkpointEvery: options.checkpointEvery, checkpointSeconds: options.checkpointSeconds } } satisfies ToWorker);
      if (stopping) child.send({ type: 'stop' } satisfies ToWorker);
    }).catch(async (e: Error) => {
      await uploads;
      throw e;
    });
    await uploads;
    if (refusal) throw new UnrecoverableError(refusal instanceof LocalpropError ? refusal.message : `could not store run ${id}'s checkpoint: ${refusal.message}`);

    if (outcome.status === 'done') {
      const record = local.record(id)!;
      const kept = await destination.writeRecordOnce(record);
      await destination.removeCheckpoint(id);
      await destination.clearFailure(id);
      await board.clear(id);
      summary.done.push(id);
      emit({ type: 'done', id, label, testAccuracy: record.final.testAccuracy, seconds: record.seconds, kept });
      return { worker: name, testAccuracy: record.final.testAccuracy, seconds: record.seconds, kept };
    }
    if (outcome.status === 'stopped') {
      // The checkpoint is stored: back to the queue for any worker, without counting as an attempt.
      const bytes = local.checkpointBytes(id);
      if (bytes) await destination.writeCheckpoint(id, bytes);
      const epoch = bytes ? local.checkpoint(id)!.epoch : (resumesAt ?? 0);
      progress.epoch = epoch;
      progress.checkpointEpoch = bytes ? epoch : resumesAt;
      progress.worker = `${name}, stopped`;
      await post();
      // Refused when its lock was lost meanwhile: then another worker has the job, and the checkpoint is stored either way.
      await job.moveToWait(token).catch(() => undefined);
      summary.returned.push(id);
      emit({ type: 'returned', id, label, epoch });
      throw new WaitingError();
    }
    throw new RunFailed(outcome.message ?? 'failed', local.failure(id)?.epoch ?? progress.epoch);
  };

  /**
   * A run that failed (its own error, or its training process died):
   * recorded failed on its last attempt, else tried again. A job that can
   * never run here (an {@link UnrecoverableError}) has no more attempts.
   */
  const failed = async (job: Job<SweepJobData>, planned: JobRun | undefined, destination: SweepDestination | undefined, e: Error): Promise<never> => {
    const id = planned?.run.id ?? (typeof job.data?.id === 'string' ? job.data.id : (job.id ?? '?'));
    const label = planned?.run.label ?? String(job.data?.label ?? job.name);
    const attempts = job.opts.attempts ?? 1;
    const final = e instanceof UnrecoverableError || job.attemptsMade + 1 >= attempts;
    if (final) {
      const made = e instanceof UnrecoverableError ? job.attemptsMade + 1 : attempts;
      const epoch = e instanceof RunFailed ? e.epoch : ((await board.get(id))?.epoch ?? 0);
      await destination?.writeFailure({ id, label, message: `${e.message} (${made} attempt${made === 1 ? '' : 's'})`, epoch, at: new Date().toISOString() });
      await board.clear(id);
      summary.failed.push(id);
    }
    emit({ type: 'failed', id, label, message: e.message, final });
    throw e instanceof UnrecoverableError ? e : new Error(e.message);
  };

  const worker = new Worker<SweepJobData, JobResult>(connection.address.name, processor, {
    connection: connection.redis,
    prefix: KEY_PREFIX,
    concurrency: options.jobs,
    lockDuration: lostAfter * 1000,
    stalledInterval: lostAfter * 1000,
    maxStalledCount: LOST_WORKERS_ALLOWED,
    name,
    autorun: false,
  });
  let lastError = 0;
  worker.on('error', (e: Error) => {
    if (Date.now() - lastError < 10_000) return;
    lastError = Date.now();
    emit({ type: 'queue-error', message: e.message });
  });
  const running = worker.run();

  await new Promise<void>((resolve) => {
    let left = false;
    const poll = setInterval(() => {
      void (async () => {
        if (left) return;
        let leave = stopping || options.shouldStop?.() === true;
        if (!leave && options.untilEmpty && busy === 0) {
          const counts = await connection.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children').catch(() => undefined);
          leave = counts !== undefined && Object.values(counts).every((n) => n === 0);
        }
        if (!leave || left) return;
        left = true;
        stopping = true;
        clearInterval(poll);
        pool.stopAll();
        resolve();
      })();
    }, 200);
  });
  await worker.close();
  await running.catch(() => undefined);
  await pool.close();
  if (refusedJobs) throw refusedJobs;
  return summary;
}
