import type { PlannedRun } from '../plan.js';
import type { SweepDestination } from './destination.js';
import { parseSweepSpec } from '../spec.js';
import { jobData, jobIdOf } from './job.js';
import { checkJobSize, checkSpecFolder } from './job-limits.js';
import type { QueueConnection } from './queue.js';
import { DEFAULT_ATTEMPTS } from './settings.js';


export interface SubmitOptions {
  attempts?: number;
  /** Queue the runs marked failed again. */
  retryFailed?: boolean;
}

/** What `sweep submit` did, by run id. */
export interface SubmitSummary {
  queued: string[];
  /** Recorded already: not queued. */
  recorded: string[];
  /** Waiting or training already (submitted before). */
  inQueue: string[];
  /** Failed before and left so (without `retryFailed`). */
  failed: string[];
}

/**
 * Queues every run of the spec that has no record, one job per run with
 * the run's id in the job's id, so submitting twice queues each run once.
 * Finished jobs stay in the queue (they are small) so `sweep status` can
 * say who trained what.
 */
export async function submitSweep(connection: QueueConnection, spec: unknown, specPath: string, runs: PlannedRun[], destination: SweepDestination, options: SubmitOptions = {}): Promise<SubmitSummary> {
  // What a worker would refuse is refused here, before anything is queued.
  checkSpecFolder(parseSweepSpec(spec, specPath), specPath, specPath);
  const longest = runs.reduce<PlannedRun | undefined>((a, r) => (a && a.label.length >= r.label.length ? a : r), undefined);
  if (longest) checkJobSize(jobData(spec, specPath, longest), specPath);
  const summary: SubmitSummary = { queued: [], recorded: [], inQueue: [], failed: [] };
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  for (const run of runs) {
    if (await destination.record(run.id)) {
      summary.recorded.push(run.id);
      continue;
    }
    const existing = await connection.queue.getJob(jobIdOf(run.id));
    const state = existing ? await existing.getState() : undefined;
    const failedBefore = state === 'failed' || (await destination.failure(run.id)) !== undefined;
    if (failedBefore && !options.retryFailed) {
      summary.failed.push(run.id);
      continue;
    }
    if (existing && state !== 'failed' && state !== 'completed') {
      summary.inQueue.push(run.id);
      continue;
    }
    // A failed job (retried now) or a completed one whose record was deleted since: a new job under the same id.
    if (existing) await existing.remove();
    await destination.clearFailure(run.id);
    await connection.queue.add(run.label, jobData(spec, specPath, run), { jobId: jobIdOf(run.id), attempts, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: false, removeOnFail: false });
    summary.queued.push(run.id);
  }
  return summary;
}

