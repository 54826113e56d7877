import type { EpochBatches } from '../data/batches.js';
import type { Dataset } from '../data/dataset.js';
import type { Network } from '../model/network.js';
import type { LossName, ModelSpec } from '../model/spec.js';
import type { OptimizerConfig } from '../optim/index.js';
import { check } from '../util/errors.js';
import type { DropoutPlacement, Session, SessionAugmentation } from './session.js';
import type { DecoderMode } from './events.js';
import type { EpochPlan, Schedule } from '../schedules/schedule.js';
import type { BlockEpochAdjustments } from '../modulators/epoch-adjustments.js';
import type { VariableState } from '../optim/optimizer.js';
import type { RngState } from '../util/rng.js';
import { listSchedules } from '../schedules/registry.js';
import { blockCount, blockShapes, outputSize } from '../model/shapes.js';
import { sizeOf } from '../model/blocks/kind.js';

/** The schedules a pipeline can train, as words. */
export function pipelinableNames(): string {
  return listSchedules({ all: true }).filter((s) => s.pipelinable).map((s) => s.name).join(', ');
}

/** What a pipeline needs to train a run's epochs the way the run would. */
export interface PipelineRunOptions {
  /** The registered rule's name (each thread looks it up in its own registry). */
  rule: string;
  seed: number;
  batchSize: number;
  decoders: DecoderMode;
  hiddenLoss: LossName;
  optimizer: OptimizerConfig & { lr: number };
  /** Dropout probability; each block draws its masks from its own stream, so groups draw the single thread's masks. */
  dropout: number;
  /** The rule's own options, so each thread configures the rule as the run did. */
  ruleOptions?: Record<string, unknown>;
  dropoutPlacement?: DropoutPlacement;
  /** The training images' augmentation: the first group draws it from the run's stream, the only one that reads the images. */
  augment?: SessionAugmentation;
  /** The output block's own rate and weight decay (`--output-lr`), on the group that holds it. */
  outputOptimizer?: { lr: number; weightDecay: number };
}

/**
 * Trains a pipelinable schedule's mini-batch epochs (local-parallel's
 * steps, adjusted as the schedule's modulator fixed for the epoch) on
 * other threads, one group of consecutive blocks each, passing each
 * batch's activations down the pipeline. Group g learns batch t from group
 * g-1's output for batch t after g-1 stepped on it, with its own weights as
 * they are after batch t-1: the dependencies of the single-thread schedule,
 * exactly, so the result is the same; only the timing overlaps (g-1 works
 * on batch t+1 meanwhile).
 */
export interface EpochPipeline {
  /**
   * Prepares every group for a run: its network, training set and options,
   * and when the run resumes, the state the groups had (see {@link EpochPipeline.exportState}).
   */
  setup(network: Network, train: Dataset, options: PipelineRunOptions, resume?: PipelineState): Promise<void>;
  /** What the groups hold besides the parameters, between two epochs: for a checkpoint of a pipelined run. */
  exportState(): Promise<PipelineState>;
  /**
   * Trains one epoch of these batches (the run's session draws them) at
   * `learningRate`, each block's steps adjusted by `adjustments[block]`
   * when given (see {@link EpochPlan.pipelineEpoch}); resolves to each
   * block's mean local loss and the parameters of the whole network
   * afterwards, in {@link Network.snapshot} order.
   */
  trainEpoch(batches: EpochBatches, learningRate: number, adjustments?: BlockEpochAdjustments[]): Promise<{ blockLosses: number[]; snapshot: Float32Array[] }>;
  /** The blocks of each group. */
  readonly groups: number[][];
}

/** What the groups of a pipeline hold between epochs besides the parameters, gathered in the run's order. */
export interface PipelineState {
  /** The optimizer's state per variable, in {@link Network.variables} order. */
  optimizer: (VariableState | null)[];
  /** Each block's dropout mask stream, by block (null without dropout). */
  dropout: RngState[] | null;
  /** The augmentation stream, when the run augments its images (the first group's). */
  augment?: RngState | null;
}

