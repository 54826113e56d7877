import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tf, useBackend } from '../src/engine/backend.js';
import { registerFusedKernels, setFusedKernels } from '../src/engine/fused/index.js';
import { setThreadBudget } from '../src/engine/threads.js';
import { seededStart } from '../src/experiment/seeded.js';
import { cloneParameters } from '../src/model/parameters.js';
import { parseModelSpec, SEED_MODEL } from '../src/model/spec.js';
import { Run } from '../src/train/run.js';
import { Session } from '../src/train/session.js';
import { BaseOptimizer } from '../src/optim/optimizer.js';
import { exportStart, PROTOCOL_PEER, PROTOCOL_SCHEDULES } from './seed-protocol.js';
import { loadLine, machineLine, median, PEER_PYTHON, writeSection } from './sections.js';

const ROOT = join(import.meta.dirname, '..');

/** Where an epoch's milliseconds go, summed over a run. */
interface Profile {
  epochs: number;
  kernels: number;
  totalMs: number;
  /** Inside the backends' kernel functions. */
  kernelMs: number;
  /** Inside TF.js's engine around them (tape, tensor records, tidy scopes): runKernel minus the kernels. */
  dispatchMs: number;
  /** Freeing tensors outside kernels. */
  disposeMs: number;
  /** The per-epoch evaluations: the test set, and the training loss when it is not the step's own. */
  evaluationMs: number;
  /** Optimizer updates. */
  optimizerMs: number;
  /** Forward and backward of the losses the steps learn from (tf.variableGrads), optimizer excluded. */
  gradientMs: number;
  byKernel: Map<string, number>;
  /** Milliseconds inside each kernel, by name. */
  kernelMsByName: Map<string, number>;
}

/**
 * Wraps TF.js's engine and the session's phases with counters and timers for
 * the run `body` performs. The wrappers cost a few hundred nanoseconds per
 * kernel, so profiled runs are not the timed ones.
 */
export async function profiled(body: () => Promise<number>): Promise<Profile> {
  const engine = tf.engine() as unknown as { runKernel: (...a: unknown[]) => unknown; disposeTensor: (t: unknown) => void };
  const p: Profile = { epochs: 0, kernels: 0, totalMs: 0, kernelMs: 0, dispatchMs: 0, disposeMs: 0, evaluationMs: 0, optimizerMs: 0, gradientMs: 0, byKernel: new Map(), kernelMsByName: new Map() };
  const restore: (() => void)[] = [];
  const wrap = <T extends object>(target: T, key: string, onTime: (ms: number, args: unknown[]) => void, nested?: { depth: number }) => {
    const record = target as Record<string, (...a: unknown[]) => unknown>;
    const original = record[key];
    record[key] = function (this: unknown, ...args: unknown[]) {
      if (nested && nested.depth++ > 0) {
        try {
          return original.apply(this, args);
        } finally {
          nested.depth--;
        }
      }
      const t0 = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        onTime(performance.now() - t0, args);
        if (nested) nested.depth--;
      }
    };
    restore.push(() => (record[key] = original));
  };
  // Kernel functions: the registry's configs are wrapped in place (the engine looks them up per call).
  registerFusedKernels();
  const kernelDepth = { depth: 0 };
  for (const config of tf.getKernelsForBackend(tf.getBackend())) {
    wrap(config, 'kernelFunc', (ms) => {
      p.kernelMs += ms;
      p.kernelMsByName.set(config.kernelName, (p.kernelMsByName.get(config.kernelName) ?? 0) + ms);
    }, kernelDepth);
  }
  const runDepth = { depth: 0 };
  wrap(engine, 'runKernel', (ms, args) => {
    p.dispatchMs += ms;
    const name = args[0] as string;
    p.byKernel.set(name, (p.byKernel.get(name) ?? 0) + 1);
  }, runDepth);
  const countNested = engine.runKernel;
  engine.runKernel = function (this: unknown, ...args: unknown[]) {
    p.kernels++;
    return countNested.apply(this, args);
  };
  restore.push(() => (engine.runKernel = countNested));
  wrap(engine, 'disposeTensor', (ms) => (p.disposeMs += runDepth.depth > 0 ? 0 : ms));
  const phase = { depth: 0 };
  wrap(Session.prototype, 'evaluateTest', (ms) => (p.evaluationMs += ms), phase);
  wrap(Session.prototype, 'settleTrainLoss', (ms) => (p.evaluationMs += ms), phase);
  wrap(Session.prototype, 'cacheOutputLoss', (ms) => (p.evaluationMs += ms), phase);
  wrap(BaseOptimizer.prototype, 'step', (ms) => (p.optimizerMs += ms));
  const grads = { depth: 0 };
  const engineGradients = tf.engine() as unknown as { gradients: (...a: unknown[]) => unknown };
  wrap(engineGradients, 'gradients', (ms) => (p.gradientMs += ms), grads);
  const t0 = performance.now();
  try {
    p.epochs = await body();
  } finally {
    p.totalMs = performance.now() - t0;
    restore.reverse().forEach((r) => r());
  }
  p.dispatchMs -= p.kernelMs;
  return p;
}

