import type { EpochEvent, RunEndEvent, RunEvent, RunIdentity } from '../train/events.js';
import { EPOCH_CONVENTION } from '../train/epoch-convention.js';
import { DivergedError, RunStoppedError, type Run } from '../train/run.js';
import { checkExperiment, dataName, experimentEpochs, experimentRuns, rulesOf, type ExperimentConfig } from '../experiment/experiment.js';
import { DEFAULT_RULE } from '../rules/registry.js';
import { formatModelSpec } from '../model/spec.js';
import { writeReportFiles } from '../node/report-files.js';
import { ReportRecorder } from '../report/recorder.js';
import { renderReport } from '../report/report.js';
import { LocalpropError, check } from '../util/errors.js';
import { join } from 'node:path';
import { ResumeFolder } from './resume.js';
import { writeJsonAtomic } from './files.js';
import { InterruptedError, interruption } from './interrupt.js';
import { ProgressBar } from './progress.js';
import { checkOutFolder, checkOutputFile } from './output-paths.js';
import { preflight } from './preflight.js';
import { OutFolder } from './report.js';
import type { ReportSettings } from './report-settings.js';
import { blockCount } from '../model/shapes.js';

export interface ExperimentListeners {
  out?: string;
  quiet?: boolean;
  /** Called for every event of every run. */
  onEvent?: (event: RunEvent, run: Run) => void;
  /** Called when a run has ended, before it is freed (its network is still readable). */
  onRunEnd?: (run: Run, end: RunEndEvent) => void;
  /** Facts for config.json beyond the experiment itself. */
  configExtra?: Record<string, unknown>;
  /** Draw pictures and report.html into the --out folder. */
  report?: ReportSettings;
  /** Called with the path of report.html once it is written. */
  onReport?: (path: string) => void;
  /** Write the run in progress's checkpoint into the --out folder every this many epochs (`--checkpoint-every`). */
  checkpointEvery?: number;
  /** Continue the experiment in the --out folder (`--resume`): see {@link ResumeFolder}. */
  resume?: boolean;
  /** Files the command writes besides the --out folder (`--save`), checked before the first epoch. */
  outputFiles?: { path: string; option: string }[];
  /** Called once the inputs and output paths are checked, before anything is written (the command's header line). */
  onReady?: () => void;
  /**
   * Record a run that diverges and go on with the others (`compare`),
   * instead of stopping the experiment at the first one (`train`).
   */
  continueAfterDivergence?: boolean;
}

/** A run that diverged in an experiment that went on without it. */
export interface DivergedRun extends RunIdentity {
  /** The epoch it diverged at (null: at the final evaluation). */
  epoch: number | null;
  message: string;
}

/** What an experiment finished with: the runs that ended, and those that diverged. */
export interface ExperimentOutcome {
  results: RunEndEvent[];
  diverged: DivergedRun[];
}

/**
 * For tests: called after each checkpoint is written, with the run and its
 * epoch; a throw there stops the experiment the way a crash would.
 */
export const checkpointHooks: { afterWrite?: (run: Run, epoch: number) => void } = {};

/**
 * Runs every run of `config`, drawing progress and writing the --out
 * folder. Every input is checked first (names, options, the data, the
 * memory the model needs) and then every output path, so a mistake writes
 * nothing; resolves to the runs' end events and, with
 * `continueAfterDivergence`, the runs that diverged.
 */
