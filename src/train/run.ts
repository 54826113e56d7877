import type { Dataset } from '../data/dataset.js';
import { formatLayers, type ModelSpec, type LossName } from '../model/spec.js';
import { inputSize, outputSize } from '../model/shapes.js';
import { formatShape } from '../model/blocks/kind.js';
import { Network } from '../model/network.js';
import type { ParameterMap } from '../model/parameters.js';
import { createOptimizer, defaultLearningRate, type OptimizerConfig } from '../optim/index.js';
import { LocalpropError, check } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { DecoderMode, EpochEvent, RunEndEvent, RunEvent, RunIdentity } from './events.js';
import { getSchedule } from '../schedules/registry.js';
import type { EpochPlan, Schedule } from '../schedules/schedule.js';
import type { PartialEpoch, RunCheckpoint, TrainedEpoch } from './resume.js';
import type { RngState } from '../util/rng.js';
import { pipelinedEpoch, pipelineRefusal, type EpochPipeline, type PipelineState } from './pipeline.js';
import type { Optimizer } from '../optim/optimizer.js';
import { GroupedOptimizer } from '../optim/grouped.js';
import type { PlainTensor } from '../model/parameters.js';
import { Session, type StepMode } from './session.js';
import type { Evaluation, TestEvaluator } from './evaluation.js';
import type { GateOptions } from '../modulators/gates.js';
import type { DriftOptions } from '../modulators/drift-options.js';
import { DEFAULT_RULE, configuredRule, listRules } from '../rules/registry.js';
import type { LocalRule } from '../rules/rule.js';
import type { DropoutPlacement } from './session.js';
import { imageSide, standardize, type Augmentation } from '../data/augment.js';
import { dataShape, makeDataset } from '../data/dataset.js';
import { CollapseWatch, constantGuessAccuracy } from './collapse-watch.js';

/** Everything one training run needs. Left-out options take Mertens' protocol (docs/mertens-protocol.md). */
export interface RunOptions {
  schedule: string | Schedule;
  spec: ModelSpec;
  /** Initial parameters (see {@link initialParameters}); every schedule of a seed starts from the same ones. */
  parameters: ParameterMap;
  train: Dataset;
  test: Dataset;
  /** Seeds the per-epoch shuffles (the data and initial weights are drawn by the caller). */
  seed: number;
  /** Epochs, overriding the schedule's default (per block for local-sequential). */
  epochs?: number;
  /**
   * What the hidden blocks learn from (see {@link LocalRule}); default the
   * decoder rule. `parameters` must hold the rule's tensors (see
   * {@link initialParameters}).
   */
  rule?: string | LocalRule;
  /**
   * The rule's own options by camelCase key (`ffThreshold` for
   * `--ff-threshold`); each rule reads its own and ignores the others.
   */
  ruleOptions?: Record<string, unknown>;
  /**
   * Score the test set every k epochs (and on the last), not every epoch:
   * the epochs between carry the latest scores, marked by `evaluatedAt`.
   * For rules whose prediction costs a pass per label (Forward-Forward). Default 1.
   */
  evalEvery?: number;
  step?: StepMode;
  batchSize?: number;
  optimizer?: OptimizerConfig;
  /**
   * The output block's own learning rate and weight decay, as a second
   * PyTorch parameter group (loeweX's Forward-Forward read-out: 1e-2 and
   * 3e-3 beside the blocks' 1e-3 and 3e-4); the same optimizer otherwise.
   * Milestones and cooldowns scale both rates. Absent: one group.
   */
  outputOptimizer?: { lr?: number; weightDecay?: number };
  decoders?: DecoderMode;
  /** Loss of hidden blocks through their decoders; default mse for one output, ce for more. */
  hiddenLoss?: LossName;
  /**
   * Reproduce the seed's single optimizer: each block's step also steps the
   * other blocks with zero gradients (see docs/schedules.md, "Mertens' optimizer quirk").
   */
  zeroGradSteps?: boolean;
  /**
   * Scores the test set after every epoch elsewhere (another thread) while
   * this thread measures the training loss; the numbers are the same as
   * without it (on the same backend and BLAS threads).
   */
  testEvaluator?: TestEvaluator;
  /** Options of the stability gates (local-gated only). */
  gate?: Partial<GateOptions>;
  /** Options of the drift-aware candidates (local-drift only). */
  drift?: Partial<DriftOptions>;
  /**
   * Learning-rate milestones (PyTorch's MultiStepLR): after each listed
   * epoch the rate is multiplied by `lrDecay`. Local-sequential counts
   * epochs within each block's phase, so every block gets the same schedule.
   */
  lrDecayAt?: number[];
  /** The factor at each milestone (default 0.1, PyTorch's). */
  lrDecay?: number;
  /**
   * Linear cooldown after this epoch (loeweX's Forward-Forward, which
   * starts it at half the epochs): the full rate through epoch c + 1, then
   * epoch e of E trains at lr·(E + 2 - e)/(E - c), down to 2/(E - c) of it
   * at the last. Per block phase for local-sequential, like the milestones,
   * and multiplied with them.
   */
  lrCooldown?: number;
  /**
   * Trains the epochs of a schedule that can be pipelined (see
   * {@link Schedule.pipelinable}) on other threads, one group of blocks each (see
   * {@link EpochPipeline}); same results, other timing. Ignored by the
   * other schedules, which say so through `pipelineRefusal`.
   */
  pipeline?: EpochPipeline;
  /** Continue from this {@link Run.checkpoint} of a run with the same options (see {@link Run.resumeFrom}). */
  resumeFrom?: RunCheckpoint;
  /**
   * Asks the run to stop (an `AbortSignal`, or anything with `aborted`):
   * it is read at every step boundary, and once it holds the run stops
   * there with `RunStoppedError`; {@link Run.checkpoint} then gives the
   * state to continue from, mid-epoch included. With a signal the run lets
   * other tasks (a Ctrl-C handler) run between steps; without one it never
   * pauses.
   */
  signal?: { readonly aborted: boolean };
  /**
   * Inverted dropout on every hidden block's output in training steps: each
   * unit is zeroed with this probability and the others scaled by 1/(1-P).
   * Never in evaluation. Default 0 (off). Masks come from the seed's own
   * stream, so the same seed gives the same run.
   */
  dropout?: number;
  /**
   * Where a hidden block's local loss sees dropout: `shared` (default: the
   * loss sees the dropped output the next block gets) or `after-loss` (the
   * loss sees the output before dropout; Nøkland & Eidnes'). See {@link DropoutPlacement}.
   */
  dropoutPlacement?: DropoutPlacement;
  /**
   * Training images shifted (`jitter` pixels each way) and mirrored (`flip`)
   * afresh in every step, from the seed's own stream; square grey images
   * only, `--step batch` only, never the test set.
   */
  augment?: Augmentation;
  /** Every input standardised to (x - mean) / std, training and test sets alike (torchvision's Normalize). */
  standardize?: { mean: number; std: number };
}

