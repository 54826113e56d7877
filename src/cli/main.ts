import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { NODE_DEFAULT_BACKEND, useBackend } from '../engine/backend.js';
import { setThreadBudget } from '../engine/threads.js';
import { listDatasets } from '../data/registry.js';
import { summarize } from '../experiment/summary.js';
import { encodeCheckpoint } from '../io/checkpoint.js';
import { getSchedule, listSchedules } from '../schedules/registry.js';
import type { Schedule } from '../schedules/schedule.js';
import type { TestEvaluator } from '../train/evaluation.js';
import { rulesOf, type ExperimentConfig } from '../experiment/experiment.js';
import { WorkerEvaluator } from '../node/worker-evaluator.js';
import { registerImageDatasets } from '../node/image-datasets.js';
import { listRules } from '../rules/registry.js';
import { importUserModules } from '../node/user-modules.js';
import { memoryOf } from './results-extras.js';
import { LocalpropError, check } from '../util/errors.js';
import { writeFileAtomic } from './files.js';
import { addOptions, parseOptionValue, parseSeeds, resolveOptions, type CommandName, type OptionValues } from './options.js';
import { typedOptions, type ResolvedOptions } from '../options/typed.js';
import { resultsObject } from './report.js';
import { runExperiment } from './run-experiment.js';
import { outFolder, reportSettings } from './report-settings.js';
import { allScheduleNames, experimentFrom } from './setup.js';
import { readSettingsFile } from './settings-file.js';
import { withPipeline } from './workers.js';
import { InterruptedError, interruption } from './interrupt.js';
import { describeMemory, formatLoss, formatSummary, formatTable } from './table.js';
import { compareHeader, ruleDefaultNotes, ruleHelp, scheduleHelp } from './header.js';
import { withFirstLook } from './first-look.js';
import { EXPERIMENTS, runExperimentCommand } from './experiment.js';
import { SomeRunsFailedError, addSweepCommand } from './sweep.js';
import { blockCount } from '../model/shapes.js';

const VERSION = '0.1.0';

// File-backed datasets (mnist, fashion-mnist) read with node:fs, so they are registered here and not in the browser-safe core.
registerImageDatasets();

/** What the reported held-out metrics are measured on: the test set, or with --val the last N training examples. */
function scoredOnText(config: ExperimentConfig): string {
  return config.holdOut ? `metrics on a validation split (the last ${config.holdOut} training examples, not trained on), not the test set` : '';
}

/**
 * A command's options: the flags over --config, then the dataset's
 * first-look defaults for what neither gives (`note` names those taken),
 * typed by the table's readers.
 */
function options(name: CommandName, cli: OptionValues): { o: ResolvedOptions; note?: string } {
  const given = resolveOptions(
    name,
    cli,
    (path) => readSettingsFile(path, '--config'),
    (configPath, file) => resolvePath(dirname(configPath), file),
  );
  const { options, note } = withFirstLook(given, name);
  const o = typedOptions(options);
  if (o.resume !== undefined) {
    // The stopped command's own --out (even one with {time} in it) named the folder that --resume names now.
    check(o.out === undefined || o.out === o.resume || o.out.includes('{time}'), `--resume ${o.resume} continues in that folder, but --out names ${o.out}; drop --out or give the same folder`);
    o.out = o.resume;
  }
  return { o, note };
}

/** The checkpoint options of a command, for {@link runExperiment}. */
function resumeOptions(o: ResolvedOptions): { checkpointEvery?: number; resume?: boolean } {
  return { checkpointEvery: o.checkpointEvery, resume: o.resume !== undefined };
}

/** The evaluation thread unless --eval-thread off; closed by `withEvaluator` when the command ends. */
async function withEvaluator<T>(o: { evalThread?: string }, body: (evaluator: TestEvaluator | undefined) => Promise<T>): Promise<T> {
  const evaluator = o.evalThread === 'off' ? undefined : WorkerEvaluator.start();
  try {
    return await body(evaluator);
  } finally {
    await evaluator?.close();
  }
}

/**
 * Loads the modules --import names before anything they register is looked
 * up. Only the command line can load code: a --config file (which may come
 * from a download or a sweep) cannot.
 */
async function withImports(name: CommandName, cli: OptionValues): Promise<{ o: ResolvedOptions; note?: string }> {
  await importModules(name, cli.import);
  return options(name, cli);
}

