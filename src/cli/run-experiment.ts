import type { EpochEvent, RunEndEvent, RunEvent } from '../schedules/events.js';
import type { Run } from '../schedules/run.js';
import { checkExperiment, dataName, experimentEpochs, experimentRuns, type ExperimentConfig } from '../experiment/experiment.js';
import { formatModelSpec } from '../model/spec.js';
import { writeReportFiles } from '../node/report-files.js';
import { ReportRecorder } from '../report/recorder.js';
import { renderReport } from '../report/report.js';
import { LocalpropError } from '../util/errors.js';
import { ProgressBar } from './progress.js';
import { OutFolder } from './report.js';
import type { ReportSettings } from './report-settings.js';

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
}

/** Runs every run of `config`, drawing progress and writing the --out folder; resolves to the end events. */
export async function runExperiment(config: ExperimentConfig, listeners: ExperimentListeners): Promise<RunEndEvent[]> {
  checkExperiment(config);
  const bar = listeners.quiet ? null : new ProgressBar(experimentEpochs(config));
  const out = listeners.out ? new OutFolder(listeners.out, config) : null;
  const configJson = out?.writeConfig(listeners.configExtra ?? {});
  const recorder = out && listeners.report ? new ReportRecorder(listeners.report.recorder) : null;
  const results: RunEndEvent[] = [];
  let done = 0;
  try {
    for (const run of experimentRuns(config)) {
      const epochs: EpochEvent[] = [];
      for await (const event of run) {
        listeners.onEvent?.(event, run);
        recorder?.onEvent(event, run);
        if (event.type === 'epoch') {
          epochs.push(event);
          done++;
          bar?.update(done, `${event.schedule} (${event.decoders}) seed ${event.seed}  epoch ${event.epoch}/${event.epochs}`);
        } else if (event.type === 'end') {
          results.push(event);
          listeners.onRunEnd?.(run, event);
          out?.writeHistory(run.options, epochs, event);
        }
      }
    }
  } finally {
    bar?.finish();
  }
  out?.writeResults(results);
  if (out && recorder) drawReport(out.dir, recorder, listeners.report!, config, configJson!);
  return results;
}

/**
 * Draws the pictures and report.html after results.json is safely written,
 * so a drawing failure never loses a finished run.
 */
function drawReport(dir: string, recorder: ReportRecorder, settings: ReportSettings, config: ExperimentConfig, configJson: Record<string, unknown>): void {
  const start = performance.now();
  try {
    const report = renderReport(recorder, {
      title: `localprop: ${config.schedules.join(', ')} on ${dataName(config.data)}`,
      dataset: dataName(config.data),
      model: formatModelSpec(config.spec),
      config: configJson,
      lossScale: settings.lossScale,
    });
    writeReportFiles(dir, report);
    if (settings.announce) process.stderr.write(`report: ${dir}/report.html (${report.figures.length} figures, drawn in ${((performance.now() - start) / 1000).toFixed(1)} s)\n`);
  } catch (e) {
    throw new LocalpropError(`the runs finished and their results are saved in ${dir}/results.json, but drawing the report failed: ${(e as Error).message}; rerun with --report off to skip pictures`);
  }
}