/** The options of a run with every default filled in, as recorded in results. */
export interface ResolvedRunOptions {
  schedule: string;
  /** The rule, when not the default decoder rule (so records of decoder runs read as they always have). */
  rule?: string;
  /** The rule's resolved options, when it has any. */
  ruleOptions?: Record<string, unknown>;
  seed: number;
  epochs: number;
  step: StepMode;
  batchSize: number;
  optimizer: OptimizerConfig & { lr: number };
  /** The output block's rate and weight decay, when it has its own. */
  outputOptimizer?: { lr: number; weightDecay: number };
  decoders: DecoderMode;
  hiddenLoss: LossName;
  zeroGradSteps: boolean;
  /** The gate options, for local-gated runs. */
  gate?: GateOptions;
  /** The drift options, for local-drift runs. */
  drift?: DriftOptions;
  /** Learning-rate milestones, when given. */
  lrDecay?: { at: number[]; factor: number };
  /** The epoch after which the rate cools down linearly, when given. */
  lrCooldown?: number;
  /** The dropout probability, when above 0. */
  dropout?: number;
  /** Epochs between test evaluations, when above 1. */
  evalEvery?: number;
  /** Where the local losses see dropout, when not the default `shared`. */
  dropoutPlacement?: DropoutPlacement;
  /** The training images' augmentation, when on. */
  augment?: Augmentation;
  /** The input standardisation, when on. */
  standardize?: { mean: number; std: number };
}

/** The batch size of Mertens' protocol. */
export const DEFAULT_BATCH_SIZE = 100;

/**
 * Fills in defaults. The seed's protocol is Rprop with one step per epoch;
 * asking for --step batch without an optimizer gives Adam (lr 1e-3), and
 * asking for a non-Rprop optimizer without --step gives batch steps.
 */
