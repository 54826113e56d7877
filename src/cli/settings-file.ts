import { statSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { INPUT_LIMITS, checkInputSize, checkNesting, parseJsonInput, yamlLimitProblem } from '../util/structured-input.js';
import { LocalpropError } from '../util/errors.js';
import { readUserFile } from './files.js';

const YAML_EXTENSIONS = new Set(['.yaml', '.yml']);

/**
 * A settings file the user named (a `--config` file, a sweep spec, a
 * `--model` JSON file): YAML when its name ends in .yaml or .yml, JSON
 * otherwise. Both give the same values, so a spec's run ids do not depend
 * on the format it was written in. Both are held to the limits of
 * {@link INPUT_LIMITS} (size, nesting, a key given twice, YAML's aliases).
 */
export function readSettingsFile(path: string, option: string): unknown {
  const label = `${option} ${path}`;
  const yaml = YAML_EXTENSIONS.has(extname(path).toLowerCase());
  // Before reading: a file of gigabytes would be read whole first. A path that cannot be read is readUserFile's to word.
  const size = sizeOf(path);
  if (size !== undefined) checkInputSize(size, label, yaml ? INPUT_LIMITS.yamlBytes : INPUT_LIMITS.bytes, yaml ? 'YAML' : 'JSON');
  const text = readUserFile(path, option).toString('utf8');
  return yaml ? parseYamlSettings(text, label) : parseJsonInput(text, label);
}

function sizeOf(path: string): number | undefined {
  try {
    const stat = statSync(path);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}

/** YAML settings text, within {@link INPUT_LIMITS}; `label` names it in messages. */
export function parseYamlSettings(text: string, label: string): unknown {
  checkInputSize(text.length, label, INPUT_LIMITS.yamlBytes, 'YAML');
  let value: unknown;
  try {
    // YAML 1.2's core schema: `on`/`off`/`yes` stay strings, as the options expect; a repeated key is an error.
    // logLevel 'error': an unknown tag's warning would be a second line on stderr.
    value = parseYaml(text, { version: '1.2', schema: 'core', uniqueKeys: true, prettyErrors: false, maxAliasCount: INPUT_LIMITS.yamlAliases, logLevel: 'error' });
  } catch (e) {
    const limit = yamlLimitProblem(e as Error, label);
    if (limit) throw limit;
    const first = (e as Error).message.split('\n')[0].trim();
    throw new LocalpropError(`${label} is not valid YAML (${first}); check its indentation and colons`);
  }
  checkNesting(value, label);
  return value;
}
