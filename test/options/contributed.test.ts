import { describe, expect, it } from 'vitest';
import { experimentOf } from '../../src/options/experiment.js';
import { number } from '../../src/options/values.js';
import { resolveOptions } from '../../src/options/resolve.js';
import { optionTable } from '../../src/options/table.js';
import { decoderRule } from '../../src/rules/decoder.js';
import { registerRule } from '../../src/rules/registry.js';
import type { LocalRule } from '../../src/rules/rule.js';
import { parseModelSpec } from '../../src/model/spec.js';
import { localpropErrorOf } from '../support.js';

/** The decoder rule under another name, declaring one option of its own, as a user's module would. */
const scaled: LocalRule = {
  ...decoderRule,
  name: 'scaled-decoder',
  description: 'the decoder rule, its option only carried',
  optionTable: [{ key: 'scaledDecoderFactor', flag: '--scaled-decoder-factor <f>', help: 'rule scaled-decoder: a factor', parse: number, default: 1, owner: { kind: 'rule', rule: 'scaled-decoder' } }],
};

describe('options a registered rule declares', () => {
  it('reach config files and the run as rule options once the rule is registered', () => {
    expect(localpropErrorOf(() => resolveOptions('compare', { config: 'c.json' }, () => ({ 'scaled-decoder-factor': 2 })))).toMatch(/unknown option "scaled-decoder-factor"/);
    registerRule(scaled);
    const o = resolveOptions('compare', { config: 'c.json' }, () => ({ rule: 'scaled-decoder', 'scaled-decoder-factor': '2' }));
    expect(o).toEqual({ rule: ['scaled-decoder'], scaledDecoderFactor: 2 });
    const config = experimentOf(o, { data: { dataset: 'signed_xor' }, spec: parseModelSpec('2-4-1'), schedules: ['local-parallel'], seeds: [0] });
    expect(config.training.ruleOptions).toEqual({ scaledDecoderFactor: 2 });
  });

  it('are refused when they take a name another part has, with the fix', () => {
    registerRule({ ...decoderRule, name: 'greedy', optionTable: [{ key: 'lr', flag: '--lr <x>', help: 'mine', parse: number }] });
    expect(localpropErrorOf(() => optionTable())).toBe('rule greedy declares the option "lr", which another part already has; give it a name with the rule\'s prefix, as --gate-tau and --ff-threshold have');
  });
});
