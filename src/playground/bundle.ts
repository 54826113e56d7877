import { strToU8, zipSync } from 'fflate';
import { encodeCheckpoint } from '../io/checkpoint.js';
import { modelSpecJson } from '../model/spec.js';
import type { ColumnRecord } from './lockstep.js';
import { pointsToCsv } from './points.js';
import { DEFAULT_RULE, getRule } from '../rules/registry.js';
import { listSchedules } from '../schedules/registry.js';
import { cliConfigOf, configFile, POINTS_FILES, ruleGroups, type PlaygroundSetup } from './setup.js';
import { queryFromState } from './state.js';

/** The file names of a downloaded run, one safetensors file per schedule besides these. */
export const BUNDLE_FILES = { config: 'config.json', history: 'history.json', initial: 'initial.safetensors', readme: 'README.md' } as const;

/** Where a schedule's trained weights are in a downloaded run. */
export function weightsFile(schedule: string): string {
  return `${schedule}.safetensors`;
}

/** Where the initial weights of the columns of `rule` are: initial.safetensors for the first column's rule, initial-<rule>.safetensors for the others'. */
export function initialFile(configName: string, rule: string): string {
  return configName === BUNDLE_FILES.config ? BUNDLE_FILES.initial : `initial-${rule}.safetensors`;
}

/**
 * A playground run as files: config.json (the CLI's options; with columns
 * of other rules, one config-<rule>.json per rule besides it), history.json
 * (every epoch event of every column), the initial weights of each rule's
 * columns and each column's weights as they stand, as safetensors
 * checkpoints the CLI reads with --init, the user's points as the CSV files
 * the configs name, and a README with the commands. The columns may come
 * from several workers ({@link Lockstep.records} of each), in the order the
 * state lists them.
 */
export function runFiles(setup: PlaygroundSetup, backend: string, columns: ColumnRecord[]): Record<string, Uint8Array> {
  const { state, split } = setup;
  const files: Record<string, Uint8Array> = {};
  const json = (value: unknown) => strToU8(JSON.stringify(value, null, 2) + '\n');
  const groups = ruleGroups(state).map((g) => ({ ...g, config: configFile(state, g.rule) }));
  for (const g of groups) files[g.config] = json(cliConfigOf(state, backend, g.rule));
  files[BUNDLE_FILES.history] = json({
    link: `?${queryFromState(state).query}`,
    backend,
    model: modelSpecJson(setup.config.spec),
    runs: columns.map(({ parameters: _weights, initial: _initial, ...rest }) => rest),
  });
  const seed = String(setup.start.seed);
  for (const column of columns) {
    const spec = setup.columns.find((c) => c.schedule === column.schedule)!.config.spec;
    const rule = getRule(column.rule);
    const group = groups.find((g) => g.rule === column.rule)!;
    const initial = initialFile(group.config, column.rule);
    files[initial] ??= encodeCheckpoint(column.initial, { spec, rule, extra: { seed, epoch: '0' } });
    const extra = { schedule: column.schedule, seed, epoch: String(column.events.length) };
    files[weightsFile(column.schedule)] = encodeCheckpoint(column.parameters, { spec, rule, extra });
  }
  if (split) {
    files[POINTS_FILES.train] = strToU8(pointsToCsv(split.train));
    files[POINTS_FILES.test] = strToU8(pointsToCsv(split.test));
  }
  const commands = groups.map((g) => ({ config: g.config, rule: g.rule, first: g.schedules[0] }));
  files[BUNDLE_FILES.readme] = strToU8(readme(columns.map((c) => ({ schedule: c.schedule, rule: c.rule, epochs: c.events.length })), commands, split !== null));
  return files;
}

/** {@link runFiles} as one zip archive. */
export function runArchive(setup: PlaygroundSetup, backend: string, columns: ColumnRecord[]): Uint8Array {
  return zipSync(runFiles(setup, backend, columns));
}

function readme(columns: { schedule: string; rule: string; epochs: number }[], configs: { config: string; rule: string; first: string }[], userPoints: boolean): string {
  const fallback = [{ config: BUNDLE_FILES.config, rule: DEFAULT_RULE, first: listSchedules()[0].name }];
  const groups = configs.length > 0 ? configs : fallback;
  const several = groups.length > 1;
  return [
    '# A localprop playground run',
    '',
    `Trained in the browser: ${columns.map((c) => `${c.schedule}${c.rule === DEFAULT_RULE ? '' : ` (rule ${c.rule})`} ${c.epochs} epoch(s)`).join(', ')}.`,
    '',
    several ? `- ${groups.map((g) => `\`${g.config}\``).join(', ')}: the options, under the CLI's names, one file per learning rule of the columns.` : `- \`${BUNDLE_FILES.config}\`: the options, under the CLI's names.`,
    `- \`${BUNDLE_FILES.history}\`: every epoch's numbers, per schedule, and the link that reopens the page.`,
    several ? `- ${groups.map((g) => `\`${initialFile(g.config, g.rule)}\``).join(', ')}: the initial weights each rule's columns started from.` : `- \`${BUNDLE_FILES.initial}\`: the initial weights every schedule started from.`,
    `- \`<schedule>.safetensors\`: each schedule's weights when the run was downloaded.`,
    ...(userPoints ? [`- \`${POINTS_FILES.train}\`, \`${POINTS_FILES.test}\`: your points, as they were split.`] : []),
    '',
    'Train the same runs again from the start:',
    '',
    '```sh',
    ...groups.map((g) => `npx localprop compare --config ${g.config}`),
    '```',
    '',
    `Continue one schedule from its weights (a new run starting there):`,
    '',
    '```sh',
    `npx localprop compare --config ${groups[0].config} --schedules ${groups[0].first} --init ${weightsFile(groups[0].first)}`,
    '```',
    '',
    'Files named in the config are read beside it, so these work from any folder.',
    '',
  ].join('\n');
}
