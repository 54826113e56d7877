import { getDataset, type FirstLook } from '../data/registry.js';
import type { CommandName, OptionValues } from './options.js';

/** Options that choose the optimizer or how it steps: given any, the dataset's optimizer settings stay out. */
const OPTIMIZER_KEYS = ['step', 'optimizer', 'lr', 'etas', 'stepSizes', 'betas', 'eps', 'alpha', 'momentum', 'dampening', 'nesterov', 'weightDecay'];

/** What {@link withFirstLook} filled in, and the options with it. */
export interface FirstLookOptions {
  options: OptionValues;
  /** One line naming the settings taken from the dataset, or undefined when none were. */
  note?: string;
}

/**
 * Fills in a registered dataset's first-look settings (see {@link FirstLook})
 * for every option the user left out, so `compare --dataset mnist` trains a
 * network suited to MNIST and not Mertens' 2-D one. The optimizer settings
 * come as a group (step, optimizer, batch size): a user who names any of
 * them chooses the optimizer. A model from --init's checkpoint or user
 * files are never replaced.
 */
export function withFirstLook(o: OptionValues, command: CommandName): FirstLookOptions {
  if (o.train !== undefined) return { options: o };
  const look: FirstLook | undefined = getDataset((o.dataset as string | undefined) ?? 'signed_xor').firstLook;
  if (!look) return { options: o };
  const options = { ...o };
  const taken: string[] = [];
  if (look.model !== undefined && o.model === undefined && o.init === undefined) {
    options.model = look.model;
    taken.push(`model ${look.model}`);
  }
  const batches = look.batchSize !== undefined && o.batchSize === undefined && (options.step ?? look.step) === 'batch' && (o.step === 'batch' || OPTIMIZER_KEYS.every((k) => o[k] === undefined));
  if (batches) options.batchSize = look.batchSize;
  const ofSize = batches ? ` of ${look.batchSize}` : '';
  if (look.step !== undefined && OPTIMIZER_KEYS.every((k) => o[k] === undefined)) {
    options.step = look.step;
    if (look.optimizer !== undefined) options.optimizer = look.optimizer;
    taken.push(look.step === 'batch' ? `${look.optimizer ?? 'adam'} on mini-batches${ofSize}` : `${look.optimizer ?? 'rprop'} once per epoch`);
  } else if (batches) {
    taken.push(`mini-batches${ofSize}`);
  }
  if (look.epochs !== undefined && o.epochs === undefined) {
    options.epochs = look.epochs;
    taken.push(`${look.epochs} epoch${look.epochs === 1 ? '' : 's'}`);
  }
  if (command === 'compare' && look.seeds !== undefined && o.seeds === undefined) {
    options.seeds = Array.from({ length: look.seeds }, (_, i) => i);
    taken.push(`${look.seeds} seed${look.seeds === 1 ? '' : 's'}`);
  }
  if (taken.length === 0) return { options };
  const dataset = (o.dataset as string | undefined) ?? 'signed_xor';
  return { options, note: `defaults for ${dataset} (${look.why}): ${taken.join(', ')}; an option you give replaces its default` };
}
