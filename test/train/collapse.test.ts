import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeCheckpoint } from '../../src/io/checkpoint.js';
import { Rng } from '../../src/util/rng.js';
import { cli, tempDir } from '../cli/helpers.js';
import { useBackend } from '../../src/engine/backend.js';
import { makeDataset } from '../../src/data/dataset.js';
import { seededStart } from '../../src/experiment/seeded.js';
import { cloneParameters, initialParameters } from '../../src/model/parameters.js';
import { parseModelSpec } from '../../src/model/spec.js';
import { CollapseWatch, constantGuessAccuracy } from '../../src/train/collapse-watch.js';
import type { EpochEvent, RunEndEvent } from '../../src/train/events.js';
import { Run } from '../../src/train/run.js';

describe('the collapse watch', () => {
  it("knows a constant guess's accuracy: the share of the most common class", () => {
    // Labels 0, 1, 1, 2 one-hot: class 1 is half of them.
    const y = new Float32Array([1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1]);
    expect(constantGuessAccuracy(makeDataset(new Float32Array(4), y, 1, 3))).toBe(0.5);
    // One output: class 1 where y ≥ 0.5; three of four are 0.
    expect(constantGuessAccuracy(makeDataset(new Float32Array(4), new Float32Array([0, 0, 1, 0]), 1, 1))).toBe(0.75);
  });

  it('flags accuracy back at the guess only after the run had learned, and a silent block only after training began', () => {
    const watch = new CollapseWatch(0.1);
    const at = (accuracy: number, blockPeaks?: number[]) => ({ loss: 1, accuracy, blockAccuracy: [], ...(blockPeaks ? { blockPeaks } : {}) });
    // Untrained at chance, with a block of zeros (DFA's zero start): nothing to flag yet.
    expect(watch.observe(0, at(0.1, [0, 0.5]))).toBeNull();
    expect(watch.observe(1, at(0.25))).toBeNull();
    expect(watch.observe(2, at(0.6))).toBeNull();
    expect(watch.observe(3, at(0.119))).toMatch(/^test accuracy 0\.1190 is back at a constant guess's \(0\.1000, the most common class\) after 0\.6000 at epoch 2$/);
    expect(watch.observe(4, at(0.5, [0.3, 0, 0]))).toBe('hidden blocks 1, 2 output zero for every test example');
    // A run that never learned is not a collapse: it is in the accuracy column already.
    expect(new CollapseWatch(0.5).observe(3, at(0.5))).toBeNull();
  });
});

describe('a run made to collapse', () => {
  beforeAll(() => useBackend('wasm'));

  it('marks the events after its hidden units all died, and the end event names the first', async () => {
    const spec = parseModelSpec('2-16-16-1 hidden=relu out=sigmoid loss=bce');
    const start = seededStart(0, spec, { dataset: 'signed_xor' });
    const run = new Run({ schedule: 'local-parallel', spec, ...start, parameters: cloneParameters(start.parameters), seed: 0, epochs: 8, step: 'batch', batchSize: 100, optimizer: { name: 'adam', lr: 0.03 } });
    const events: EpochEvent[] = [];
    let end: RunEndEvent | undefined;
    for await (const e of run) {
      if (e.type === 'end') end = e;
      if (e.type !== 'epoch') continue;
      events.push(e);
      if (e.epoch === 4) {
        // Every hidden bias far below zero: no ReLU unit passes anything again, and the losses stay finite.
        const p = run.network.toParameters();
        for (const b of [0, 1]) p[`blocks.${b}.bias`] = { shape: p[`blocks.${b}.bias`].shape, data: p[`blocks.${b}.bias`].data.map(() => -100) };
        run.network.setParameters(p, 'the test');
      }
    }
    run.dispose();
    expect(events[4].testAccuracy).toBeGreaterThan(0.8);
    expect(events.slice(0, 5).map((e) => e.collapsed)).toEqual(events.slice(0, 5).map(() => undefined));
    for (const e of events.slice(5)) {
      expect(e.collapsed, `epoch ${e.epoch}`).toContain('back at a constant guess');
      expect(e.collapsed, `epoch ${e.epoch}`).toContain('hidden blocks 0, 1 output zero for every test example');
    }
    expect(end!.collapsed).toEqual({ epoch: 5, reason: events[5].collapsed });
  });
});

describe('compare with a run that collapses', () => {
  it("says so in one line, and marks the seed in the table's accuracy", async () => {
    const spec = parseModelSpec('2-16-16-1 hidden=relu');
    const parameters = initialParameters(spec, new Rng(0).fork('init'));
    // Every hidden bias far below zero: the ReLU units never fire, and no gradient reaches them.
    for (const b of [0, 1]) parameters[`blocks.${b}.bias`] = { shape: parameters[`blocks.${b}.bias`].shape, data: parameters[`blocks.${b}.bias`].data.map(() => -100) };
    const init = join(tempDir(), 'dead.safetensors');
    writeFileSync(init, encodeCheckpoint(parameters, { spec }));
    const r = await cli('compare', '--dataset', 'signed_xor', '--model', '2-16-16-1 hidden=relu', '--schedules', 'local-parallel', '--seeds', '1', '--epochs', '2', '--init', init);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('localprop: local-parallel seed 0 collapsed at epoch 1: hidden blocks 0, 1 output zero for every test example\n');
    expect(r.stdout).toMatch(/local-parallel .* \(collapsed: seed 0\)/);
  });
});