export function resolveRunOptions(
  options: Omit<RunOptions, 'spec' | 'parameters' | 'train' | 'test' | 'resumeFrom' | 'pipeline'> & { schedule: string | Schedule },
  outputs: number,
  /** The model, when known: batch norm refuses one step per epoch. */
  spec?: ModelSpec,
): ResolvedRunOptions {
  const schedule = typeof options.schedule === 'string' ? getSchedule(options.schedule) : options.schedule;
  const optimizerName = options.optimizer?.name ?? (options.step === 'batch' ? 'adam' : 'rprop');
  const step: StepMode = options.step ?? (optimizerName === 'rprop' ? 'epoch' : 'batch');
  check(step === 'epoch' || step === 'batch', `--step must be "epoch" or "batch", got "${step}"`);
  const epochs = options.epochs ?? schedule.defaultEpochs;
  check(Number.isInteger(epochs) && epochs >= 1, `--epochs must be a positive integer, got ${epochs}`);
  const decoders = options.decoders ?? 'learned';
  check(decoders === 'fixed' || decoders === 'learned', `--decoders must be "fixed" or "learned", got "${decoders}"`);
  const hiddenLoss = options.hiddenLoss ?? (outputs === 1 ? 'mse' : 'ce');
  check(['mse', 'ce', 'bce'].includes(hiddenLoss), `--hidden-loss must be mse, ce or bce, got "${hiddenLoss}"`);
  if (hiddenLoss === 'ce') check(outputs > 1, `--hidden-loss ce needs two or more outputs; use mse or bce for one output`);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  check(Number.isInteger(batchSize) && batchSize >= 1, `--batch-size must be a positive integer, got ${batchSize}`);
  const optimizer = { ...options.optimizer, name: optimizerName, lr: options.optimizer?.lr ?? defaultLearningRate(optimizerName) };
  const zeroGradSteps = options.zeroGradSteps ?? false;
  const own = schedule.resolveOptions?.(options);
  const gate = own?.gate;
  const drift = own?.drift;
  const lrDecay = resolveLrDecay(options.lrDecayAt, options.lrDecay, optimizerName);
  const lrCooldown = options.lrCooldown;
  if (lrCooldown !== undefined) {
    check(Number.isInteger(lrCooldown) && lrCooldown >= 1 && lrCooldown < epochs, `--lr-cooldown takes the epoch after which the rate falls, a whole number from 1 to ${epochs - 1} (--epochs ${epochs}; loeweX: half of them, ${Math.max(1, Math.floor(epochs / 2))}); got ${lrCooldown}`);
    check(optimizerName !== 'rprop', '--lr-cooldown has no effect on rprop (its lr only sets the first step sizes); use it with adam, rmsprop or sgd');
  }
  const outputOptimizer = resolveOutputOptimizer(options.outputOptimizer, optimizer);
  const ruleObject = configuredRule(options.rule, options.ruleOptions);
  const rule = ruleObject.name;
  const refusal = ruleObject.refuseSchedule?.(schedule) ?? null;
  check(refusal === null, () => refusal!);
  const ruleOptions = ruleObject.options && Object.keys(ruleObject.options).length > 0 ? ruleObject.options : undefined;
  const evalEvery = options.evalEvery ?? 1;
  check(Number.isInteger(evalEvery) && evalEvery >= 1, `--eval-every must be a whole number of epochs ≥ 1, got ${evalEvery}`);
  const dropout = options.dropout ?? 0;
  check(Number.isFinite(dropout) && dropout >= 0 && dropout < 1, `--dropout is the probability of zeroing a hidden unit, in [0, 1) (0.2 drops one in five); got ${dropout}`);
  const dropoutPlacement = options.dropoutPlacement ?? 'shared';
  check(dropoutPlacement === 'shared' || dropoutPlacement === 'after-loss', `--dropout-placement must be "shared" or "after-loss", got "${dropoutPlacement}"`);
  // One step on the summed batch losses runs the whole set at once: there is no batch to normalise or to compare within.
  if (step === 'epoch' && schedule.trainsRule) check(!ruleObject.needsBatches, `rule ${rule} compares the examples of each mini-batch with one another, which one step on the whole epoch's summed losses (--step epoch) cannot do; use --step batch`);
  if (step === 'epoch') check(!spec?.hidden.batchNorm, 'batch norm normalises each mini-batch by its own statistics, which one step on the whole epoch at once (--step epoch) cannot do; use --step batch, or a model without batchnorm');
  const augment = options.augment && (options.augment.jitter > 0 || options.augment.flip) ? { jitter: options.augment.jitter, flip: options.augment.flip } : undefined;
  if (augment) {
    check(Number.isInteger(augment.jitter) && augment.jitter >= 0, `--jitter takes a whole number of pixels ≥ 0, got ${augment.jitter}`);
    check(step === 'batch', '--jitter and --flip draw each mini-batch afresh; use --step batch');
  }
  const std = options.standardize;
  if (std) check(Number.isFinite(std.mean) && Number.isFinite(std.std) && std.std > 0, `--standardize takes mean,std with std > 0 (MNIST: 0.1307,0.3081); got ${std.mean},${std.std}`);
  return {
    schedule: schedule.name,
    ...(rule !== DEFAULT_RULE ? { rule } : {}),
    ...(ruleOptions ? { ruleOptions } : {}),
    seed: options.seed,
    epochs,
    step,
    batchSize,
    optimizer,
    ...(outputOptimizer ? { outputOptimizer } : {}),
    decoders,
    hiddenLoss,
    zeroGradSteps,
    ...(gate ? { gate } : {}),
    ...(drift ? { drift } : {}),
    ...(lrDecay ? { lrDecay } : {}),
    ...(lrCooldown !== undefined ? { lrCooldown } : {}),
    ...(dropout > 0 ? { dropout } : {}),
    ...(evalEvery > 1 ? { evalEvery } : {}),
    ...(dropoutPlacement !== 'shared' ? { dropoutPlacement } : {}),
    ...(augment ? { augment } : {}),
    ...(std ? { standardize: { mean: std.mean, std: std.std } } : {}),
  };
}

/** A copy of `data` with every input standardised. */
function standardized(data: Dataset, s: { mean: number; std: number }): Dataset {
  return makeDataset(standardize(data.x, s.mean, s.std), data.y, data.inputSize, data.outputSize, data.inputShape);
}

/** {@link RunOptions.outputOptimizer} checked, what it leaves out taken from the blocks' optimizer; undefined when not given. */
function resolveOutputOptimizer(given: RunOptions['outputOptimizer'], optimizer: OptimizerConfig & { lr: number }): ResolvedRunOptions['outputOptimizer'] {
  if (!given || (given.lr === undefined && given.weightDecay === undefined)) return undefined;
  check(optimizer.name !== 'rprop', '--output-lr and --output-weight-decay give the output block its own rate and decay, which rprop does not take; use them with adam, rmsprop or sgd');
  const lr = given.lr ?? optimizer.lr;
  const weightDecay = given.weightDecay ?? optimizer.weightDecay ?? 0;
  check(Number.isFinite(lr) && lr > 0, `--output-lr must be a rate > 0 (loeweX's read-out: 0.01), got ${lr}`);
  check(Number.isFinite(weightDecay) && weightDecay >= 0, `--output-weight-decay must be ≥ 0 (loeweX's read-out: 0.003), got ${weightDecay}`);
  return { lr, weightDecay };
}

function resolveLrDecay(at: number[] | undefined, factor: number | undefined, optimizer: string): ResolvedRunOptions['lrDecay'] {
  if (at === undefined || at.length === 0) {
    check(factor === undefined, '--lr-decay needs the epochs to decay at: add --lr-decay-at 10,15');
    return undefined;
  }
  check(at.every((e) => Number.isInteger(e) && e >= 1), `--lr-decay-at takes epochs ≥ 1, like 10,15; got ${at.join(',')}`);
  check(at.every((e, i) => i === 0 || e > at[i - 1]), `--lr-decay-at must list epochs in increasing order, got ${at.join(',')}`);
  const f = factor ?? 0.1;
  check(Number.isFinite(f) && f > 0, `--lr-decay must be a factor > 0 (0.25 quarters the rate), got ${f}`);
  // Rprop reads its rate only to set the first step sizes, as in PyTorch: a milestone would silently do nothing.
  check(optimizer !== 'rprop', '--lr-decay-at has no effect on rprop (its lr only sets the first step sizes); use it with adam, rmsprop or sgd');
  return { at: [...at], factor: f };
}

