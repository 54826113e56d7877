import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { activationBytes } from '../../src/metrics/memory.js';
import { parseModelSpec } from '../../src/model/spec.js';
import { cli, cliJson, lines, readJson, tempDir } from './helpers.js';

// A small MNIST run: 200 training and 200 test images, one epoch of batches of 50.
const SMALL = ['--dataset', 'mnist', '--model', '784-32-32-10', '--step', 'batch', '--batch-size', '50', '--epochs', '1', '--limit', '200', '--seeds', '1', '--quiet'];
const ALL = ['backprop', 'local-sequential', 'local-parallel', 'local-gated'];

describe('mnist on the command line', () => {
  it('`localprop datasets` lists mnist and fashion-mnist', async () => {
    const r = await cli('datasets');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^mnist {2}\(784 → 10\)$/m);
    expect(r.stdout).toMatch(/^fashion-mnist {2}\(784 → 10\)$/m);
    expect(r.stdout).toContain('apt-get install dataset-fashion-mnist');
  });

  it('compare runs every schedule on a --limit slice, with cross-entropy or mse hidden decoders', async () => {
    for (const hiddenLoss of ['ce', 'mse']) {
      const json = await cliJson('compare', ...SMALL, '--hidden-loss', hiddenLoss, '--json');
      expect(json.dataset).toBe('mnist');
      expect(json.evaluatedOn).toBe('test');
      expect(json.results.map((r) => r.schedule)).toEqual(ALL);
      for (const row of json.results) {
        expect(Number.isFinite(row.testLoss) && Number.isFinite(row.trainLoss)).toBe(true);
        // Ten classes: better than chance (0.1) after one epoch of 4 steps needs luck, so only the range is checked.
        expect(row.testAccuracy).toBeGreaterThanOrEqual(0);
        expect(row.testAccuracy).toBeLessThanOrEqual(1);
      }
    }
  });

  it('--json and results.json carry the memory of every schedule; the table ends with a memory line', async () => {
    const out = tempDir();
    const json = await cliJson('compare', ...SMALL, '--json', '--out', out, '--report', 'off');
    const memory = json.memory as { bytesPerNumber: number; dataBytes: number; schedules: { schedule: string; rowsPerStep: number; activationBytes: number }[] };
    expect(memory.bytesPerNumber).toBe(4);
    // 200 training + 200 test rows × (784 + 10) numbers × 4 bytes.
    expect(memory.dataBytes).toBe(400 * 794 * 4);
    expect(memory.schedules.map((m) => m.schedule)).toEqual(ALL);
    const spec = parseModelSpec('784-32-32-10');
    for (const m of memory.schedules) {
      expect(m.rowsPerStep).toBe(50);
      expect(m.activationBytes).toBe(activationBytes(spec, m.schedule, 50));
    }
    expect(readJson(join(out, 'results.json')).memory).toEqual(memory);
    const table = await cli('compare', ...SMALL, '--schedules', 'backprop,local-parallel');
    const memoryLines = lines(table.stdout).slice(-3);
    expect(memoryLines[0]).toBe('memory, estimated from tensor sizes (float32):');
    expect(memoryLines[1]).toMatch(/^ {2}a training step \(50 examples\) holds [\d.]+ KiB with backprop and [\d.]+ KiB with local-parallel for its backward pass$/);
    expect(memoryLines[2]).toMatch(/^ {2}parameters [\d.]+ KiB; optimizer state up to [\d.]+ KiB$/);
  });

  it('--val n scores on the last n training examples and says so in the header, the table and the JSON', async () => {
    const json = await cliJson('compare', ...SMALL, '--schedules', 'backprop', '--val', '50', '--json');
    expect(json.evaluatedOn).toBe('validation');
    expect(json.validationExamples).toBe(50);
    const withTest = await cliJson('compare', ...SMALL, '--schedules', 'backprop', '--json');
    // Training on 150 instead of 200 examples and scoring elsewhere: other numbers.
    expect(json.results[0].testLoss).not.toBe(withTest.results[0].testLoss);
    // Without --quiet, which also silences the header.
    const r = await cli('compare', ...SMALL.filter((a) => a !== '--quiet'), '--schedules', 'backprop', '--val', '50');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('metrics on a validation split (the last 50 training examples, not trained on), not the test set');
    expect(lines(r.stdout)[0]).toMatch(/val accuracy +val loss/);
    const t = await cli('train', '--schedule', 'backprop', ...SMALL.slice(0, -3), '--quiet', '--val', '50');
    expect(t.code).toBe(0);
    expect(t.stderr).toContain('localprop train: metrics on a validation split (the last 50 training examples');
    expect(lines(t.stdout)[0]).toMatch(/val loss +val acc/);
  });

  it('--val as large as the training set is refused', async () => {
    const r = await cli('compare', ...SMALL, '--schedules', 'backprop', '--val', '200');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/validation split needs between 1 and 199 examples, got 200/);
  });

  it('a --data-dir without the files exits 2 with a message that says how to get them', async () => {
    const dir = tempDir();
    const r = await cli('compare', ...SMALL, '--data-dir', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`localprop: mnist: --data-dir ${dir} has no train-images-idx3-ubyte and train-labels-idx1-ubyte`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--data-dir with --train/--test CSV files is refused', async () => {
    const r = await cli('compare', '--train', 'a.csv', '--test', 'b.csv', '--data-dir', 'x');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--data-dir names the folder of a registered dataset');
  });
});
