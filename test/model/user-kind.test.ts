import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tf, useBackend } from '../../src/engine/backend.js';
import { Network } from '../../src/model/network.js';
import { initialParameters } from '../../src/model/parameters.js';
import { Rng } from '../../src/util/rng.js';
import { seededStart } from '../../src/experiment/seeded.js';
import { decodeCheckpoint } from '../../src/io/checkpoint.js';
import { modelShapes } from '../../src/model/shapes.js';
import { formatModelSpec, modelSpecFrom, modelSpecJson, parseModelSpec } from '../../src/model/spec.js';
import { importUserModules } from '../../src/node/user-modules.js';
import { Run } from '../../src/train/run.js';
import { cli, cliJson, tempDir } from '../cli/helpers.js';
import { localpropErrorOf, TEST_BACKEND } from '../support.js';

const FIXTURE = resolve(__dirname, '../fixtures/blocks/pair-average.ts');
const MODEL = '2-16-pairs-1 hidden=tanh';

beforeAll(async () => {
  await useBackend(TEST_BACKEND);
  // Loaded as --import loads it (once a process).
  await importUserModules([FIXTURE]);
});

describe('a layer kind from outside src/ that halves the width', () => {
  it('trains through --import under back-propagation and local-parallel, its memory estimated from what the kind says', async () => {
    const json = await cliJson('compare', '--import', FIXTURE, '--model', MODEL, '--schedules', 'backprop,local-parallel', '--seeds', '1', '--epochs', '60', '--json');
    expect(json.model).toBe('2-16-pairs-1 hidden=tanh out=sigmoid loss=bce');
    const rows = json.results;
    expect(rows.map((r) => r.schedule)).toEqual(['backprop', 'local-parallel']);
    for (const r of rows) expect(r.testAccuracy, r.schedule).toBeGreaterThan(0.85);
    const memory = (json.memory as { schedules: { schedule: string; parameterBytes: number; activationBytes: number }[] }).schedules;
    // Blocks: dense 2→16 (32 + 16), pairs 16→8 (its [8, 2] weight and 8 biases), dense 8→1 (8 + 1); decoders [1, 16] and [1, 8].
    expect(memory.map((m) => m.parameterBytes)).toEqual([(48 + 24 + 9 + 16 + 8) * 4, (48 + 24 + 9 + 16 + 8) * 4]);
    // A full-batch step of 1000 rows. Back-propagation: the batch (2 inputs, 1 target, 4 of bookkeeping), tanh's one
    // number per unit of the dense block (16) and of the pairs block (8, the kind's 32 bytes), 2 for the output.
    // Local: the widest step is the pairs block's: the batch, its input (16), its 8 and its decoder's 2.
    expect(memory.map((m) => m.activationBytes)).toEqual([(7 + 16 + 8 + 2) * 1000 * 4, (7 + 16 + 8 + 2) * 1000 * 4]);
  });

  it('saves its parameters under the names and PyTorch shapes the kind declares', async () => {
    const dir = tempDir();
    const file = join(dir, 'pairs.safetensors');
    const r = await cli('train', '--import', FIXTURE, '--model', MODEL, '--schedule', 'local-parallel', '--epochs', '3', '--save', file);
    expect(r.code, r.stderr).toBe(0);
    const { spec, parameters } = decodeCheckpoint(readFileSync(file), file);
    expect(formatModelSpec(spec)).toBe('2-16-pairs-1 hidden=tanh out=sigmoid loss=bce');
    expect(Object.fromEntries(Object.entries(parameters).map(([n, t]) => [n, t.shape]))).toEqual({
      'blocks.0.weight': [16, 2], 'blocks.0.bias': [16],
      'blocks.1.weight': [8, 2], 'blocks.1.bias': [8],
      'blocks.2.weight': [1, 8], 'blocks.2.bias': [1],
      'decoders.0.weight': [1, 16], 'decoders.1.weight': [1, 8],
    });
    // --init reads it back into the same model, as for any checkpoint.
    const again = await cli('train', '--import', FIXTURE, '--model', MODEL, '--schedule', 'backprop', '--epochs', '1', '--init', file);
    expect(again.code, again.stderr).toBe(0);
  });

  it('computes unit j from units 2j and 2j+1', () => {
    const spec = parseModelSpec('4-pairs-1 hidden=identity');
    const params = initialParameters(spec, new Rng(0));
    params['blocks.0.weight'] = { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) };
    params['blocks.0.bias'] = { shape: [2], data: Float32Array.from([0.5, -1]) };
    const network = Network.fromParameters(spec, params);
    const x = tf.tensor2d([[1, 10, 100, 1000], [2, 0, 0, 1]]);
    const h = network.encode(x, 1);
    expect(Array.from(h.dataSync())).toEqual([1 + 20 + 0.5, 300 + 4000 - 1, 2 + 0.5, 4 - 1]);
    expect(network.toParameters()['blocks.0.weight']).toEqual(params['blocks.0.weight']);
    tf.dispose([x, h]);
    network.dispose();
  });

  it('trains under Run one block at a time too, from its fan-in', async () => {
    const spec = parseModelSpec(MODEL);
    expect(modelShapes(spec).blocks.map((b) => [b.kind.name, b.input, b.output])).toEqual([
      ['dense', [2], [16]],
      ['pair-average', [16], [8]],
      ['dense', [8], [1]],
    ]);
    expect(modelSpecJson(spec).layers).toEqual([2, 16, { kind: 'pair-average' }, 1]);
    expect(modelSpecFrom(modelSpecJson(spec))).toEqual(spec);
    const start = seededStart(0, spec, { dataset: 'signed_xor' });
    // PyTorch's default initialisation from the kind's fan-in of 2: uniform on ±1/√2.
    const w = start.parameters['blocks.1.weight'].data;
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(1 / Math.SQRT2);
    const run = new Run({ schedule: 'local-sequential', spec, ...start, epochs: 10 });
    const losses: number[] = [];
    await run.complete((e) => {
      if (e.type === 'epoch' && e.block === 1) losses.push(e.blockLosses[1]!);
    });
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    run.dispose();
  });

  it('refuses an odd width with its own message', () => {
    expect(localpropErrorOf(() => parseModelSpec('2-15-pairs-1'))).toBe('a pairs layer averages pairs of units, so it needs an even number of them; it is given [15]');
  });
});