/** One schedule of the protocol; returns its epoch count and pushes every epoch's training and test loss onto `losses`. */
export async function runSchedule(schedule: string, seed: number, losses: number[] = []): Promise<number> {
  const spec = parseModelSpec(SEED_MODEL);
  const start = seededStart(seed, spec, { dataset: 'signed_xor' });
  const run = new Run({ schedule, spec, parameters: cloneParameters(start.parameters), train: start.train, test: start.test, seed });
  let epochs = 0;
  await run.complete((e) => {
    if (e.type !== 'epoch') return;
    epochs++;
    losses.push(e.trainLoss, e.testLoss);
  });
  run.dispose();
  return epochs;
}

interface Timed {
  /** Training loop seconds per schedule (the run's own clock), and the whole process's wall seconds. */
  loop: Record<string, number>;
  wall: number;
}

/** The CLI as `npm start` runs it, on the protocol's three schedules and one seed, on `backend` with the fused kernels on or off. */
export function timeCli(backend: string, fused: boolean, seeds: number, schedules: readonly string[] = PROTOCOL_SCHEDULES, extra: string[] = []): Timed {
  // A launcher file, not `node -e`: the CLI's worker threads inherit the parent's exec arguments.
  const launcher = join(mkdtempSync(join(tmpdir(), 'localprop-cli-')), 'cli.mjs');
  writeFileSync(
    launcher,
    `const k = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/engine/fused/kernel.js')).href)}); k.setFusedKernels(${fused});
const { main } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/cli/main.js')).href)}); process.exitCode = await main(process.argv.slice(2));\n`,
  );
  const args = [launcher, 'compare', '--backend', backend, '--schedules', schedules.join(','), '--seeds', String(seeds), '--json', ...extra];
  const t0 = performance.now();
  const p = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: ROOT, maxBuffer: 64 << 20 });
  const wall = (performance.now() - t0) / 1000;
  rmSync(dirname(launcher), { recursive: true, force: true });
  if (p.status !== 0) throw new Error(`the CLI failed: ${p.stderr.trim().split('\n').slice(-3).join(' ')}`);
  const results = JSON.parse(p.stdout).results as { schedule: string; seconds: number }[];
  const loop: Record<string, number> = {};
  for (const r of results) loop[r.schedule] = (loop[r.schedule] ?? 0) + r.seconds;
  return { loop, wall };
}

function timePeer(threads: number, dir: string, trace?: string): Timed {
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
  const t0 = performance.now();
  const p = spawnSync(PEER_PYTHON, [PROTOCOL_PEER, '--seeds', '0', '--init-dir', dir, '--threads', String(threads), '--json', ...(trace ? ['--trace', trace] : [])], { encoding: 'utf8', env });
  const wall = (performance.now() - t0) / 1000;
  if (p.status !== 0) throw new Error(`the PyTorch peer failed (${p.error?.message ?? p.stderr.trim().split('\n').pop()}); it needs Debian's python3-torch`);
  const loop: Record<string, number> = {};
  for (const r of JSON.parse(p.stdout).results as { schedule: string; seconds: number }[]) loop[r.schedule] = r.seconds;
  return { loop, wall };
}

/** The peer's per-epoch test losses by schedule, from its --trace file. */
function peerTestLosses(trace: string): Record<string, number[]> {
  const runs = JSON.parse(readFileSync(trace, 'utf8')).runs as { schedule: string; epochs: { testLoss: number }[] }[];
  return Object.fromEntries(runs.map((r) => [r.schedule, r.epochs.map((e) => e.testLoss)]));
}

const total = (t: Timed) => PROTOCOL_SCHEDULES.reduce((a, s) => a + t.loop[s], 0);
const ms = (v: number, epochs: number) => (v / epochs).toFixed(2);

