import { beforeAll, expect } from 'vitest';
import { useBackend } from '../src/engine/backend.js';
import { seededStart, type SeededStart } from '../src/experiment/seeded.js';
import { cloneParameters } from '../src/model/parameters.js';
import { parseModelSpec, SEED_MODEL, type ModelSpec } from '../src/model/spec.js';
import { Run, type RunOptions } from '../src/train/run.js';
import { LocalpropError } from '../src/util/errors.js';

/**
 * The backend of the engine-dependent tests: wasm, or the one
 * `npm run test:native` names in LOCALPROP_TEST_BACKEND (vitest.native.config.ts).
 */
export const TEST_BACKEND = process.env.LOCALPROP_TEST_BACKEND ?? 'wasm';

/** The backends numeric tests run on: the default (wasm) and the reference JS one, or only the one LOCALPROP_TEST_BACKEND names. */
export const BACKENDS: readonly string[] = process.env.LOCALPROP_TEST_BACKEND ? [process.env.LOCALPROP_TEST_BACKEND] : ['wasm', 'cpu'];

/**
 * Checks `actual[k]` against `expected[k]` element by element:
 * |a - e| ≤ abs + rel·|e|. The message names the first element that is off.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, abs: number, rel = 0): void {
  expect(actual.length, 'length').toBe(expected.length);
  for (let k = 0; k < expected.length; k++) {
    const a = actual[k];
    const e = expected[k];
    const ok = Math.abs(a - e) <= abs + rel * Math.abs(e);
    if (!ok) expect.fail(`element ${k}: got ${a}, expected ${e} (abs tol ${abs}, rel tol ${rel})`);
  }
}

/** The message of the {@link LocalpropError} that `fn` throws; fails when it throws nothing or something else. */
export function localpropErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LocalpropError);
    return (error as Error).message;
  }
  return expect.fail('expected a LocalpropError, but nothing was thrown');
}

/** Same as {@link localpropErrorOf} for a promise. */
export async function localpropErrorOfAsync(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LocalpropError);
    return (error as Error).message;
  }
  return expect.fail('expected a LocalpropError, but nothing was thrown');
}

/**
 * Runs of the seed's network on signed_xor seed 0 (wasm backend), from one
 * start drawn before the file's tests: `makeRun` defaults to back-propagation.
 */
export function seedRuns(): { spec: ModelSpec; start: () => SeededStart; makeRun: (options?: Partial<RunOptions>) => Run } {
  const spec = parseModelSpec(SEED_MODEL);
  let start: SeededStart;
  beforeAll(async () => {
    await useBackend('wasm');
    start = seededStart(0, spec, { dataset: 'signed_xor' });
  });
  const makeRun = (options: Partial<RunOptions> = {}) =>
    new Run({ schedule: 'backprop', spec, parameters: cloneParameters(start.parameters), train: start.train, test: start.test, seed: 0, ...options });
  return { spec, start: () => start, makeRun };
}