/** The learning rate for the `phaseEpoch`-th epoch (1-based) of a phase: decayed once for every milestone already passed. */
export function decayedRate(base: number, decay: ResolvedRunOptions['lrDecay'], phaseEpoch: number): number {
  if (!decay) return base;
  return base * decay.factor ** decay.at.filter((m) => phaseEpoch > m).length;
}

/** The run's optimizer: one over every variable, or two groups when the output block has its own rate ({@link RunOptions.outputOptimizer}). */
export function runOptimizer(o: Pick<ResolvedRunOptions, 'optimizer' | 'outputOptimizer'>, network: Network): Optimizer {
  const main = createOptimizer(o.optimizer);
  if (!o.outputOptimizer) return main;
  const output = createOptimizer({ ...o.optimizer, ...o.outputOptimizer });
  return new GroupedOptimizer(main, output, new Set(network.blocks[network.blocks.length - 1].variables));
}

/** The factor of {@link RunOptions.lrCooldown} on the rate of epoch `phaseEpoch` (1-based) of a phase of `epochs`: 1 before it starts. */
export function cooldownFactor(cooldown: number | undefined, epochs: number, phaseEpoch: number): number {
  if (cooldown === undefined) return 1;
  return Math.min(1, (epochs + 2 - phaseEpoch) / (epochs - cooldown));
}

/**
 * Checks that both sets have the model's input and output widths, saying
 * which width to change; a model whose input is an image (C×H×W) also needs
 * examples of that shape, while a flat input reads any example of its size
 * (a dense block flattens an image).
 */
export function checkDataFitsModel(spec: ModelSpec, sets: (Pick<Dataset, 'inputSize' | 'outputSize' | 'count' | 'inputShape'> & { name: string })[], rule?: LocalRule): void {
  const outputs = outputSize(spec);
  const modelInputs = inputSize(spec);
  // A rule may feed block 0 more than the data (Forward-Forward appends the label to 2-D points).
  const inputs = rule?.dataInputs?.(spec) ?? modelInputs;
  const extra = modelInputs - inputs;
  sets.forEach((data) => {
    const name = data.name;
    const fitted = { input: [data.inputSize + extra], stack: [...spec.stack.slice(0, -1), { kind: 'dense', units: data.outputSize }] };
    check(
      data.inputSize === inputs && data.outputSize === outputs,
      () => `${name} has ${data.inputSize} input(s) and ${data.outputSize} output(s) but the model ${formatLayers(spec)} takes ${inputs}${extra ? ` (${modelInputs} less the ${extra} rule ${rule!.name} adds)` : ''} and gives ${outputs}; change --model to ${formatLayers(fitted)}`,
    );
    const shape = dataShape(data);
    check(
      spec.input.length === 1 || (shape.length === spec.input.length && shape.every((d, k) => d === spec.input[k])),
      () => `${name} holds examples of shape ${formatShape(shape)}, but the model ${formatLayers(spec)} reads images of ${formatShape(spec.input)}; give the model the data's shape (${shape.join('x')}) or a flat input of ${data.inputSize}`,
    );
    check(data.count > 0, `${name} is empty`);
  });
}

/** A run stopped by its {@link RunOptions.signal}; {@link Run.checkpoint} gives the state to continue from. */
export class RunStoppedError extends LocalpropError {}

/** What a run holds while it is being iterated, for {@link Run.checkpoint}. */
interface LiveRun {
  optimizer: Optimizer;
  session: Session;
  total: number;
  /** Epochs finished. */
  epoch: number;
  busyMs: number;
  /** The plan of the last finished epoch (null before the first of this iteration). */
  plan: EpochPlan | null;
  /** The epoch in progress when the run stopped mid-epoch, for the checkpoint. */
  partial?: PartialEpoch;
  /** The worker pipeline training the epochs, when there is one. */
  pipeline?: EpochPipeline;
  /** The pipeline groups' state as fetched after epoch `epoch` (see {@link Run.prepareCheckpoint}). */
  pipelineState?: { epoch: number; state: PipelineState };
  /** The schedule's state restored from a checkpoint, until a plan has trained. */
  restoredScheduleState: Record<string, PlainTensor>;
  /** Events 0 to `epoch` (event `epoch` missing only between an epoch's training and its scores). */
  history: EpochEvent[];
  /** The shuffle stream before the epoch after `epoch` drew its batches (unset before the first draw). */
  shuffleBeforeDraw?: RngState;
}

/**
 * One training run as an async iterable of {@link RunEvent}s: a start event,
 * the untrained network's scores (epoch 0), one event after every epoch, and
 * an end event with the final model's metrics (those of the last epoch
 * event, with the training accuracy). Event k describes the network after k
 * epochs: its scores are that network's, its block losses and gates those
 * of epoch k's steps. Training advances only while the listener pulls, so a
 * listener may read {@link Run.network} at any event and see the model as
 * that event describes.
 *
 * A run can stop and continue: at any epoch event {@link Run.checkpoint}
 * gives its whole state as plain data, and a new Run with the same options
 * given that state ({@link RunOptions.resumeFrom} or {@link Run.resumeFrom})
 * first replays the saved epoch events (with {@link Run.replaying} true: the
 * network is then the checkpoint's, not the one those events describe) and
 * then trains the remaining epochs to exactly the weights and numbers of a
 * run never stopped.
 *
 * @example
 * ```ts
 * await useBackend('wasm');
 * const spec = parseModelSpec(MERTENS_MODEL);
 * const run = new Run({ schedule: 'local-parallel', spec, ...seededStart(0, spec, { dataset: 'signed_xor' }) });
 * for await (const event of run) {
 *   if (event.type === 'epoch') console.log(event.epoch, event.testAccuracy, event.blockLosses);
 * }
 * console.log(run.result?.testAccuracy);
 * run.dispose();
 * ```
 */
