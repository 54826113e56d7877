import type { Command } from 'commander';
import { join } from 'node:path';
import { runSweepLocally, defaultJobs, type RunnerEvent } from '../sweep/local-runner.js';
import { planSweep, recordsFolder, type SweepPlan } from '../sweep/plan.js';
import { summarizeSweep, sweepCurves, sweepTable } from '../sweep/report.js';
import { parseSweepSpec } from '../sweep/spec.js';
import { formatSweepStatus, sweepStatus } from '../sweep/status.js';
import { RecordStore, type SweepRecord } from '../sweep/store.js';
import { check } from '../util/errors.js';
import { writeFileAtomic } from './files.js';
import { InterruptedError, interruption } from './interrupt.js';
import { readSettingsFile } from './settings-file.js';

/** A spec file read, checked and expanded, with its records folder. */
interface LoadedSweep {
  path: string;
  plan: SweepPlan;
  store: RecordStore;
}

function loadSweep(path: string): LoadedSweep {
  const spec = parseSweepSpec(readSettingsFile(path, 'sweep spec'), path);
  return { path, plan: planSweep(spec, path), store: new RecordStore(recordsFolder(spec, path)) };
}

const wholeNumber = (value: string | undefined, flag: string): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  check(Number.isInteger(n) && n >= 1, `${flag} must be a whole number ≥ 1, got "${value}"`);
  return n;
};

function plan(path: string, opts: { json?: boolean }): void {
  const { plan: p, store } = loadSweep(path);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ records: store.folder, runs: p.runs.map((r) => ({ id: r.id, label: r.label, configuration: r.configuration })), duplicates: p.duplicates }) + '\n');
    return;
  }
  process.stdout.write(`${path}: ${p.runs.length} runs, records in ${store.folder}\n`);
  for (const r of p.runs) process.stdout.write(`${r.id}  ${r.label}\n`);
  for (const d of p.duplicates) process.stdout.write(`(${d.label} is the same run as ${d.sameAs}: trained once)\n`);
}

async function run(path: string, opts: { jobs?: string; checkpointEvery?: string; checkpointMinutes?: string; retryFailed?: boolean; quiet?: boolean }): Promise<void> {
  const { plan: p, store } = loadSweep(path);
  const jobs = wholeNumber(opts.jobs, '--jobs') ?? defaultJobs(p.runs);
  const checkpointEvery = wholeNumber(opts.checkpointEvery, '--checkpoint-every');
  const minutes = opts.checkpointMinutes === undefined ? undefined : Number(opts.checkpointMinutes);
  check(minutes === undefined || (Number.isFinite(minutes) && minutes > 0), `--checkpoint-minutes must be a number of minutes > 0, got "${opts.checkpointMinutes}"`);
  const started = Date.now();
  const say = (line: string) => {
    if (!opts.quiet) process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${line}\n`);
  };
  say(`${p.runs.length} runs, ${jobs} job${jobs > 1 ? 's' : ''}, records in ${store.folder}`);
  const summary = await runSweepLocally(p.runs, store, {
    jobs,
    checkpointEvery,
    checkpointSeconds: minutes === undefined ? undefined : minutes * 60,
    retryFailed: opts.retryFailed,
    shouldStop: () => interruption.requested,
    onEvent: (e: RunnerEvent) => {
      const name = `${e.run.id} ${e.run.label}`;
      if (e.type === 'started') say(`${name}: started (process ${e.pid})`);
      else if (e.type === 'outcome' && e.status === 'done') say(`${name}: done, test accuracy ${e.testAccuracy!.toFixed(4)} (${e.seconds!.toFixed(1)} s)`);
      else if (e.type === 'outcome' && e.status === 'failed') say(`${name}: failed: ${e.message}`);
      else if (e.type === 'outcome') say(`${name}: stopped at its checkpoint`);
      else if (e.type === 'worker-died') say(`${name}: its worker died (${e.reason})${e.retry ? '; continuing from its checkpoint' : ''}`);
    },
  });
  const counts = `${summary.done.length} trained, ${summary.failed.length} failed, ${summary.skipped.length} already recorded`;
  if (summary.stopped.length > 0) throw new InterruptedError(`interrupted (Ctrl-C): ${counts}, ${summary.stopped.length} stopped at their checkpoints; run the same command again to continue`);
  process.stdout.write(`${path}: ${counts}${summary.failed.length ? '; see `localprop sweep status` for the failures' : ''}\n`);
}

function status(path: string, opts: { json?: boolean }): void {
  const { plan: p, store } = loadSweep(path);
  const s = sweepStatus(p.runs, store);
  if (opts.json) process.stdout.write(JSON.stringify({ counts: s.counts, runs: s.runs.map(({ run: r, status: st }) => ({ id: r.id, label: r.label, ...st })) }) + '\n');
  else process.stdout.write(formatSweepStatus(s, path) + '\n');
}

function report(path: string): void {
  const { plan: p, store } = loadSweep(path);
  const records = new Map<string, SweepRecord>();
  for (const r of p.runs) {
    const record = store.record(r.id);
    if (record) records.set(r.id, record);
  }
  const summaries = summarizeSweep(p.runs, records);
  const svg = sweepCurves(summaries, `${path}: test accuracy (mean over seeds)`);
  const lines = [`# Sweep ${path}`, '', `${records.size} of ${p.runs.length} runs recorded; mean ± sample standard deviation over seeds.`, '', sweepTable(summaries), ''];
  if (svg) {
    writeFileAtomic(join(store.folder, 'curves.svg'), svg);
    lines.push('![test accuracy per epoch](curves.svg)', '');
  }
  const markdown = lines.join('\n');
  writeFileAtomic(join(store.folder, 'report.md'), markdown);
  process.stdout.write(markdown);
}

/** Adds `localprop sweep plan|run|status|report SPEC`. */
export function addSweepCommand(program: Command): void {
  const sweep = program.command('sweep').description('run a sweep spec (a JSON file: base, grid, points, seeds, records): plan, run, status, report');
  sweep.command('plan').description('list the runs the spec expands to, with their ids').argument('<spec>', 'the sweep spec (JSON)').option('--json', 'one JSON object on stdout').action(plan);
  sweep
    .command('run')
    .description('train every run without a record, resuming stopped ones from their checkpoints')
    .argument('<spec>', 'the sweep spec (JSON)')
    .option('--jobs <n>', 'worker processes, each training one run at a time (default: cores / threads per run, at least 1)')
    .option('--checkpoint-every <k>', 'checkpoint every k epochs (default: every 2 minutes)')
    .option('--checkpoint-minutes <m>', 'checkpoint when m minutes passed since the last checkpoint (default 2)')
    .option('--retry-failed', 'train the runs recorded as failed again')
    .option('--quiet', 'no progress lines')
    .action(run);
  sweep.command('status').description('done, running, left and failed runs').argument('<spec>', 'the sweep spec (JSON)').option('--json', 'one JSON object on stdout').action(status);
  sweep.command('report').description('mean ± std over seeds per configuration: report.md and curves.svg in the records folder').argument('<spec>', 'the sweep spec (JSON)').action(report);
  for (const c of sweep.commands) c.exitOverride();
  sweep.exitOverride();
}
