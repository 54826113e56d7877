import { rulesOf, type ExperimentConfig } from '../experiment/experiment.js';
import type { Activation } from '../model/activations.js';
import type { ModelSpec } from '../model/spec.js';
import { sizeOf } from '../model/blocks/kind.js';
import { hiddenBlocks, inputSize, modelShapes, outputSize } from '../model/shapes.js';
import { decoderRule } from '../rules/decoder.js';
import { configuredRule, scheduleWithRule } from '../rules/registry.js';
import type { LocalRule } from '../rules/rule.js';
import type { OptimizerName } from '../optim/index.js';
import type { DecoderMode } from '../train/events.js';
import { resolveRunOptions } from '../train/run.js';
import { getSchedule } from '../schedules/registry.js';
import type { StepMode } from '../train/session.js';

/**
 * Memory a schedule needs, computed from tensor shapes alone (no TF.js), so
 * it can be reported before, after or without a run. Every number is float32
 * bytes (4 a number).
 *
 * What is counted:
 *
 * - **activations** (`activationBytes`): the tensors a training step holds
 *   when its backward pass starts, at the step that holds most. That is the
 *   step's batch (inputs and targets of its rows), and for every block
 *   whose gradient the step computes the tensors the backward pass reads.
 *   Back-propagation keeps them for every block at once; a local step only
 *   for one block, plus that block's input (the previous block's output) and
 *   its decoder's output; past block 0 a local mini-batch step no longer
 *   holds the batch's inputs, which only block 0 reads (without dropout:
 *   its masks are not counted, and they keep the inputs alive). Per block, the count follows what TF.js's
 *   gradients save (see `KEPT_PER_UNIT`): relu keeps the pre-activation
 *   and the output, 2 numbers per unit and row; tanh, sigmoid and identity
 *   keep one; mish four. The output block and each decoder keep 2 numbers
 *   per output (logits and what the loss keeps of them). Each row also
 *   carries 4 numbers of bookkeeping (its index, its weight in the loss, its
 *   loss and weighted loss); row normalisation adds 2 more per block.
 *   Every schedule that trains its rule is counted as local, and a rule that
 *   holds more per step says so ({@link LocalRule.stepMemory}): Forward-Forward's
 *   step is counted as a local step on its 3 stacked rows per example (2
 *   without the read-out), DFA's adds every block's input from its one
 *   forward pass and the output error. With --step epoch
 *   the batch is the whole training set, which the data already holds, so
 *   it is counted twice there.
 *   Measured on the cpu backend (test/metrics/memory.test.ts, by distinct data
 *   buffers, since `tf.memory().numBytes` counts shared ones twice), TF.js holds
 *   exactly this for relu networks (and within 1% for the other
 *   activations and losses). On wasm it holds more: there a tensor saved
 *   for the backward pass is a copy (wasm's identity kernel copies), so a
 *   step also holds a copy of the weights of every block it differentiates
 *   and of the targets: 784-256-256-256-10 at batch 128 held 2.1× this
 *   estimate with back-propagation and 1.85× with a local step.
 * - **parameters** (`parameterBytes`): every block's weight and bias and
 *   the tensors the rule adds per hidden block (the decoder rule's decoder
 *   weight, DFA's feedback matrix, none for Forward-Forward); the network
 *   holds them whatever the schedule.
 * - **optimizer state** (`optimizerStateBytes`): per trained parameter, the
 *   tensors its rule keeps between steps (`OPTIMIZER_STATE_TENSORS`).
 *   Back-propagation trains the blocks only; local schedules also train the
 *   rule's trainable tensors (the decoders) when they are learned.
 * - **schedule state** (`scheduleStateBytes`): what a schedule keeps between
 *   steps besides parameters: local-sequential's frozen features (the
 *   output of the frozen blocks on the whole training set, for the block
 *   with the widest input), local-gated's drift trackers (each block's last
 *   input on the tracked rows, and three vectors of its width) and, with
 *   mini-batches, the tracked rows themselves.
 *
 * Not counted: the transient tensors of the backward pass itself. TF.js
 * keeps the gradient of every intermediate until the step ends, and the
 * parameters' gradients and the update's temporaries come on top: on the
 * test's relu network, where activations dominate, the peak during a step
 * is 2.3 (local) to 2.6 (back-propagation) times the activations; on
 * 784-256-256-256-10 at batch 128, where parameters outweigh a batch's
 * activations, 10 to 14 times. Nor the data (see `dataBytes`), nor
 * what the evaluation thread holds (its own copy of the test set and of
 * the parameters).
 */