/** The backends and fusion settings profiled and timed: wasm as before, native (the CLI's default) without and with the fused kernels. */
const MODES = [
  { backend: 'wasm', fused: false },
  { backend: 'wasm', fused: true },
  { backend: 'native', fused: false },
  { backend: 'native', fused: true },
] as const;
type Mode = (typeof MODES)[number];
const modeKey = (m: Mode) => `${m.backend} ${m.fused ? 'fused' : 'unfused'}`;
/** The timed CLI configurations: wasm fused (the last measured), native as the default ran before (unfused) and now (fused). */
const TIMED: Mode[] = [MODES[1], MODES[2], MODES[3]];

/**
 * The small-tensor cost of Mertens' protocol: kernels launched per epoch
 * and where an epoch's milliseconds go, on wasm and native with the fused
 * kernels off and on; the agreement of every run's losses (fused with
 * unfused bit for bit, native with wasm and with PyTorch to float32
 * rounding); then the protocol's training loop and process wall time
 * against the PyTorch peer, side by side in one run.
 */
export async function benchSmallTensors(file: string, options: { repeats?: number } = {}): Promise<string> {
  const repeats = options.repeats ?? 3;
  buildDist();

  // 1. Kernel counts and the profile, one seed, every schedule, every mode; every epoch's training and test losses kept.
  // One BLAS thread, as in the CLI, where the evaluation thread makes two computing threads (src/engine/threads.ts).
  setThreadBudget(1);
  const profiles: Record<string, Record<string, Profile>> = {};
  const losses: Record<string, Record<string, number[]>> = {};
  for (const schedule of PROTOCOL_SCHEDULES) {
    profiles[schedule] = {};
    losses[schedule] = {};
    for (const mode of MODES) {
      await useBackend(mode.backend);
      setFusedKernels(mode.fused);
      const list: number[] = [];
      profiles[schedule][modeKey(mode)] = await profiled(() => runSchedule(schedule, 0, list));
      losses[schedule][modeKey(mode)] = list;
      process.stderr.write(`profiled ${schedule}, ${modeKey(mode)}\n`);
    }
  }
  setFusedKernels(true);
  setThreadBudget(undefined);
  // Fused against unfused on each backend: bit for bit. Native against wasm: float32 rounding of sums in another order.
  const differing = (a: number[], b: number[]) => a.filter((l, k) => !Object.is(l, b[k])).length + Math.abs(a.length - b.length);
  let compared = 0;
  const fusionDiffers: Record<string, number> = { wasm: 0, native: 0 };
  let nativeVsWasmEarly = 0;
  for (const schedule of PROTOCOL_SCHEDULES) {
    const l = losses[schedule];
    compared += l['wasm fused'].length;
    fusionDiffers.wasm += differing(l['wasm fused'], l['wasm unfused']);
    fusionDiffers.native += differing(l['native fused'], l['native unfused']);
    // Losses alternate training, test: the first 10 epochs are the first 20 values.
    nativeVsWasmEarly = Math.max(nativeVsWasmEarly, ...l['native fused'].slice(0, 20).map((v, k) => Math.abs(v - l['wasm fused'][k])));
  }

  // 2. Side by side, alternating: the CLI in each timed mode, the peer on 1 and 2 threads; one traced peer run for the agreement.
  const dir = mkdtempSync(join(tmpdir(), 'localprop-small-'));
  const runs: Record<string, Timed[]> = { peer1: [], peer2: [] };
  for (const mode of TIMED) runs[modeKey(mode)] = [];
  let peerLosses: Record<string, number[]>;
  try {
    exportStart(seededStart(0, parseModelSpec(SEED_MODEL), { dataset: 'signed_xor' }), dir);
    timePeer(1, dir, join(dir, 'trace.json'));
    peerLosses = peerTestLosses(join(dir, 'trace.json'));
    for (let r = 0; r < repeats; r++) {
      for (const mode of TIMED) runs[modeKey(mode)].push(timeCli(mode.backend, mode.fused, 1));
      runs.peer1.push(timePeer(1, dir));
      runs.peer2.push(timePeer(2, dir));
      process.stderr.write(`timing round ${r + 1}/${repeats} done\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The PyTorch agreement (the Mertens' protocol section's measure): test losses of the first 10 epochs, per backend.
  const peerGap = (key: string) => Math.max(...PROTOCOL_SCHEDULES.map((s) => Math.max(...losses[s][key].filter((_, k) => k % 2 === 1).slice(0, 10).map((v, e) => Math.abs(v - peerLosses[s][e])))));
  const med = (list: Timed[]) => ({ loop: median(list.map(total)), wall: median(list.map((t) => t.wall)), per: Object.fromEntries(PROTOCOL_SCHEDULES.map((s) => [s, median(list.map((t) => t.loop[s]))])) });
  const timed = Object.fromEntries(TIMED.map((m) => [modeKey(m), med(runs[modeKey(m)])]));
  const p1 = med(runs.peer1);
  const p2 = med(runs.peer2);
  const peer = p1.loop <= p2.loop ? { ...p1, threads: 1 } : { ...p2, threads: 2 };
  const peerWall = Math.min(p1.wall, p2.wall);
  const now = timed['native fused'];
  const before = timed['native unfused'];
  const wasm = timed['wasm fused'];

  const load = loadLine();
  const core = process.env.OPENBLAS_CORETYPE ? `OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE} set` : 'OPENBLAS_CORETYPE unset (the library\'s choice)';
  const profileRows = PROTOCOL_SCHEDULES.flatMap((s) =>
    MODES.map((mode) => {
      const p = profiles[s][modeKey(mode)];
      const other = p.totalMs - p.kernelMs - p.dispatchMs - p.disposeMs;
      return `| ${s} | ${mode.backend} | ${mode.fused ? 'on' : 'off'} | ${(p.kernels / p.epochs).toFixed(0)} | ${ms(p.totalMs, p.epochs)} | ${ms(p.kernelMs, p.epochs)} | ${ms(p.dispatchMs, p.epochs)} | ${ms(p.disposeMs, p.epochs)} | ${ms(other, p.epochs)} | ${ms(p.gradientMs, p.epochs)} | ${ms(p.optimizerMs, p.epochs)} | ${ms(p.evaluationMs, p.epochs)} |`;
    }),
  );
  const top = (p: Profile) => [...p.byKernel].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, n]) => `${k} ${(n / p.epochs).toFixed(0)}`).join(', ');
  const slowest = (p: Profile) => [...p.kernelMsByName].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, t]) => `${k} ${(t / p.epochs).toFixed(2)} ms (${((p.byKernel.get(k) ?? 0) / p.epochs).toFixed(0)}×)`).join(', ');
  const lp = profiles['local-parallel'];
  const timedRow = (label: string, t: ReturnType<typeof med>) => `| ${label} | ${PROTOCOL_SCHEDULES.map((s) => t.per[s].toFixed(2)).join(' | ')} | ${t.loop.toFixed(2)} | ${t.wall.toFixed(2)} |`;
  const body = [
    "## Small tensors: Mertens' protocol, kernel by kernel (wasm and native, fused kernels off and on)",
    '',
    machineLine(),
    `Load average at the end: ${load} (the machine may be shared with other developers; every comparison below ran side by side, alternating, in one \`npm run bench -- small-tensors\`). BLAS: ${core}.`,
    '',
    "Per epoch, seed 0, one thread (the test set scored in the loop; one BLAS thread, as the CLI runs it beside its evaluation thread), on wasm and on native (TF.js wasm with its matrix products on the BLAS, the CLI's default), fused kernels off (TF.js's own ops) and on. Milliseconds by mechanism: inside the kernels, TF.js's engine around them (dispatch: tape, tensor records, scopes), freeing tensors, and the rest (JavaScript of the trainer and TF.js's ops); and by phase (inclusive of their kernels): the losses' forward and backward (`variableGrads`), the optimizer, the per-epoch evaluations. Profiled runs carry timers around every kernel, so their totals are above the timed runs'.",
    '',
    '| schedule | backend | fused | kernels / epoch | ms / epoch | kernels ms | dispatch ms | dispose ms | other JS ms | forward+backward ms | optimizer ms | evaluations ms |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...profileRows,
    '',
    `Numbers: of the ${compared} per-epoch training and test losses of the three runs, ${fusionDiffers.wasm} differ between fused and unfused on wasm and ${fusionDiffers.native} on native (the fused kernels repeat the unfused float32 operations in order). Native against wasm (sums in another order): at most ${nativeVsWasmEarly.toExponential(1)} apart over the first 10 epochs. Against PyTorch (seed 0, test loss, first 10 epochs, the Mertens' protocol section's measure; goal ≤ 1e-6): wasm fused ${peerGap('wasm fused').toExponential(2)}, native fused ${peerGap('native fused').toExponential(2)}, native unfused ${peerGap('native unfused').toExponential(2)}.`,
    '',
    `Most frequent kernels per local-parallel epoch on native, unfused: ${top(lp['native unfused'])}; fused: ${top(lp['native fused'])}.`,
    '',
    `Where a local-parallel epoch's kernel time goes on native, unfused: ${slowest(lp['native unfused'])}; fused: ${slowest(lp['native fused'])}. On wasm, fused: ${slowest(lp['wasm fused'])}.`,
    '',
    `The protocol's three schedules, seed 0, same data and initial parameters: localprop's CLI (\`compare --json --backend …\`, evaluation thread on, as \`npm start\` runs it) on wasm with the fused kernels, on native without them (the default before they ran there) and with them (the default now), and the PyTorch peer (\`bench/peer/seed_protocol.py\`, on 1 and on 2 threads; the faster, ${peer.threads}, is compared), ${repeats} rounds alternating, medians. Training loop: the runs' own seconds, summed over schedules; process: wall time of the whole command.`,
    '',
    '| | backprop s | local-parallel s | local-sequential s | training loop s | process wall s |',
    '|---|---|---|---|---|---|',
    timedRow('localprop wasm, fused', wasm),
    timedRow('localprop native, unfused (before)', before),
    timedRow('localprop native, fused (default now)', now),
    timedRow('PyTorch, 1 thread', p1),
    timedRow('PyTorch, 2 threads', p2),
    '',
    `Against PyTorch's best: training loop **${(peer.loop / now.loop).toFixed(2)}×** faster on native fused (${(peer.loop / before.loop).toFixed(2)}× native unfused, ${(peer.loop / wasm.loop).toFixed(2)}× wasm fused; goal ≥ 2×), process wall time **${(peerWall / now.wall).toFixed(2)}×** (${(peerWall / before.wall).toFixed(2)}×, ${(peerWall / wasm.wall).toFixed(2)}×; goal ≥ 1.6×). Native fused over native unfused: loop ${(before.loop / now.loop).toFixed(2)}×, process ${(before.wall / now.wall).toFixed(2)}×; over wasm fused: loop ${(wasm.loop / now.loop).toFixed(2)}×. Every round, training loop s: ${TIMED.map((m) => `${modeKey(m)} ${runs[modeKey(m)].map((t) => total(t).toFixed(2)).join(', ')}`).join('; ')}; PyTorch ${runs.peer1.map((t) => total(t).toFixed(2)).join(', ')} (1 thread) and ${runs.peer2.map((t) => total(t).toFixed(2)).join(', ')} (2 threads).`,
  ].join('\n');
  writeSection(file, 'small-tensors', body);
  return body;
}

function buildDist(): void {
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`building dist/ failed: ${build.stdout}${build.stderr}`);
}

/**
 * What `npm start` runs (every schedule, seeds 0-4, the report written into
 * --out) on native, the CLI's default, with the fused kernels off (as it
 * ran before they worked there) and on, alternating `rounds` times.
 */
export async function benchNpmStart(file: string, rounds = Number(process.env.BENCH_REPEATS ?? 1)): Promise<string> {
  buildDist();
  const all = ['backprop', 'local-sequential', 'local-parallel', 'local-gated'];
  const out = mkdtempSync(join(tmpdir(), 'localprop-start-'));
  const off: number[] = [];
  const on: number[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      off.push(timeCli('native', false, 5, all, ['--out', join(out, `off${r}`)]).wall);
      on.push(timeCli('native', true, 5, all, ['--out', join(out, `on${r}`)]).wall);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const load = loadLine();
  const body = [
    "## `npm start` with the fused kernels off and on (native, the CLI's default)",
    '',
    machineLine(),
    `Load average at the end: ${load}.`,
    '',
    `Mertens' comparison as \`npm start\` runs it (\`compare --out DIR\`: 4 schedules × seeds 0-4, evaluation thread and report on, \`--backend native\`, which \`auto\` takes where OpenBLAS loads), process wall time, fused kernels off then on, ${rounds} round(s) alternating: **${median(off).toFixed(1)} s** unfused, **${median(on).toFixed(1)} s** fused (${(median(off) / median(on)).toFixed(2)}×). Every run: ${off.map((v) => v.toFixed(1)).join(', ')} s off, ${on.map((v) => v.toFixed(1)).join(', ')} s on.`,
  ].join('\n');
  writeSection(file, 'npm-start', body);
  return body;
}
