import type { GATE_OPTIONS } from '../modulators/gate-options.js';
import type { DRIFT_OPTIONS } from '../modulators/drift-option-table.js';
import type { FF_OPTIONS } from '../rules/ff-options.js';
import type { PREDSIM_OPTIONS } from '../rules/predsim.js';
import type { COMMAND_OPTIONS } from './command-table.js';
import type { OptionDef, OptionValues } from './option.js';
import type { RUN_OPTIONS } from './run-table.js';

/** The value a row's reader gives. */
type ValueOf<D> = D extends { parse: (value: unknown, label: string) => infer T } ? T : never;

/** Options as a set of rows reads them: each row's key, with the type its reader gives, absent when not given. */
export type OptionsOf<Rows extends readonly OptionDef[]> = { [D in Rows[number] as D['key']]?: ValueOf<D> };

/**
 * The options of `compare` and `train` as {@link resolveOptions} gives them,
 * typed from the table's rows (the run's, the built-in schedules' and
 * rules', the commands'), so the code that reads them needs no casts.
 */
export type ResolvedOptions = OptionsOf<typeof RUN_OPTIONS> & OptionsOf<typeof GATE_OPTIONS> & OptionsOf<typeof DRIFT_OPTIONS> & OptionsOf<typeof FF_OPTIONS> & OptionsOf<typeof PREDSIM_OPTIONS> & OptionsOf<typeof COMMAND_OPTIONS>;

/**
 * Option values read through the table, with their types: every value
 * {@link resolveOptions} holds came from its row's reader, which is what
 * makes this view sound (a user rule's own options stay in the untyped record).
 */
export function typedOptions(o: OptionValues): ResolvedOptions {
  return o as ResolvedOptions;
}
