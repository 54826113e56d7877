import { getDataset } from '../data/registry.js';
import { dataName, type ExperimentConfig } from '../experiment/experiment.js';
import { formatModelSpec, parseModelSpec, SEED_MODEL, type LossName } from '../model/spec.js';
import { getSchedule, listSchedules } from '../schedules/registry.js';
import { configuredRule, DEFAULT_RULE, listRules } from '../rules/registry.js';
import { rulesOf } from '../experiment/experiment.js';
import { resolveRunOptions, type ResolvedRunOptions } from '../train/run.js';
import { blockCount, outputSize } from '../model/shapes.js';

const OPTIMIZER_NAMES: Record<string, string> = { rprop: 'Rprop', adam: 'Adam', rmsprop: 'RMSprop', sgd: 'SGD' };

/** A schedule's description without its trailing "(100 epochs)": the header prints the epochs it will run. */
function shortDescription(description: string): string {
  return description.replace(/\s*\([^()]*epochs?[^()]*\)\s*$/, '');
}

/** "100 epochs", or "4 blocks × 50 epochs" for a schedule that trains one block at a time. */
export function epochsInWords(schedule: string, config: ExperimentConfig): string {
  const s = getSchedule(schedule);
  const epochs = config.training.epochs ?? s.defaultEpochs;
  const blocks = blockCount(config.spec);
  const plural = (n: number) => `${n} epoch${n === 1 ? '' : 's'}`;
  return s.totalEpochs(epochs, blocks) === epochs ? plural(epochs) : `${blocks} blocks × ${plural(epochs)}`;
}

/** How the runs step, in words: "Rprop (lr 0.01), one step per epoch on the summed losses of its batches of 100". */
export function trainingInWords(o: ResolvedRunOptions): string {
  const optimizer = `${OPTIMIZER_NAMES[o.optimizer.name] ?? o.optimizer.name} (lr ${o.optimizer.lr})`;
  const step = o.step === 'epoch' ? `one step per epoch on the summed losses of its batches of ${o.batchSize}` : `one step per mini-batch of ${o.batchSize}`;
  const extras = [o.lrDecay ? `rate ×${o.lrDecay.factor} after epochs ${o.lrDecay.at.join(', ')}` : '', o.lrCooldown !== undefined ? `rate cooling linearly after epoch ${o.lrCooldown}` : '', o.outputOptimizer ? `output block at lr ${o.outputOptimizer.lr}, weight decay ${o.outputOptimizer.weightDecay}` : '', o.dropout ? `dropout ${o.dropout}` : '', o.zeroGradSteps ? "Mertens' single-optimizer quirk (--zero-grad-steps)" : ''].filter(Boolean);
  return [`${optimizer}, ${step}`, ...extras].join('; ');
}

const LOSS_NAMES: Record<LossName, string> = { bce: 'binary cross-entropy', ce: 'cross-entropy', mse: 'mean squared error' };

/** Whether the runs follow Mertens' protocol: his network, his data, full-batch Rprop, each schedule's own epochs. */
function followsProtocol(config: ExperimentConfig, o: ResolvedRunOptions): boolean {
  const t = config.training;
  return (
    'dataset' in config.data &&
    config.data.dataset === 'signed_xor' &&
    formatModelSpec(config.spec) === formatModelSpec(parseModelSpec(SEED_MODEL)) &&
    t.epochs === undefined &&
    o.optimizer.name === 'rprop' &&
    o.optimizer.lr === 0.01 &&
    o.step === 'epoch' &&
    o.batchSize === 100 &&
    !o.zeroGradSteps &&
    !o.dropout &&
    !o.lrDecay &&
    config.holdOut === undefined &&
    rulesOf(config).join() === DEFAULT_RULE
  );
}

/**
 * One line for each rule with options of its own, naming the values those
 * the user left out take (`defaults of rule ff: --ff-threshold 4
 * --ff-goodness sum …`), as the dataset's first-look defaults are named:
 * a rule's defaults decide what it learns as much as the data's do.
 * Nothing for a rule without options, or one whose options were all given.
 */
