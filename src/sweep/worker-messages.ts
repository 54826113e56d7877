import type { PlannedRun } from './plan.js';

/** How a local worker process trains: the {@link TrainSettings} that cross a process boundary. */
export interface WorkerSettings {
  checkpointEvery?: number;
  checkpointSeconds?: number;
}

/** What the runner tells a worker process. */
export type ToWorker = { type: 'run'; run: PlannedRun; records: string; settings: WorkerSettings } | { type: 'stop' } | { type: 'exit' };

/** What a worker process tells the runner. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'epoch'; id: string; epoch: number; epochs: number }
  | { type: 'checkpoint'; id: string; epoch: number }
  | { type: 'outcome'; id: string; status: 'done' | 'stopped' | 'failed' | 'claimed'; message?: string; seconds?: number; testAccuracy?: number };
