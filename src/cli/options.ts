import type { Command } from 'commander';
import type { CommandName } from '../options/option.js';
import { commandOptions } from '../options/table.js';

/*
 * The CLI's side of the option table (src/options/): its flags and help on
 * a commander command. Reading values (flags over --config), and the names
 * other modules import from here, live in the table's modules.
 */

export type { CommandName, OptionValues } from '../options/option.js';
export { parseOptionValue, resolveOptions } from '../options/resolve.js';
export { oneOf, parseSeeds } from '../options/values.js';

/** Adds the command's options, as the table lists them, to a commander command. */
export function addOptions(command: Command, name: CommandName): Command {
  for (const def of commandOptions(name)) {
    if (!def.flag) continue;
    // --no-report before --report <on|off>: commander then defaults the key as it always has.
    if (def.alias) command.option(def.alias.flag, def.alias.help);
    command.option(def.flag, def.help);
  }
  return command;
}
