import fc from 'fast-check';
import { expect } from 'vitest';
import { LocalpropError } from '../../src/util/errors.js';

/**
 * The contract every parser of user input keeps: whatever the input, it
 * returns a value (which the caller then checks round-trips) or throws a
 * {@link LocalpropError} with a message; never another exception, and never
 * slowly. A parse that takes longer than {@link MS_PER_INPUT} fails the
 * property (a true infinite loop would instead stall the test file, which
 * vitest then reports as timed out).
 */
export const MS_PER_INPUT = 1000;

/** One seed for every property, so a failure reproduces; fast-check prints the counterexample and its path. */
export const PROPERTY_SEED = 1717;

export type Outcome<T> = { ok: true; value: T } | { ok: false; message: string };

/** Runs `parse`, classifying what it did; anything but a value or a LocalpropError with a message fails. */
export function outcome<T>(parse: () => T): Outcome<T> {
  const start = performance.now();
  let result: Outcome<T>;
  try {
    result = { ok: true, value: parse() };
  } catch (e) {
    if (!(e instanceof LocalpropError)) throw new Error(`not a LocalpropError: ${(e as Error)?.stack ?? String(e)}`);
    if (typeof e.message !== 'string' || e.message.trim().length < 10) throw new Error(`a LocalpropError without a real message: "${e.message}"`);
    result = { ok: false, message: e.message };
  }
  const ms = performance.now() - start;
  if (ms > MS_PER_INPUT) throw new Error(`the parse took ${ms.toFixed(0)} ms (limit ${MS_PER_INPUT} ms a input)`);
  return result;
}

/**
 * Checks `predicate` on `runs` inputs of `arbitrary` and returns how many it
 * tried and how many parsed (the rest were refused with a message), so a
 * test can also require that both kinds were reached.
 */
export function checkProperty<T>(arbitrary: fc.Arbitrary<T>, predicate: (value: T) => boolean, runs: number): { tried: number; parsed: number } {
  let parsed = 0;
  const details = fc.check(
    fc.property(arbitrary, (value) => {
      const ok = predicate(value);
      if (ok) parsed++;
      return true;
    }),
    { numRuns: runs, seed: PROPERTY_SEED },
  );
  if (details.failed) throw new Error(fc.defaultReportMessage(details) ?? 'property failed');
  expect(details.numRuns).toBe(runs);
  return { tried: details.numRuns, parsed };
}

/** A string mostly made of `alphabet` pieces (so parsers get past their first check), sometimes of any characters. */
export function textOf(pieces: string[], maxLength = 60): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.array(fc.constantFrom(...pieces), { maxLength }).map((p) => p.join('')) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength }) },
  );
}
