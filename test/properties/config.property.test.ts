import { Command } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addOptions, resolveOptions, type CommandName, type OptionValues } from '../../src/cli/options.js';
import { parseJson } from '../../src/cli/setup.js';
import { checkProperty, outcome, textOf } from './property.js';

/** The options' keys as the commands define them (camelCase), and the kebab-case names a config file may use. */
function keysOf(name: CommandName): string[] {
  return addOptions(new Command(name), name).options.map((o) => o.attributeName());
}
const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Values a config file holds: the right kind mostly (numbers, names, lists, switches), any JSON sometimes. */
const value = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -2, max: 400 }) },
  { weight: 2, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -10, max: 10 }) },
  { weight: 4, arbitrary: fc.constantFrom('0.5', '3', '1e-3', 'adam', 'sgd', 'batch', 'epoch', 'on', 'off', 'mse', 'soft', 'weights', 'learned', 'fixed,learned', 'backprop,local-parallel', '0,3,7', '0.5,1.2', 'true', 'false', '', '3,', '0x10', 'Infinity', 'data.csv', '2-8-1', '{"layers":[2,8,1]}', 'spec.json') },
  { weight: 2, arbitrary: fc.boolean() },
  { weight: 2, arbitrary: fc.array(fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constantFrom('backprop', 'local-parallel', 'fixed', 'learned')), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.jsonValue() },
);

function configOf(name: CommandName): fc.Arbitrary<unknown> {
  const keys = keysOf(name);
  const key = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...keys) }, { weight: 4, arbitrary: fc.constantFrom(...keys.map(kebab)) }, { weight: 1, arbitrary: fc.constantFrom('epoch', 'seeds ', '__proto__', 'config', 'lR') });
  return fc.oneof({ weight: 10, arbitrary: fc.dictionary(key, value, { maxKeys: 4 }) }, { weight: 1, arbitrary: fc.jsonValue() });
}

/** Parses a config object's options again from what the first parse gave: the same values must come back. */
function roundTrips(name: CommandName, merged: OptionValues): void {
  const again = outcome(() => resolveOptions(name, { config: 'again.json' }, () => merged));
  expect(again.ok, again.ok ? '' : again.message).toBe(true);
  expect((again as { value: OptionValues }).value).toEqual(merged);
}

describe('the config file (--config)', () => {
  for (const name of ['compare', 'train'] as const) {
    it(`${name}: any JSON object parses to options that parse again to themselves, or refuses with a message (3000 inputs)`, () => {
      const { parsed } = checkProperty(
        configOf(name).map((v) => JSON.parse(JSON.stringify(v)) as unknown),
        (config) => {
          const r = outcome(() => resolveOptions(name, { config: 'c.json' }, () => config));
          if (!r.ok) return false;
          roundTrips(name, r.value);
          return true;
        },
        3000,
      );
      expect(parsed).toBeGreaterThan(300);
    });
  }

  it('any text as the file parses as JSON options, or refuses with a message (2000 inputs)', () => {
    const text = fc.oneof(configOf('compare').map((v) => JSON.stringify(v)), textOf(['{', '}', '"epochs"', ':', '3', ',', '"lr"', '"x"', '[', ']', ' ', 'null', 'true']));
    checkProperty(
      text,
      (t) => {
        const r = outcome(() => resolveOptions('compare', { config: 'c.json' }, (path) => parseJson(t, `--config ${path}`)));
        if (r.ok) roundTrips('compare', r.value);
        return r.ok;
      },
      2000,
    );
  });

  it('command-line strings parse as the same options a config file gives (3000 inputs)', () => {
    // Commander hands every value over as a string (switches as true): the table reads both alike.
    // Not --import: it loads code, so only the command line may give it, and a config file refuses it.
    const keys = keysOf('compare').filter((k) => k !== 'config' && k !== 'import');
    const cli = fc.dictionary(fc.constantFrom(...keys), value.map((v) => (typeof v === 'boolean' ? v : typeof v === 'string' ? v : JSON.stringify(v))), { maxKeys: 4 });
    const { parsed } = checkProperty(
      cli,
      (flags) => {
        const r = outcome(() => resolveOptions('compare', flags, () => ({})));
        if (!r.ok) return false;
        roundTrips('compare', r.value);
        return true;
      },
      3000,
    );
    expect(parsed).toBeGreaterThan(300);
  });
});
