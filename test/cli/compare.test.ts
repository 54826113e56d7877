import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliJson, lines, listDir, readJson, tempDir, TINY, type ResultsJson } from './helpers.js';

// Every registered schedule, in registration order: what `compare` runs by default.
const ALL = ['backprop', 'local-sequential', 'local-parallel', 'local-gated'];
const ROW_KEYS = ['schedule', 'seed', 'decoders', 'testAccuracy', 'testLoss', 'trainLoss', 'seconds'];
const SEED_MODEL = '2-100-100-10-1 hidden=mish,normalize out=sigmoid loss=bce';

/** schedule/decoders/seed of every row, in order. */
const keysOf = (r: ResultsJson) => r.results.map((row) => `${row.schedule}/${row.decoders}/${row.seed}`);

/** The folder's JSON files (the report's pictures are tested in report.test.ts). */
const jsonFiles = (dir: string) => listDir(dir).filter((n) => n.endsWith('.json'));

describe('compare --json', () => {
  it('prints one JSON object with a row per schedule × seed', async () => {
    const r = await cli('compare', ...TINY, '--seeds', '0,1', '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(lines(r.stdout)).toHaveLength(1);
    const json = JSON.parse(r.stdout) as ResultsJson;
    expect(json.dataset).toBe('signed_xor');
    expect(json.model).toBe(SEED_MODEL);
    expect(json.results).toHaveLength(ALL.length * 2);
    for (const row of json.results) {
      for (const key of ROW_KEYS) expect(row, `row ${JSON.stringify(row)} lacks ${key}`).toHaveProperty(key);
      expect(typeof row.testAccuracy).toBe('number');
      expect(row.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(row.testAccuracy).toBeLessThanOrEqual(1);
      expect(Number.isFinite(row.testLoss) && Number.isFinite(row.trainLoss)).toBe(true);
      expect(row.seconds).toBeGreaterThanOrEqual(0);
      expect(row.decoders).toBe('learned');
    }
    // Runs go seed by seed, every schedule of a seed in the default order.
    expect(keysOf(json)).toEqual([...ALL.map((s) => `${s}/learned/0`), ...ALL.map((s) => `${s}/learned/1`)]);
    // --epochs counts per block for local-sequential (4 blocks in the seed model).
    const epochs = Object.fromEntries(json.results.filter((r) => r.seed === 0).map((r) => [r.schedule, r.epochs]));
    expect(epochs).toEqual({ backprop: 2, 'local-sequential': 8, 'local-parallel': 2, 'local-gated': 2 });
  });

  it('--schedules restricts the runs to the named schedules, in the given order', async () => {
    const json = await cliJson('compare', ...TINY, '--seeds', '1', '--json', '--schedules', 'local-parallel,backprop');
    expect(keysOf(json)).toEqual(['local-parallel/learned/0', 'backprop/learned/0']);
  });

  it('--seeds 0,3 runs seeds 0 and 3, and seed 0 gives the same numbers as in any other list', async () => {
    const both = await cliJson('compare', ...TINY, '--seeds', '0,3', '--json', '--schedules', 'backprop');
    expect(both.results.map((r) => r.seed)).toEqual([0, 3]);
    const alone = await cliJson('compare', ...TINY, '--seeds', '1', '--json', '--schedules', 'backprop');
    const strip = ({ seconds: _s, ...rest }: Record<string, unknown>) => rest;
    expect(strip(alone.results[0])).toEqual(strip(both.results[0]));
    // Different seeds draw different data and weights.
    expect(both.results[1].trainLoss).not.toBe(both.results[0].trainLoss);
  });

  it('--seeds 3 means seeds 0, 1 and 2', async () => {
    const json = await cliJson('compare', ...TINY, '--seeds', '3', '--json', '--schedules', 'local-parallel');
    expect(json.results.map((r) => r.seed)).toEqual([0, 1, 2]);
  });

  it('--decoders fixed,learned doubles the rows', async () => {
    const json = await cliJson('compare', ...TINY, '--seeds', '1', '--json', '--schedules', 'backprop,local-parallel', '--decoders', 'fixed,learned');
    expect(json.results).toHaveLength(4);
    expect(keysOf(json).sort()).toEqual(['backprop/fixed/0', 'backprop/learned/0', 'local-parallel/fixed/0', 'local-parallel/learned/0']);
    // Fixed decoders change what the local schedule learns.
    const lp = json.results.filter((r) => r.schedule === 'local-parallel');
    expect(lp[0].trainLoss).not.toBe(lp[1].trainLoss);
  });

  it('gives the same numbers on a second call (same seed, same process)', async () => {
    const args = ['compare', ...TINY, '--seeds', '1', '--json', '--schedules', 'local-parallel'];
    const a = await cliJson(...args);
    const b = await cliJson(...args);
    expect(b.results[0].testLoss).toBe(a.results[0].testLoss);
    expect(b.results[0].trainLoss).toBe(a.results[0].trainLoss);
    expect(b.results[0].testAccuracy).toBe(a.results[0].testAccuracy);
  });
});

describe('compare table', () => {
  it('prints a header and one row per schedule with mean ± std', async () => {
    const r = await cli('compare', ...TINY, '--seeds', '0,1');
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out[0]).toMatch(/schedule/);
    expect(out[0]).toMatch(/test accuracy/);
    expect(out[0]).toMatch(/test loss/);
    const rows = out.filter((l) => l.includes('±'));
    expect(rows).toHaveLength(ALL.length);
    for (const s of ALL) expect(rows.filter((l) => l.trimStart().startsWith(`${s} `))).toHaveLength(1);
    // Each row reports the two seeds; back-propagation trains no decoder, so its cell is a dash.
    for (const row of rows) expect(row).toMatch(row.startsWith('backprop ') ? /\s—\s+2\s/ : /\blearned\s+2\s/);
  });

  it('without --quiet says on stderr what it compares and what the columns mean', async () => {
    const r = await cli('compare', '--epochs', '2', '--seeds', '1', '--schedules', 'backprop,local-sequential');
    expect(r.code).toBe(0);
    const header = lines(r.stderr);
    expect(header[0]).toBe('localprop compare: 2 schedules × 1 seed (0) on signed_xor, decoders learned');
    expect(header).toContain(`  model     ${SEED_MODEL}`);
    expect(header).toContain('  training  Rprop (lr 0.01), one step per epoch on the summed losses of its batches of 100');
    // The epochs each schedule runs, local-sequential's per block of the 4.
    expect(header).toContain('  backprop          back-propagation of the output loss through every block; 2 epochs');
    expect(header).toContain('  local-sequential  one block at a time, each on the frozen blocks before it; 4 blocks × 2 epochs');
    const words = r.stderr.replace(/\s+/g, ' ');
    expect(words).toContain('Accuracy: share of test examples classified right (higher is better)');
    expect(words).toContain('Loss: the output loss, binary cross-entropy (lower is better');
  });
});

describe('compare --out', () => {
  it('writes config.json, results.json and a history per run, and no temp files', async () => {
    const dir = join(tempDir(), 'nested', 'out');
    const r = await cli('compare', ...TINY, '--seeds', '0,1', '--json', '--out', dir);
    expect(r.code).toBe(0);
    const expected = ['config.json', 'results.json', ...ALL.flatMap((s) => [0, 1].map((k) => `${s}-seed${k}.history.json`))].sort();
    expect(jsonFiles(dir)).toEqual(expected);
    expect(listDir(dir).filter((n) => n.startsWith('.'))).toEqual([]);

    const config = readJson<Record<string, unknown>>(join(dir, 'config.json'));
    expect(config).toMatchObject({ dataset: 'signed_xor', model: SEED_MODEL, schedules: ALL, seeds: [0, 1], decoders: ['learned'], command: 'compare', evalThread: true });
    // Only options are recorded, not the live evaluation thread.
    expect(config.training).not.toHaveProperty('testEvaluator');
    expect((config.training as Record<string, unknown>).epochs).toBe(2);
    expect((config.modelJson as { layers: number[] }).layers).toEqual([2, 100, 100, 10, 1]);

    // results.json is exactly what --json printed.
    expect(readJson(join(dir, 'results.json'))).toEqual(JSON.parse(r.stdout));

    const results = JSON.parse(r.stdout) as ResultsJson;
    for (const row of results.results) {
      const history = readJson<{
        schedule: string;
        seed: number;
        decoders: string;
        epochs: { epoch: number; block: number | null; trainLoss: number; testLoss: number; testAccuracy: number; blockLosses: (number | null)[] }[];
        final: Record<string, number>;
      }>(join(dir, `${row.schedule}-seed${row.seed}.history.json`));
      expect(history).toMatchObject({ schedule: row.schedule, seed: row.seed, decoders: 'learned' });
      const epochs = row.schedule === 'local-sequential' ? 8 : 2;
      // Events 0 (the untrained network) to the last epoch.
      expect(history.epochs).toHaveLength(epochs + 1);
      history.epochs.forEach((e, i) => {
        expect(e.epoch).toBe(i);
        for (const key of ['trainLoss', 'testLoss', 'testAccuracy']) expect(Number.isFinite((e as unknown as Record<string, number>)[key])).toBe(true);
        expect(e.blockLosses).toHaveLength(4);
      });
      if (row.schedule === 'local-sequential') expect(history.epochs.map((e) => e.block)).toEqual([null, 0, 0, 1, 1, 2, 2, 3, 3]);
      else expect(history.epochs.every((e) => e.block === null)).toBe(true);
      expect(history.final).toEqual({
        trainLoss: row.trainLoss,
        trainAccuracy: row.trainAccuracy,
        testLoss: row.testLoss,
        testAccuracy: row.testAccuracy,
        seconds: row.seconds,
      });
    }
  });

  it('names histories by decoder mode when both modes run', async () => {
    const dir = tempDir();
    const r = await cli('compare', ...TINY, '--seeds', '1', '--schedules', 'local-parallel', '--decoders', 'fixed,learned', '--out', dir);
    expect(r.code).toBe(0);
    expect(jsonFiles(dir)).toEqual(['config.json', 'local-parallel-fixed-seed0.history.json', 'local-parallel-learned-seed0.history.json', 'results.json']);
    // The report draws both modes as their own columns.
    expect(listDir(dir)).toContain('local-parallel-fixed.png');
    expect(readJson(join(dir, 'local-parallel-fixed-seed0.history.json'))).toMatchObject({ decoders: 'fixed' });
  });

  it('refuses to mix a second run into the folder of an earlier one, leaving no temp files', async () => {
    // Issue 17, item 9: a second run used to overwrite some files and leave the first's others beside them.
    const dir = tempDir();
    expect((await cli('compare', ...TINY, '--seeds', '1', '--schedules', 'backprop', '--out', dir)).code).toBe(0);
    const again = await cli('compare', '--epochs', '3', '--quiet', '--seeds', '1', '--schedules', 'backprop', '--out', dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`--out ${dir} already holds`);
    expect(jsonFiles(dir)).toEqual(['backprop-seed0.history.json', 'config.json', 'results.json']);
    expect(listDir(dir).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(readJson<{ epochs: unknown[] }>(join(dir, 'backprop-seed0.history.json')).epochs).toHaveLength(3);
  });
});

describe('datasets, help and version', () => {
  it('`datasets` lists signed_xor with its sizes and description', async () => {
    const r = await cli('datasets');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^signed_xor\s+\(2 → 1\)$/m);
    expect(r.stdout).toContain('x₁·x₂ ≥ 0');
    expect(r.stdout).toMatch(/class 1/);
  });

  it('--help of each command exits 0 and lists the options', async () => {
    const compare = await cli('compare', '--help');
    expect(compare.code).toBe(0);
    expect(compare.stdout).toMatch(/--schedules <names>/);
    expect(compare.stdout).toMatch(/--seeds <n\|list>/);
    const train = await cli('train', '--help');
    expect(train.code).toBe(0);
    expect(train.stdout).toMatch(/--save <file.safetensors>/);
    expect(train.stdout).toMatch(/--init <file.safetensors>/);
  });

  it('--version prints the version', async () => {
    const r = await cli('--version');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('0.1.0');
  });

  it('an unknown command exits 2', async () => {
    const r = await cli('frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});