export function ruleDefaultNotes(rules: string[], given: Record<string, unknown> | undefined): string[] {
  return rules.flatMap((name) => {
    const rule = configuredRule(name, given);
    const left = (rule.optionTable ?? []).filter((d) => d.flag !== undefined && rule.options?.[d.key] !== undefined && given?.[d.key] === undefined);
    if (left.length === 0) return [];
    return [`defaults of rule ${name}: ${left.map((d) => `${d.flag!.split(' ')[0]} ${String(rule.options![d.key])}`).join(' ')}; an option you give replaces its default`];
  });
}

/** Seeds in words: "5 seeds (0-4)", "1 seed (0)", "3 seeds (0, 3, 7)". */
export function seedsInWords(seeds: number[]): string {
  const consecutive = seeds.length > 2 && seeds.every((s, i) => s === seeds[0] + i);
  const list = consecutive ? `${seeds[0]}-${seeds.at(-1)}` : seeds.join(', ');
  return `${seeds.length} seed${seeds.length === 1 ? '' : 's'} (${list})`;
}

/**
 * What `compare` is about to do, for a reader who has not read the docs:
 * the data, the model, how every run trains, each schedule in one line,
 * and what the table's columns will mean. Several lines, no trailing newline.
 */
export function compareHeader(config: ExperimentConfig, notes: string[] = []): string {
  const outputs = outputSize(config.spec);
  const training = resolveRunOptions({ ...config.training, schedule: config.schedules[0], seed: 0 }, outputs);
  const name = dataName(config.data);
  const entry = 'dataset' in config.data ? getDataset(config.data.dataset) : undefined;
  const width = Math.max(...config.schedules.map((s) => s.length));
  const set = config.holdOut ? 'validation' : 'test';
  const protocol = followsProtocol(config, training) ? " (Mertens' protocol)" : '';
  const lines = [
    `localprop compare: ${config.schedules.length} schedule${config.schedules.length === 1 ? '' : 's'} × ${seedsInWords(config.seeds)} on ${name}, decoders ${config.decoders.join(' and ')}`,
    `  data      ${entry ? entry.description : `${name} (your CSV files)`}`,
    `  model     ${formatModelSpec(config.spec)}`,
    `  training  ${trainingInWords(training)}${protocol}`,
    ...(config.rules && config.rules.length > 0 ? [`  rules     ${rulesOf(config).join(', ')}`] : []),
    ...[...notes, ...ruleDefaultNotes(rulesOf(config), config.training.ruleOptions)].map((n) => `  note      ${n}`),
    ...config.schedules.map((s) => `  ${s.padEnd(width)}  ${shortDescription(getSchedule(s).description)}; ${epochsInWords(s, config)}`),
    'A seed fixes the initial weights (and generated data); all schedules of a seed start from the same ones.',
    `Columns: mean ± standard deviation over the seeds. Accuracy: share of ${set} examples classified right (higher`,
    `is better). Loss: the output loss, ${LOSS_NAMES[config.spec.loss]} (lower is better; a few confident mistakes raise it, so`,
    'the most accurate schedule need not have the lowest). Decoders: whether the hidden blocks\' read-outs learn (—',
    'for backprop, which has none). Seconds: one run\'s training with its per-epoch evaluations.',
  ];
  return lines.join('\n');
}

/** Named things one line each under a title, names padded to one column. */
function listing(title: string, items: { name: string; description: string }[]): string {
  const width = Math.max(...items.map((s) => s.name.length));
  return [title, ...items.map((s) => `  ${s.name.padEnd(width)}  ${s.description}`)].join('\n');
}

/** Every registered schedule, one line each, for --help. */
export function scheduleHelp(): string {
  return listing('Schedules (--schedule, --schedules):', listSchedules({ all: true }));
}

/** Every registered learning rule, one line each, for --help. */
export function ruleHelp(): string {
  return listing('Rules (--rule), what a hidden block learns from:', listRules());
}
