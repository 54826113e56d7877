import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, halfPlaneRows, lines, listDir, stackLines, tempDir, uniforms, writeCsv, type CliResult } from './helpers.js';

/**
 * Every mistake a user can make on the command line must end with status 2,
 * one line on stderr that says what is wrong and how to fix it, no stack
 * trace, nothing on stdout, and no finished output (results.json, --save file).
 */
function expectUserError(r: CliResult, ...patterns: (RegExp | string)[]): void {
  expect(r.code, `stderr: ${r.stderr}`).toBe(2);
  // `train` prints its per-epoch table as it goes, so an error found while
  // training may follow progress lines; never a result or "saved".
  expect(lines(r.stdout).filter((l) => !PROGRESS.test(l)), r.stdout).toEqual([]);
  expect(lines(r.stderr), r.stderr).toHaveLength(1);
  expect(stackLines(r.stderr)).toEqual([]);
  expect(r.stderr).not.toMatch(/internal error/);
  for (const p of patterns) {
    if (typeof p === 'string') expect(r.stderr).toContain(p);
    else expect(r.stderr).toMatch(p);
  }
}

const PROGRESS = /^\s*(epoch\s+block\s|\d+\s+(all|\d+)\s)/;

let dir: string;
let seedCheckpoint: string;
let goodTrain: string;
let goodTest: string;

beforeAll(async () => {
  dir = tempDir();
  seedCheckpoint = join(dir, 'seed.safetensors');
  const r = await cli('train', '--schedule', 'backprop', '--epochs', '1', '--quiet', '--save', seedCheckpoint);
  expect(r.code, r.stderr).toBe(0);
  goodTrain = writeCsv(dir, 'good-train.csv', ['x1', 'x2', 'y'], halfPlaneRows(50, 1));
  goodTest = writeCsv(dir, 'good-test.csv', ['x1', 'x2', 'y'], halfPlaneRows(20, 2));
});

/** Fresh output paths for one failing call. */
function outputs(): { out: string; save: string } {
  const base = tempDir();
  return { out: join(base, 'out'), save: join(base, 'w.safetensors') };
}

/** Runs `compare ... --out` and `train --schedule backprop ... --save --out`, expecting the same user error from both. */
async function expectBoth(args: string[], ...patterns: (RegExp | string)[]): Promise<void> {
  const c = outputs();
  expectUserError(await cli('compare', '--quiet', '--epochs', '2', '--seeds', '1', ...args, '--out', c.out), ...patterns);
  expect(listDir(c.out)).not.toContain('results.json');
  const t = outputs();
  expectUserError(await cli('train', '--schedule', 'backprop', '--quiet', '--epochs', '2', ...args, '--save', t.save, '--out', t.out), ...patterns);
  expect(existsSync(t.save)).toBe(false);
  expect(listDir(t.out)).not.toContain('results.json');
}

describe('names', () => {
  it('unknown dataset', async () => {
    await expectBoth(['--dataset', 'signed_xro'], 'unknown dataset "signed_xro"', 'signed_xor', '--train FILE.csv --test FILE.csv');
  });

  it('unknown schedule in --schedules, before anything runs', async () => {
    const { out } = outputs();
    expectUserError(
      await cli('compare', '--quiet', '--epochs', '2', '--seeds', '1', '--schedules', 'backprop,local-paralel', '--out', out),
      'unknown schedule "local-paralel"',
      /choose one of: .*local-parallel/,
    );
    // Names are checked before any file is written.
    expect(listDir(out)).toEqual([]);
  });

  it('unknown schedule in train --schedule, and none at all', async () => {
    const { save } = outputs();
    expectUserError(await cli('train', '--schedule', 'sideways', '--quiet', '--save', save), 'unknown schedule "sideways"', 'backprop');
    expectUserError(await cli('train', '--epochs', '1', '--quiet', '--save', save), /--schedule/, 'local-parallel');
    expect(existsSync(save)).toBe(false);
  });

  it('unknown option (commander), with a suggestion for a near miss', async () => {
    const { out } = outputs();
    expectUserError(await cli('compare', '--bogus', '--out', out), "unknown option '--bogus'");
    expect(listDir(out)).toEqual([]);
    const near = await cli('compare', '--epoch', '2');
    expect(near.code).toBe(2);
    expect(near.stderr).toMatch(/unknown option '--epoch'/);
    expect(near.stderr).toMatch(/Did you mean --epochs\?/);
    expect(stackLines(near.stderr)).toEqual([]);
  });

  it('an option without its value', async () => {
    const r = await cli('compare', '--quiet', '--epochs');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/option '--epochs <n>' argument missing/);
  });

  it('unknown --decoders, --optimizer, --hidden-loss, --backend', async () => {
    await expectBoth(['--decoders', 'frozen'], '--decoders', '"frozen"', /fixed/);
    await expectBoth(['--optimizer', 'adagrad'], '--optimizer must be one of rprop, adam, rmsprop, sgd, got "adagrad"');
    await expectBoth(['--hidden-loss', 'hinge'], '--hidden-loss must be one of mse, ce, bce');
    await expectBoth(['--backend', 'quantum'], 'unknown backend "quantum"', 'wasm');
  });

  it('train runs one decoder mode', async () => {
    const { save } = outputs();
    expectUserError(await cli('train', '--schedule', 'backprop', '--quiet', '--decoders', 'fixed,learned', '--save', save), /one decoder mode/, 'compare');
    expect(existsSync(save)).toBe(false);
  });
});

