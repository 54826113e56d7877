import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { cli, cliJson, lines, listDir, readJson, tempDir } from './helpers.js';

const SEED_MODEL = '2-100-100-10-1 hidden=mish,normalize out=sigmoid loss=bce';

const SEED_SHAPES: Record<string, number[]> = {
  'blocks.0.weight': [100, 2],
  'blocks.0.bias': [100],
  'blocks.1.weight': [100, 100],
  'blocks.1.bias': [100],
  'blocks.2.weight': [10, 100],
  'blocks.2.bias': [10],
  'blocks.3.weight': [1, 10],
  'blocks.3.bias': [1],
  'decoders.0.weight': [1, 100],
  'decoders.1.weight': [1, 100],
  'decoders.2.weight': [1, 10],
};

interface History {
  epochs: { epoch: number; trainLoss: number; testLoss: number; testAccuracy: number }[];
  final: { trainLoss: number; testLoss: number; testAccuracy: number };
}

describe('train', () => {
  it('prints a per-epoch table, a result table and the save path', async () => {
    const dir = tempDir();
    const file = join(dir, 'w.safetensors');
    const r = await cli('train', '--schedule', 'local-parallel', '--epochs', '3', '--quiet', '--save', file);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const out = lines(r.stdout);
    expect(out[0]).toMatch(/epoch\s+block\s+train loss\s+test loss\s+test acc\s+seconds/);
    const epochRows = out.filter((l) => /^\s*\d+\s+all\s/.test(l));
    expect(epochRows.map((l) => Number(l.trim().split(/\s+/)[0]))).toEqual([1, 2, 3]);
    expect(r.stdout).toMatch(/local-parallel\s+0\s+learned/);
    expect(out.at(-1)).toBe(`saved ${file}`);
    expect(existsSync(file)).toBe(true);
    expect(listDir(dir)).toEqual(['w.safetensors']);
  });

  it('--log-every thins the per-epoch lines but keeps the first and last', async () => {
    const r = await cli('train', '--schedule', 'backprop', '--epochs', '5', '--log-every', '2', '--quiet');
    expect(r.code).toBe(0);
    const epochs = lines(r.stdout)
      .filter((l) => /^\s*\d+\s+all\s/.test(l))
      .map((l) => Number(l.trim().split(/\s+/)[0]));
    expect(epochs).toEqual([1, 2, 4, 5]);
  });

  it('--seed picks the seed, and --json prints one object', async () => {
    const json = await cliJson('train', '--schedule', 'backprop', '--epochs', '2', '--seed', '3', '--json');
    expect(json.results).toHaveLength(1);
    expect(json.results[0]).toMatchObject({ schedule: 'backprop', seed: 3, decoders: 'learned', epochs: 2 });
  });
});

describe('train --save / --init', () => {
  let dir: string;
  let file: string;
  let saved: { trainLoss: number; testLoss: number; testAccuracy: number };

  beforeAll(async () => {
    dir = tempDir();
    file = join(dir, 'backprop.safetensors');
    const json = await cliJson('train', '--schedule', 'backprop', '--epochs', '3', '--quiet', '--json', '--save', file);
    saved = json.results[0];
  });

  it('saves every block and decoder in PyTorch layout, with the spec in the metadata', () => {
    const bytes = new Uint8Array(readFileSync(file));
    const { tensors, metadata } = decodeSafetensors(bytes);
    const shapes = Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, t.shape]));
    expect(shapes).toEqual(SEED_SHAPES);
    for (const t of Object.values(tensors)) expect(t.data.every(Number.isFinite)).toBe(true);
    expect(metadata).toMatchObject({ format: 'localprop', spec: SEED_MODEL, schedule: 'backprop', seed: '0', decoders: 'learned' });
    expect(JSON.parse(metadata.options)).toMatchObject({ schedule: 'backprop', epochs: 3, seed: 0 });
    expect(listDir(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('--init starts where the saved run ended', async () => {
    const out = join(dir, 'resumed');
    const json = await cliJson('train', '--schedule', 'backprop', '--epochs', '1', '--quiet', '--json', '--init', file, '--out', out);
    expect(json.model).toBe(SEED_MODEL);
    const history = readJson<History>(join(out, 'backprop-seed0.history.json'));
    // An epoch event describes the network before that epoch's update, so the
    // first epoch of the resumed run sees the saved network on the same data.
    const first = history.epochs[0];
    expect(Math.abs(first.trainLoss - saved.trainLoss)).toBeLessThan(1e-6);
    expect(Math.abs(first.testLoss - saved.testLoss)).toBeLessThan(1e-6);
    expect(first.testAccuracy).toBeCloseTo(saved.testAccuracy, 6);
  });

  it('--init gives identical results twice, and different ones from a fresh start', async () => {
    const args = ['train', '--schedule', 'local-parallel', '--epochs', '2', '--quiet', '--json'];
    const a = await cliJson(...args, '--init', file);
    const b = await cliJson(...args, '--init', file);
    const fresh = await cliJson(...args);
    const strip = ({ seconds: _s, ...rest }: Record<string, unknown>) => rest;
    expect(strip(b.results[0])).toEqual(strip(a.results[0]));
    expect(fresh.results[0].trainLoss).not.toBe(a.results[0].trainLoss);
  });

  it('--init with --model naming the saved spec works too', async () => {
    const json = await cliJson('train', '--schedule', 'backprop', '--epochs', '1', '--quiet', '--json', '--init', file, '--model', SEED_MODEL);
    expect(json.model).toBe(SEED_MODEL);
  });

  it('compare --init starts every schedule from the file', async () => {
    const json = await cliJson('compare', '--epochs', '1', '--quiet', '--json', '--seeds', '1', '--schedules', 'backprop,local-parallel', '--init', file);
    expect(json.results.map((r) => r.schedule)).toEqual(['backprop', 'local-parallel']);
  });

  it('--save overwrites an existing file', async () => {
    const again = join(dir, 'again.safetensors');
    expect((await cli('train', '--schedule', 'backprop', '--epochs', '1', '--quiet', '--save', again)).code).toBe(0);
    const first = readFileSync(again);
    expect((await cli('train', '--schedule', 'backprop', '--epochs', '2', '--quiet', '--save', again)).code).toBe(0);
    const second = readFileSync(again);
    expect(second.length).toBe(first.length);
    expect(second.equals(first)).toBe(false);
    expect(JSON.parse(decodeSafetensors(new Uint8Array(second)).metadata.options).epochs).toBe(2);
  });
});