export class Run implements AsyncIterable<RunEvent> {
  readonly network: Network;
  readonly options: ResolvedRunOptions;
  readonly schedule: Schedule;
  /** What the hidden blocks learn from. */
  readonly rule: LocalRule;
  private readonly identity: RunIdentity;
  private started = false;
  private live: LiveRun | null = null;
  private resumeState: RunCheckpoint | undefined;
  /** True while the run replays the epoch events of the checkpoint it resumed from. */
  replaying = false;
  /** The state a stopped run continues from (see {@link RunOptions.signal}). */
  private stoppedAt: RunCheckpoint | undefined;
  /** The end event, once the run has finished. */
  result: RunEndEvent | undefined;
  /** The test accuracy of a constant guess, below which a run that had learned counts as collapsed. */
  private readonly collapseGuess: number;

  constructor(private readonly input: RunOptions) {
    this.rule = configuredRule(input.rule, input.ruleOptions);
    checkDataFitsModel(
      input.spec,
      [
        { ...input.train, name: 'the training set' },
        { ...input.test, name: 'the test set' },
      ],
      this.rule,
    );
    this.schedule = typeof input.schedule === 'string' ? getSchedule(input.schedule) : input.schedule;
    this.options = resolveRunOptions(input, outputSize(input.spec), input.spec);
    if (this.options.augment) imageSide(input.train.inputSize);
    if (input.spec.hidden.batchNorm) {
      const b = this.options.batchSize;
      check(input.train.count % b !== 1, `batch norm needs 2 or more examples in every training batch, but ${input.train.count} examples in batches of ${b} leave a last batch of one; choose another --batch-size`);
    }
    const s = this.options.standardize;
    if (s) this.input = { ...input, train: standardized(input.train, s), test: standardized(input.test, s) };
    this.collapseGuess = constantGuessAccuracy(input.test);
    this.identity = { schedule: this.schedule.name, seed: input.seed, decoders: this.options.decoders, ...(this.options.rule ? { rule: this.options.rule } : {}) };
    this.network = Network.fromParameters(input.spec, input.parameters, 'initial parameters', this.rule);
    if (input.resumeFrom) this.resumeFrom(input.resumeFrom);
  }

  /**
   * Continue from `state` (a {@link Run.checkpoint} of a run with the same
   * schedule, seed, decoders and options) when iterated; call before iterating.
   */
  resumeFrom(state: RunCheckpoint): void {
    check(!this.started, 'resumeFrom must be called before the run is iterated');
    const describe = (r: RunIdentity) => `${r.schedule}${r.rule ? ` with rule ${r.rule}` : ''} (seed ${r.seed}, ${r.decoders} decoders)`;
    const mine = describe(this.identity);
    const theirs = describe(state);
    check(state.schedule === this.identity.schedule && state.seed === this.identity.seed && state.decoders === this.identity.decoders && (state.rule ?? DEFAULT_RULE) === this.rule.name, `the checkpoint is of ${theirs}, not of ${mine}`);
    const differ = differingOptions(state.options, this.options);
    check(differ.length === 0, `the checkpoint of ${mine} was written with other options (${differ.join('; ')}); resume with the options it was started with`);
    const total = this.schedule.totalEpochs(this.options.epochs, this.network.blocks.length);
    check(state.epochs === total && Number.isInteger(state.epoch) && state.epoch >= 0 && state.epoch <= total, `the checkpoint of ${mine} is at epoch ${state.epoch} of ${state.epochs}, but this run has ${total}`);
    // Events 0 to `epoch`; a checkpoint taken at the start, or converted from version 1, lacks event `epoch`, which the run then scores.
    check(state.history.length === state.epoch + 1 || state.history.length === state.epoch, `the checkpoint of ${mine} is at epoch ${state.epoch} but holds ${state.history.length} epoch events; the file is damaged`);
    this.resumeState = state;
  }

  /** True when the run continues from a checkpoint (see {@link Run.resumeFrom}). */
  get resumed(): boolean {
    return this.resumeState !== undefined;
  }

  /**
   * The run's whole state at the event just yielded (start or epoch, not
   * while replaying), to continue later with {@link Run.resumeFrom}.
   */
  checkpoint(): RunCheckpoint {
    if (this.stoppedAt) return this.stoppedAt;
    const live = this.live;
    check(live !== null && !this.replaying && this.result === undefined, 'a run can be checkpointed only at its start or epoch events, while it is being iterated, or after it stopped at its signal');
    const piped = live.pipeline ? live.pipelineState : undefined;
    check(!live.pipeline || piped?.epoch === live.epoch, 'a pipelined run keeps its optimizer state on the worker threads: await run.prepareCheckpoint() before run.checkpoint()');
    return {
      ...this.identity,
      options: this.options,
      epoch: live.epoch,
      epochs: live.total,
      seconds: live.busyMs / 1000,
      parameters: this.network.toParameters(),
      optimizer: piped ? piped.state.optimizer : live.optimizer.saveState(this.network.variables),
      // A pipelined run's mask and augmentation streams advance on the groups' threads, not on this one.
      session: { ...live.session.saveState(), ...(live.shuffleBeforeDraw ? { shuffle: live.shuffleBeforeDraw } : {}), ...(piped ? { dropout: piped.state.dropout, ...(piped.state.augment ? { augment: piped.state.augment } : {}) } : {}) },
      scheduleState: live.plan ? (live.plan.saveState?.() ?? {}) : live.restoredScheduleState,
      history: [...live.history],
      ...(live.partial ? { partial: live.partial } : {}),
    };
  }

