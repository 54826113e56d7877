import type { ExperimentConfig } from '../experiment/experiment.js';
import { WorkerPipeline } from '../node/worker-pipeline.js';
import { pipelineBound, pipelinableNames, pipelineRefusal } from '../train/pipeline.js';
import { getSchedule } from '../schedules/registry.js';
import { resolveRunOptions } from '../train/run.js';
import { check } from '../util/errors.js';
import type { ResolvedOptions } from '../options/typed.js';
import { outputSize } from '../model/shapes.js';

/**
 * Runs `body` with the pipeline `--workers N` asks for attached to `config`
 * (see {@link startPipeline}), closing it after. `body` gets the line that
 * describes the pipeline (null without one), to print once the command's
 * inputs are checked.
 */
export async function withPipeline<T>(o: ResolvedOptions, config: ExperimentConfig, body: (pipelineLine: string | null) => Promise<T>): Promise<T> {
  const pipeline = startPipeline(o, config);
  try {
    return await body(pipeline ? pipelineLine(o, config, pipeline) : null);
  } finally {
    await pipeline?.close();
  }
}

/**
 * The pipeline `--workers N` asks for (none for N = 1), attached to the
 * experiment's runs of schedules that can be pipelined; the caller closes it. Everything that
 * would make it refuse is checked here, before any thread starts.
 */
function startPipeline(o: ResolvedOptions, config: ExperimentConfig): WorkerPipeline | undefined {
  const workers = o.workers ?? 1;
  if (workers <= 1) return undefined;
  const pipelined = config.schedules.map(getSchedule).filter((s) => s.pipelinable);
  check(pipelined.length > 0, `--workers pipelines ${pipelinableNames()} only, and this command runs ${config.schedules.join(', ')}; use --workers 1`);
  const outputs = outputSize(config.spec);
  for (const schedule of pipelined) {
    for (const decoders of config.decoders) {
      const r = resolveRunOptions({ ...config.training, schedule, seed: 0, decoders }, outputs);
      const refusal = pipelineRefusal({ schedule, step: r.step, zeroGradSteps: r.zeroGradSteps });
      check(refusal === null, () => refusal!);
    }
  }
  const pipeline = WorkerPipeline.start(config.spec, workers);
  config.training.pipeline = pipeline;
  return pipeline;
}

/** What the pipeline runs where, in one line. */
function pipelineLine(o: ResolvedOptions, config: ExperimentConfig, pipeline: WorkerPipeline): string {
  const pipelined = config.schedules.filter((s) => getSchedule(s).pipelinable);
  const others = config.schedules.filter((s) => !getSchedule(s).pipelinable);
  return `localprop: ${pipelined.join(', ')} on ${pipeline.groups.length} threads, blocks ${pipeline.groups.map((g) => `[${g.join(', ')}]`).join(' | ')} (at best ${pipelineBound(config.spec, pipeline.groups).toFixed(2)}× one thread)${others.length ? `; ${others.join(', ')} on one thread` : ''}`;
}
