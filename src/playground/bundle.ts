import { strToU8, zipSync } from 'fflate';
import { encodeCheckpoint } from '../io/checkpoint.js';
import type { ColumnRecord } from './lockstep.js';
import { pointsToCsv } from './points.js';
import { listSchedules } from '../schedules/registry.js';
import { cliConfigOf, POINTS_FILES, type PlaygroundSetup } from './setup.js';
import { queryFromState } from './state.js';

/** The file names of a downloaded run, one safetensors file per schedule besides these. */
export const BUNDLE_FILES = { config: 'config.json', history: 'history.json', initial: 'initial.safetensors', readme: 'README.md' } as const;

/** Where a schedule's trained weights are in a downloaded run. */
export function weightsFile(schedule: string): string {
  return `${schedule}.safetensors`;
}

/**
 * A playground run as files: config.json (the CLI's options), history.json
 * (every epoch event of every column), the shared initial weights and each
 * column's weights as they stand, as safetensors checkpoints the CLI reads
 * with --init, the user's points as the CSV files config.json names, and a
 * README with the commands. The columns may come from several workers
 * ({@link Lockstep.records} of each), in the order the state lists them.
 */
export function runFiles(setup: PlaygroundSetup, backend: string, columns: ColumnRecord[]): Record<string, Uint8Array> {
  const { state, config, start, split } = setup;
  const files: Record<string, Uint8Array> = {};
  const json = (value: unknown) => strToU8(JSON.stringify(value, null, 2) + '\n');
  files[BUNDLE_FILES.config] = json(cliConfigOf(state, backend));
  files[BUNDLE_FILES.history] = json({
    link: `?${queryFromState(state).query}`,
    backend,
    model: config.spec,
    runs: columns.map(({ parameters: _weights, ...rest }) => rest),
  });
  files[BUNDLE_FILES.initial] = encodeCheckpoint(start.parameters, { spec: config.spec, extra: { seed: String(start.seed), epoch: '0' } });
  for (const column of columns) {
    const extra = { schedule: column.schedule, seed: String(start.seed), epoch: String(column.events.length) };
    files[weightsFile(column.schedule)] = encodeCheckpoint(column.parameters, { spec: config.spec, extra });
  }
  if (split) {
    files[POINTS_FILES.train] = strToU8(pointsToCsv(split.train));
    files[POINTS_FILES.test] = strToU8(pointsToCsv(split.test));
  }
  files[BUNDLE_FILES.readme] = strToU8(readme(columns.map((c) => ({ schedule: c.schedule, epochs: c.events.length })), split !== null));
  return files;
}

/** {@link runFiles} as one zip archive. */
export function runArchive(setup: PlaygroundSetup, backend: string, columns: ColumnRecord[]): Uint8Array {
  return zipSync(runFiles(setup, backend, columns));
}

function readme(columns: { schedule: string; epochs: number }[], userPoints: boolean): string {
  const first = columns[0]?.schedule ?? listSchedules()[0].name;
  return [
    '# A localprop playground run',
    '',
    `Trained in the browser: ${columns.map((c) => `${c.schedule} ${c.epochs} epoch(s)`).join(', ')}.`,
    '',
    `- \`${BUNDLE_FILES.config}\`: the options, under the CLI's names.`,
    `- \`${BUNDLE_FILES.history}\`: every epoch's numbers, per schedule, and the link that reopens the page.`,
    `- \`${BUNDLE_FILES.initial}\`: the initial weights every schedule started from.`,
    `- \`<schedule>.safetensors\`: each schedule's weights when the run was downloaded.`,
    ...(userPoints ? [`- \`${POINTS_FILES.train}\`, \`${POINTS_FILES.test}\`: your points, as they were split.`] : []),
    '',
    'Train the same runs again from the start:',
    '',
    '```sh',
    `npx localprop compare --config ${BUNDLE_FILES.config}`,
    '```',
    '',
    `Continue one schedule from its weights (a new run starting there):`,
    '',
    '```sh',
    `npx localprop compare --config ${BUNDLE_FILES.config} --schedules ${first} --init ${weightsFile(first)}`,
    '```',
    '',
    'Files named in the config are read beside it, so these work from any folder.',
    '',
  ].join('\n');
}
