import { Queue } from 'bullmq';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { planSweep } from '../src/sweep/plan.js';
import { sweepKey } from '../src/sweep/queue/destination.js';
import { KEY_PREFIX, PASSWORD_VARIABLE } from '../src/sweep/queue/settings.js';
import { parseSweepSpec } from '../src/sweep/spec.js';
import { RecordStore, type SweepRecord } from '../src/sweep/store.js';
import { RedisServer } from '../test/redis/server.js';
import { machineLine, median, writeSection } from './sections.js';

const ROOT = join(import.meta.dirname, '..');
// The 16 runs of the `sweep` section, so the two sections read side by side.
const BASE = { dataset: 'spiral', model: '2-64-64-1', epochs: 30, step: 'batch', 'batch-size': 100, optimizer: 'adam' };
const GRID = { schedule: ['backprop', 'local-parallel'], lr: [0.01, 0.003] };
const SEEDS = [0, 1, 2, 3];
const REPEATS = 3;

const cliArgs = (args: string[]) => [join(ROOT, 'dist/cli/bin.js'), ...args];

/** Runs the compiled CLI processes `commands` side by side and returns the seconds until the last one ends. */
async function together(commands: string[][], env: NodeJS.ProcessEnv): Promise<number> {
  const start = performance.now();
  await Promise.all(
    commands.map(
      (args) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(process.execPath, cliArgs(args), { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
          let err = '';
          child.stderr.on('data', (c: Buffer) => (err += c.toString()));
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`localprop ${args.join(' ')} exited ${code}: ${err}`))));
        }),
    ),
  );
  return (performance.now() - start) / 1000;
}

const strip = (r: SweepRecord) => JSON.stringify({ ...r, seconds: 0, wallSeconds: 0, finishedAt: '', resumedAt: [], history: r.history.map((e) => ({ ...e, seconds: 0 })) });

interface Setting {
  label: string;
  /** Trains the 16 runs from nothing; returns the seconds it took (submit included) and the records. */
  once: (k: number) => Promise<{ seconds: number; submit?: number; records: SweepRecord[]; inWorker?: number[]; between?: number[] }>;
  seconds: number[];
  submit: number[];
  /** Per run: seconds from a worker taking its job to the job's end, beyond the run's own time in its training process (`wallSeconds`). */
  inWorker: number[];
  /** Per run after a worker's first: seconds from its previous job's end to its taking this one. */
  between: number[];
}

/**
 * `npm run bench -- sweep-queue`: the 16 runs of the `sweep` section
 * trained by `sweep run --jobs 1|2` and over a Redis queue (a local
 * redis-server with append-only persistence and a password, records and
 * checkpoints in Redis) by 1 and 2 `sweep worker` processes started after
 * `sweep submit`; the settings take turns, each measured 3 times. Every
 * setting's records are checked equal to `sweep run --jobs 1`'s.
 */