/**
 * Multiply-adds per example of block `i`'s training step: its forward and
 * weight gradient (twice its kind's multiply-adds, those of the layers
 * before it included), and its decoder's forward, weight and input gradients.
 */
export function blockWork(spec: ModelSpec, i: number): number {
  const b = blockShapes(spec, i);
  const classes = outputSize(spec);
  const decoder = b.isOutput ? 0 : 3 * sizeOf(b.output) * classes;
  const own = b.before.reduce((n, l) => n + l.kind.multiplyAdds(l.input, l.layer), b.kind.multiplyAdds(b.input, b.layer));
  return 2 * own + decoder;
}

/**
 * Splits the blocks into `groups` runs of consecutive blocks whose largest
 * work is smallest (the pipeline goes as fast as its slowest group); ties go
 * to the split with the earliest cuts.
 */
export function groupBlocks(spec: ModelSpec, groups: number): number[][] {
  const blocks = blockCount(spec);
  check(Number.isInteger(groups) && groups >= 1, `--workers must be a whole number ≥ 1, got ${groups}`);
  check(groups <= blocks, `--workers ${groups} is more than the model's ${blocks} blocks; use at most ${blocks}`);
  const work = Array.from({ length: blocks }, (_, i) => blockWork(spec, i));
  let best: { cuts: number[]; max: number } | null = null;
  const search = (cuts: number[], from: number) => {
    if (cuts.length === groups - 1) {
      const bounds = [0, ...cuts, blocks];
      let max = 0;
      for (let g = 0; g < groups; g++) max = Math.max(max, work.slice(bounds[g], bounds[g + 1]).reduce((a, b) => a + b, 0));
      if (!best || max < best.max) best = { cuts: [...cuts], max };
      return;
    }
    for (let c = from; c <= blocks - (groups - 1 - cuts.length); c++) search([...cuts, c], c + 1);
  };
  search([], 1);
  const bounds = [0, ...best!.cuts, blocks];
  return Array.from({ length: groups }, (_, g) => Array.from({ length: bounds[g + 1] - bounds[g] }, (_, k) => bounds[g] + k));
}

/** The speed-up a grouping allows at best: all work over the slowest group's. */
export function pipelineBound(spec: ModelSpec, groups: number[][]): number {
  const work = (g: number[]) => g.reduce((a, i) => a + blockWork(spec, i), 0);
  const total = groups.reduce((a, g) => a + work(g), 0);
  return total / Math.max(...groups.map(work));
}

/**
 * Why a run cannot be pipelined, or null when it can: only a pipelinable
 * schedule's mini-batch steps keep the single-thread dependencies when
 * blocks run apart (see {@link EpochPipeline}).
 */
export function pipelineRefusal(o: { schedule: Schedule; step: string; zeroGradSteps: boolean }): string | null {
  if (!o.schedule.pipelinable) return `--workers pipelines ${pipelinableNames()} only (${o.schedule.name} runs on one thread)`;
  if (o.step !== 'batch') return '--workers needs --step batch: with one step per epoch a group would wait for the whole epoch of the group before it, so nothing overlaps';
  if (o.zeroGradSteps) return '--workers cannot reproduce --zero-grad-steps: every step would have to touch every group';
  return null;
}

/**
 * One epoch on the pipeline, seen from the run's thread: the schedule's
 * work before the steps (`plan`'s {@link EpochPlan.pipelineEpoch}, which
 * fixes the epoch's step adjustments), then, while the groups train, the
 * thread measures the training loss of the parameters the epoch starts
 * from; then it takes the trained parameters.
 */
export async function pipelinedEpoch(session: Session, pipeline: EpochPipeline, learningRate: number, plan?: Pick<EpochPlan, 'pipelineEpoch'>): Promise<number[]> {
  const trained = pipeline.trainEpoch(session.batches, learningRate, plan?.pipelineEpoch?.());
  // If training fails first, the error is reported by the await below; do not report it as unhandled meanwhile.
  trained.catch(() => undefined);
  session.settleTrainLoss();
  const { blockLosses, snapshot } = await trained;
  session.network.load(snapshot);
  session.parametersChanged();
  return blockLosses;
}
