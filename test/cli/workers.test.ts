import { describe, expect, it } from 'vitest';
import { cli, cliJson } from './helpers.js';

const BATCH = ['--dataset', 'spiral', '--model', '2-16-16-8-1 hidden=tanh out=sigmoid', '--step', 'batch', '--batch-size', '200', '--epochs', '3', '--eval-thread', 'off', '--quiet'];

describe('--workers', () => {
  it('gives the same results as one thread for local-parallel, and leaves the other schedules on one thread', async () => {
    const one = await cliJson('compare', ...BATCH, '--seeds', '2', '--schedules', 'local-parallel,backprop', '--json');
    const two = await cliJson('compare', ...BATCH, '--seeds', '2', '--schedules', 'local-parallel,backprop', '--json', '--workers', '2');
    const strip = (r: typeof one) => r.results.map(({ seconds, ...rest }) => rest);
    expect(strip(two)).toEqual(strip(one));
  });

  it('draws the single thread\'s dropout masks: each block has its own stream', async () => {
    const one = await cliJson('train', '--schedule', 'local-parallel', ...BATCH, '--dropout', '0.3', '--json');
    const two = await cliJson('train', '--schedule', 'local-parallel', ...BATCH, '--dropout', '0.3', '--json', '--workers', '2');
    const without = await cliJson('train', '--schedule', 'local-parallel', ...BATCH, '--json');
    const strip = (r: typeof one) => r.results.map(({ seconds, ...rest }) => rest);
    expect(strip(two)).toEqual(strip(one));
    expect(strip(one)).not.toEqual(strip(without));
  });

  it('gives local-gated\'s single-thread results with its gates closing, and prints it among the pipelined schedules', async () => {
    const args = [...BATCH, '--optimizer', 'adam', '--lr', '0.02', '--gate-tau', '0.05', '--seeds', '1', '--schedules', 'local-gated,local-parallel', '--json'];
    const one = await cliJson('compare', ...args);
    const two = await cliJson('compare', ...args, '--workers', '2');
    const strip = (r: typeof one) => r.results.map(({ seconds, ...rest }) => rest);
    expect(strip(two)).toEqual(strip(one));
    // The gates did close: local-gated's results are not local-parallel's.
    const [gated, parallel] = strip(one);
    expect(gated.testLoss).not.toBe(parallel.testLoss);
    const r = await cli('compare', ...args.filter((a) => a !== '--quiet' && a !== '--json'), '--workers', '2');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/localprop: local-gated, local-parallel on 2 threads, blocks \[0, 1\] \| \[2, 3\]/);
  });

  it('prints the grouping it chose', async () => {
    const r = await cli('train', '--schedule', 'local-parallel', ...BATCH.filter((a) => a !== '--quiet'), '--workers', '2');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/local-parallel on 2 threads, blocks \[0, 1\] \| \[2, 3\] \(at best 1\.\d\d× one thread\)/);
  });

  it('refuses what it cannot pipeline before any thread starts', async () => {
    const cases: [string[], RegExp][] = [
      [['train', '--schedule', 'local-parallel', '--workers', '2'], /--workers needs --step batch/],
      [['train', '--schedule', 'backprop', ...BATCH, '--workers', '2'], /pipelines local-parallel, local-gated, local-drift only/],
      [['train', '--schedule', 'local-parallel', ...BATCH, '--workers', '5'], /more than the model's 4 blocks/],
      [['train', '--schedule', 'local-parallel', ...BATCH, '--workers', '0'], /--workers must be a whole number ≥ 1/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});
