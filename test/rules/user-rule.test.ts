import { beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { useBackend } from '../../src/engine/backend.js';
import { seededStart } from '../../src/experiment/seeded.js';
import { parseModelSpec, SEED_MODEL } from '../../src/model/spec.js';
import { getRule, listRules, registerRule } from '../../src/rules/registry.js';
import { decoderRule } from '../../src/rules/decoder.js';
import { Run } from '../../src/train/run.js';
import { registerSchedule } from '../../src/schedules/registry.js';
import { localParallel } from '../../src/schedules/local-parallel.js';
import { getDataset, registerDataset } from '../../src/data/registry.js';
import { LocalpropError } from '../../src/util/errors.js';
import { cli, cliJson } from '../cli/helpers.js';
import { importUserModules } from '../../src/node/user-modules.js';

const FIXTURE = resolve(__dirname, '../fixtures/rules/offset-decoder.ts');

beforeAll(async () => {
  await useBackend('wasm');
});

describe('a rule from outside src/', () => {
  it('trains through --import on the command line, beside the decoder rule, its evaluation thread loading the module too', async () => {
    const json = await cliJson('compare', '--import', FIXTURE, '--rule', 'decoder,offset-decoder', '--schedules', 'local-parallel', '--seeds', '1', '--epochs', '40', '--json');
    const rows = json.results as unknown as { schedule: string; rule?: string; testAccuracy: number }[];
    expect(rows.map((r) => r.rule ?? 'decoder')).toEqual(['decoder', 'offset-decoder']);
    for (const r of rows) expect(r.testAccuracy).toBeGreaterThan(0.9);
    const listed = await cli('rules');
    expect(listed.stdout).toContain('offset-decoder');
  });

  it('trains through Run from the blocks the decoder rule starts from, its tensors named as it declares them', async () => {
    // Loaded as --import loads it (once a process), so this test does not lean on the one before.
    await importUserModules([FIXTURE]);
    const rule = getRule('offset-decoder');
    const spec = parseModelSpec(SEED_MODEL);
    const start = seededStart(0, spec, { dataset: 'signed_xor' }, rule);
    expect(start.parameters['offset.0.bias'].shape).toEqual([1]);
    expect(start.parameters['decoders.0.weight']).toBeUndefined();
    const plain = seededStart(0, spec, { dataset: 'signed_xor' });
    expect(start.parameters['blocks.2.weight'].data).toEqual(plain.parameters['blocks.2.weight'].data);
    const run = new Run({ schedule: 'local-sequential', rule, spec, ...start, epochs: 15 });
    const losses: number[] = [];
    await run.complete((e) => {
      if (e.type === 'epoch' && e.block === 1) losses.push(e.blockLosses[1]!);
    });
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.8);
    expect(Object.keys(run.network.toParameters())).toContain('offset.2.weight');
    expect(run.options.rule).toBe('offset-decoder');
    run.dispose();
  });

  it('refuses a second rule of the same name, a bad name, and an unknown one with the list', () => {
    expect(() => registerRule({ ...decoderRule })).toThrow(LocalpropError);
    expect(() => registerRule(decoderRule)).not.toThrow();
    expect(() => registerSchedule({ ...localParallel })).toThrow(/already registered/);
    expect(() => registerDataset({ ...getDataset('spiral') })).toThrow(/already registered/);
    expect(() => registerRule({ ...decoderRule, name: 'Bad Name' })).toThrow(/lower-case/);
    expect(() => getRule('nope')).toThrow(/choose one of: decoder/);
    expect(listRules()[0].name).toBe('decoder');
  });

  it('names a missing module', async () => {
    const missing = await cli('train', '--schedule', 'backprop', '--import', 'no/such/file.mjs');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--import no\/such\/file.mjs: no such file/);
  });
});