  /**
   * Gathers what {@link Run.checkpoint} needs from other threads: a
   * pipelined run's optimizer state and mask streams live on its worker
   * threads. Call it (and await it) before `checkpoint()` at an epoch
   * event; it does nothing for a run on one thread.
   */
  async prepareCheckpoint(): Promise<void> {
    const live = this.live;
    if (!live?.pipeline || live.pipelineState?.epoch === live.epoch) return;
    live.pipelineState = { epoch: live.epoch, state: await live.pipeline.exportState() };
  }

  /** Stops the run here (a step boundary) with its state kept for {@link Run.checkpoint}. */
  private stop(live: LiveRun, where: string): never {
    this.stoppedAt = this.checkpoint();
    throw new RunStoppedError(`${this.schedule.name} (seed ${this.identity.seed}) stopped ${where}`);
  }

  /**
   * Trains `plan`'s epoch step by step. With a signal, other tasks get a
   * turn after every step, and a stop asked for there keeps the epoch so far
   * (its losses, the evaluations made before it) in the checkpoint.
   */
  private async trainEpoch(live: LiveRun, plan: EpochPlan, epochStart: number): Promise<(number | null)[]> {
    const { session } = live;
    const signal = this.input.signal;
    const steps = plan.train();
    let chunk = session.startChunk;
    for (let r = steps.next(); !r.done; r = steps.next()) {
      chunk++;
      if (!signal || chunk >= session.chunkCount) continue;
      await nextTurn();
      if (!signal.aborted) continue;
      steps.return();
      live.partial = { chunks: chunk, losses: session.epochLossValues(), milliseconds: performance.now() - epochStart };
      live.plan = plan;
      this.stop(live, `in epoch ${live.epoch + 1} of ${live.total}, after step ${chunk} of ${session.chunkCount}`);
    }
    return session.takeEpochLosses();
  }