export interface ScheduleMemory {
  schedule: string;
  /** The learning rule the estimate is for. */
  rule: string;
  decoders: DecoderMode;
  /** Examples one optimizer step sees: the batch size, or the whole training set with --step epoch. */
  rowsPerStep: number;
  activationBytes: number;
  parameterBytes: number;
  optimizerStateBytes: number;
  scheduleStateBytes: number;
}

/** What the estimate needs besides the spec: a run's resolved options and the training set's size. */
export interface MemoryOptions {
  schedule: string;
  step: StepMode;
  batchSize: number;
  optimizer: OptimizerName;
  decoders: DecoderMode;
  /** Examples in the training set (after any validation split). */
  trainRows: number;
  /** The learning rule, with its options (default: the decoder rule). */
  rule?: LocalRule;
}

/** Bytes of one float32. */
export const BYTES_PER_NUMBER = 4;

/**
 * Tensors each rule keeps per parameter between steps (see src/optim):
 * Rprop the previous gradient and the step size; Adam the two moments;
 * RMSprop the mean square and a momentum buffer (allocated even without
 * momentum); SGD its momentum buffer (allocated even without momentum).
 */
export const OPTIMIZER_STATE_TENSORS: Record<OptimizerName, number> = { rprop: 2, adam: 2, rmsprop: 2, sgd: 1 };

/**
 * Numbers a block's backward pass reads, per unit of its output and per row,
 * as TF.js's gradients save them: relu and leaky-relu read the
 * pre-activation and the next block (or the decoder) reads the output;
 * tanh and sigmoid read their output only, and the pre-activation is
 * freed; identity's output is its pre-activation; mish (written in
 * src/model/activations.ts) saves the pre-activation, its sigmoid and its
 * tanh(softplus) besides the output.
 */
export const KEPT_PER_UNIT: Record<Activation, number> = { relu: 2, 'leaky-relu': 2, 'relu-full-grad': 1, tanh: 1, sigmoid: 1, identity: 1, mish: 4, softmax: 2 };

/** Per-row bookkeeping of a step: the row's index, its weight in the loss, its loss and its weighted loss. */
const BOOKKEEPING_PER_ROW = 4;
/** Row normalisation keeps the inverse norm and a clamp mask, one number each a row. */
const NORMALIZE_PER_ROW = 2;
/** Output block and decoders: the logits (or decoder output) and what the loss keeps of them, per output. */
const KEPT_PER_OUTPUT = 2;

/** Bytes of the parameters: every block's weight and bias, and the rule's tensors of every hidden block (the decoders by default). */
export function parameterBytes(spec: ModelSpec, rule: LocalRule = decoderRule): number {
  return (blockParameterCount(spec) + ruleParameterCount(spec, rule, false)) * BYTES_PER_NUMBER;
}

function blockParameterCount(spec: ModelSpec): number {
  let n = 0;
  for (const b of modelShapes(spec).blocks) for (const t of b.kind.tensors(b.input, b.layer)) n += sizeOf(t.shape);
  return n;
}

/** Numbers in the tensors `rule` adds to the hidden blocks (only those it trains, when `trainableOnly`). */
function ruleParameterCount(spec: ModelSpec, rule: LocalRule, trainableOnly: boolean): number {
  let n = 0;
  for (const block of hiddenBlocks(spec)) {
    for (const t of rule.tensors(spec, block)) if (t.trainable || !trainableOnly) n += t.shape.reduce((a, d) => a * d, 1);
  }
  return n;
}

