import type { Run } from '../train/run.js';
import type { EpochEvent, RunEndEvent } from '../train/events.js';
import type { RunCheckpoint } from '../train/resume.js';

/** Where a study keeps the mid-run checkpoints of its long runs, by the run's key. */
export interface CheckpointStore {
  /** The checkpoint a stopped run left, if any. */
  checkpoint(key: string): RunCheckpoint | null;
  saveCheckpoint(key: string, state: RunCheckpoint): void;
  dropCheckpoint(key: string): void;
}

/**
 * Completes `run`, continuing from the checkpoint `store` holds for `key`
 * (to the numbers of a run never stopped) and saving one every `every`
 * epochs, so a stopped study loses at most that many epochs. `onEpoch`
 * sees every epoch event, the replayed ones of a continued run included
 * (`replaying` true), so a record built from them is whole. The
 * checkpoint is dropped once the run has ended; the caller saves its
 * record first only if it wants the two never apart.
 */
export async function completeCheckpointed(
  run: Run,
  key: string,
  store: CheckpointStore,
  every: number,
  onEpoch: (event: EpochEvent, replaying: boolean) => void,
  progress: (m: string) => void,
): Promise<RunEndEvent> {
  const saved = store.checkpoint(key);
  if (saved) run.resumeFrom(saved);
  progress(`${key}: ${saved ? `continues from epoch ${saved.epoch}` : 'started'}`);
  return run.complete((e) => {
    if (e.type !== 'epoch') return;
    onEpoch(e, run.replaying);
    if (!run.replaying && e.epoch % every === 0 && e.epoch < e.epochs) store.saveCheckpoint(key, run.checkpoint());
  });
}