  /** Trains the run, yielding its start event, one event per epoch and the end event. */
  async *[Symbol.asyncIterator](): AsyncGenerator<RunEvent> {
    check(!this.started, 'a run can be iterated only once; make a new Run to train again');
    this.started = true;
    const o = this.options;
    const optimizer = runOptimizer(o, this.network);
    const seedRng = new Rng(o.seed);
    // Each use of randomness has its own stream, so turning dropout on leaves the shuffles as they were.
    const ruleRng = this.rule.prepareChunk ? seedRng.fork('rule') : undefined;
    const s = o.standardize;
    // torchvision pads with 0 before normalising: shifted-in pixels are a raw 0, standardised.
    const augment = o.augment ? { ...o.augment, fill: s ? -s.mean / s.std : 0 } : undefined;
    const session = new Session(this.network, optimizer, this.input.train, this.input.test, { ...o, augment }, seedRng.fork('shuffle'), seedRng.fork('dropout'), ruleRng, seedRng.fork('augment'));
    const total = this.schedule.totalEpochs(o.epochs, session.blockCount);
    const plans = this.schedule.plan(session, o.epochs);
    const evaluator = this.input.testEvaluator;
    const resume = this.resumeState;
    const live: LiveRun = { optimizer, session, total, epoch: 0, busyMs: 0, plan: null, restoredScheduleState: {}, history: [] };
    const restoredPartial = resume?.partial;
    try {
      if (resume) {
        this.network.setParameters(resume.parameters, 'the checkpoint');
        optimizer.loadState(this.network.variables, resume.optimizer);
        session.loadState(resume.session);
        Object.assign(live, { epoch: resume.epoch, busyMs: resume.seconds * 1000, restoredScheduleState: resume.scheduleState, history: [...resume.history] });
      }
      this.live = live;
      // A rule without read-outs fits its probes on training rows, there too.
      await evaluator?.setup(this.network, this.input.test, o.batchSize, o.hiddenLoss, this.rule.fitsProbes ? this.input.train : undefined);
      const pipeline = this.input.pipeline && this.schedule.pipelinable ? this.input.pipeline : undefined;
      if (pipeline) {
        check(!this.rule.prepareChunk, `rule ${this.rule.name} prepares every chunk from the whole network, which a pipeline of block groups does not hold; use --workers 1`);
        // The groups rebuild the rule from its name and options: a rule object of the caller's own cannot cross.
        const given = this.input.rule;
        check(typeof given !== 'object' || listRules().includes(given), `rule ${this.rule.name} was given as an object, which the pipeline's threads cannot rebuild; register it (registerRule, or --import a module that does) or use --workers 1`);
        check(!resume?.partial, 'this checkpoint stopped inside an epoch, which a pipeline cannot continue; resume it with --workers 1');
        live.pipeline = pipeline;
        const refusal = pipelineRefusal({ schedule: this.schedule, step: o.step, zeroGradSteps: o.zeroGradSteps });
        check(refusal === null, () => refusal!);
        const resumeState = resume ? { optimizer: resume.optimizer, dropout: resume.session.dropout, ...(resume.session.augment ? { augment: resume.session.augment } : {}) } : undefined;
        const carried = { ruleOptions: o.ruleOptions, dropoutPlacement: o.dropoutPlacement, augment, outputOptimizer: o.outputOptimizer };
        await pipeline.setup(this.network, this.input.train, { rule: this.rule.name, seed: o.seed, batchSize: o.batchSize, decoders: o.decoders, hiddenLoss: o.hiddenLoss, optimizer: o.optimizer, dropout: o.dropout ?? 0, ...carried }, resumeState);
        if (resumeState) live.pipelineState = { epoch: live.epoch, state: resumeState };
      }
      yield { type: 'start', ...this.identity, epochs: total, blocks: session.blockCount, step: o.step };
      if (resume) {
        this.replaying = true;
        try {
          for (const event of resume.history) yield event;
        } finally {
          this.replaying = false;
        }
      }
      const evalEvery = o.evalEvery ?? 1;
      // A resumed run carries the scores its last saved event carried, as the run never stopped would.
      const saved = live.history[live.history.length - 1];
      let lastTest: { test: Evaluation; epoch: number } | null = saved?.blockAccuracy
        ? { test: { loss: saved.testLoss, accuracy: saved.testAccuracy, blockAccuracy: saved.blockAccuracy }, epoch: saved.evaluatedAt ?? saved.epoch }
        : null;
      /** What epoch `epoch` trained, for its event (null for event 0 and once the event is made). */
      let trained: TrainedEpoch | null = resume?.unscored ?? null;
      let epoch = live.epoch;
      /**
       * Scores the network as it is on the next epoch's batches (drawn here):
       * the test set on the evaluator while this thread takes the training
       * set; `carried` stands for the test set's scores between --eval-every epochs.
       */
      const score = async (final: boolean, carried: Evaluation | null): Promise<{ train: Evaluation; test: Evaluation }> => {
        const scoreStart = performance.now();
        live.shuffleBeforeDraw = session.shuffleState();
        session.beginEpoch();
        const pending = carried ? undefined : evaluator?.evaluate(this.network.snapshot());
        // If the training set's pass throws first, the evaluation's own failure is moot; do not report it as unhandled.
        pending?.catch(() => undefined);
        const train = final ? session.evaluateTrain(true) : { loss: session.trainLossBeforeEpoch(), accuracy: NaN, blockAccuracy: [] };
        const test = carried ?? (pending ? await pending : session.evaluateTest());
        live.busyMs += performance.now() - scoreStart;
        return { train, test };
      };
      const watch = new CollapseWatch(this.collapseGuess);
      // A resumed run's watch knows the best accuracy of the events it replays.
      for (const e of live.history) watch.observe(e.epoch, { loss: e.testLoss, accuracy: e.testAccuracy, blockAccuracy: e.blockAccuracy });
      const endEvent = (train: Evaluation, test: Evaluation): RunEndEvent => {
        const collapsed = live.history.find((e) => e.collapsed !== undefined);
        return {
          type: 'end',
          ...this.identity,
          epochs: total,
          trainLoss: train.loss,
          trainAccuracy: train.accuracy,
          testLoss: test.loss,
          testAccuracy: test.accuracy,
          seconds: live.busyMs / 1000,
          ...(collapsed ? { collapsed: { epoch: collapsed.epoch, reason: collapsed.collapsed! } } : {}),
        };
      };
      let end: RunEndEvent | undefined;
      /** Event `epoch`: the network after `epoch` epochs (0: untrained), scored before the next epoch trains; the last also makes the end event. */
      const epochEvent = async (): Promise<EpochEvent> => {
        const final = epoch === total;
        const scored = final || epoch % evalEvery === 0 || lastTest === null;
        const { train, test } = await score(final, scored ? null : lastTest!.test);
        if (scored) lastTest = { test, epoch };
        const collapsed = scored ? watch.observe(epoch, test) : null;
        const event: EpochEvent = {
          type: 'epoch',
          ...this.identity,
          epoch,
          epochs: total,
          block: trained?.block ?? null,
          trainLoss: train.loss,
          testLoss: test.loss,
          testAccuracy: test.accuracy,
          blockLosses: trained?.blockLosses ?? session.network.blocks.map(() => null),
          blockAccuracy: test.blockAccuracy,
          ...(evalEvery > 1 ? { evaluatedAt: lastTest!.epoch } : {}),
          ...(trained?.gates ? { gates: trained.gates } : {}),
          ...(collapsed ? { collapsed } : {}),
          seconds: live.busyMs / 1000,
        };
        this.checkFinite(event);
        live.history.push(event);
        trained = null;
        if (final) end = endEvent(train, test);
        return event;
      };
      if (live.history.length === epoch) {
        yield await epochEvent();
      } else if (epoch < total) {
        // The checkpoint stood after its last event had drawn the next epoch's batches: draw them again.
        live.shuffleBeforeDraw = session.shuffleState();
        session.beginEpoch();
        session.knowTrainLoss(live.history[epoch].trainLoss);
      } else {
        // Stopped at the last event: its scores are in the history, the end event's training accuracy is not.
        const { train, test } = await score(true, null);
        end = endEvent(train, test);
      }
      let phaseEpoch = 0;
      let phaseBlock: number | null = null;
      let step = 0;
      for (const plan of plans) {
        step++;
        // A new phase starts when a one-block-at-a-time schedule moves on.
        phaseEpoch = plan.block !== null && plan.block !== phaseBlock ? 1 : phaseEpoch + 1;
        phaseBlock = plan.block;
        // Epochs before a checkpoint are passed over untrained: their plans only set the phase.
        if (step <= live.epoch) continue;
        if (live.plan === null && Object.keys(live.restoredScheduleState).length > 0) {
          check(plan.loadState !== undefined, `the checkpoint holds state of a schedule that ${this.schedule.name} does not keep; it is for another schedule`);
          plan.loadState(live.restoredScheduleState);
        }
        if (this.input.signal?.aborted) {
          // A pipelined epoch cannot stop inside: it stops here, with the groups' state fetched for the checkpoint.
          await this.prepareCheckpoint();
          this.stop(live, `before epoch ${epoch + 1} of ${total}`);
        }
        optimizer.learningRate = decayedRate(o.optimizer.lr, o.lrDecay, phaseEpoch) * cooldownFactor(o.lrCooldown, o.epochs, phaseEpoch);
        let started = performance.now();
        const resumed = resume && epoch === resume.epoch ? restoredPartial : undefined;
        if (resumed) {
          // The epoch stopped mid-way: the same batches, the steps not yet taken.
          session.resumeEpoch(resumed.chunks, resumed.losses);
          started -= resumed.milliseconds;
        }
        const blockLosses = pipeline ? await pipelinedEpoch(session, pipeline, optimizer.learningRate, plan) : await this.trainEpoch(live, plan, started);
        live.busyMs += performance.now() - started;
        trained = { block: plan.block, blockLosses, ...(plan.gateMetrics ? { gates: plan.gateMetrics() } : {}) };
        epoch++;
        live.epoch = epoch;
        live.plan = plan;
        yield await epochEvent();
      }
      this.result = end!;
      this.checkFinite(this.result);
      yield this.result;
    } finally {
      this.live = null;
      plans.return(undefined);
      optimizer.dispose();
      session.dispose();
    }
  }