async function importModules(name: CommandName, value: unknown): Promise<void> {
  const imports = typedOptions(resolveOptions(name, { import: value }, () => ({}))).import;
  if (imports !== undefined) await importUserModules(imports);
}

/**
 * Loads the modules a `train` or `compare` command line's --import names
 * before the commands and their flags are built, so that the options the
 * modules' rules and schedules declare are flags (and in --help) too, not
 * only config keys. As commander reads it, the last --import counts.
 */
async function importBeforeParsing(argv: string[]): Promise<void> {
  const name = argv[0];
  if (name !== 'train' && name !== 'compare') return;
  let value: string | undefined;
  for (let i = 1; i < argv.length && argv[i] !== '--'; i++) {
    if (argv[i] === '--import' && i + 1 < argv.length) value = argv[++i];
    else if (argv[i].startsWith('--import=')) value = argv[i].slice('--import='.length);
  }
  if (value !== undefined) await importModules(name, value);
}

/**
 * Starts the backend the options name (`auto` when none), saying once which
 * one `auto` took, and returns what config.json records about it: the
 * resolved backend, and for native the BLAS library and its kernel family,
 * since each sums in its own order and so changes the last bits of results.
 */
async function startBackend(o: ResolvedOptions): Promise<Record<string, unknown>> {
  setThreadBudget(o.threads);
  // --resume continues on the backend the folder records unless told otherwise (then config.json's check refuses a different one).
  const recorded = o.backend === undefined && o.resume !== undefined ? recordedBackend(o.resume) : undefined;
  const choice = await useBackend(o.backend ?? recorded ?? NODE_DEFAULT_BACKEND);
  if (choice.note && !o.quiet) process.stderr.write(`localprop: ${choice.note}\n`);
  return { backend: choice.name, ...(choice.blas ? { blas: choice.blas.library, blasCore: choice.blas.coreType } : {}) };
}

/** The backend a --resume folder's config.json names, if it names one (a missing or damaged file is reported later, by the resume itself). */
function recordedBackend(dir: string): string | undefined {
  try {
    const saved: unknown = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    return typeof saved === 'object' && saved !== null && 'backend' in saved && typeof saved.backend === 'string' ? saved.backend : undefined;
  } catch {
    return undefined;
  }
}

async function compare(cli: OptionValues): Promise<void> {
  const { o, note } = await withImports('compare', cli);
  const backend = await startBackend(o);
  await withEvaluator(o, (evaluator) => compareWith(o, note, evaluator, backend));
}

async function compareWith(o: ResolvedOptions, note: string | undefined, evaluator: TestEvaluator | undefined, backend: Record<string, unknown>): Promise<void> {
  const schedules = o.schedules ?? allScheduleNames();
  const config = experimentFrom(o, schedules, o.seeds ?? parseSeeds(5), evaluator);
  config.training.signal = interruption.signal;
  await withPipeline(o, config, (pipelineLine) => compareOn(o, note, config, backend, pipelineLine));
}

async function compareOn(o: ResolvedOptions, note: string | undefined, config: ExperimentConfig, backend: Record<string, unknown>, pipelineLine: string | null): Promise<void> {
  const talk = !o.json && !o.quiet;
  let report: string | undefined;
  const { results, diverged } = await runExperiment(config, {
    out: outFolder(o),
    report: reportSettings(o),
    quiet: o.quiet,
    configExtra: { command: 'compare', ...backend, workers: o.workers ?? 1, version: VERSION },
    onReport: (path) => (report = path),
    ...resumeOptions(o),
    continueAfterDivergence: true,
    onReady: () => {
      if (!talk) return;
      const notes = [note, config.holdOut ? scoredOnText(config) : undefined].filter((n): n is string => n !== undefined);
      process.stderr.write(compareHeader(config, notes) + '\n\n');
      if (pipelineLine) process.stderr.write(pipelineLine + '\n');
    },
  });
  if (o.json) process.stdout.write(JSON.stringify(resultsObject(config, results, diverged)) + '\n');
  else {
    process.stdout.write(formatSummary(summarize(results), config.holdOut ? 'validation' : 'test', diverged) + '\n' + describeMemory(memoryOf(config)) + '\n');
    if (report !== undefined) process.stdout.write(`\nPictures of every schedule and block: open ${report} in a browser.\n`);
  }
  if (diverged.length > 0) {
    const total = results.length + diverged.length;
    const more = diverged.length > 1 ? ` (and ${diverged.length - 1} more, listed in the table)` : '';
    const which = total === 1 ? 'the run diverged' : diverged.length === total ? `all ${total} runs diverged` : `${diverged.length} of ${total} runs diverged, the others finished`;
    throw new LocalpropError(`${which}: ${diverged[0].message}${more}`);
  }
}

