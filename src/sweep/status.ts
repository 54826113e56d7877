import type { PlannedRun } from './plan.js';
import type { RecordStore } from './store.js';
import { processAlive } from '../util/process.js';
import { paceText, usablePace } from './epoch-pace.js';

/** Where one run of a sweep stands. */
export type RunStatus =
  | { state: 'done'; testAccuracy: number; seconds: number }
  | { state: 'running'; pid: number; epoch: number; epochs: number; secondsPerEpoch?: number }
  | { state: 'left'; resumesAt: number | null }
  | { state: 'failed'; message: string; epoch: number };

export interface SweepStatus {
  runs: { run: PlannedRun; status: RunStatus }[];
  counts: Record<RunStatus['state'], number>;
}

/** Every planned run's state, read from the records folder (a run is running while the process in its progress file lives). */
export function sweepStatus(runs: PlannedRun[], store: RecordStore): SweepStatus {
  const counts = { done: 0, running: 0, left: 0, failed: 0 };
  const rows = runs.map((run) => {
    const status = runStatus(run, store);
    counts[status.state]++;
    return { run, status };
  });
  return { runs: rows, counts };
}

function runStatus(run: PlannedRun, store: RecordStore): RunStatus {
  const record = store.record(run.id);
  if (record) return { state: 'done', testAccuracy: record.final.testAccuracy, seconds: record.seconds };
  const failure = store.failure(run.id);
  const progress = store.progress(run.id);
  if (progress && processAlive(progress.pid)) {
    const pace = usablePace(progress.secondsPerEpoch);
    return { state: 'running', pid: progress.pid, epoch: progress.epoch, epochs: progress.epochs, ...(pace !== undefined ? { secondsPerEpoch: pace } : {}) };
  }
  if (failure) return { state: 'failed', message: failure.message, epoch: failure.epoch };
  return { state: 'left', resumesAt: progress?.checkpointEpoch ?? null };
}

/** The status as lines: the counts, then a line for every run not done. */
export function formatSweepStatus(status: SweepStatus, name: string): string {
  const c = status.counts;
  const lines = [`${name}: ${status.runs.length} runs: ${c.done} done, ${c.running} running, ${c.left} left, ${c.failed} failed`];
  for (const { run, status: s } of status.runs) {
    if (s.state === 'running') lines.push(`running  ${run.id}  ${run.label}  epoch ${s.epoch}/${s.epochs} (process ${s.pid})${paceText(s.secondsPerEpoch, s.epoch, s.epochs)}`);
    else if (s.state === 'left') lines.push(`left     ${run.id}  ${run.label}${s.resumesAt !== null ? `  resumes from its checkpoint at epoch ${s.resumesAt}` : ''}`);
    else if (s.state === 'failed') lines.push(`failed   ${run.id}  ${run.label}  after ${s.epoch} epoch${s.epoch === 1 ? '' : 's'}: ${s.message}`);
  }
  return lines.join('\n');
}
