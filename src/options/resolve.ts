import { LocalpropError, check } from '../util/errors.js';
import { flagName, type CommandName, type OptionValues } from './option.js';
import { commandOptions, findOption } from './table.js';
import { text } from './values.js';
import type { ResolvedOptions } from './typed.js';

/** A config file's key as the table's: `batch-size` and `batchSize` are the same option. */
export const camelKey = (key: string): string => key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Merges --config (if any) under the flags given on the command line and
 * parses every value with the table's readers. Unknown keys in the config
 * file are errors, so a typo does not silently run the default. Files a
 * config file names are found beside it (`besideConfig` joins the config's
 * path and a relative name), so a folder holding a config and its data
 * works from any directory.
 */
export function resolveOptions(
  name: CommandName,
  cli: OptionValues,
  readConfig: (path: string) => unknown,
  besideConfig: (configPath: string, file: string) => string = (_c, file) => file,
): OptionValues {
  const defs = commandOptions(name);
  const byKey = new Map(defs.map((d) => [d.key, d]));
  const merged: OptionValues = {};
  if (cli.config !== undefined) {
    const path = text(cli.config, '--config');
    const file = readConfig(path);
    check(typeof file === 'object' && file !== null && !Array.isArray(file), `--config ${path} must hold a JSON object of options, like {"epochs": 50}`);
    for (const [rawKey, value] of Object.entries(file as Record<string, unknown>)) {
      const key = camelKey(rawKey);
      const def = byKey.get(key);
      check(def?.notInConfig === undefined, () => `--config ${path}: ${def!.notInConfig}`);
      if (!def || key === 'config') {
        throw new LocalpropError(`--config ${path}: unknown option "${rawKey}" for \`localprop ${name}\`; known: ${defs.filter((d) => d.key !== 'config').map((d) => d.key).join(', ')}`);
      }
      const parsed = def.parse(value, `"${rawKey}" in ${path}`);
      // A model given inline (spec text or JSON) is not a file.
      const isFile = def.file === true && (key !== 'model' || String(parsed).endsWith('.json'));
      merged[key] = isFile ? besideConfig(path, parsed as string) : parsed;
    }
  }
  for (const [key, value] of Object.entries(cli)) {
    if (value === undefined || key === 'config') continue;
    const def = byKey.get(key);
    if (def) merged[key] = def.parse(value, flagName(def));
  }
  return merged;
}

/**
 * Parses one option's value as `localprop name` would, with the flag in any
 * message; `key` is the option's camelCase key. For callers that hold
 * options outside a command line (a sweep spec, the playground's URL).
 * A built-in option's value comes typed by its row's reader; another key
 * (a user rule's option, a key read from a file) gives `unknown`.
 */
export function parseOptionValue<K extends keyof ResolvedOptions>(name: CommandName, key: K, value: unknown): Exclude<ResolvedOptions[K], undefined>;
export function parseOptionValue(name: CommandName, key: string, value: unknown): unknown;
export function parseOptionValue(name: CommandName, key: string, value: unknown): unknown {
  const def = findOption(name, key);
  check(def !== undefined, `\`localprop ${name}\` has no option ${key}`);
  return def.parse(value, flagName(def));
}