/** Bytes of a dataset held as features and targets: `rows × (inputs + outputs)` numbers. */
export function dataBytes(spec: ModelSpec, rows: number): number {
  return rows * (inputSize(spec) + outputSize(spec)) * BYTES_PER_NUMBER;
}

/**
 * Numbers per row that block `i` keeps for its own backward pass: what its
 * kind's operation keeps (a dense block's pre-activation) and what its
 * activation keeps besides (or, for the last block, its outputs), and, for
 * a hidden block learning locally, its decoder's output.
 */
function keptByBlock(spec: ModelSpec, i: number, local: boolean): number {
  const { blocks } = modelShapes(spec);
  const b = blocks[i];
  const outputs = outputSize(spec);
  if (b.isOutput) return KEPT_PER_OUTPUT * outputs;
  // Layers between blocks (pooling) keep what their own backward pass reads, counted with the block they feed.
  const between = b.before.reduce((n, l) => n + l.kind.activationBytes(l.input, l.layer), 0);
  const own = (between + b.kind.activationBytes(b.input, b.layer)) / BYTES_PER_NUMBER + (KEPT_PER_UNIT[spec.hidden.activation] - 1) * sizeOf(b.output);
  const perRow = own + (spec.hidden.normalize ? NORMALIZE_PER_ROW : 0);
  return perRow + (local ? KEPT_PER_OUTPUT * outputs : 0);
}

/**
 * Activation bytes of the step that holds most (see {@link ScheduleMemory}).
 * `backprop` keeps every block on one tape; every other schedule steps one
 * block at a time on its own loss and, with mini-batches, frees the batch's
 * inputs once block 0 has stepped (see {@link Session.releaseBatchInput}).
 */
export function activationBytes(spec: ModelSpec, schedule: string, rows: number, step: StepMode = 'batch', rule: LocalRule = decoderRule): number {
  const shapes = modelShapes(spec);
  const local = getSchedule(schedule).trainsRule;
  const more = (local && rule.stepMemory?.(spec, rows)) || { rowsPerExample: 1, extraPerExample: 0 };
  const blocks = shapes.blocks.length;
  const batch = inputSize(spec) + outputSize(spec) + BOOKKEEPING_PER_ROW;
  const batchPastBlock0 = step === 'batch' ? batch - inputSize(spec) : batch;
  let perRow: number;
  if (!local) {
    perRow = batch;
    for (let i = 0; i < blocks; i++) perRow += keptByBlock(spec, i, false);
  } else {
    perRow = 0;
    for (let i = 0; i < blocks; i++) {
      // Block 0 reads the batch itself; block i > 0 also holds its input, the previous block's output.
      const input = i === 0 ? 0 : sizeOf(shapes.blocks[i].fed);
      perRow = Math.max(perRow, (i === 0 ? batch : batchPastBlock0) + input + keptByBlock(spec, i, true));
    }
  }
  return (perRow * more.rowsPerExample + more.extraPerExample) * rows * BYTES_PER_NUMBER;
}

/** Bytes of the optimizer's state: per trained parameter, {@link OPTIMIZER_STATE_TENSORS}. */
export function optimizerStateBytes(spec: ModelSpec, schedule: string, optimizer: OptimizerName, decoders: DecoderMode, rule: LocalRule = decoderRule): number {
  const trainsDecoders = getSchedule(schedule).trainsRule && decoders === 'learned';
  const trained = blockParameterCount(spec) + (trainsDecoders ? ruleParameterCount(spec, rule, true) : 0);
  return trained * OPTIMIZER_STATE_TENSORS[optimizer] * BYTES_PER_NUMBER;
}

/** What a schedule keeps between steps besides parameters and optimizer state (see {@link ScheduleMemory}); the schedule says. */
export function scheduleStateBytes(spec: ModelSpec, schedule: string, step: StepMode, trainRows: number): number {
  return getSchedule(schedule).stateBytes?.(spec, step, trainRows, BYTES_PER_NUMBER) ?? 0;
}

