import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { LocalpropError } from '../util/errors.js';
import { readUserFile } from './files.js';
import { parseJson } from './setup.js';

const YAML_EXTENSIONS = new Set(['.yaml', '.yml']);

/**
 * A settings file the user named (a `--config` file, a sweep spec): YAML
 * when its name ends in .yaml or .yml, JSON otherwise. Both give the same
 * values, so a spec's run ids do not depend on the format it was written in.
 */
export function readSettingsFile(path: string, option: string): unknown {
  const text = readUserFile(path, option).toString('utf8');
  return YAML_EXTENSIONS.has(extname(path).toLowerCase()) ? parseYamlText(text, `${option} ${path}`) : parseJson(text, `${option} ${path}`);
}

function parseYamlText(text: string, label: string): unknown {
  try {
    // YAML 1.2's core schema: `on`/`off`/`yes` stay strings, as the options expect; a repeated key is an error.
    return parseYaml(text, { version: '1.2', schema: 'core', uniqueKeys: true, prettyErrors: false });
  } catch (e) {
    const first = (e as Error).message.split('\n')[0].trim();
    throw new LocalpropError(`${label} is not valid YAML (${first}); check its indentation and colons`);
  }
}
