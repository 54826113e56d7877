import { parseModelSpec } from '../model/spec.js';
import type { TestEvaluator } from '../train/evaluation.js';
import type { EpochPipeline } from '../train/pipeline.js';
import type { RunOptions } from '../train/run.js';
import { experimentRuns } from '../experiment/experiment.js';

/** One model on one dataset: the schedules and seeds to run. */
export interface MnistCell {
  dataset: 'mnist' | 'fashion-mnist';
  model: string;
  schedules: string[];
  seeds: number[];
  /** small: the 3-seed table of every schedule; large: one seed of the wide model. */
  part: 'small' | 'large';
}

/** The training every cell shares: the issue's plain PyTorch protocol. */
export const MNIST_TRAINING = {
  epochs: 20,
  step: 'batch',
  batchSize: 128,
  optimizer: { name: 'adam', lr: 1e-3 },
  lrDecayAt: [10, 15],
  lrDecay: 0.25,
  hiddenLoss: 'ce',
} as const satisfies Partial<RunOptions>;

const SMALL = '784-256-256-256-10';
const LARGE = '784-1024-1024-1024-10';
const ALL_SCHEDULES = ['backprop', 'local-sequential', 'local-parallel', 'local-gated'];

/**
 * The committed plan. The large model runs back-propagation and
 * local-parallel, the best local schedule on the small model in the issue's
 * PyTorch reference (check the small table before reading the large one).
 */
export const MNIST_STUDY: MnistCell[] = (['mnist', 'fashion-mnist'] as const).flatMap((dataset) => [
  { dataset, model: SMALL, schedules: ALL_SCHEDULES, seeds: [0, 1, 2], part: 'small' as const },
  { dataset, model: LARGE, schedules: ['backprop', 'local-parallel'], seeds: [0], part: 'large' as const },
]);

/** What one finished run leaves: enough for the page and for reruns to skip it. */
export interface MnistRunRecord {
  dataset: string;
  model: string;
  schedule: string;
  seed: number;
  epochs: number;
  testError: number;
  testLoss: number;
  trainLoss: number;
  /** Test error as each epoch's event reports it (before that epoch's updates), then the final model's. */
  testErrorPerEpoch: number[];
  /** Training wall time of the run (its loop and evaluations). */
  seconds: number;
  limit?: number;
}

/** The file name of a run's record: one file a run, so runs in separate processes never collide. */
export function runKey(cell: Pick<MnistCell, 'dataset' | 'model'>, schedule: string, seed: number, limit?: number): string {
  const width = cell.model.split('-')[1];
  return `${cell.dataset}-${width}-${schedule}-seed${seed}${limit ? `-limit${limit}` : ''}`;
}

/**
 * Runs every (cell, schedule, seed) that `done` does not already hold, one
 * at a time, handing each finished record to `save` at once so a stopped
 * study loses at most the run in progress.
 */
export async function runMnistStudy(
  cells: MnistCell[],
  options: {
    limit?: number;
    epochs?: number;
    evaluator?: TestEvaluator;
    /** Trains local-parallel on this model's pipeline (same results, sooner); the caller starts and closes them. */
    pipelineFor?: (model: string) => EpochPipeline | undefined;
    done: (key: string) => boolean;
    save: (key: string, record: MnistRunRecord) => void;
    progress: (m: string) => void;
  },
): Promise<void> {
  for (const cell of cells) {
    for (const seed of cell.seeds) {
      for (const schedule of cell.schedules) {
        const key = runKey(cell, schedule, seed, options.limit);
        if (options.done(key)) continue;
        const config = {
          data: { dataset: cell.dataset, options: options.limit ? { limit: options.limit } : {} },
          spec: parseModelSpec(cell.model),
          schedules: [schedule],
          seeds: [seed],
          decoders: ['learned' as const],
          training: { ...MNIST_TRAINING, optimizer: { ...MNIST_TRAINING.optimizer }, lrDecayAt: [...MNIST_TRAINING.lrDecayAt], ...(options.epochs ? { epochs: options.epochs } : {}), testEvaluator: options.evaluator, pipeline: schedule === 'local-parallel' ? options.pipelineFor?.(cell.model) : undefined },
        };
        options.progress(`${key}: started`);
        for (const run of experimentRuns(config)) {
          const perEpoch: number[] = [];
          const end = await run.complete((e) => {
            if (e.type === 'epoch') {
              perEpoch.push(1 - e.testAccuracy);
              options.progress(`${key}: epoch ${e.epoch}/${e.epochs} test error ${(100 * (1 - e.testAccuracy)).toFixed(2)}% (${e.seconds.toFixed(0)} s)`);
            }
          });
          options.save(key, {
            dataset: cell.dataset,
            model: cell.model,
            schedule,
            seed,
            epochs: end.epochs,
            testError: 1 - end.testAccuracy,
            testLoss: end.testLoss,
            trainLoss: end.trainLoss,
            testErrorPerEpoch: [...perEpoch, 1 - end.testAccuracy],
            seconds: end.seconds,
            ...(options.limit ? { limit: options.limit } : {}),
          });
        }
      }
    }
  }
}
