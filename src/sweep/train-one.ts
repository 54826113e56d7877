import { useBackend } from '../engine/backend.js';
import { experimentRuns } from '../experiment/experiment.js';
import type { TestEvaluator } from '../train/evaluation.js';
import type { EpochEvent, RunEndEvent } from '../train/events.js';
import { RunStoppedError } from '../train/run.js';
import { EpochPace } from './epoch-pace.js';
import { LocalpropError } from '../util/errors.js';
import { WorkerPipeline } from '../node/worker-pipeline.js';
import { pipelined, runExperimentConfig } from './configuration.js';
import type { PlannedRun } from './plan.js';
import { RECORD_FORMAT, RECORD_VERSION, type RecordStore, type SweepRecord } from './store.js';
import { claimOwner, claimRun, describeOwner } from './claim.js';

/** How a run is trained: when it checkpoints, and what it tells its caller. */
export interface TrainSettings {
  /** Checkpoint every this many epochs. */
  checkpointEvery?: number;
  /** Checkpoint when this many seconds passed since the last one (default 120). */
  checkpointSeconds?: number;
  /** Scores the test set on another thread (unless the run's options say `evalThread: "off"`). */
  evaluator?: TestEvaluator;
  /** Asked at every step boundary: true stops the run there, its state in its checkpoint. */
  shouldStop?: () => boolean;
  onEpoch?: (epoch: number, epochs: number) => void;
  onCheckpoint?: (epoch: number) => void;
}

export type TrainOutcome =
  | { status: 'done'; record: SweepRecord }
  | { status: 'stopped'; epoch: number }
  | { status: 'failed'; message: string }
  /** Another runner sharing the records folder holds the run's claim (or recorded it meanwhile): not trained here. */
  | { status: 'claimed'; owner: string };

const DEFAULT_CHECKPOINT_SECONDS = 120;
const PROGRESS_SECONDS = 2;

/**
 * Trains one run of a sweep into `store`: from its checkpoint when it has
 * one, checkpointing on the way, and ends with its record (done), its
 * checkpoint (stopped when `shouldStop` said so) or its failure message
 * (failed: any error, the others go on). The parts a queue worker needs too.
 */
export async function trainPlannedRun(planned: PlannedRun, store: RecordStore, settings: TrainSettings = {}): Promise<TrainOutcome> {
  const claim = await claimRun(store.folder, planned.id);
  if (!claim) return { status: 'claimed', owner: describeOwner(claimOwner(store.folder, planned.id)) };
  try {
    // Queued before another runner finished it: its record is there now.
    if (store.record(planned.id)) return { status: 'claimed', owner: 'another runner, which has recorded it meanwhile' };
    return await trainClaimedRun(planned, store, settings);
  } finally {
    await claim.release();
  }
}

