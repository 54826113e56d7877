import { listRules } from '../rules/registry.js';
import { listSchedules } from '../schedules/registry.js';
import { check } from '../util/errors.js';
import { COMMAND_OPTIONS } from './command-table.js';
import type { CommandName, OptionDef } from './option.js';
import { RUN_OPTIONS } from './run-table.js';

/**
 * The option table: the run's options, then those every registered schedule
 * and rule declares (`optionTable`), then the commands' own. Read afresh on
 * each call, so a rule registered later (`--import`) brings its options to
 * config files and sweep specs.
 */
export function optionTable(): OptionDef[] {
  const table: OptionDef[] = [...RUN_OPTIONS];
  const byKey = new Map(table.map((d) => [d.key, d]));
  // Every schedule, those run only when named included: their options are read wherever they are given.
  const contributed = [...listSchedules({ all: true }).map((s) => ({ who: `schedule ${s.name}`, rows: s.optionTable ?? [] })), ...listRules().map((r) => ({ who: `rule ${r.name}`, rows: r.optionTable ?? [] }))];
  for (const { who, rows } of contributed) {
    for (const def of rows) {
      const known = byKey.get(def.key) ?? COMMAND_OPTIONS.find((d) => d.key === def.key);
      // Schedules sharing an option group declare the same rows: those count once.
      if (known === def) continue;
      check(known === undefined, `${who} declares the option "${def.key}", which another part already has; give it a name with the ${who.split(' ')[0]}'s prefix, as --gate-tau and --ff-threshold have`);
      table.push(def);
      byKey.set(def.key, def);
    }
  }
  return [...table, ...COMMAND_OPTIONS];
}

/** The rows `localprop <name>` takes, in the order its --help lists them. */
export function commandOptions(name: CommandName): OptionDef[] {
  return optionTable().filter((d) => !d.commands || d.commands.includes(name));
}

/** The option named by `key` in `localprop <name>`, if it has one. */
export function findOption(name: CommandName, key: string): OptionDef | undefined {
  return commandOptions(name).find((d) => d.key === key);
}

/** Keys of the options that belong to a rule (its `--ff-...`), which a run passes on as `ruleOptions`. */
export function ruleOptionKeys(): string[] {
  return optionTable()
    .filter((d) => d.owner?.kind === 'rule')
    .map((d) => d.key);
}

/**
 * Why a sweep spec cannot set the option `key`, with what to do instead:
 * options that say how one command runs or what it prints, not which run it
 * is (a sweep sets those itself); undefined when a spec may set it.
 */
export function sweepRefusal(key: string): string | undefined {
  return optionTable().find((d) => d.key === key)?.notInSweep;
}
