import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { runSweepLocally, defaultJobs, type RunnerEvent } from '../sweep/local-runner.js';
import { planSweep, recordsFolder, type SweepPlan } from '../sweep/plan.js';
import { summarizeSweep, sweepCurves, sweepTable } from '../sweep/report.js';
import { parseSweepSpec, type SweepSpec } from '../sweep/spec.js';
import { formatSweepStatus, sweepStatus } from '../sweep/status.js';
import { RecordStore, type SweepRecord } from '../sweep/store.js';
import { LocalpropError, check } from '../util/errors.js';
import { DEFAULT_ATTEMPTS, DEFAULT_LOST_AFTER, PASSWORD_VARIABLE } from '../sweep/queue/settings.js';
import type { QueueConnection } from '../sweep/queue/queue.js';
import type { QueueWorkerEvent } from '../sweep/queue/worker.js';
import { writeFileAtomic } from './files.js';
import { InterruptedError, interruption } from './interrupt.js';
import { readSettingsFile } from './settings-file.js';

/**
 * `sweep run` finished every run it could, and some failed: the command
 * exits 1 (not 2: the spec was fine), after its summary line.
 */
export class SomeRunsFailedError extends LocalpropError {}

/** A spec file (JSON or YAML) read and checked, as plain data (what a queued job carries) and as a spec. */
function readSpec(path: string): { value: unknown; spec: SweepSpec } {
  const value = readSettingsFile(path, 'sweep spec');
  return { value, spec: parseSweepSpec(value, path) };
}

/** A spec file read, checked and expanded, with its records folder (`records` overrides the spec's, as `sweep report --records` does). */
interface LoadedSweep {
  path: string;
  plan: SweepPlan;
  store: RecordStore;
}

function loadSweep(path: string, records?: string): LoadedSweep {
  const { spec } = readSpec(path);
  return { path, plan: planSweep(spec, path), store: new RecordStore(records ?? recordsFolder(spec, path)) };
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
      else if (e.type === 'outcome' && e.status === 'claimed') say(`${name}: skipped, trained by ${e.message}`);
      else if (e.type === 'outcome') say(`${name}: stopped at its checkpoint`);
      else if (e.type === 'worker-died') say(`${name}: its worker died (${e.reason})${e.retry ? '; continuing from its checkpoint' : ''}`);
    },
  });
  const counts = `${summary.done.length} trained, ${summary.failed.length} failed, ${summary.skipped.length} already recorded${summary.claimed.length ? `, ${summary.claimed.length} being trained by another runner` : ''}`;
  if (summary.stopped.length > 0) throw new InterruptedError(`interrupted (Ctrl-C): ${counts}, ${summary.stopped.length} stopped at their checkpoints; run the same command again to continue`);
  process.stdout.write(`${path}: ${counts}${summary.failed.length ? '; see `localprop sweep status` for the failures' : ''}\n`);
  // A rerun that leaves earlier failures failed has not finished the sweep either.
  const before = summary.skipped.filter((id) => store.failure(id) !== undefined).length;
  const n = summary.failed.length + before;
  if (n > 0) {
    const when = before === 0 ? 'failed' : summary.failed.length === 0 ? 'failed before (left so)' : `failed (${before} of them before, left so)`;
    throw new SomeRunsFailedError(`${n} run${n === 1 ? '' : 's'} of ${p.runs.length} ${when}, the others finished; \`localprop sweep status ${path}\` shows why, and \`sweep run --retry-failed\` trains ${n === 1 ? 'it' : 'them'} again`);
  }
}

async function status(path: string | undefined, opts: { json?: boolean; queue?: string }): Promise<void> {
  if (opts.queue !== undefined) return queuedStatus(path, opts.queue, opts);
  check(path !== undefined, 'sweep status needs a spec, or --queue URL for the runs of a queue');
  const { plan: p, store } = loadSweep(path);
  const s = sweepStatus(p.runs, store);
  if (opts.json) process.stdout.write(JSON.stringify({ counts: s.counts, runs: s.runs.map(({ run: r, status: st }) => ({ id: r.id, label: r.label, ...st })) }) + '\n');
  else process.stdout.write(formatSweepStatus(s, path) + '\n');
}