async function train(cli: OptionValues): Promise<void> {
  const { o, note } = await withImports('train', cli);
  if (note !== undefined && !o.json && !o.quiet) process.stderr.write(`localprop train: ${note}\n`);
  check(o.schedule !== undefined, `name the schedule to train with --schedule (one of: ${allScheduleNames().join(', ')})`);
  const schedule = getSchedule(o.schedule);
  const backend = await startBackend(o);
  await withEvaluator(o, (evaluator) => trainWith(o, schedule, evaluator, backend));
}

async function trainWith(o: ResolvedOptions, schedule: Schedule, evaluator: TestEvaluator | undefined, backend: Record<string, unknown>): Promise<void> {
  const config = experimentFrom(o, [schedule.name], [o.seed ?? 0], evaluator);
  config.training.signal = interruption.signal;
  check(config.decoders.length === 1, '`train` runs one decoder mode; use `compare` for fixed,learned');
  check((config.rules?.length ?? 1) === 1, '`train` runs one rule; use `compare --rule a,b` to compare rules');
  if (!o.json && !o.quiet) for (const line of ruleDefaultNotes(rulesOf(config), config.training.ruleOptions)) process.stderr.write(`localprop train: ${line}\n`);
  await withPipeline(o, config, (pipelineLine) => trainOn(o, config, backend, pipelineLine));
}

async function trainOn(o: ResolvedOptions, config: ExperimentConfig, backend: Record<string, unknown>, pipelineLine: string | null): Promise<void> {
  const schedule = getSchedule(config.schedules[0]);
  const total = schedule.totalEpochs(config.training.epochs ?? schedule.defaultEpochs, blockCount(config.spec));
  const every = o.logEvery ?? Math.max(1, Math.round(total / 20));
  const rows: string[][] = [];
  const printRow = (cells: string[]) => {
    if (!o.json) process.stdout.write(cells.join('  ') + '\n');
  };
  const set = config.holdOut ? 'val' : 'test';
  const header = ['epoch', 'block', 'train loss', `${set} loss`, `${set} acc`, 'seconds'];
  let report: string | undefined;
  const { results } = await runExperiment(config, {
    out: outFolder(o),
    report: reportSettings(o),
    onReport: (path) => (report = path),
    quiet: true,
    configExtra: { command: 'train', ...backend, workers: o.workers ?? 1, version: VERSION },
    ...resumeOptions(o),
    outputFiles: o.save !== undefined ? [{ path: o.save, option: '--save' }] : [],
    onReady: () => {
      if (config.holdOut && !o.json) process.stderr.write(`localprop train: ${scoredOnText(config)}\n`);
      if (pipelineLine && !o.json && !o.quiet) process.stderr.write(pipelineLine + '\n');
    },
    onEvent: (event) => {
      if (event.type === 'start') printRow(header.map((h) => h.padStart(10)));
      // Rows start after the first epoch; event 0 (the untrained network) is in the --out history and the report's curves.
      if (event.type === 'epoch' && event.epoch > 0 && (event.epoch % every === 0 || event.epoch === 1 || event.epoch === event.epochs)) {
        const cells = [String(event.epoch), event.block === null ? 'all' : String(event.block), formatLoss(event.trainLoss), formatLoss(event.testLoss), event.testAccuracy.toFixed(4), event.seconds.toFixed(2)];
        rows.push(cells);
        printRow(cells.map((c) => c.padStart(10)));
      }
    },
    onRunEnd: (run, end) => {
      const save = o.save;
      if (save !== undefined) {
        const bytes = encodeCheckpoint(run.network.toParameters(), {
          spec: config.spec,
          rule: run.rule,
          extra: { schedule: end.schedule, seed: String(end.seed), decoders: end.decoders, options: JSON.stringify(run.options) },
        });
        writeFileAtomic(save, bytes);
      }
    },
  });
  if (o.json) {
    process.stdout.write(JSON.stringify(resultsObject(config, results)) + '\n');
    return;
  }
  const r = results[0];
  process.stdout.write(
    `\n${formatTable(['schedule', 'seed', 'decoders', `${set} accuracy`, `${set} loss`, 'train loss', 'seconds'], [
      [r.schedule, String(r.seed), getSchedule(r.schedule).trainsRule ? r.decoders : '—', r.testAccuracy.toFixed(4), formatLoss(r.testLoss), formatLoss(r.trainLoss), r.seconds.toFixed(2)],
    ])}\n`,
  );
  if (o.save !== undefined) process.stdout.write(`saved ${o.save}\n`);
  if (report !== undefined) process.stdout.write(`Pictures of the run: open ${report} in a browser.\n`);
}

