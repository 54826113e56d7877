import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { runArchive, weightsFile } from '../../src/playground/bundle.js';
import { Lockstep } from '../../src/playground/lockstep.js';
import { setupOf } from '../../src/playground/setup.js';
import { DEFAULT_STATE, pageModel, type PlaygroundState } from '../../src/playground/state.js';
import { cli, cliJson, tempDir } from '../cli/helpers.js';
import { roundForLink, type Point } from '../../src/playground/points.js';

/** The seed's experiment made small: every schedule, 3 epochs (per block for local-sequential). */
const SMALL: PlaygroundState = { ...DEFAULT_STATE, model: pageModel('2-16-16-4-1 hidden=mish,normalize'), epochs: 3 };

function unzipTo(archive: Uint8Array): string {
  const dir = tempDir('localprop-playground-');
  for (const [name, bytes] of Object.entries(unzipSync(archive))) writeFileSync(join(dir, name), bytes);
  return dir;
}

describe('training side by side', () => {
  beforeAll(() => useBackend('wasm'));

  it('advances every column the same epochs per frame; local-sequential goes on after the others finish', async () => {
    const lockstep = new Lockstep(setupOf(SMALL), 12);
    await lockstep.advance(1);
    const first = lockstep.frame();
    // The first frame brings event 0 (the untrained network) with the first epoch's.
    expect(first.columns.map((c) => [c.schedule, c.epoch, c.events.length])).toEqual([
      ['backprop', 1, 2],
      ['local-sequential', 1, 2],
      ['local-parallel', 1, 2],
      ['local-gated', 1, 2],
    ]);
    expect(first.columns.map((c) => c.epochs)).toEqual([3, 12, 3, 3]);
    expect(first.columns[0].network.values).toHaveLength(12 * 12);
    expect(first.columns[0].blocks.map((b) => b.values.length)).toEqual([144, 144, 144]);
    await lockstep.advance(2);
    const second = lockstep.frame();
    expect(second.columns.map((c) => c.epoch)).toEqual([3, 3, 3, 3]);
    expect(second.columns.map((c) => c.events.map((e) => e.epoch))).toEqual([[2, 3], [2, 3], [2, 3], [2, 3]]);
    // The pictures move as the weights do.
    second.columns.forEach((c, k) => expect(c.network.values).not.toEqual(first.columns[k].network.values));
    await lockstep.advance(5);
    const third = lockstep.frame();
    expect(third.columns.map((c) => [c.epoch, c.done])).toEqual([[3, true], [8, false], [3, true], [3, true]]);
    expect(third.columns[0].end?.type).toBe('end');
    expect(third.columns[1].block).toBe(2);
    expect(lockstep.done).toBe(false);
    // Finished columns whose end was shown are left out of a frame of changes.
    await lockstep.advance(1);
    expect(lockstep.frame(true).columns.map((c) => [c.schedule, c.epoch])).toEqual([['local-sequential', 9]]);
    await lockstep.advance(10);
    expect(lockstep.done).toBe(true);
    await lockstep.dispose();
  });

  it('shares the data and initial weights across columns: the first epoch scores every column alike', async () => {
    const lockstep = new Lockstep(setupOf({ ...SMALL, schedules: ['backprop', 'local-parallel'] }), 4);
    await lockstep.advance(1);
    const [a, b] = lockstep.frame().columns.map((c) => c.events[0]);
    expect(a.testLoss).toBeCloseTo(b.testLoss, 6);
    expect(a.trainLoss).toBeCloseTo(b.trainLoss, 6);
    expect(a.testAccuracy).toBe(b.testAccuracy);
    await lockstep.dispose();
  });

  it('frees every tensor it made when disposed', async () => {
    const before = tf.memory().numTensors;
    const lockstep = new Lockstep(setupOf(SMALL), 8);
    await lockstep.advance(2);
    lockstep.frame();
    await lockstep.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('a downloaded run', () => {
  beforeAll(() => useBackend('wasm'));

  it('is trained again by `localprop compare --config` to the same numbers', async () => {
    const lockstep = new Lockstep(setupOf({ ...SMALL, schedules: ['backprop', 'local-gated'], seed: 2 }), 4);
    while (!lockstep.done) await lockstep.advance(2);
    const dir = unzipTo(runArchive(lockstep.setup, 'wasm', lockstep.records()));
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ schedules: ['backprop', 'local-gated'], seeds: [2], epochs: 3, backend: 'wasm' });
    const json = await cliJson('compare', '--config', join(dir, 'config.json'), '--json', '--quiet');
    const ends = lockstep.records().map((h) => h.end!);
    expect(json.results.map((r) => r.schedule)).toEqual(['backprop', 'local-gated']);
    json.results.forEach((r, k) => {
      expect(r.testLoss).toBeCloseTo(ends[k].testLoss, 6);
      expect(r.testAccuracy).toBeCloseTo(ends[k].testAccuracy, 6);
    });
    await lockstep.dispose();
  });

  it("holds the user's points and each column's weights, which --init continues from", async () => {
    const points: Point[] = Array.from({ length: 24 }, (_, i) => [roundForLink(Math.cos(i) * 0.8), roundForLink(Math.sin(i * 1.7) * 0.8), i % 3]);
    const lockstep = new Lockstep(setupOf({ ...SMALL, dataset: 'points', points, schedules: ['local-parallel'], trainShare: 0.75 }), 4);
    await lockstep.advance(2);
    const dir = unzipTo(runArchive(lockstep.setup, 'wasm', lockstep.records()));
    expect(readFileSync(join(dir, 'train.csv'), 'utf8').split('\n')[0]).toBe('x,y,class');
    const history = JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8')) as { runs: { events: unknown[] }[]; link: string };
    // Events 0 (the untrained network) to 2.
    expect(history.runs[0].events).toHaveLength(3);
    expect(history.link).toContain('points=');
    // Continuing from the downloaded weights: the CLI's event 0 scores them as the page's event 2 did (the last bits may differ: its shuffle is the CLI's own).
    const out = join(dir, 'continued');
    mkdirSync(out);
    const r = await cli('compare', '--config', join(dir, 'config.json'), '--init', join(dir, weightsFile('local-parallel')), '--epochs', '1', '--out', out, '--report', 'off', '--quiet');
    expect(r.code, r.stderr).toBe(0);
    const cliFirst = (JSON.parse(readFileSync(join(out, 'local-parallel-seed0.history.json'), 'utf8')) as { epochs: { testLoss: number; trainLoss: number }[] }).epochs[0];
    const pageNext = lockstep.records()[0].events.at(-1)!;
    expect(pageNext.epoch).toBe(2);
    expect(cliFirst.testLoss).toBeCloseTo(pageNext.testLoss, 6);
    expect(cliFirst.trainLoss).toBeCloseTo(pageNext.trainLoss, 6);
    await lockstep.dispose();
  });
});