function report(path: string, opts: { records?: string }): void {
  const { plan: p, store } = loadSweep(path, opts.records);
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

/** Runs `body` with the queue open, closing it however `body` ends. */
async function withQueue<T>(url: string | undefined, body: (connection: QueueConnection) => Promise<T>): Promise<T> {
  check(url !== undefined, 'give the queue with --queue redis://HOST:PORT/NAME');
  const { openQueue } = await import('../sweep/queue/queue.js');
  const connection = await openQueue(url);
  try {
    return await body(connection);
  } finally {
    await connection.close();
  }
}

async function submit(path: string, opts: { queue?: string; attempts?: string; retryFailed?: boolean }): Promise<void> {
  const attempts = wholeNumber(opts.attempts, '--attempts');
  // Planned here first, so a bad spec is one line before anything is queued.
  const { value, spec } = readSpec(path);
  const { runs } = planSweep(spec, path);
  const specPath = resolvePath(path);
  const { destinationOf } = await import('../sweep/queue/queue.js');
  const { submitSweep } = await import('../sweep/queue/submit.js');
  await withQueue(opts.queue, async (connection) => {
    const s = await submitSweep(connection, value, specPath, runs, destinationOf(spec, specPath, connection), { attempts, retryFailed: opts.retryFailed });
    const parts = [`${s.queued.length} queued`, `${s.inQueue.length} in the queue already`, `${s.recorded.length} recorded already`];
    if (s.failed.length) parts.push(`${s.failed.length} failed before (--retry-failed queues them again)`);
    process.stdout.write(`${path}: ${runs.length} runs on ${connection.address.shown}: ${parts.join(', ')}\n`);
  });
}

async function worker(opts: { queue?: string; jobs?: string; checkpointEvery?: string; checkpointMinutes?: string; lostAfter?: string; untilEmpty?: boolean; quiet?: boolean; import?: string }): Promise<void> {
  check(opts.import === undefined, 'a queue worker never loads code (--import): it trains only what a sweep spec can say, so nobody who can write to the queue can run code on it; train runs of your own modules with `localprop compare --import` instead');
  const jobs = wholeNumber(opts.jobs, '--jobs') ?? 1;
  check(jobs <= availableParallelism(), `--jobs ${jobs} is more than this machine's ${availableParallelism()} cores; give --jobs ≤ ${availableParallelism()}`);
  const checkpointEvery = wholeNumber(opts.checkpointEvery, '--checkpoint-every');
  const minutes = opts.checkpointMinutes === undefined ? undefined : Number(opts.checkpointMinutes);
  check(minutes === undefined || (Number.isFinite(minutes) && minutes > 0), `--checkpoint-minutes must be a number of minutes > 0, got "${opts.checkpointMinutes}"`);
  const lostAfter = opts.lostAfter === undefined ? undefined : Number(opts.lostAfter);
  check(lostAfter === undefined || (Number.isFinite(lostAfter) && lostAfter >= 1), `--lost-after must be a number of seconds ≥ 1, got "${opts.lostAfter}"`);
  const started = Date.now();
  const say = (line: string) => {
    if (!opts.quiet) process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${line}\n`);
  };
  // A service manager stops a worker with SIGTERM: like Ctrl-C, every run goes back to the queue at its checkpoint.
  const onTerm = () => (interruption.requested = true);
  process.on('SIGTERM', onTerm);
  try {
    await withQueue(opts.queue, async (connection) => {
      say(`worker on ${connection.address.shown}: ${jobs} job${jobs > 1 ? 's' : ''} at a time${opts.untilEmpty ? ', until the queue is empty' : ''}`);
      const { runQueueWorker } = await import('../sweep/queue/worker.js');
      const summary = await runQueueWorker(connection, {
        jobs,
        checkpointEvery,
        checkpointSeconds: minutes === undefined ? undefined : minutes * 60,
        lostAfter,
        untilEmpty: opts.untilEmpty,
        shouldStop: () => interruption.requested,
        onEvent: (e: QueueWorkerEvent) => {
          if (e.type === 'queue-error') return say(`queue: ${e.message} (the worker goes on)`);
          if (e.type === 'cleaned') return say(`removed ${e.folders.length} training folder${e.folders.length === 1 ? '' : 's'} that stopped workers had left (${e.folders.join(', ')})`);
          const name = `${e.id} ${e.label}`;
          if (e.type === 'started') say(`${name}: started${e.resumesAt !== null ? ` from its checkpoint at epoch ${e.resumesAt}` : ''}`);
          else if (e.type === 'done') say(`${name}: done, test accuracy ${e.testAccuracy.toFixed(4)} (${e.seconds.toFixed(1)} s)${e.kept ? '' : '; another worker had recorded it first: its record stays'}`);
          else if (e.type === 'failed') say(`${name}: failed: ${e.message}${e.final ? '' : '; it will be tried again'}`);
          else if (e.type === 'claimed') say(`${name}: trained by ${e.owner} in the records folder; back in the queue for a minute`);
          else say(`${name}: back in the queue at its checkpoint (epoch ${e.epoch})`);
        },
      });
      const counts = `${summary.done.length} trained, ${summary.failed.length} failed`;
      if (interruption.requested) throw new InterruptedError(`worker stopped: ${counts}, ${summary.returned.length} back in the queue at their checkpoints`);
      process.stdout.write(`worker on ${connection.address.shown}: ${counts}\n`);
    });
  } finally {
    process.off('SIGTERM', onTerm);
  }
}

async function queuedStatus(path: string | undefined, url: string, opts: { json?: boolean }): Promise<void> {
  const ids = path === undefined ? undefined : new Set(loadSweep(path).plan.runs.map((r) => r.id));
  await withQueue(url, async (connection) => {
    const { formatQueueStatus, queueStatus } = await import('../sweep/queue/status.js');
    const s = await queueStatus(connection);
    if (ids) {
      s.runs = s.runs.filter((r) => ids.has(r.id));
      s.counts = { queued: 0, running: 0, done: 0, failed: 0 };
      for (const r of s.runs) s.counts[r.status.state]++;
    }
    if (opts.json) process.stdout.write(JSON.stringify({ counts: s.counts, runs: s.runs.map(({ id, label, status: st }) => ({ id, label, ...st })) }) + '\n');
    else process.stdout.write(formatQueueStatus(s, path ?? connection.address.shown) + '\n');
  });
}

async function collect(folder: string, opts: { queue?: string }): Promise<void> {
  await withQueue(opts.queue, async (connection) => {
    const { RedisDestination } = await import('../sweep/queue/destination.js');
    const from = new RedisDestination(connection.redis, connection.address.name);
    const store = new RecordStore(folder);
    const records = await from.records();
    for (const r of records) store.writeRecord(r);
    const failures = await from.failures();
    for (const f of failures) store.writeFailure(f);
    process.stdout.write(`${records.length} records and ${failures.length} failures from ${connection.address.shown} into ${store.folder}; \`localprop sweep report SPEC --records ${folder}\` reports them\n`);
  });
}

