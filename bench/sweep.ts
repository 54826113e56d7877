import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBackend } from '../src/engine/backend.js';
import { experimentRuns } from '../src/experiment/experiment.js';
import { registerImageDatasets } from '../src/node/image-datasets.js';
import { runExperimentConfig } from '../src/sweep/configuration.js';
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

const CHECKPOINT_REPEATS = 9;

/** Milliseconds to take and write one run's checkpoint (median), and its size: a run of `model` on 256 examples after its first epoch. */
export async function checkpointCost(dir: string, model: string, dataset: string): Promise<{ ms: number; bytes: number }> {
  const options = { dataset, model, schedule: 'local-parallel', epochs: 2, step: 'batch', batchSize: 128, optimizer: 'adam', limit: 256, seed: 0 };
  await useBackend('wasm');
  const runs = experimentRuns(runExperimentConfig(options));
  const run = runs.next().value!;
  const store = new RecordStore(mkdtempSync(join(dir, 'checkpoint-')));
  const ms: number[] = [];
  try {
    for await (const event of run) {
      if (event.type !== 'epoch') continue;
      for (let k = 0; k < CHECKPOINT_REPEATS; k++) {
        const start = performance.now();
        store.writeCheckpoint('c0ffee', run.checkpoint());
        ms.push(performance.now() - start);
      }
      break;
    }
  } finally {
    runs.return(undefined);
  }
  return { ms: median(ms), bytes: statSync(join(store.folder, 'c0ffee.checkpoint.safetensors')).size };
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
function sweepOnce(dir: string, evalThread: string, jobs: number): Measured {
  const folder = mkdtempSync(join(dir, 'sweep-'));
  const spec = { base: { ...BASE, 'eval-thread': evalThread }, grid: GRID, seeds: SEEDS, records: 'records' };
  const path = join(folder, 'spec.json');
  writeFileSync(path, JSON.stringify(spec));
  const { seconds } = localprop(['sweep', 'run', path, '--jobs', String(jobs), '--quiet']);
  const runs = planSweep(parseSweepSpec(spec, path), path).runs;
  const store = new RecordStore(join(folder, 'records'));
  return { label: `sweep --jobs ${jobs}`, total: seconds, records: runs.map((r) => store.record(r.id)!) };
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
  const checkpoints: string[] = [];
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
      const sweeps = [one, two];
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
          `inside a sweep, a run ${inWorker(one).toFixed(2)} s from its worker's start on it to its record, ${beyond(one).toFixed(3)} s beyond its training (1 job), ${inWorker(two).toFixed(2)} s and ${beyond(two).toFixed(3)} s (2 jobs)`,
      );
    }
    for (const [model, dataset] of [[BASE.model, 'spiral'], ['784-1024-1024-1024-10', 'mnist']]) {
      const c = await checkpointCost(dir, model, dataset);
      checkpoints.push(`- \`${model}\` (${dataset}), after an epoch of Adam: ${(c.bytes / 2 ** 20).toFixed(2)} MiB, ${c.ms.toFixed(1)} ms to take and write (median of ${CHECKPOINT_REPEATS})`);
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
    '',
    'What one checkpoint costs (`Run.checkpoint()`, encoded and written atomically into the records folder, in this process):',
    '',
    ...checkpoints,
  ].join('\n');
  writeSection(file, 'sweep', body);
  return body;
}