/** {@link trainPlannedRun} once the run is claimed. */
async function trainClaimedRun(planned: PlannedRun, store: RecordStore, settings: TrainSettings): Promise<TrainOutcome> {
  const wallStart = performance.now();
  const { id } = planned;
  const resumedAt = [...(store.progress(id)?.resumedAt ?? [])];
  let epoch = 0;
  let epochs = 0;
  let checkpointEpoch: number | null = null;
  let pipeline: WorkerPipeline | undefined;
  try {
    await useBackend(planned.configuration.backend);
    const config = runExperimentConfig(planned.options);
    if (planned.options.evalThread !== 'off') config.training.testEvaluator = settings.evaluator;
    // Read by the run at every step boundary, so even an epoch of many minutes stops within a step.
    const shouldStop = settings.shouldStop;
    if (shouldStop) config.training.signal = { get aborted() { return shouldStop(); } };
    if (pipelined(planned.options)) pipeline = WorkerPipeline.start(config.spec, planned.options.workers as number);
    config.training.pipeline = pipeline;
    const checkpoint = store.checkpoint(id);
    const runs = experimentRuns(config);
    const run = runs.next().value!;
    try {
      if (checkpoint) {
        run.resumeFrom(checkpoint);
        resumedAt.push(checkpoint.epoch);
        epoch = checkpoint.epoch;
        checkpointEpoch = checkpoint.epoch;
      }
      const history: EpochEvent[] = [];
      const firstEpoch = epoch + 1;
      let lastSave = performance.now();
      let lastProgress = -Infinity;
      const pace = new EpochPace();
      const progress = (force: boolean) => {
        // The first trained epoch is always written, so a run's progress shows at once, then every few seconds.
        if (!force && epoch > firstEpoch && performance.now() - lastProgress < PROGRESS_SECONDS * 1000) return;
        lastProgress = performance.now();
        const secondsPerEpoch = pace.seconds();
        store.writeProgress({ id, pid: process.pid, epoch, epochs, checkpointEpoch, resumedAt, updatedAt: new Date().toISOString(), ...(secondsPerEpoch !== undefined ? { secondsPerEpoch } : {}) });
      };
      for await (const event of run) {
        if (event.type === 'start') {
          epochs = event.epochs;
          pace.start();
          progress(true);
        } else if (event.type === 'epoch') {
          history.push(event);
          if (run.replaying) continue;
          epoch = event.epoch;
          // Event 0 scores the untrained network: the first epoch's time starts after it.
          if (epoch === 0) {
            pace.start();
            continue;
          }
          pace.epochEnded();
          settings.onEpoch?.(epoch, epochs);
          if (epoch === epochs) continue;
          const due = (settings.checkpointEvery !== undefined && epoch % settings.checkpointEvery === 0) || performance.now() - lastSave >= (settings.checkpointSeconds ?? DEFAULT_CHECKPOINT_SECONDS) * 1000;
          if (due) {
            // A pipelined run's optimizer state lives on its threads: fetch it first.
            await run.prepareCheckpoint();
            store.writeCheckpoint(id, run.checkpoint());
            lastSave = performance.now();
            checkpointEpoch = epoch;
            progress(true);
            settings.onCheckpoint?.(epoch);
          } else progress(false);
        } else {
          const record = recordOf(planned, history, event, { wallSeconds: (performance.now() - wallStart) / 1000, resumedAt });
          store.writeRecord(record);
          store.removeCheckpoint(id);
          store.clearFailure(id);
          store.clearProgress(id);
          return { status: 'done', record };
        }
      }
      throw new Error(`run ${id} ended without its end event`);
    } catch (e) {
      if (!(e instanceof RunStoppedError)) throw e;
      // Stopped as asked, mid-epoch perhaps: the checkpoint holds the epoch so far. The progress file stays, its process gone, so status says where the run resumes.
      const state = run.checkpoint();
      store.writeCheckpoint(id, state);
      checkpointEpoch = state.epoch;
      store.writeProgress({ id, pid: process.pid, epoch: state.epoch, epochs, checkpointEpoch, resumedAt, updatedAt: new Date().toISOString() });
      return { status: 'stopped', epoch: state.epoch };
    } finally {
      runs.return(undefined);
    }
  } catch (e) {
    // A bug is recorded too (its message), so one bad run never stops the sweep.
    const message = e instanceof LocalpropError ? e.message : `internal error, please report it: ${(e as Error).message ?? String(e)}`;
    store.writeFailure({ id, label: planned.label, message, epoch, at: new Date().toISOString() });
    store.clearProgress(id);
    return { status: 'failed', message };
  } finally {
    await pipeline?.close();
  }
}

/** The record of a finished run: its end event's metrics and every epoch event, with what the plan knows of it. */
function recordOf(planned: PlannedRun, history: EpochEvent[], end: RunEndEvent, extra: Pick<SweepRecord, 'wallSeconds' | 'resumedAt'>): SweepRecord {
  return {
    format: RECORD_FORMAT,
    version: RECORD_VERSION,
    id: planned.id,
    label: planned.label,
    schedule: end.schedule,
    seed: end.seed,
    backend: planned.configuration.backend,
    options: planned.options,
    configuration: planned.configuration,
    history,
    final: { epochs: end.epochs, trainLoss: end.trainLoss, trainAccuracy: end.trainAccuracy, testLoss: end.testLoss, testAccuracy: end.testAccuracy, ...(end.collapsed ? { collapsed: end.collapsed } : {}) },
    seconds: end.seconds,
    ...extra,
    finishedAt: new Date().toISOString(),
  };
}
