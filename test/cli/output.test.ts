import { describe, expect, it } from 'vitest';
import { parseModelSpec, SEED_MODEL } from '../../src/model/spec.js';
import type { ExperimentConfig } from '../../src/experiment/experiment.js';
import type { SummaryRow } from '../../src/experiment/summary.js';
import { compareHeader, seedsInWords } from '../../src/cli/header.js';
import { describeMemory, formatBytes, formatLoss, formatLossStats, formatSummary } from '../../src/cli/table.js';
import { withFirstLook } from '../../src/cli/first-look.js';
import { registerImageDatasets } from '../../src/node/image-datasets.js';
import { cli, lines, tempDir } from './helpers.js';

registerImageDatasets();

/** What `compare` without options builds: every schedule on signed_xor, Mertens' network, 5 seeds. */
function defaultConfig(overrides: Partial<ExperimentConfig> = {}): ExperimentConfig {
  return {
    data: { dataset: 'signed_xor', options: {} },
    spec: parseModelSpec(SEED_MODEL),
    schedules: ['backprop', 'local-sequential', 'local-parallel', 'local-gated'],
    seeds: [0, 1, 2, 3, 4],
    decoders: ['learned'],
    training: {},
    ...overrides,
  };
}

const stats = (mean: number, std: number) => ({ mean, std, min: mean - std, max: mean + std });

describe('numbers a newcomer can read', () => {
  it('a loss keeps two significant digits: four decimals, or the exponent form below 0.01', () => {
    expect(formatLoss(0.69314)).toBe('0.6931');
    expect(formatLoss(0.0123)).toBe('0.0123');
    expect(formatLoss(0.0000312)).toBe('3.1e-5');
    expect(formatLoss(0)).toBe('0.0000');
    // The std reads in the mean's form, so a column lines up.
    expect(formatLossStats(0.0000312, 0.0000021)).toBe('3.1e-5 ± 2.1e-6');
    expect(formatLossStats(0.6962, 0.0049)).toBe('0.6962 ± 0.0049');
  });

  it('bytes take the unit that keeps them short', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(46_488)).toBe('45.4 KiB');
    expect(formatBytes(3.26 * 2 ** 20)).toBe('3.26 MiB');
    expect(formatBytes(400 * 2 ** 20)).toBe('400 MiB');
    expect(formatBytes(1.5 * 2 ** 30)).toBe('1.50 GiB');
  });

  it('seeds in words', () => {
    expect(seedsInWords([0, 1, 2, 3, 4])).toBe('5 seeds (0-4)');
    expect(seedsInWords([0])).toBe('1 seed (0)');
    expect(seedsInWords([0, 3, 7])).toBe('3 seeds (0, 3, 7)');
  });

  it('the table shows a dash for the decoders of back-propagation, which has none, and readable losses', () => {
    const row = (schedule: string): SummaryRow => ({ schedule, decoders: 'learned', seeds: [0, 1], testAccuracy: stats(0.996, 0.0016), testLoss: stats(0.0291, 0.01), trainLoss: stats(0.0000312, 0.0000021), seconds: stats(1.234, 0.1) });
    const table = formatSummary([row('backprop'), row('local-parallel')]).split('\n');
    expect(table[0].split(/\s{2,}/)).toEqual(['schedule', 'decoders', 'seeds', 'test accuracy', 'test loss', 'train loss', 'seconds a run']);
    expect(table[2].split(/\s{2,}/)).toEqual(['backprop', '—', '2', '0.9960 ± 0.0016', '0.0291 ± 0.0100', '3.1e-5 ± 2.1e-6', '1.23 ± 0.10']);
    expect(table[3].split(/\s{2,}/)[1]).toBe('learned');
    // One seed has no spread to show.
    const one = formatSummary([{ ...row('local-parallel'), seeds: [0] }]).split('\n');
    expect(one[2].split(/\s{2,}/)).toEqual(['local-parallel', 'learned', '1', '0.9960', '0.0291', '3.1e-5', '1.23']);
  });

  it('memory in words: schedules that hold the same share one figure', () => {
    const entry = (schedule: string, activationBytes: number, scheduleStateBytes = 0) => ({ schedule, rule: 'decoder', decoders: 'learned' as const, rowsPerStep: 1000, activationBytes, parameterBytes: 46_488, optimizerStateBytes: schedule === 'backprop' ? 91_000 : 93_000, scheduleStateBytes });
    const text = describeMemory({ bytesPerNumber: 4, dataBytes: 0, schedules: [entry('backprop', 3 * 2 ** 20), entry('local-sequential', 2 ** 20, 400 * 1024), entry('local-parallel', 2 ** 20), entry('local-gated', 2 ** 20, 800 * 1024)] });
    expect(text.split('\n')).toEqual([
      'memory, estimated from tensor sizes (float32):',
      '  a training step (1000 examples) holds 3.00 MiB with backprop and 1.00 MiB with the other 3 for its backward pass',
      '  parameters 45.4 KiB; optimizer state up to 90.8 KiB; kept between steps: local-sequential 400 KiB, local-gated 800 KiB',
    ]);
  });
});