export async function runExperiment(config: ExperimentConfig, listeners: ExperimentListeners): Promise<ExperimentOutcome> {
  checkExperiment(config);
  const every = listeners.checkpointEvery;
  check(every === undefined || listeners.out !== undefined, '--checkpoint-every K needs --out DIR, the folder the checkpoint is written into (and --resume DIR reads it from)');
  check(!listeners.resume || listeners.out !== undefined, 'resuming needs the folder of the stopped run');
  preflight(config);
  if (listeners.out !== undefined) checkOutFolder(listeners.out, listeners.resume === true);
  for (const file of listeners.outputFiles ?? []) checkOutputFile(file.path, file.option);
  const out = listeners.out ? new OutFolder(listeners.out, config) : null;
  const extra = listeners.configExtra ?? {};
  const resume = out && listeners.resume ? ResumeFolder.open(out, extra, experimentIdentities(config)) : null;
  listeners.onReady?.();
  const configJson = resume ? resume.configJson : out?.writeConfig(extra);
  const bar = listeners.quiet ? null : new ProgressBar(experimentEpochs(config));
  // Boundaries are drawn for the first seed, even when its runs were read back (and have no pictures).
  const recorder = out && listeners.report ? new ReportRecorder({ seed: config.seeds[0], ...listeners.report.recorder }) : null;
  const results: RunEndEvent[] = [];
  const diverged: DivergedRun[] = [];
  let done = 0;
  try {
    for (const run of experimentRuns(config)) {
      const finished = resume?.finished(run);
      if (finished) {
        results.push(finished.end);
        recorder?.runs.push({ schedule: finished.end.schedule, decoders: finished.end.decoders, seed: finished.end.seed, options: finished.options, epochs: finished.epochs, end: finished.end, frames: [] });
        done += finished.end.epochs;
        bar?.update(done, `${finished.end.schedule} (${finished.end.decoders}) seed ${finished.end.seed}  read back from its history`);
        continue;
      }
      const checkpoint = resume?.checkpointFor(run);
      if (checkpoint) run.resumeFrom(checkpoint);
      const epochs: EpochEvent[] = [];
      try {
        for await (const event of run) {
          listeners.onEvent?.(event, run);
          recorder?.onEvent(event, run);
          if (event.type === 'epoch') {
            if (event.collapsed !== undefined && !run.replaying && !epochs.some((e) => e.collapsed !== undefined)) {
              // Once a run: its losses may look fine, so the line says what the scores show.
              bar?.finish();
              process.stderr.write(`localprop: ${event.schedule}${event.rule ? ` (rule ${event.rule})` : ''} seed ${event.seed} collapsed at epoch ${event.epoch}: ${event.collapsed}\n`);
            }
            epochs.push(event);
            // Event 0 scores the untrained network: it trains nothing.
            if (event.epoch > 0) done++;
            bar?.update(done, `${event.schedule} (${event.decoders}) seed ${event.seed}  epoch ${event.epoch}/${event.epochs}`);
            // Not at the last epoch: the history, written a moment later, finishes the run.
            if (every !== undefined && !run.replaying && event.epoch > 0 && event.epoch % every === 0 && event.epoch < event.epochs) {
              await run.prepareCheckpoint();
              out!.writeCheckpoint(run.checkpoint());
              checkpointHooks.afterWrite?.(run, event.epoch);
            }
          } else if (event.type === 'end') {
            results.push(event);
            listeners.onRunEnd?.(run, event);
            out?.writeHistory(run.options, epochs, event);
          }
          // Inside a run, Ctrl-C reaches the run through its signal (it stops at a step boundary, resumable);
          // between runs, here, once the finished one is saved.
          if (event.type === 'end') interruption.check();
        }
      } catch (e) {
        const kept = keepFinishedEpochs(stoppedRun(e, out, run), out, run, epochs);
        if (!(e instanceof DivergedError && listeners.continueAfterDivergence)) throw kept;
        diverged.push({ schedule: e.event.schedule, seed: e.event.seed, decoders: e.event.decoders, epoch: e.event.type === 'epoch' ? e.event.epoch : null, message: (kept as Error).message });
        // The epochs it would have trained still count as done for the bar.
        done += run.schedule.totalEpochs(run.options.epochs, blockCount(config.spec)) - trainedEpochs(epochs);
      }
    }
  } finally {
    bar?.finish();
  }
  out?.writeResults(results, diverged);
  if (every !== undefined || resume) out?.removeCheckpoint();
  if (out && recorder) listeners.onReport?.(drawReport(out.dir, recorder, listeners.report!, config, configJson!));
  return { results, diverged };
}

/**
 * A run stopped by Ctrl-C between two steps: with --out its state goes to
 * the folder's checkpoint, which --resume continues exactly; without, the
 * message says how to make a run resumable.
 */
function stoppedRun(error: unknown, out: OutFolder | null, run: Run): unknown {
  if (!(error instanceof RunStoppedError)) return error;
  if (!out) return new InterruptedError(`interrupted (Ctrl-C): ${error.message}; without --out DIR a run cannot be resumed, so give --out to make the next one resumable`);
  out.writeCheckpoint(run.checkpoint());
  return new InterruptedError(`interrupted (Ctrl-C): ${error.message}; its state is in ${out.checkpointPath}: repeat the command with --resume ${out.dir} to continue exactly from there`);
}

/**
 * A run that failed or was interrupted keeps its finished epochs: they go
 * to `<run>.failed.json` (not the history file, which marks a finished run
 * for --resume), and the error says where.
 */
function keepFinishedEpochs(error: unknown, out: OutFolder | null, run: Run, epochs: EpochEvent[]): unknown {
  const trained = trainedEpochs(epochs);
  if (!out || trained === 0 || !(error instanceof LocalpropError)) return error;
  const path = out.historyPath(epochs[0]).replace(/\.history\.json$/, '.failed.json');
  writeJsonAtomic(path, { version: EPOCH_CONVENTION, error: error.message, options: run.options, epochs });
  const kept = `; its ${trained} finished epoch${trained > 1 ? 's are' : ' is'} in ${path}`;
  return error instanceof InterruptedError ? new InterruptedError(error.message + kept) : new LocalpropError(error.message + kept);
}

/** Epochs trained by the run whose events so far are `epochs` (0 to the last finished one). */
function trainedEpochs(epochs: EpochEvent[]): number {
  return epochs.length > 0 ? epochs[epochs.length - 1].epoch : 0;
}

/** Every run of the experiment, in the order {@link experimentRuns} makes them. */
function experimentIdentities(config: ExperimentConfig): RunIdentity[] {
  const rules = rulesOf(config).map((r) => (r === DEFAULT_RULE ? {} : { rule: r }));
  return config.seeds.flatMap((seed) => rules.flatMap((rule) => config.decoders.flatMap((decoders) => config.schedules.map((schedule) => ({ schedule, seed, decoders, ...rule })))));
}

/**
 * Draws the pictures and report.html after results.json is safely written,
 * so a drawing failure never loses a finished run. Returns report.html's path.
 */
function drawReport(dir: string, recorder: ReportRecorder, settings: ReportSettings, config: ExperimentConfig, configJson: Record<string, unknown>): string {
  try {
    const report = renderReport(recorder, {
      title: `localprop: ${config.schedules.join(', ')} on ${dataName(config.data)}`,
      dataset: dataName(config.data),
      model: formatModelSpec(config.spec),
      config: configJson,
      lossScale: settings.lossScale,
    });
    writeReportFiles(dir, report);
    return join(dir, 'report.html');
  } catch (e) {
    throw new LocalpropError(`the runs finished and their results are saved in ${dir}/results.json, but drawing the report failed: ${(e as Error).message}; rerun with --no-report to skip pictures`);
  }
}
