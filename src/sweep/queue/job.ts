import { isAbsolute } from 'node:path';
import { canonicalJson } from '../../train/run.js';
import { LocalpropError, check } from '../../util/errors.js';
import { planSweep, type PlannedRun } from '../plan.js';
import { parseSweepSpec, type SweepSpec } from '../spec.js';
import { checkJobSize, checkSpecFolder } from './job-limits.js';

export const JOB_FORMAT = 'localprop-sweep-job';

/**
 * What a queued job holds: the sweep spec as JSON data (never code), the
 * absolute path it was read from (its data files are found beside it, on
 * every worker: a shared folder) and the id of the run to train. A worker
 * plans the spec again itself, through the same checks as `sweep run`, so
 * a job can ask for nothing a spec file could not.
 */
export interface SweepJobData {
  format: typeof JOB_FORMAT;
  version: 1;
  spec: unknown;
  specPath: string;
  id: string;
  label: string;
}

/** A job's run, planned and checked, with its spec. */
export interface JobRun {
  spec: SweepSpec;
  specPath: string;
  run: PlannedRun;
}

const JOB_KEYS = ['format', 'version', 'spec', 'specPath', 'id', 'label'];

/**
 * The run a job asks for, planned from its spec on this worker. Throws a
 * {@link LocalpropError} (the job fails, without retries) for anything a
 * submitter could not have sent: unknown keys, an `import` (refused by the
 * spec's checks), options the option table refuses, a job over the size
 * cap or naming files or records outside its spec's folder (job-limits.ts),
 * a run id the spec does not give here (its data files differ on this
 * machine).
 */
export function planJob(data: unknown, cache?: Map<string, JobRun[]>): JobRun {
  check(typeof data === 'object' && data !== null && !Array.isArray(data), 'a queued job is not an object: it was not written by `localprop sweep submit`');
  const job = data as Record<string, unknown>;
  for (const key of Object.keys(job)) check(JOB_KEYS.includes(key), `a queued job has the unknown key "${key}": it was not written by this version of \`localprop sweep submit\``);
  check(job.format === JOB_FORMAT && job.version === 1, `a queued job is not a localprop sweep job (format ${JSON.stringify(job.format)}, version ${JSON.stringify(job.version)}); submit it again with this version of localprop`);
  check(typeof job.id === 'string' && /^[0-9a-f]{16}$/.test(job.id), 'a queued job has no run id of 16 hex digits');
  check(typeof job.specPath === 'string' && isAbsolute(job.specPath), 'a queued job has no absolute spec path');
  const source = `the spec of queued run ${job.id} (${job.specPath})`;
  checkJobSize(job, source);
  const key = `${job.specPath}\n${canonicalJson(job.spec)}`;
  let runs = cache?.get(key);
  if (!runs) {
    const spec = parseSweepSpec(job.spec, source);
    // Before planning, which reads the files the spec names.
    checkSpecFolder(spec, job.specPath, source);
    runs = planSweep(spec, job.specPath, source).runs.map((run) => ({ spec, specPath: job.specPath as string, run }));
    cache?.set(key, runs);
  }
  const found = runs.find((r) => r.run.id === job.id);
  if (!found) throw new LocalpropError(`the spec of queued run ${job.id} (${job.specPath}) gives no run with that id on this worker: its data files differ from the submitter's (a different file at that path?); give every worker the same files`);
  return found;
}

/**
 * The BullMQ job id of a run: its id behind `run-`, since BullMQ refuses
 * ids that read as integers, as a run id of 16 decimal digits would.
 */
export const jobIdOf = (runId: string): string => `run-${runId}`;

/** The job of one planned run. */
export function jobData(spec: unknown, specPath: string, run: PlannedRun): SweepJobData {
  return { format: JOB_FORMAT, version: 1, spec, specPath, id: run.id, label: run.label };
}
