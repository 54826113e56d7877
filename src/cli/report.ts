import { join } from 'node:path';
import { dataName, type ExperimentConfig } from '../experiment/experiment.js';
import { summarize } from '../experiment/summary.js';
import { formatModelSpec, modelSpecJson } from '../model/spec.js';
import type { EpochEvent, RunEndEvent } from '../train/events.js';
import { EPOCH_CONVENTION } from '../train/epoch-convention.js';
import type { ResolvedRunOptions } from '../train/run.js';
import { previousPath, removeStaleTemporaries, writeJsonAtomic, writeKeepingPrevious } from './files.js';
import { encodeRunCheckpoint } from '../io/run-checkpoint.js';
import type { RunCheckpoint } from '../train/resume.js';
import type { RunIdentity } from '../train/events.js';
import { rmSync } from 'node:fs';
import type { DivergedRun } from './run-experiment.js';

/** The name of the checkpoint file in an --out folder. */
export const CHECKPOINT_FILE = 'run-checkpoint.safetensors';
import { resultsExtras } from './results-extras.js';

/**
 * The object `--json` prints and `results.json` holds; runs that diverged
 * (in `compare`, which goes on without them) are listed under `diverged`.
 */
export function resultsObject(config: ExperimentConfig, results: RunEndEvent[], diverged: DivergedRun[] = []) {
  return {
    dataset: dataName(config.data),
    model: formatModelSpec(config.spec),
    ...resultsExtras(config),
    results: results.map((r) => ({
      schedule: r.schedule,
      seed: r.seed,
      decoders: r.decoders,
      ...(r.rule ? { rule: r.rule } : {}),
      testAccuracy: r.testAccuracy,
      testLoss: r.testLoss,
      trainLoss: r.trainLoss,
      trainAccuracy: r.trainAccuracy,
      epochs: r.epochs,
      seconds: r.seconds,
    })),
    summary: summarize(results),
    ...(diverged.length > 0 ? { diverged: diverged.map(({ schedule, seed, decoders, epoch, message }) => ({ schedule, seed, decoders, epoch, message })) } : {}),
  };
}

/**
 * The --out folder: config.json at the start, one history file as each run
 * ends (so a crash later keeps the finished runs), results.json at the end.
 * History files are `<schedule>-seed<k>.history.json`, with the rule
 * (when not the decoder rule) and the decoder mode (when both modes are
 * compared) inserted: `<schedule>-<rule>-<decoders>-seed<k>`.
 */
/** config.json's facts about the engine: results differ across backends (and BLAS kernels) in the last bits. */
const ENGINE_KEYS = ['backend', 'blas', 'blasCore'];

export class OutFolder {
  /** The backend facts of config.json (backend, blas, blasCore), repeated in every history file and checkpoint. */
  private engine: Record<string, unknown> = {};

  constructor(
    readonly dir: string,
    private readonly config: ExperimentConfig,
  ) {}

  /** Writes config.json; returns what it wrote. */
  writeConfig(extra: Record<string, unknown>): Record<string, unknown> {
    const config = this.configObject(extra);
    writeJsonAtomic(join(this.dir, 'config.json'), config);
    return config;
  }

  /** What config.json holds for this experiment, as JSON would give it back. */
  configObject(extra: Record<string, unknown>): Record<string, unknown> {
    const c = this.config;
    this.engine = Object.fromEntries(ENGINE_KEYS.filter((k) => extra[k] !== undefined).map((k) => [k, extra[k]]));
    // The evaluator and the pipeline are live threads, not options; whether they ran is in `extra`.
    const { testEvaluator, pipeline, signal, ...training } = c.training;
    const config = {
      dataset: dataName(c.data),
      datasetOptions: 'dataset' in c.data ? (c.data.options ?? {}) : {},
      model: formatModelSpec(c.spec),
      modelJson: modelSpecJson(c.spec),
      schedules: c.schedules,
      seeds: c.seeds,
      decoders: c.decoders,
      ...(c.rules ? { rules: c.rules } : {}),
      training,
      evalThread: testEvaluator !== undefined,
      ...extra,
    };
    return JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  }

  /** Where the history of a run goes. */
  historyPath(run: RunIdentity): string {
    const mode = this.config.decoders.length > 1 ? `-${run.decoders}` : '';
    const rule = run.rule ? `-${run.rule}` : '';
    return join(this.dir, `${run.schedule}${rule}${mode}-seed${run.seed}.history.json`);
  }

  /** Where `--checkpoint-every` keeps the checkpoint of the run in progress (one file, replaced atomically). */
  get checkpointPath(): string {
    return join(this.dir, CHECKPOINT_FILE);
  }

  /** Writes the checkpoint of the run in progress; returns its size in bytes. */
  writeCheckpoint(checkpoint: RunCheckpoint): number {
    const bytes = encodeRunCheckpoint(checkpoint, this.engine);
    writeKeepingPrevious(this.checkpointPath, bytes);
    return bytes.length;
  }

  /** Removes the checkpoint (and the one before it) once every run's history is written: nothing is left to resume. */
  removeCheckpoint(): void {
    rmSync(this.checkpointPath, { force: true });
    rmSync(previousPath(this.checkpointPath), { force: true });
    // A process killed while writing left its temporary file: the folder is finished, so nothing of it is needed.
    removeStaleTemporaries(this.dir);
  }

  writeHistory(options: ResolvedRunOptions, epochs: EpochEvent[], end: RunEndEvent): void {
    writeJsonAtomic(this.historyPath(end), {
      version: EPOCH_CONVENTION,
      schedule: end.schedule,
      seed: end.seed,
      decoders: end.decoders,
      dataset: dataName(this.config.data),
      model: formatModelSpec(this.config.spec),
      ...this.engine,
      options,
      epochs: epochs.map(({ epoch, block, trainLoss, testLoss, testAccuracy, blockLosses, blockAccuracy, gates, seconds }) => ({
        epoch,
        block,
        trainLoss,
        testLoss,
        testAccuracy,
        blockLosses,
        blockAccuracy,
        ...(gates ? { gates } : {}),
        seconds,
      })),
      final: {
        trainLoss: end.trainLoss,
        trainAccuracy: end.trainAccuracy,
        testLoss: end.testLoss,
        testAccuracy: end.testAccuracy,
        seconds: end.seconds,
        ...(end.collapsed ? { collapsed: end.collapsed } : {}),
      },
    });
  }

  writeResults(results: RunEndEvent[], diverged: DivergedRun[] = []): void {
    writeJsonAtomic(join(this.dir, 'results.json'), resultsObject(this.config, results, diverged));
  }
}