/** The memory of one schedule and decoder mode (see {@link ScheduleMemory} for what is counted). */
export function scheduleMemory(spec: ModelSpec, o: MemoryOptions): ScheduleMemory {
  const rowsPerStep = o.step === 'epoch' ? o.trainRows : Math.min(o.batchSize, o.trainRows);
  const rule = o.rule ?? decoderRule;
  return {
    schedule: o.schedule,
    rule: rule.name,
    decoders: o.decoders,
    rowsPerStep,
    activationBytes: activationBytes(spec, o.schedule, rowsPerStep, o.step, rule),
    parameterBytes: parameterBytes(spec, rule),
    optimizerStateBytes: optimizerStateBytes(spec, o.schedule, o.optimizer, o.decoders, rule),
    scheduleStateBytes: scheduleStateBytes(spec, o.schedule, o.step, o.trainRows),
  };
}

/** The memory of an experiment's runs, as `--json` and results.json report it. */
export interface ExperimentMemory {
  bytesPerNumber: number;
  /** The training and held-out sets on the backend (features and targets), which every schedule holds alike. */
  dataBytes: number;
  /** One entry per schedule, rule and decoder mode, in the experiment's order. */
  schedules: ScheduleMemory[];
}

/**
 * The memory of every schedule × decoder mode of `config`, with its
 * training options resolved as the runs resolve them. `trainRows` and
 * `heldOutRows` are the sizes of the sets the runs train and score on.
 */
export function experimentMemory(config: ExperimentConfig, trainRows: number, heldOutRows: number): ExperimentMemory {
  const spec = config.spec;
  const outputs = outputSize(spec);
  const schedules: ScheduleMemory[] = [];
  for (const schedule of config.schedules) {
    for (const ruleName of rulesOf(config)) {
      const rule = configuredRule(ruleName, config.training.ruleOptions);
      for (const decoders of config.decoders) {
        const o = resolveRunOptions({ ...config.training, schedule, seed: 0, decoders }, outputs);
        schedules.push(scheduleMemory(spec, { schedule: o.schedule, step: o.step, batchSize: o.batchSize, optimizer: o.optimizer.name, decoders, trainRows, rule }));
      }
    }
  }
  return { bytesPerNumber: BYTES_PER_NUMBER, dataBytes: dataBytes(spec, trainRows + heldOutRows), schedules };
}

/** Bytes in MiB with two decimals, for one-line summaries. */
export function formatMiB(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(2)} MiB`;
}

/** How summaries name an entry: its schedule, and its rule when that is not the decoder rule. */
export function memoryLabel(m: ScheduleMemory): string {
  return scheduleWithRule(m.schedule, m.rule);
}

/** The distinct figures of `pick` over the entries (in MiB unless `format` says otherwise), joined by "or": rules differ in parameters, optimizers in state. */
export function distinctMiB(memory: ExperimentMemory, pick: (m: ScheduleMemory) => number, format: (bytes: number) => string = formatMiB): string {
  return [...new Set(memory.schedules.map((m) => format(pick(m))))].join(' or ');
}

/**
 * One line for the compare summary: the activation memory of each
 * schedule's (and rule's) step, then the parameters and the optimizer
 * state (each distinct figure once).
 */
export function formatMemoryLine(memory: ExperimentMemory): string {
  const activations = new Map<string, string>();
  for (const m of memory.schedules) if (!activations.has(memoryLabel(m))) activations.set(memoryLabel(m), `${memoryLabel(m)} ${formatMiB(m.activationBytes)}`);
  const rows = new Set(memory.schedules.map((m) => m.rowsPerStep));
  return (
    `memory: activations a step holds (${[...rows].join('/')} rows) ${[...activations.values()].join(', ')}; ` +
    `parameters ${distinctMiB(memory, (m) => m.parameterBytes)}; optimizer state ${distinctMiB(memory, (m) => m.optimizerStateBytes)}`
  );
}
