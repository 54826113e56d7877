import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerImageDatasets } from '../src/node/image-datasets.js';
import { planSweep, type PlannedRun } from '../src/sweep/plan.js';
import { parseSweepSpec } from '../src/sweep/spec.js';
import { RecordStore, type SweepRecord } from '../src/sweep/store.js';
import { machineLine, median, writeSection } from './sections.js';

const ROOT = join(import.meta.dirname, '..');
const BASE = { dataset: 'spiral', model: '2-64-64-1', epochs: 30, step: 'batch', 'batch-size': 100, optimizer: 'adam' };
const GRID = { schedule: ['backprop', 'local-parallel'], lr: [0.01, 0.003] };
const SEEDS = [0, 1, 2, 3];

/** The compiled CLI, as `npx localprop` runs it (tsx would add its own start-up to every process). */
function localprop(args: string[]): { seconds: number; stdout: string } {
  const start = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli/bin.js'), ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`localprop ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { seconds: (performance.now() - start) / 1000, stdout: r.stdout };
}

function trainFlags(run: PlannedRun, evalThread: string): string[] {
  const o = run.options;
  return ['train', '--schedule', String(o.schedule), '--seed', String(o.seed), '--lr', String(o.lr), ...Object.entries(BASE).flatMap(([k, v]) => [`--${k}`, String(v)]), '--eval-thread', evalThread, '--json'];
}

interface Measured {
  label: string;
  total: number;
  records?: SweepRecord[];
}

/** One `sweep run` of the 16 runs into a fresh records folder. */
function sweepOnce(dir: string, evalThread: string, jobs: number, extra: string[] = []): Measured {
  const folder = mkdtempSync(join(dir, 'sweep-'));
  const spec = { base: { ...BASE, 'eval-thread': evalThread }, grid: GRID, seeds: SEEDS, records: 'records' };
  const path = join(folder, 'spec.json');
  writeFileSync(path, JSON.stringify(spec));
  const { seconds } = localprop(['sweep', 'run', path, '--jobs', String(jobs), '--quiet', ...extra]);
  const runs = planSweep(parseSweepSpec(spec, path), path).runs;
  const store = new RecordStore(join(folder, 'records'));
  return { label: `sweep --jobs ${jobs}${extra.length ? ` ${extra.join(' ')}` : ''}`, total: seconds, records: runs.map((r) => store.record(r.id)!) };
}

const strip = (r: SweepRecord) => JSON.stringify({ ...r, seconds: 0, wallSeconds: 0, finishedAt: '', history: r.history.map((e) => ({ ...e, seconds: 0 })) });

/**
 * `npm run bench -- sweep`: 16 short runs (spiral, 2-64-64-1, 30 epochs of
 * batch-100 Adam; backprop and local-parallel × two rates × seeds 0-3)
 * trained as 16 `localprop train` processes one after another, then as
 * `localprop sweep run` with 1 and 2 jobs; with the evaluation thread on
 * (the default) and off. Every sweep gives the same records, and the same
 * test accuracies as the plain runs (checked here).
 */
export async function benchSweep(file: string): Promise<string> {
  registerImageDatasets();
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`the build failed: ${build.stdout}${build.stderr}`);
  const dir = mkdtempSync(join(tmpdir(), 'localprop-bench-sweep-'));
  const loadBefore = loadavg()[0];
  const rows: string[] = [];
  const perRun: string[] = [];
  try {
    const spec = { base: BASE, grid: GRID, seeds: SEEDS, records: 'records' };
    const runs = planSweep(parseSweepSpec(spec, join(dir, 'spec.json')), join(dir, 'spec.json')).runs;
    for (const evalThread of ['on', 'off']) {
      const plainSeconds: number[] = [];
      const plainAccuracy: number[] = [];
      const plainTraining: number[] = [];
      for (const run of runs) {
        const { seconds, stdout } = localprop(trainFlags(run, evalThread));
        const result = (JSON.parse(stdout) as { results: { testAccuracy: number; seconds: number }[] }).results[0];
        plainSeconds.push(seconds);
        plainAccuracy.push(result.testAccuracy);
        plainTraining.push(result.seconds);
      }
      const plain = plainSeconds.reduce((a, b) => a + b, 0);
      const one = sweepOnce(dir, evalThread, 1);
      const two = sweepOnce(dir, evalThread, 2);
      const sweeps = evalThread === 'on' ? [one, two, sweepOnce(dir, evalThread, 1, ['--checkpoint-every', '1'])] : [one, two];
      for (const s of sweeps) {
        if (s.records!.map(strip).join() !== one.records!.map(strip).join()) throw new Error(`${s.label} gave other records than --jobs 1`);
        s.records!.forEach((r, k) => {
          if (r.final.testAccuracy !== plainAccuracy[k]) throw new Error(`${s.label}: run ${r.label} has test accuracy ${r.final.testAccuracy}, plain train ${plainAccuracy[k]}`);
        });
      }
      rows.push(`| ${evalThread} | ${plain.toFixed(1)} | ${one.total.toFixed(1)} | ${two.total.toFixed(1)} | ${(one.total / two.total).toFixed(2)}× | ${(plain / two.total).toFixed(2)}× | ${((one.total - plain) / runs.length).toFixed(2)} |`);
      const inWorker = (m: Measured) => median(m.records!.map((r) => r.wallSeconds!));
      const beyond = (m: Measured) => median(m.records!.map((r) => r.wallSeconds! - r.seconds));
      perRun.push(
        `- eval thread ${evalThread}: a plain \`train\` process ${median(plainSeconds).toFixed(2)} s, of which its run's own training ${median(plainTraining).toFixed(2)} s (medians of 16); ` +
          `inside a sweep, a run ${inWorker(one).toFixed(2)} s from its worker's start on it to its record, ${beyond(one).toFixed(3)} s beyond its training (1 job), ${inWorker(two).toFixed(2)} s and ${beyond(two).toFixed(3)} s (2 jobs)` +
          (sweeps[2] ? `; checkpointing every epoch (29 a run): ${sweeps[2].total.toFixed(1)} s in all, ${((sweeps[2].total - one.total) / (runs.length * 29) * 1000).toFixed(1)} ms a checkpoint` : ''),
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const body = [
    '## Sweeps on one machine: 16 short runs with 1 and 2 jobs, against plain `train`',
    '',
    `${machineLine()} Load average (1 min) ${loadBefore.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end: the machine is shared, so take the ratios as indications.`,
    '',
    `16 runs: spiral, \`${BASE.model}\`, ${BASE.epochs} epochs of batch-${BASE['batch-size']} Adam; backprop and local-parallel × lr 0.01, 0.003 × seeds 0-3. Seconds are wall time of whole commands (\`node dist/cli/bin.js\`, so no tsx start-up): 16 \`localprop train\` processes one after another, or one \`localprop sweep run --jobs N\` (default checkpoints: every 2 minutes, so none in runs this short). Every sweep gave the same records as \`--jobs 1\`, and every record the test accuracy of its plain \`train\`. One measurement each.`,
    '',
    '| eval thread | 16 × `train` (s) | sweep, 1 job (s) | sweep, 2 jobs (s) | 2 jobs vs 1 | 2 jobs vs 16 × `train` | runner overhead per run vs `train` (s) |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Overhead per run: (sweep with 1 job − 16 × `train`) / 16; negative when one worker process loading TF.js once saves more than the runner costs. Per run:',
    '',
    ...perRun,
  ].join('\n');
  writeSection(file, 'sweep', body);
  return body;
}