describe('numbers', () => {
  it('--seeds 0 and --seeds abc', async () => {
    for (const [seeds, pattern] of [
      ['0', '--seeds must be a whole number ≥ 1, got 0'],
      ['abc', '--seeds must be a number, got "abc"'],
      ['0,0', 'a seed is listed twice'],
      ['0,-1', 'seeds must be whole numbers ≥ 0'],
    ]) {
      const { out } = outputs();
      expectUserError(await cli('compare', '--quiet', '--epochs', '2', '--seeds', seeds, '--out', out), pattern);
      expect(listDir(out)).toEqual([]);
    }
  });

  it('--step foo', async () => {
    await expectBoth(['--step', 'foo'], '--step must be one of epoch, batch, got "foo"');
  });

  it('--epochs 0, --epochs 1.5, --batch-size x, --lr -1, --etas 1', async () => {
    await expectBoth(['--epochs', '0'], '--epochs must be a whole number ≥ 1, got 0');
    await expectBoth(['--epochs', '1.5'], '--epochs must be a whole number ≥ 1, got 1.5');
    await expectBoth(['--batch-size', 'x'], '--batch-size must be a number, got "x"');
    await expectBoth(['--lr', '-1'], '--lr must be > 0 (a rate of 0 trains nothing), got -1');
    await expectBoth(['--etas', '1'], '--etas takes two numbers separated by a comma');
  });

  it('--seed -1 in train', async () => {
    expectUserError(await cli('train', '--schedule', 'backprop', '--seed', '-1', '--quiet'), '--seed must be a whole number ≥ 0');
  });

  it('--hidden-loss ce with one output', async () => {
    await expectBoth(['--hidden-loss', 'ce'], '--hidden-loss ce needs two or more outputs', 'mse or bce');
  });

  it('a diverging run (NaN) stops train with "diverged" and saves nothing', async () => {
    // The seed model's sigmoid/BCE output keeps its loss finite (PyTorch-style
    // log clamp) even at lr 1e30, so divergence is provoked in a 2-10-1 ReLU net.
    // (`compare` goes on with the other runs: test/cli/hardening.test.ts.)
    const t = outputs();
    expectUserError(await cli('train', '--schedule', 'backprop', '--quiet', '--model', '2-10-1', '--optimizer', 'sgd', '--lr', '1e30', '--epochs', '3', '--save', t.save, '--out', t.out), 'diverged', 'lower the learning rate (--lr, now 1e+30)');
    expect(existsSync(t.save)).toBe(false);
    expect(listDir(t.out)).not.toContain('results.json');
  });
});

describe('model specs', () => {
  it('malformed --model "2-x-1"', async () => {
    await expectBoth(['--model', '2-x-1'], 'model spec "2-x-1"', 'positive integers joined by "-"', 'like 2-100-1');
  });

  it('unknown activation in --model', async () => {
    await expectBoth(['--model', '2-10-1 hidden=swish'], 'unknown activation "swish"', 'mish');
  });

  it('--model whose input size does not fit the dataset', async () => {
    await expectBoth(['--model', '3-10-1'], 'dataset signed_xor has 2 input(s)', 'model 3-10-1 takes 3', 'change --model to 2-10-1');
  });

  it('--model as a .json file that is missing or wrong', async () => {
    await expectBoth(['--model', join(dir, 'missing-model.json')], '--model', 'cannot read it (no such file)');
    const bad = join(dir, 'bad-model.json');
    writeFileSync(bad, JSON.stringify({ layers: [2, 10, 1], width: 3 }));
    await expectBoth(['--model', bad], 'unknown key(s) width');
  });
});

