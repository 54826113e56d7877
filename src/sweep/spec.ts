import { LocalpropError, check } from '../util/errors.js';
import { parseOptionValue, parseSeeds, type OptionValues } from '../cli/options.js';
import { sweepRefusal } from '../options/table.js';
import { checkNesting } from '../util/structured-input.js';
import { checkRunCount } from './run-limit.js';

/**
 * A sweep: every configuration of `grid` (the product of its value lists)
 * and every one of `points`, each laid over `base`, trained once per seed.
 * Option values are as `localprop train` reads them (camelCase keys,
 * parsed values); `records` is the folder of checkpoints and records.
 */
export interface SweepSpec {
  base: OptionValues;
  grid: Record<string, unknown[]>;
  points: OptionValues[];
  seeds: number[];
  /** The records folder, as the spec names it (see {@link recordsFolder} for where it lies), or {@link RECORDS_IN_REDIS}. */
  records: string;
}

/** The `records` of a spec whose records and checkpoints live in its queue's Redis (`localprop sweep submit --queue`). */
export const RECORDS_IN_REDIS = 'redis:';

/** True when the spec keeps its records in its queue's Redis rather than in a folder. */
export const recordsInRedis = (spec: SweepSpec): boolean => spec.records === RECORDS_IN_REDIS;

const SPEC_KEYS = ['base', 'grid', 'points', 'seeds', 'records'];

const camel = (key: string) => key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** One option of the spec, checked by `localprop train`'s option table; `where(key)` says where it stands in the spec. */
function parseOption(source: string, where: (rawKey: string) => string, rawKey: string, value: unknown): [string, unknown] {
  const key = camel(rawKey);
  const refusal = sweepRefusal(key);
  check(refusal === undefined, `${source}: ${where(rawKey)} cannot be set in a sweep spec: ${refusal}`);
  try {
    return [key, parseOptionValue('train', key, value)];
  } catch (e) {
    if (!(e instanceof LocalpropError)) throw e;
    throw new LocalpropError(`${source}: ${where(rawKey)}: ${e.message} (the options of \`localprop train --help\`, with or without dashes)`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseOptions(source: string, where: string, value: unknown): OptionValues {
  check(isObject(value), `${source}: ${where} must be an object of options, like {"epochs": 20}`);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => parseOption(source, (key) => `${where} "${key}"`, k, v)));
}

/**
 * Reads a sweep spec (parsed JSON) and checks every key of `base`, `grid`
 * and `points` with `localprop train`'s option table, so a mistake is named
 * before anything trains; `source` names the spec in messages.
 */
export function parseSweepSpec(value: unknown, source: string): SweepSpec {
  check(isObject(value), `${source} must hold a JSON object with "base", "grid", "points", "seeds" and "records"`);
  checkNesting(value, source);
  for (const key of Object.keys(value)) check(SPEC_KEYS.includes(key), `${source}: unknown key "${key}"; a sweep spec has ${SPEC_KEYS.map((k) => `"${k}"`).join(', ')}`);
  check(typeof value.records === 'string' && value.records.length > 0, `${source}: "records" must name the folder of the sweep's records, like "runs/my-sweep"`);
  check(value.seeds !== undefined, `${source}: "seeds" is missing; give a list like [0, 1, 2] or a count like 3 (seeds 0-2)`);
  const seeds = parseSeeds(value.seeds, `${source}: "seeds"`);
  checkRunCount(value.grid, value.points, seeds.length, source);
  const base = value.base === undefined ? {} : parseOptions(source, 'base', value.base);
  const grid: Record<string, unknown[]> = {};
  if (value.grid !== undefined) {
    check(isObject(value.grid), `${source}: "grid" must be an object of value lists, like {"schedule": ["backprop", "local-parallel"]}`);
    for (const [rawKey, values] of Object.entries(value.grid)) {
      check(Array.isArray(values) && values.length > 0, `${source}: grid "${rawKey}" must be a non-empty list of values, like ["backprop", "local-parallel"]`);
      const parsed = values.map((v, i) => parseOption(source, (key) => `grid "${key}" (value ${i + 1})`, rawKey, v));
      grid[parsed[0][0]] = parsed.map(([, v]) => v);
    }
  }
  let points: OptionValues[] = [];
  if (value.points !== undefined) {
    check(Array.isArray(value.points), `${source}: "points" must be a list of option objects, like [{"schedule": "local-sequential", "epochs": 10}]`);
    points = value.points.map((p, i) => parseOptions(source, `point ${i + 1}`, p));
  }
  return { base, grid, points, seeds, records: value.records };
}

/** Every configuration of the spec, before seeds: the grid's product, then the points, each over the base. */
export function specConfigurations(spec: SweepSpec): OptionValues[] {
  const keys = Object.keys(spec.grid);
  let product: OptionValues[] = keys.length > 0 ? [{}] : [];
  for (const key of keys) product = product.flatMap((partial) => spec.grid[key].map((v) => ({ ...partial, [key]: v })));
  const configurations = [...product, ...spec.points].map((c) => ({ ...spec.base, ...c }));
  return configurations.length > 0 ? configurations : [{ ...spec.base }];
}
