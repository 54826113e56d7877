import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/backend.js';
import { registerImageDatasets } from '../../src/node/image-datasets.js';
import { RULES_STUDY } from '../../src/studies/rules-study.js';
import { earlierRulesRecords, planRulesStudy } from '../../src/studies/rules-sweep.js';
import { planSweep } from '../../src/sweep/plan.js';
import { parseSweepSpec } from '../../src/sweep/spec.js';
import { RecordStore } from '../../src/sweep/store.js';
import { cli, tempDir } from '../cli/helpers.js';

beforeAll(() => registerImageDatasets());

const ROOT = resolve(import.meta.dirname, '../..');
const RESULTS = join(ROOT, 'docs/results');
/** The shared rows as the study recorded them on wasm before it ran as a sweep (one file a run); the page now reads their native re-runs. */
const BEFORE_SWEEPS = join(ROOT, 'test/fixtures/rules-runs-before-sweeps');

describe('experiment rules on the sweep runner', () => {
  it('reads the 8 records from before sweeps as they are, onto the page as a run of the row', async () => {
    const earlier = earlierRulesRecords(BEFORE_SWEEPS);
    expect([...earlier.keys()]).toEqual(['fashion-mnist-backprop-seed0', 'fashion-mnist-decoder-seed0', 'fashion-mnist-dfa-seed0', 'fashion-mnist-ff-seed0', 'mnist-backprop-seed0', 'mnist-decoder-seed0', 'mnist-dfa-seed0', 'mnist-ff-seed0']);
    expect(earlier.get('mnist-ff-seed0')).toMatchObject({ row: 'ff', epochs: 5, trainRows: 10_000, steps: 500 });
    const out = join(tempDir('localprop-rules-'), 'results');
    cpSync(BEFORE_SWEEPS, join(out, 'rules-runs'), { recursive: true });
    const r = await cli('experiment', 'rules', '--render-only', '--quiet', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const page = readFileSync(join(out, 'rules.md'), 'utf8');
    // MNIST back-propagation's record: 4.46% test error, 215 s on wasm over 500 steps.
    expect(page).toContain('| back-propagation | decoder | backprop | 4.46 |  | (decoders untrained) | 215 (wasm) | 429.1 |');
    // Nothing trained, nothing converted: the folder holds the same files.
    expect(readdirSync(join(out, 'rules-runs'))).toEqual(readdirSync(BEFORE_SWEEPS));
  });

  it('renders the committed page unchanged from the committed records', async () => {
    const out = join(tempDir('localprop-rules-'), 'results');
    cpSync(RESULTS, out, { recursive: true });
    const r = await cli('experiment', 'rules', '--render-only', '--quiet', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(out, 'rules.md'), 'utf8')).toBe(readFileSync(join(RESULTS, 'rules.md'), 'utf8').replace('--out docs/results', `--out ${out}`));
  });

  it('refuses a bad --rows before anything trains or is written', async () => {
    const out = join(tempDir('localprop-rules-'), 'results');
    const r = await cli('experiment', 'rules', '--rows', 'ff,dfa-papr', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--rows takes all, shared, published or row names (backprop, decoder, pred, predsim, predsim-leaky, ff, dfa, ff-paper, ff-loewex, ff-loewex-peer-cooldown, ff-loewex-input-init, ff-loewex-readout-rate, ff-mohammadpz, dfa-paper); got "dfa-papr"');
    expect(existsSync(out)).toBe(false);
    const jobs = await cli('experiment', 'rules', '--jobs', '0', '--out', out);
    expect(jobs.code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it('writes the sweep spec of the rows asked (--spec-out), whose plan is the study\'s runs, and trains nothing', async () => {
    const dir = tempDir('localprop-rules-');
    const out = join(dir, 'results');
    const file = join(dir, 'queue', 'ff-paper.sweep.json');
    const r = await cli('experiment', 'rules', '--rows', 'ff-paper', '--datasets', 'mnist', '--spec-out', file, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(false);
    const spec = JSON.parse(readFileSync(file, 'utf8'));
    expect(spec.records).toBe('../results/rules-runs');
    const { runs } = planSweep(parseSweepSpec(spec, file), file);
    const study = planRulesStudy(out, RULES_STUDY.filter((row) => row.id === 'ff-paper'), ['mnist'], tf.getBackend());
    expect(runs.map((x) => x.id)).toEqual(study.map((x) => x.planned.id));
    expect(runs[0].options).toMatchObject({ epochs: 60, evalEvery: 10, ffThreshold: 1, backend: tf.getBackend() });
  });

  it('--quick trains its rows on the sweep runner with 2 jobs into records the page reads, and a rerun trains nothing', async () => {
    const out = join(tempDir('localprop-rules-'), 'results');
    const r = await cli('experiment', 'rules', '--quick', '--rows', 'dfa,backprop', '--datasets', 'mnist', '--jobs', '2', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('mnist-dfa-seed0-quick');
    const records = new RecordStore(join(out, 'rules-runs')).records();
    expect(records.map((x) => [x.schedule, (x.options.rule as string[]).join(), x.final.epochs, x.backend]).sort()).toEqual([
      ['backprop', 'decoder', 1, tf.getBackend()],
      ['local-parallel', 'dfa', 1, tf.getBackend()],
    ]);
    const page = readFileSync(join(out, 'rules.md'), 'utf8');
    const dfa = records.find((x) => x.schedule === 'local-parallel')!;
    expect(page).toContain(`| mnist | dfa | ${(100 * (1 - dfa.final.testAccuracy)).toFixed(2)} | ${dfa.seconds.toFixed(1)} |`);
    const again = await cli('experiment', 'rules', '--quick', '--rows', 'dfa,backprop', '--datasets', 'mnist', '--out', out);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('started');
    expect(readFileSync(join(out, 'rules.md'), 'utf8')).toBe(page);
  });
});
