import type { RunOptions } from '../train/run.js';
import { check } from '../util/errors.js';

/** The training options a study row may set: what `localprop train` takes besides the model, schedule, rule and data. */
export type StudyTraining = Omit<RunOptions, 'schedule' | 'spec' | 'parameters' | 'train' | 'test' | 'seed' | 'rule' | 'decoders'>;

const CARRIED = ['epochs', 'step', 'batchSize', 'optimizer', 'hiddenLoss', 'evalEvery', 'standardize', 'lrCooldown', 'outputOptimizer', 'lrDecayAt', 'lrDecay', 'dropout', 'dropoutPlacement', 'augment', 'ruleOptions'];
const OPTIMIZER_CARRIED = ['name', 'lr', 'momentum', 'weightDecay'];

/**
 * A study row's training options as a sweep point holds them (the option
 * table's keys, dashed; rule options under their own names), for the rules
 * and Nøkland studies alike. An option this mapping does not carry is
 * refused by name (`where` says whose): the run would silently train
 * another setup than its page says.
 */
export function sweepTrainingOptions(t: StudyTraining, where: string): Record<string, unknown> {
  const left = Object.keys(t).filter((k) => !CARRIED.includes(k));
  check(left.length === 0, `${where}: its training option(s) ${left.join(', ')} have no place in the study's sweep spec; add them to sweepTrainingOptions`);
  check(t.optimizer === undefined || Object.keys(t.optimizer).every((k) => OPTIMIZER_CARRIED.includes(k)), `${where}: only the optimizer's ${OPTIMIZER_CARRIED.join(', ')} reach the sweep spec`);
  const options: Record<string, unknown> = {
    epochs: t.epochs,
    step: t.step,
    'batch-size': t.batchSize,
    optimizer: t.optimizer?.name,
    lr: t.optimizer?.lr,
    momentum: t.optimizer?.momentum,
    'weight-decay': t.optimizer?.weightDecay,
    'lr-decay-at': t.lrDecayAt && [...t.lrDecayAt],
    'lr-decay': t.lrDecay,
    'lr-cooldown': t.lrCooldown,
    'output-lr': t.outputOptimizer?.lr,
    'output-weight-decay': t.outputOptimizer?.weightDecay,
    'hidden-loss': t.hiddenLoss,
    'eval-every': t.evalEvery,
    dropout: t.dropout,
    'dropout-placement': t.dropoutPlacement,
    ...(t.augment ? { jitter: t.augment.jitter, flip: t.augment.flip } : {}),
    standardize: t.standardize && [t.standardize.mean, t.standardize.std],
    ...t.ruleOptions,
  };
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}
