import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addOptions } from '../../src/cli/options.js';
import { resolveGateOptions } from '../../src/modulators/gates.js';
import { flagName } from '../../src/options/option.js';
import { parseOptionValue, resolveOptions } from '../../src/options/resolve.js';
import { commandOptions, optionTable, ruleOptionKeys, sweepRefusal } from '../../src/options/table.js';
import { getRule } from '../../src/rules/registry.js';
import { resolveRunOptions } from '../../src/train/run.js';
import { localpropErrorOf } from '../support.js';

const defaultOf = (key: string) => optionTable().find((d) => d.key === key)!.default;

describe('the option table', () => {
  it('names every option once per command, and every flag once', () => {
    for (const name of ['compare', 'train'] as const) {
      const rows = commandOptions(name);
      expect(new Set(rows.map((d) => d.key)).size, name).toBe(rows.length);
      const flags = rows.flatMap((d) => [d.flag, d.alias?.flag]).filter(Boolean);
      expect(new Set(flags).size, name).toBe(flags.length);
      // Commander reads each flag back to the row's key.
      const keys = new Set(addOptions(new Command(name), name).options.map((o) => o.attributeName()));
      expect([...keys].sort()).toEqual(rows.filter((d) => d.flag).map((d) => d.key).sort());
    }
    expect(commandOptions('compare').map((d) => d.key)).toContain('seeds');
    expect(commandOptions('compare').map((d) => d.key)).not.toContain('seed');
    expect(commandOptions('train').map((d) => d.key)).toEqual(expect.arrayContaining(['seed', 'schedule', 'save', 'logEvery']));
  });

  it("holds the defaults a run takes when the option is not given", () => {
    const run = resolveRunOptions({ schedule: 'local-gated', seed: 0 }, 1);
    expect(defaultOf('batchSize')).toBe(run.batchSize);
    expect(defaultOf('decoders')).toEqual([run.decoders]);
    expect(defaultOf('zeroGradSteps')).toBe(run.zeroGradSteps);
    expect(defaultOf('evalEvery')).toBe(1);
    expect(run.evalEvery).toBeUndefined();
    const gate = resolveGateOptions();
    expect([defaultOf('gate'), defaultOf('gateTau'), defaultOf('gateScale'), defaultOf('gateSmoothing'), defaultOf('gateFloor'), defaultOf('gateTarget')]).toEqual([gate.mode, gate.tau, gate.scale, gate.smoothing, gate.floor, gate.target]);
    expect(run.gate).toEqual(gate);
    // The rules' own options: the registered rule's resolved options are the table's defaults.
    const ff = getRule('ff').options!;
    for (const [key, value] of Object.entries(ff)) expect(defaultOf(key), key).toEqual(value);
    expect(defaultOf('predsimBeta')).toBe(getRule('predsim').options!.predsimBeta);
  });

  it('says in its help the default it holds', () => {
    let checked = 0;
    for (const def of optionTable()) {
      const said = /\(default ([^\s;:)]+)/.exec(def.help)?.[1]?.replace(/,$/, '');
      if (said === undefined || def.default === undefined) continue;
      const held = Array.isArray(def.default) ? def.default.map(String) : [String(def.default)];
      // Numbers as numbers (1e-6 is 0.000001), names as written.
      const value = (t: string) => (Number.isNaN(Number(t)) ? t : Number(t));
      expect(said.split(',').map(value), flagName(def)).toEqual(held.map(value));
      checked++;
    }
    expect(checked).toBeGreaterThan(15);
  });

  it('reads each of its choices as itself and refuses any other in one line', () => {
    for (const def of optionTable().filter((d) => d.choices)) {
      for (const choice of def.choices!) expect(def.parse(choice, flagName(def))).toBe(choice);
      expect(localpropErrorOf(() => def.parse('nope', flagName(def)))).toBe(`${flagName(def)} must be one of ${def.choices!.join(', ')}, got "nope"`);
    }
    expect(parseOptionValue('compare', 'gateTarget', 'block')).toBe('block');
  });

  it('gives a built-in option\'s value with its reader\'s type, and refuses a key the command does not take', () => {
    // Typed by the rows: these assignments compile without casts (npm run typecheck checks them).
    const workers: number = parseOptionValue('train', 'workers', '3');
    const schedules: string[] = parseOptionValue('compare', 'schedules', 'local-gated, backprop');
    const target: 'weights' | 'block' | 'step-sizes' = parseOptionValue('compare', 'gateTarget', 'step-sizes');
    expect([workers, schedules, target]).toEqual([3, ['local-gated', 'backprop'], 'step-sizes']);
    expect(localpropErrorOf(() => parseOptionValue('train', 'workers', '0'))).toBe('--workers must be a whole number ≥ 1, got 0');
    expect(localpropErrorOf(() => parseOptionValue('train', 'seeds', '3'))).toBe('`localprop train` has no option seeds');
  });

  it("takes the options schedules and rules declare, and passes the rules' on as rule options", () => {
    const keys = commandOptions('compare').map((d) => d.key);
    expect(keys).toEqual(expect.arrayContaining(['gate', 'gateTau', 'ffThreshold', 'ffGoodnessBlocks', 'predsimBeta']));
    expect(ruleOptionKeys()).toEqual(['ffThreshold', 'ffGoodness', 'ffEmbed', 'ffPredict', 'ffReadout', 'ffPeerNorm', 'ffInputNorm', 'ffInit', 'ffGoodnessBlocks', 'dfaInit', 'predsimBeta']);
    // local-gated's gate group, then local-drift's drift group (a schedule run only when named declares its options too).
    expect(optionTable().filter((d) => d.owner?.kind === 'schedule').map((d) => d.key)).toEqual(['gate', 'gateTau', 'gateScale', 'gateSmoothing', 'gateFloor', 'gateTarget', 'driftTau', 'driftSmoothing', 'driftShrink', 'driftReset', 'driftMoments', 'driftLag', 'driftFreeze']);
    expect(resolveOptions('train', { config: 'c.json' }, () => ({ 'drift-freeze': 0.5 }))).toEqual({ driftFreeze: 0.5 });
    expect(resolveOptions('train', { config: 'c.json' }, () => ({ 'ff-threshold': '1.5', 'predsim-beta': 0.5 }))).toEqual({ ffThreshold: 1.5, predsimBeta: 0.5 });
  });

  it('says why a sweep spec or a config file cannot set an option', () => {
    expect(sweepRefusal('seed')).toBe('give the seeds as the spec\'s "seeds" list');
    expect(sweepRefusal('report')).toBe('a sweep draws no per-run pictures');
    expect(sweepRefusal('lr')).toBeUndefined();
    expect(localpropErrorOf(() => resolveOptions('compare', { config: 'c.json' }, () => ({ import: 'x.js' })))).toBe('--config c.json: "import" loads code, which only the command line may do; pass --import on the command line');
    expect(localpropErrorOf(() => resolveOptions('train', { config: 'c.json' }, () => ({ seeds: 3 })))).toMatch(/^--config c.json: unknown option "seeds" for `localprop train`; known: dataset, noise, /);
  });
});