export async function benchSweepQueue(file: string): Promise<string> {
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`the build failed: ${build.stdout}${build.stderr}`);
  const dir = mkdtempSync(join(tmpdir(), 'localprop-bench-queue-'));
  const server = await RedisServer.start(mkdtempSync(join(dir, 'redis-')));
  const env = { [PASSWORD_VARIABLE]: server.password };
  const loadBefore = loadavg()[0];
  let reference: string | undefined;
  const check = (label: string, records: SweepRecord[]) => {
    const text = records.map(strip).join('\n');
    reference ??= text;
    if (text !== reference) throw new Error(`${label} gave other records than the first setting`);
  };
  const specIn = (folder: string, records: string) => {
    const spec = { base: BASE, grid: GRID, seeds: SEEDS, records };
    const path = join(folder, 'spec.json');
    writeFileSync(path, JSON.stringify(spec));
    return { path, runs: planSweep(parseSweepSpec(spec, path), path).runs };
  };
  const local = (jobs: number): Setting => ({
    label: `\`sweep run --jobs ${jobs}\``,
    seconds: [],
    submit: [],
    inWorker: [],
    between: [],
    once: async () => {
      const { path, runs } = specIn(mkdtempSync(join(dir, 'run-')), 'records');
      const seconds = await together([['sweep', 'run', path, '--jobs', String(jobs), '--quiet']], {});
      const store = new RecordStore(join(path, '..', 'records'));
      return { seconds, records: runs.map((r) => store.record(r.id)!) };
    },
  });
  const queued = (workers: number): Setting => ({
    label: `queue, ${workers} worker${workers > 1 ? 's' : ''} × 1 job`,
    seconds: [],
    submit: [],
    inWorker: [],
    between: [],
    once: async (k) => {
      const name = `bench-${workers}-${k}`;
      const url = server.url(name);
      const { path, runs } = specIn(mkdtempSync(join(dir, 'queue-')), 'redis:');
      const submit = await together([['sweep', 'submit', path, '--queue', url]], env);
      const training = await together(Array.from({ length: workers }, () => ['sweep', 'worker', '--queue', url, '--until-empty', '--quiet']), env);
      const client = server.client({ maxRetriesPerRequest: null });
      const records = await Promise.all(runs.map(async (r) => JSON.parse((await client.get(sweepKey(name, 'record', r.id)))!) as SweepRecord));
      // BullMQ's own clock on each job: when a worker took it and when it ended.
      const queue = new Queue(name, { connection: client, prefix: KEY_PREFIX });
      const jobs = await queue.getJobs(['completed'], 0, -1, true);
      await queue.close();
      client.disconnect();
      const wall = new Map(records.map((r) => [r.id, r.wallSeconds!]));
      const inWorker = jobs.map((j) => (j.finishedOn! - j.processedOn!) / 1000 - wall.get((j.data as { id: string }).id)!);
      const byWorker = new Map<string, { processedOn: number; finishedOn: number }[]>();
      for (const j of jobs) {
        const worker = (j.returnvalue as { worker: string }).worker;
        byWorker.set(worker, [...(byWorker.get(worker) ?? []), { processedOn: j.processedOn!, finishedOn: j.finishedOn! }]);
      }
      const between = [...byWorker.values()].flatMap((list) => list.sort((a, b) => a.processedOn - b.processedOn).slice(1).map((j, i) => (j.processedOn - list[i].finishedOn) / 1000));
      return { seconds: submit + training, submit, records, inWorker, between };
    },
  });
  const settings = [local(1), local(2), queued(1), queued(2)];
  try {
    for (let k = 0; k < REPEATS; k++) {
      for (const s of settings) {
        const r = await s.once(k);
        check(s.label, r.records);
        s.seconds.push(r.seconds);
        if (r.submit !== undefined) s.submit.push(r.submit);
        s.inWorker.push(...(r.inWorker ?? []));
        s.between.push(...(r.between ?? []));
      }
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const [one, two, q1, q2] = settings.map((s) => median(s.seconds));
  const row = (s: Setting, vs: number) => `| ${s.label} | ${median(s.seconds).toFixed(1)} | ${s.seconds.map((x) => x.toFixed(1)).join(', ')} | ${(vs / median(s.seconds)).toFixed(2)}× |`;
  const loadAfter = loadavg()[0];
  const shared = Math.max(loadBefore, loadAfter) > 1.5;
  const body = [
    '## Sweeps over a Redis queue: 16 short runs on 1 and 2 queue workers, against `sweep run`',
    '',
    `${machineLine()} Load average (1 min) ${loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end${shared ? ': measured under load, on a machine shared with other work, so take the ratios as indications' : ''}. redis-server ${redisVersion()} on loopback, append-only persistence on (\`appendfsync everysec\`), a password.`,
    '',
    `The 16 runs of the section "Sweeps on one machine" (spiral, \`${BASE.model}\`, ${BASE.epochs} epochs of batch-${BASE['batch-size']} Adam; backprop and local-parallel × lr 0.01, 0.003 × seeds 0-3; evaluation thread on). Seconds are wall time of whole commands (\`node dist/cli/bin.js\`): one \`sweep run\`, or \`sweep submit\` and then the worker processes (\`sweep worker --until-empty\`, records and checkpoints in Redis) until the last one leaves. The settings took turns, ${REPEATS} times; every one of them gave the records of the first \`sweep run --jobs 1\` (timing aside).`,
    '',
    '| setting | median (s) | each (s) | vs `sweep run --jobs 1` |',
    '|---|---|---|---|',
    ...settings.map((s) => row(s, one)),
    '',
    `The queue's overhead per run: (1 queue worker − \`sweep run --jobs 1\`) / 16 = ${((q1 - one) / 16).toFixed(3)} s; \`sweep submit\` (a command of its own: start-up, planning the 16 runs, connecting, queuing them) took ${median(settings[2].submit).toFixed(2)} s of it in all, so ${((q1 - median(settings[2].submit) - one) / 16).toFixed(3)} s a run without it. With 2 workers against \`--jobs 2\`: ${((q2 - two) / 16).toFixed(3)} s a run. Two workers vs one: ${(q1 / q2).toFixed(2)}×.`,
    '',
    `Inside the workers, by BullMQ's clock on each job (medians over the ${settings[2].inWorker.length} runs of all repeats, 1 worker; 2 workers in brackets): from taking a job to its end, ${median(settings[2].inWorker).toFixed(3)} s (${median(settings[3].inWorker).toFixed(3)} s) beyond the run's own time in its training process (planning the job, fetching its checkpoint, posting progress, storing the record, completing the job); from one job's end to the worker's taking the next, ${median(settings[2].between).toFixed(3)} s (${median(settings[3].between).toFixed(3)} s).`,
  ].join('\n');
  writeSection(file, 'sweep-queue', body);
  return body;
}

function redisVersion(): string {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return /v=(\S+)/.exec(r.stdout)?.[1] ?? 'unknown';
}

