import { checkExperiment, experimentEpochs, experimentRuns, type ExperimentConfig } from '../experiment/experiment.js';
import type { EpochEvent, RunEndEvent, RunEvent } from '../schedules/events.js';
import type { Run } from '../schedules/run.js';
import { ProgressBar } from './progress.js';
import { OutFolder } from './report.js';

export interface ExperimentListeners {
  out?: string;
  quiet?: boolean;
  /** Called for every event of every run. */
  onEvent?: (event: RunEvent, run: Run) => void;
  /** Called when a run has ended, before it is freed (its network is still readable). */
  onRunEnd?: (run: Run, end: RunEndEvent) => void;
  /** Facts for config.json beyond the experiment itself. */
  configExtra?: Record<string, unknown>;
}

/** Runs every run of `config`, drawing progress and writing the --out folder; resolves to the end events. */
export async function runExperiment(config: ExperimentConfig, listeners: ExperimentListeners): Promise<RunEndEvent[]> {
  checkExperiment(config);
  const bar = listeners.quiet ? null : new ProgressBar(experimentEpochs(config));
  const out = listeners.out ? new OutFolder(listeners.out, config) : null;
  out?.writeConfig(listeners.configExtra ?? {});
  const results: RunEndEvent[] = [];
  let done = 0;
  try {
    for (const run of experimentRuns(config)) {
      const epochs: EpochEvent[] = [];
      for await (const event of run) {
        listeners.onEvent?.(event, run);
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
  return results;
}