function schedules(): void {
  for (const s of listSchedules({ all: true })) process.stdout.write(`${s.name}\n  ${s.description}\n`);
}

function rules(): void {
  for (const r of listRules()) process.stdout.write(`${r.name}\n  ${r.description}\n`);
}

function datasets(): void {
  for (const d of listDatasets()) process.stdout.write(`${d.name}  (${d.inputSize} → ${d.outputSize})\n  ${d.description}\n`);
}

/** What --help lists after the options: every registered schedule and rule, one line each. */
function registryHelp(): string {
  return `${scheduleHelp()}\n\n${ruleHelp()}\n`;
}

function program(): Command {
  const p = new Command('localprop')
    .description('Train neural networks with local propagation: every block learns from its own linear decoder.')
    .version(VERSION)
    .exitOverride()
    .showSuggestionAfterError()
    // Before the commands are added: they inherit it, so every message has the one form.
    .configureOutput({ outputError: (message, write) => write(commanderLine(message)) });
  addOptions(p.command('compare').description('train every schedule from the same start, over seeds, and print a table'), 'compare')
    .addHelpText('after', () => `\n${registryHelp()}`)
    .action(async (_opts, cmd: Command) => compare(cmd.opts()));
  addOptions(p.command('train').description('train one schedule, printing per-epoch progress'), 'train')
    .addHelpText('after', () => `\n${registryHelp()}`)
    .action(async (_opts, cmd: Command) => train(cmd.opts()));
  p.command('datasets').description('list the registered datasets and their tasks').action(datasets);
  p.command('schedules').description('list the registered schedules (which blocks learn, on what, when)').action(schedules);
  p.command('rules').description('list the registered learning rules (what hidden blocks learn from)').action(rules);
  p.command('experiment')
    .description('run a registered experiment and write its results page (experiments: gated, mnist, rules, nokland, parallel)')
    .argument('<name>', 'the experiment: gated, mnist, rules, nokland or parallel')
    .option('--out <dir>', 'folder of the results pages', 'docs/results')
    .option('--quick', 'a few seconds\' version, to check the pipeline')
    .option('--quiet', 'no progress lines')
    .option('--render-only', 'rebuild the pages from the existing JSON (after editing the discussion)')
    .option('--eval-thread <on|off>', 'score the test set on a second thread (default on)')
    .option('--part <which>', 'mnist: small (every schedule, 784-256-256-256-10, 3 seeds), large (784-1024-1024-1024-10) or all (default); parallel: validation, final, hypothesis or all (default)')
    .option('--datasets <names>', 'mnist, nokland: mnist, fashion-mnist or both (default both); parallel: spiral, circles, mnist, fashion-mnist (default spiral,circles)')
    .option('--seeds <list>', 'nokland: seeds to run, like 0,1,2 (default 0)')
    .option('--epochs <n>', "nokland: epochs instead of the recipe's (a short measurement, recorded apart)")
    .option('--limit <n>', 'nokland: the first n training and test examples only (a short measurement, recorded apart)')
    .option('--checkpoints <dir>', 'nokland: folder of mid-run checkpoints from before the study ran as a sweep, continued (default runs/nokland-checkpoints); parallel, gated: folder of the sweep records, checkpoints with them (default runs/parallel-runs, runs/gated-runs)')
    .option('--workers <n>', 'mnist, nokland: train the local rows on a pipeline of n threads (same results, sooner)')
    .option('--jobs <n>', 'mnist, parallel, rules, nokland, gated: worker processes training runs side by side, as `sweep run --jobs` (default 1)')
    .option('--spec-out <file>', 'rules, nokland: write the sweep spec of the rows and datasets asked into this file (for `sweep run` or `sweep submit`) and train nothing')
    .option('--rows <names>', 'rules: shared (default: every rule on one budget), published (the papers\' configurations, hours), all, or row names; nokland: backprop, pred, sim, predsim, decoder (default all)')
    .action(async (name: string, opts: { out: string; quick?: boolean; quiet?: boolean; renderOnly?: boolean; evalThread?: string; part?: string; datasets?: string; workers?: string; jobs?: string; rows?: string; seeds?: string; epochs?: string; limit?: string; checkpoints?: string; specOut?: string }) => {
      // The two studies of long runs train on the native engine where a BLAS loads (their records say which);
      // the others stay on wasm, which their records' run ids and fixed numbers were made on.
      const backend = await useBackend(name === 'nokland' || name === 'rules' ? 'auto' : 'wasm');
      if (backend.note && !opts.quiet && !opts.renderOnly) process.stderr.write(`localprop: ${backend.note}\n`);
      // Options a study does not read would do nothing silently.
      const unread = [
        ...(name !== 'mnist' && name !== 'parallel' && opts.part !== undefined ? ['--part'] : []),
        ...(name !== 'mnist' && name !== 'nokland' && opts.workers !== undefined ? ['--workers'] : []),
        ...(name !== 'nokland' && name !== 'parallel' && name !== 'gated' && opts.checkpoints !== undefined ? ['--checkpoints'] : []),
        ...(name !== 'rules' && name !== 'nokland' && opts.specOut !== undefined ? ['--spec-out'] : []),
        ...(name !== 'mnist' && name !== 'rules' && name !== 'nokland' && name !== 'parallel' && opts.datasets !== undefined ? ['--datasets'] : []),
        ...(name !== 'rules' && name !== 'nokland' && opts.rows !== undefined ? ['--rows'] : []),
      ];
      check(!EXPERIMENTS.includes(name) || unread.length === 0, () => `${unread.join(', ')} ${unread.length > 1 ? 'do' : 'does'} nothing for \`experiment ${name}\`; drop ${unread.length > 1 ? 'them' : 'it'} (--part applies to mnist and parallel, --workers to mnist and nokland, --datasets to mnist, rules, nokland and parallel, --rows to rules and nokland, --checkpoints to nokland, parallel and gated, --spec-out to rules and nokland)`);
      const workers = opts.workers === undefined ? undefined : parseOptionValue('train', 'workers', opts.workers);
      const listOf = (v: string | undefined) => v?.split(',').map((d) => d.trim());
      const numberOf = (v: string | undefined) => (v === undefined ? undefined : Number(v));
      const run = {
        out: opts.out,
        quick: Boolean(opts.quick),
        quiet: Boolean(opts.quiet),
        renderOnly: Boolean(opts.renderOnly),
        part: opts.part,
        datasets: listOf(opts.datasets),
        workers,
        jobs: opts.jobs === undefined ? undefined : parseOptionValue('train', 'workers', opts.jobs),
        evalThread: opts.evalThread,
        rows: listOf(opts.rows),
        seeds: listOf(opts.seeds)?.map(Number),
        epochs: numberOf(opts.epochs),
        limit: numberOf(opts.limit),
        checkpoints: opts.checkpoints,
        specOut: opts.specOut,
      };
      // Every study runs as sweeps: its runs score in their worker processes, none in this one.
      const page = await runExperimentCommand(name, run);
      process.stdout.write(`wrote ${page}\n`);
    });
  addSweepCommand(p);
  for (const c of p.commands) c.exitOverride();
  return p;
}

/**
 * Commander's message in our one form: `localprop: ...` on one line (its
 * suggestion joined on), with where to find the options.
 */
export function commanderLine(message: string): string {
  const text = message
    .replace(/^error: /, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
  return `localprop: ${text}; see localprop --help\n`;
}

/** Runs the CLI; resolves to the exit status (0 ok, 2 a user error, 1 a bug). */
export async function main(argv: string[]): Promise<number> {
  try {
    await importBeforeParsing(argv);
    await interruption.during(() => program().parseAsync(argv, { from: 'user' }));
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has already printed its message (unknown option, missing value, help).
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    }
    if (e instanceof LocalpropError) {
      process.stderr.write(`localprop: ${e.message}\n`);
      return e instanceof InterruptedError ? 130 : e instanceof SomeRunsFailedError ? 1 : 2;
    }
    process.stderr.write(`localprop: internal error, please report it: ${(e instanceof Error ? e.stack : undefined) ?? String(e)}\n`);
    return 1;
  }
}
