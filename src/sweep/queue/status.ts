import type { Job } from 'bullmq';
import type { SweepJobData } from './job.js';
import { ProgressBoard, type QueueProgress } from './progress.js';
import type { QueueConnection } from './queue.js';
import type { JobResult } from './worker.js';
import { paceText, usablePace } from '../epoch-pace.js';

/** Where one queued run stands. */
export type QueuedRunStatus =
  | { state: 'queued'; resumesAt: number | null; attemptsMade: number }
  | { state: 'running'; worker: string; epoch: number; epochs: number; checkpointEpoch: number | null; secondsPerEpoch?: number }
  | { state: 'done'; worker: string; testAccuracy: number; seconds: number }
  | { state: 'failed'; message: string; attempts: number };

export interface QueueStatus {
  runs: { id: string; label: string; status: QueuedRunStatus }[];
  counts: Record<QueuedRunStatus['state'], number>;
}

/** The run a job trains (a job not written by `sweep submit` shows its own id). */
const runIdOf = (job: Job<SweepJobData>): string => (typeof job.data?.id === 'string' ? job.data.id : job.id!);

/** Every run the queue holds, by state, with the progress its worker last posted. */
export async function queueStatus(connection: QueueConnection): Promise<QueueStatus> {
  const board = new ProgressBoard(connection.redis, connection.address.name);
  const counts = { queued: 0, running: 0, done: 0, failed: 0 };
  const runs: QueueStatus['runs'] = [];
  const add = (job: Job<SweepJobData>, status: QueuedRunStatus) => {
    counts[status.state]++;
    runs.push({ id: runIdOf(job), label: job.data.label ?? job.name, status });
  };
  const jobs = (types: Parameters<QueueConnection['queue']['getJobs']>[0]) => connection.queue.getJobs(types, 0, -1, true) as Promise<Job<SweepJobData>[]>;
  for (const job of await jobs(['active'])) {
    const p: QueueProgress | undefined = await board.get(runIdOf(job));
    const pace = usablePace(p?.secondsPerEpoch);
    add(job, { state: 'running', worker: p?.worker ?? 'a worker', epoch: p?.epoch ?? 0, epochs: p?.epochs ?? 0, checkpointEpoch: p?.checkpointEpoch ?? null, ...(pace !== undefined ? { secondsPerEpoch: pace } : {}) });
  }
  for (const job of await jobs(['waiting', 'delayed', 'prioritized', 'waiting-children'])) {
    const p = await board.get(runIdOf(job));
    add(job, { state: 'queued', resumesAt: p?.checkpointEpoch ?? null, attemptsMade: job.attemptsMade });
  }
  for (const job of await jobs(['completed'])) {
    const r = job.returnvalue as JobResult;
    add(job, { state: 'done', worker: r.worker, testAccuracy: r.testAccuracy, seconds: r.seconds });
  }
  for (const job of await jobs(['failed'])) add(job, { state: 'failed', message: job.failedReason, attempts: job.attemptsMade });
  return { runs, counts };
}

/** The status as lines: the counts, then a line for every run. */
export function formatQueueStatus(status: QueueStatus, name: string): string {
  const c = status.counts;
  const lines = [`${name}: ${status.runs.length} runs: ${c.queued} queued, ${c.running} running, ${c.done} done, ${c.failed} failed`];
  for (const { id, label, status: s } of status.runs) {
    if (s.state === 'running') lines.push(`running  ${id}  ${label}  epoch ${s.epoch}/${s.epochs}${s.checkpointEpoch !== null ? `, checkpoint at ${s.checkpointEpoch}` : ''}${paceText(s.secondsPerEpoch, s.epoch, s.epochs)}  on ${s.worker}`);
    else if (s.state === 'queued') lines.push(`queued   ${id}  ${label}${s.resumesAt !== null ? `  resumes from its checkpoint at epoch ${s.resumesAt}` : ''}${s.attemptsMade > 0 ? `  (${s.attemptsMade} failed attempt${s.attemptsMade === 1 ? '' : 's'})` : ''}`);
    else if (s.state === 'done') lines.push(`done     ${id}  ${label}  test accuracy ${s.testAccuracy.toFixed(4)} (${s.seconds.toFixed(1)} s) on ${s.worker}`);
    else lines.push(`failed   ${id}  ${label}  after ${s.attempts} attempt${s.attempts === 1 ? '' : 's'}: ${s.message}`);
  }
  return lines.join('\n');
}