describe('--init', () => {
  it('a checkpoint with other layer widths than --model', async () => {
    await expectBoth(
      ['--init', seedCheckpoint, '--model', '2-50-50-10-1 hidden=mish,normalize out=sigmoid'],
      `--init ${seedCheckpoint}`,
      /tensor "blocks\.0\.weight" has shape \[100, 2\] but model 2-50-50-10-1 needs \[50, 2\]/,
      'use a checkpoint saved for this model',
    );
  });

  it('a checkpoint with more blocks than --model 2-50-1', async () => {
    await expectBoth(
      ['--init', seedCheckpoint, '--model', '2-50-1'],
      `--init ${seedCheckpoint}`,
      /unexpected tensor\(s\) blocks\.2\.weight, .*decoders\.2\.weight for model 2-50-1/,
      'pass the spec it was saved with (--model)',
    );
  });

  it('a checkpoint whose input size does not fit the data', async () => {
    const train = writeCsv(dir, 'three-train.csv', ['a', 'b', 'c', 'y'], [[1, 2, 3, 0], [3, 2, 1, 1]]);
    const test = writeCsv(dir, 'three-test.csv', ['a', 'b', 'c', 'y'], [[1, 2, 3, 0]]);
    await expectBoth(['--init', seedCheckpoint, '--train', train, '--test', test], 'the training set has 3 input(s)', 'change --model to 3-100-100-10-1');
  });

  it('a file that is not safetensors (random bytes)', async () => {
    const u = uniforms(99);
    const junk = join(dir, 'junk.safetensors');
    writeFileSync(junk, Uint8Array.from({ length: 4096 }, () => Math.floor(u() * 256)));
    await expectBoth(['--init', junk], 'not a safetensors file', 'check that you picked the right file');
  });

  it('a file too short to be safetensors, and an empty one', async () => {
    const short = join(dir, 'short.safetensors');
    writeFileSync(short, 'abc');
    await expectBoth(['--init', short], 'only 3 bytes', 'not a safetensors file');
  });

  it('a missing --init file, and a folder', async () => {
    await expectBoth(['--init', join(dir, 'nope.safetensors')], '--init', 'cannot read it (no such file)', 'check the path');
    await expectBoth(['--init', dir], '--init', 'it is a folder');
  });
});

describe('CSV data', () => {
  it('a ragged row names the file and line', async () => {
    const rows: (number | string)[][] = halfPlaneRows(10, 3);
    rows[3] = [0.5, 1]; // file line 5 (header is line 1)
    const train = writeCsv(dir, 'ragged.csv', ['x1', 'x2', 'y'], rows);
    await expectBoth(['--train', train, '--test', goodTest], train, 'line 5', 'expected 3 columns, found 2', 'fill the missing value');
  });

  it('a non-number names the file, line and column', async () => {
    const rows: (number | string)[][] = halfPlaneRows(10, 4);
    rows[2] = [0.5, 'abc', 1]; // line 4
    const test = writeCsv(dir, 'nan.csv', ['x1', 'x2', 'y'], rows);
    await expectBoth(['--train', goodTrain, '--test', test], test, 'line 4', 'column 2 ("x2")', '"abc" is not a finite number', 'fix the value or remove the row');
  });

  it('a label that is not a class index', async () => {
    const rows = halfPlaneRows(10, 5);
    rows[0][2] = 0.5;
    const train = writeCsv(dir, 'soft-label.csv', ['x1', 'x2', 'y'], rows);
    await expectBoth(['--train', train, '--test', goodTest], 'line 2', 'target 0.5 is not a class index', '--targets K');
  });

  it('train and test files with different columns', async () => {
    const test = writeCsv(dir, 'wide.csv', ['x1', 'x2', 'x3', 'y'], [[1, 2, 3, 0]]);
    await expectBoth(['--train', goodTrain, '--test', test], 'has 2 feature columns', 'has 3', 'same columns');
  });

  it('an empty CSV and a header-only CSV', async () => {
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '\n\n');
    await expectBoth(['--train', empty, '--test', goodTest], 'is empty');
    const headerOnly = writeCsv(dir, 'header-only.csv', ['x1', 'x2', 'y'], []);
    await expectBoth(['--train', goodTrain, '--test', headerOnly], 'has a header but no data rows');
  });

  it('a missing --train file', async () => {
    const missing = join(dir, 'missing.csv');
    await expectBoth(['--train', missing, '--test', goodTest], `--train ${missing}: cannot read it (no such file)`, 'check the path');
  });

  it('--train without --test, and --test without --train', async () => {
    await expectBoth(['--train', goodTrain], 'give both --train FILE.csv and --test FILE.csv (got only --train)');
    await expectBoth(['--test', goodTest], '(got only --test)');
  });

  it('--dataset together with --train/--test, and --targets without CSV files', async () => {
    await expectBoth(['--dataset', 'signed_xor', '--train', goodTrain, '--test', goodTest], '--dataset and --train/--test both name the data');
    await expectBoth(['--targets', '2'], '--targets only applies to --train/--test');
  });

  it('--targets that leaves no feature column', async () => {
    await expectBoth(['--train', goodTrain, '--test', goodTest, '--targets', '3'], '--targets 3 leaves no feature column');
  });
});

describe('output paths', () => {
  it('--out under a regular file cannot be created', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    expectUserError(await cli('compare', '--quiet', '--epochs', '1', '--seeds', '1', '--schedules', 'backprop', '--out', join(file, 'out')), 'cannot create folder', 'choose another path');
  });

  it('--save under a regular file cannot be written, and leaves no temp file', async () => {
    const base = tempDir();
    const file = join(base, 'a-file');
    writeFileSync(file, 'x');
    const r = await cli('train', '--schedule', 'backprop', '--quiet', '--epochs', '1', '--save', join(file, 'w.safetensors'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot (create folder|write)/);
    expect(stackLines(r.stderr)).toEqual([]);
    expect(listDir(base)).toEqual(['a-file']);
  });
});