  /** The set the run trains on (a report draws its points). */
  get trainSet(): Dataset {
    return this.input.train;
  }

  /** Runs to the end, calling `onEvent` for every event; resolves to the end event. */
  async complete(onEvent?: (event: RunEvent) => void): Promise<RunEndEvent> {
    for await (const event of this) onEvent?.(event);
    return this.result!;
  }

  /** Frees the network's variables. */
  dispose(): void {
    this.network.dispose();
  }

  private checkFinite(event: EpochEvent | RunEndEvent): void {
    const where = event.type === 'epoch' ? `at epoch ${event.epoch}` : 'at the end';
    const bad: string[] = [];
    if (!Number.isFinite(event.trainLoss)) bad.push(`training loss ${event.trainLoss}`);
    if (!Number.isFinite(event.testLoss)) bad.push(`test loss ${event.testLoss}`);
    const outputs = outputSize(this.input.spec);
    const outputLimit = saturatedLoss(this.input.spec.loss, outputs);
    // Only the training loss: a test loss that high can also be overfitting, a training loss cannot.
    if (Number.isFinite(event.trainLoss) && event.trainLoss >= outputLimit) bad.push(`training loss ${event.trainLoss.toFixed(2)} ${saturationText(this.input.spec.loss)}`);
    if (event.type === 'epoch') {
      const last = event.blockLosses.length - 1;
      event.blockLosses.forEach((l, i) => {
        if (l === null) return;
        if (!Number.isFinite(l)) bad.push(`block ${i}'s local loss ${l}`);
        else if (i === last || this.rule.hiddenLossIsReadout !== false) {
          const loss = i === last ? this.input.spec.loss : this.options.hiddenLoss;
          if (l >= saturatedLoss(loss, outputs)) bad.push(`block ${i}'s local loss ${l.toFixed(2)} ${saturationText(loss)}`);
        }
      });
    }
    if (bad.length) {
      throw new DivergedError(
        event,
        `${event.schedule} (seed ${event.seed}) diverged ${where}: ${bad.join(', ')}; ` +
          `lower the learning rate (--lr, now ${this.options.optimizer.lr}), try another --optimizer, or check the data for huge values`,
      );
    }
  }
}

/**
 * The mean loss from which a run counts as diverged although finite: ten
 * times the loss of guessing uniformly (ln 2 an output for bce, ln C for
 * ce), which no training that learns reaches. For bce that is 6.9, where
 * the clamp of log at -100 means outputs saturated at exactly 0 or 1 on at
 * least 7% of the examples, wrong side; mse has no such bound.
 */
export function saturatedLoss(loss: LossName, outputs: number): number {
  if (loss === 'bce') return 10 * Math.LN2;
  if (loss === 'ce') return 10 * Math.log(Math.max(2, outputs));
  return Infinity;
}

function saturationText(loss: LossName): string {
  return loss === 'bce'
    ? "is pinned near the binary cross-entropy's clamp (100 an example: outputs saturated at 0 or 1 on the wrong side)"
    : `is over ten times a uniform guess's (${loss}: logits gone huge)`;
}

/** A run whose losses became non-finite or saturated: the CLI's `compare` records it as diverged and runs the others. */
export class DivergedError extends LocalpropError {
  constructor(
    /** The event at which the run diverged (its schedule, seed, decoders and epoch). */
    readonly event: EpochEvent | RunEndEvent,
    message: string,
  ) {
    super(message);
  }
}

/** The options that differ between two resolved option sets, as `name: a ≠ b` lines. */
export function differingOptions(a: ResolvedRunOptions, b: ResolvedRunOptions): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])] as (keyof ResolvedRunOptions)[];
  const text = (v: unknown) => (v === undefined ? 'none' : canonicalJson(v));
  return keys.filter((k) => text(a[k]) !== text(b[k])).map((k) => `${k}: ${text(a[k])} ≠ ${text(b[k])}`);
}

/** JSON with every object's keys sorted, so equal values give equal text whatever order they were built in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** Lets other tasks run (a signal handler among them) before the next step. */
function nextTurn(): Promise<void> {
  // Node's setImmediate runs after pending I/O and signals; a browser has only the (clamped) timeout.
  const immediate = (globalThis as { setImmediate?: (f: () => void) => void }).setImmediate;
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}
