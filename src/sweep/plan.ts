import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { canonicalJson } from '../train/run.js';
import { resolveOptions, type OptionValues } from '../cli/options.js';
import { LocalpropError, check } from '../util/errors.js';
import { runConfiguration, runId, type RunConfiguration } from './configuration.js';
import { RECORDS_IN_REDIS, recordsInRedis, specConfigurations, type SweepSpec } from './spec.js';

/** One run of a sweep: its id, the options it trains with and its resolved configuration. */
export interface PlannedRun {
  id: string;
  /** The options as `localprop train` would hold them (files found beside the spec), with `schedule` and `seed`. */
  options: OptionValues;
  configuration: RunConfiguration;
  /** The options that tell this run from the sweep's others, like `schedule=backprop lr=0.01 seed=1`. */
  label: string;
}

/** A sweep's runs, and the configurations that repeated another (same id: trained once). */
export interface SweepPlan {
  runs: PlannedRun[];
  duplicates: { label: string; sameAs: string }[];
}

/** Where the records of a spec read from `specPath` lie: a relative folder is beside the spec, as files a --config names are. */
export function recordsFolder(spec: SweepSpec, specPath: string): string {
  check(!recordsInRedis(spec), `${specPath} keeps its records in Redis ("records": "${RECORDS_IN_REDIS}"): run it with \`localprop sweep submit\` and \`sweep worker --queue URL\`, see it with \`sweep status --queue URL\`, and gather its records with \`sweep collect --queue URL DIR\` for \`sweep report SPEC --records DIR\``);
  return isAbsolute(spec.records) ? spec.records : resolvePath(dirname(specPath), spec.records);
}

/**
 * Expands a spec into its runs, configuration by configuration (the grid's
 * product in the order its keys are written, then the points) and seed by
 * seed within each. Every run's options are resolved and checked as
 * `localprop train` would (files beside the spec, data against model,
 * every option's range), so a bad spec fails here, before anything trains;
 * `source` names the spec in messages.
 */
export function planSweep(spec: SweepSpec, specPath: string, source = specPath): SweepPlan {
  const configurations = specConfigurations(spec);
  const varying = varyingKeys(configurations);
  const runs: PlannedRun[] = [];
  const duplicates: SweepPlan['duplicates'] = [];
  const byId = new Map<string, PlannedRun>();
  configurations.forEach((given, k) => {
    for (const seed of spec.seeds) {
      const shown = [...varying.map((key) => `${key}=${formatValue(given[key])}`), `seed=${seed}`].join(' ');
      let options: OptionValues;
      let configuration: RunConfiguration;
      try {
        // Read as a --config file is, so the files a spec names are found beside it.
        options = { ...resolveOptions('train', { config: specPath }, () => given, (path, file) => resolvePath(dirname(path), file)), seed };
        configuration = runConfiguration(options, given.dataDir as string | undefined);
      } catch (e) {
        if (!(e instanceof LocalpropError)) throw e;
        throw new LocalpropError(`${source}: configuration ${k + 1} (${shown}): ${e.message}`);
      }
      const id = runId(configuration);
      const earlier = byId.get(id);
      if (earlier) {
        duplicates.push({ label: shown, sameAs: earlier.label });
        continue;
      }
      const run = { id, options, configuration, label: shown };
      byId.set(id, run);
      runs.push(run);
    }
  });
  return { runs, duplicates };
}

/** The keys whose values differ between configurations, in the order they first appear (schedule first when it varies). */
function varyingKeys(configurations: OptionValues[]): string[] {
  const keys = [...new Set(configurations.flatMap((c) => Object.keys(c)))];
  const differ = keys.filter((key) => new Set(configurations.map((c) => canonicalJson(c[key] ?? null))).size > 1);
  return [...differ.filter((k) => k === 'schedule'), ...differ.filter((k) => k !== 'schedule')];
}

function formatValue(v: unknown): string {
  if (v === undefined) return '-';
  if (Array.isArray(v)) return v.join(',');
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}