/** Adds `localprop sweep plan|run|status|report SPEC`. */
export function addSweepCommand(program: Command): void {
  const sweep = program.command('sweep').description('run a sweep spec (a JSON file: base, grid, points, seeds, records): plan, run, status, report; on a Redis queue: submit, worker, status --queue, collect');
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
  sweep
    .command('status')
    .description('done, running, left and failed runs (with --queue: queued, running with progress and worker, done, failed)')
    .argument('[spec]', 'the sweep spec (JSON); with --queue, only its runs')
    .option('--queue <url>', `the queue, redis://HOST:PORT/NAME (password in ${PASSWORD_VARIABLE})`)
    .option('--json', 'one JSON object on stdout')
    .action(status);
  sweep
    .command('report')
    .description('mean ± std over seeds per configuration: report.md and curves.svg in the records folder')
    .argument('<spec>', 'the sweep spec (JSON)')
    .option('--records <dir>', "the records' folder instead of the spec's (where `sweep collect` put them)")
    .action(report);
  sweep
    .command('submit')
    .description('queue every run of the spec without a record on a Redis queue, for `sweep worker`s on any machine')
    .argument('<spec>', 'the sweep spec (JSON); its files must lie at the same path on every worker')
    .option('--queue <url>', `the queue, redis://HOST:PORT/NAME or rediss:// for TLS (password in ${PASSWORD_VARIABLE})`)
    .option('--attempts <n>', `tries of a run that fails for its own reasons before it is marked failed (default ${DEFAULT_ATTEMPTS})`)
    .option('--retry-failed', 'queue the runs that failed again')
    .action(submit);
  sweep
    .command('worker')
    .description('train runs from a Redis queue, one at a time or --jobs N, until Ctrl-C (or --until-empty)')
    .option('--queue <url>', `the queue, redis://HOST:PORT/NAME or rediss:// for TLS (password in ${PASSWORD_VARIABLE})`)
    .option('--jobs <n>', 'runs trained at once, each in its own process (default 1; jobs × threads per run ≤ cores)')
    .option('--checkpoint-every <k>', 'checkpoint every k epochs (default: every 2 minutes)')
    .option('--checkpoint-minutes <m>', 'checkpoint when m minutes passed since the last checkpoint (default 2)')
    .option('--lost-after <s>', `seconds without a heartbeat after which a worker counts as lost and its run goes back to the queue (default ${DEFAULT_LOST_AFTER})`)
    .option('--until-empty', 'leave once nothing is queued or training')
    .option('--import <file>', 'refused: a worker never loads code')
    .option('--quiet', 'no progress lines')
    .action(worker);
  sweep
    .command('collect')
    .description('copy the records a queue keeps in Redis ("records": "redis:") into a folder, for `sweep report --records`')
    .argument('<dir>', 'the folder to write the records into')
    .option('--queue <url>', `the queue, redis://HOST:PORT/NAME (password in ${PASSWORD_VARIABLE})`)
    .action(collect);
  for (const c of sweep.commands) c.exitOverride();
  sweep.exitOverride();
}
