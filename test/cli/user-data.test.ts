import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, cliJson, halfPlaneRows, readJson, tempDir, threeClassRows, writeCsv } from './helpers.js';

let dir: string;
let train: string;
let test: string;

beforeAll(() => {
  dir = tempDir();
  train = writeCsv(dir, 'train.csv', ['x1', 'x2', 'label'], halfPlaneRows(200, 11));
  test = writeCsv(dir, 'test.csv', ['x1', 'x2', 'label'], halfPlaneRows(200, 12));
});

describe('--train/--test CSV files', () => {
  it('trains on a 2-D binary problem with the seed model inferred from the data', async () => {
    const json = await cliJson('compare', '--train', train, '--test', test, '--epochs', '20', '--json', '--schedules', 'backprop', '--seeds', '1', '--quiet');
    expect(json.dataset).toBe(`${train} / ${test}`);
    expect(json.model).toBe('2-100-100-10-1 hidden=mish,normalize out=sigmoid loss=bce');
    expect(json.results).toHaveLength(1);
    expect(json.results[0].testAccuracy).toBeGreaterThan(0.8);
    expect(json.results[0].trainLoss).toBeLessThan(0.69);
  });

  it('the local schedules run on the same files', async () => {
    const json = await cliJson('compare', '--train', train, '--test', test, '--epochs', '3', '--json', '--schedules', 'local-parallel,local-sequential', '--seeds', '1', '--quiet');
    expect(json.results.map((r) => r.schedule)).toEqual(['local-parallel', 'local-sequential']);
    for (const r of json.results) expect(Number.isFinite(r.testLoss)).toBe(true);
  });

  it('the files are fixed data: seeds change only the weights and shuffles', async () => {
    const out = join(tempDir(), 'out');
    const r = await cli('compare', '--train', train, '--test', test, '--epochs', '2', '--schedules', 'backprop', '--seeds', '0,1', '--quiet', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const config = readJson<{ dataset: string; datasetOptions: unknown; model: string }>(join(out, 'config.json'));
    expect(config.dataset).toBe(`${train} / ${test}`);
    expect(config.datasetOptions).toEqual({});
    const seeds = [0, 1].map((k) => readJson<{ epochs: { testLoss: number }[] }>(join(out, `backprop-seed${k}.history.json`)));
    expect(seeds[0].epochs[0].testLoss).not.toBe(seeds[1].epochs[0].testLoss);
  });

  it('a CSV without a header works the same', async () => {
    const rows = halfPlaneRows(60, 13);
    const bare = join(dir, 'bare.csv');
    writeFileSync(bare, rows.map((r) => r.join(',')).join('\r\n'));
    const json = await cliJson('compare', '--train', bare, '--test', test, '--epochs', '2', '--json', '--schedules', 'backprop', '--seeds', '1', '--quiet');
    expect(json.model).toMatch(/^2-100-100-10-1 /);
  });

  it('class indices in the last column give one softmax output per class', async () => {
    const train3 = writeCsv(dir, 'train3.csv', ['x1', 'x2', 'class'], threeClassRows(150, 21));
    const test3 = writeCsv(dir, 'test3.csv', ['x1', 'x2', 'class'], threeClassRows(90, 22));
    const json = await cliJson('compare', '--train', train3, '--test', test3, '--epochs', '5', '--json', '--schedules', 'backprop,local-parallel', '--seeds', '1', '--quiet');
    expect(json.model).toBe('2-100-100-10-3 hidden=mish,normalize out=softmax loss=ce');
    expect(json.results).toHaveLength(2);
    for (const r of json.results) {
      expect(Number.isFinite(r.testLoss)).toBe(true);
      expect(r.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(r.testAccuracy).toBeLessThanOrEqual(1);
    }
  });

  it('a class that appears only in the test file is refused, unless --classes sizes the output', async () => {
    // Issue 17, item 4: the test file alone used to widen the task silently.
    const trainRows = threeClassRows(60, 31).filter((r) => r[2] !== 2);
    const train3 = writeCsv(dir, 'train-two.csv', ['x1', 'x2', 'class'], trainRows);
    const test3 = writeCsv(dir, 'test-three.csv', ['x1', 'x2', 'class'], threeClassRows(30, 32));
    const args = ['compare', '--train', train3, '--test', test3, '--epochs', '2', '--json', '--schedules', 'backprop', '--seeds', '1', '--quiet'];
    const refused = await cli(...args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/test-three\.csv` line \d+: label 2 is not one of the training file's classes 0\.\.1/);
    const json = await cliJson(...args, '--classes', '3');
    expect(json.model).toMatch(/^2-100-100-10-3 .*out=softmax/);
  });

  it('--targets 2 takes the last two columns as given', async () => {
    const rows = halfPlaneRows(40, 41).map(([x1, x2, y]) => [x1, x2, y, 1 - y]);
    const a = writeCsv(dir, 'two-targets-train.csv', ['x1', 'x2', 'pos', 'neg'], rows);
    const b = writeCsv(dir, 'two-targets-test.csv', ['x1', 'x2', 'pos', 'neg'], rows.slice(0, 20));
    const json = await cliJson('compare', '--train', a, '--test', b, '--targets', '2', '--epochs', '2', '--json', '--schedules', 'backprop', '--seeds', '1', '--quiet');
    expect(json.model).toMatch(/^2-100-100-10-2 .*out=softmax loss=ce/);
  });

  it('--model fits a smaller network to the files', async () => {
    const json = await cliJson('compare', '--train', train, '--test', test, '--model', '2-8-1', '--epochs', '2', '--json', '--schedules', 'backprop', '--seeds', '1', '--quiet');
    expect(json.model).toBe('2-8-1 hidden=relu out=sigmoid loss=bce');
  });

  it('train --save on CSV data records the inferred spec', async () => {
    const file = join(tempDir(), 'csv.safetensors');
    const r = await cli('train', '--schedule', 'backprop', '--train', train, '--test', test, '--epochs', '2', '--quiet', '--save', file);
    expect(r.code, r.stderr).toBe(0);
    const again = await cliJson('train', '--schedule', 'backprop', '--train', train, '--test', test, '--epochs', '1', '--quiet', '--json', '--init', file);
    expect(again.model).toBe('2-100-100-10-1 hidden=mish,normalize out=sigmoid loss=bce');
  });
});