describe('the compare header', () => {
  it("says what runs, on what, how many seeds, and that this is Mertens' protocol", () => {
    const header = compareHeader(defaultConfig()).split('\n');
    expect(header[0]).toBe('localprop compare: 4 schedules × 5 seeds (0-4) on signed_xor, decoders learned');
    expect(header[3]).toBe("  training  Rprop (lr 0.01), one step per epoch on the summed losses of its batches of 100 (Mertens' protocol)");
    expect(header).toContain('  backprop          back-propagation of the output loss through every block; 100 epochs');
    expect(header).toContain('  local-sequential  one block at a time, each on the frozen blocks before it; 4 blocks × 50 epochs');
    expect(header).toContain('  local-parallel    every block learns at once from its own decoder; 200 epochs');
  });

  it('any change to the training is no longer the protocol, and is described', () => {
    const header = compareHeader(defaultConfig({ training: { step: 'batch', batchSize: 32, lrDecayAt: [10], lrDecay: 0.5 } }));
    expect(header).not.toContain("Mertens' protocol");
    expect(header).toContain('  training  Adam (lr 0.001), one step per mini-batch of 32; rate ×0.5 after epochs 10');
    expect(compareHeader(defaultConfig({ training: { epochs: 3 } }))).not.toContain("Mertens' protocol");
  });

  it('names the validation split when --val scores on it', () => {
    expect(compareHeader(defaultConfig({ holdOut: 50 }), ['scored on a validation split'])).toMatch(/note {6}scored on a validation split[\s\S]*share of validation examples/);
  });
});

describe('defaults by dataset', () => {
  it('mnist without options gets the ReLU MLP, Adam on mini-batches, two epochs and one seed, and says so', () => {
    const { options, note } = withFirstLook({ dataset: 'mnist' }, 'compare');
    expect(options).toMatchObject({ model: '784-256-256-256-10', step: 'batch', optimizer: 'adam', batchSize: 128, epochs: 2, seeds: [0] });
    expect(note).toBe('defaults for mnist (a quick first look; docs/results/mnist.md has the full study): model 784-256-256-256-10, adam on mini-batches of 128, 2 epochs, 1 seed; an option you give replaces its default');
  });

  it('an option the user gives wins, and naming the optimizer keeps the optimizer group out', () => {
    const { options } = withFirstLook({ dataset: 'fashion-mnist', model: '784-32-10', epochs: 5, seeds: [0, 1], optimizer: 'sgd' }, 'compare');
    expect(options).toMatchObject({ model: '784-32-10', epochs: 5, seeds: [0, 1], optimizer: 'sgd' });
    expect(options.step).toBeUndefined();
    // --step epoch sums the batches' losses: a batch size there would change the sum's weights, so it is not set.
    expect(withFirstLook({ dataset: 'mnist', step: 'epoch' }, 'compare').options.batchSize).toBeUndefined();
    expect(withFirstLook({ dataset: 'mnist', step: 'batch' }, 'compare').options.batchSize).toBe(128);
    expect(withFirstLook({ dataset: 'mnist', optimizer: 'sgd' }, 'compare').options.batchSize).toBeUndefined();
    // --init's checkpoint names its own model.
    expect(withFirstLook({ dataset: 'mnist', init: 'm.safetensors' }, 'compare').options.model).toBeUndefined();
    // train runs one seed anyway.
    expect(withFirstLook({ dataset: 'mnist' }, 'train').options.seeds).toBeUndefined();
  });

  it("2-D sets and user files keep Mertens' protocol", () => {
    for (const dataset of ['signed_xor', 'spiral', 'circles', 'spiral3']) expect(withFirstLook({ dataset }, 'compare')).toEqual({ options: { dataset } });
    expect(withFirstLook({ train: 'a.csv', test: 'b.csv' }, 'compare').note).toBeUndefined();
  });
});

describe('compare --out tells where the report is', () => {
  it('at the end, on stdout; --no-report and --report off draw nothing and say nothing', async () => {
    const dir = tempDir();
    const r = await cli('compare', '--epochs', '1', '--seeds', '1', '--schedules', 'backprop', '--quiet', '--grid-size', '20', '--block-grid-size', '10', '--out', `${dir}/a`);
    expect(r.code).toBe(0);
    expect(lines(r.stdout).at(-1)).toBe(`Pictures of every schedule and block: open ${dir}/a/report.html in a browser.`);
    for (const [k, off] of [['--no-report'], ['--report', 'off']].entries()) {
      // A folder each: an --out folder holds one run (issue 17, item 9).
      const q = await cli('compare', '--epochs', '1', '--seeds', '1', '--schedules', 'backprop', '--quiet', '--out', `${dir}/b${k}`, ...off);
      expect(q.code).toBe(0);
      expect(q.stdout).not.toContain('report.html');
    }
  });

  it('--help lists every schedule with one line each', async () => {
    for (const command of ['compare', 'train']) {
      const r = await cli(command, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('--no-report');
      for (const name of ['backprop', 'local-sequential', 'local-parallel', 'local-gated']) expect(r.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    }
  });
});
