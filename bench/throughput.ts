import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { tf, useBackend } from '../src/engine/backend.js';
import { setThreadBudget } from '../src/engine/threads.js';
import { makeDataset, oneHot } from '../src/data/dataset.js';
import { Network } from '../src/model/network.js';
import { initialParameters } from '../src/model/parameters.js';
import { parseModelSpec } from '../src/model/spec.js';
import { inputSize, modelShapes } from '../src/model/shapes.js';
import { sizeOf } from '../src/model/blocks/kind.js';
import { createOptimizer } from '../src/optim/index.js';
import { getSchedule } from '../src/schedules/registry.js';
import { trainToEnd } from '../src/schedules/schedule.js';
import { Session } from '../src/train/session.js';
import { Rng } from '../src/util/rng.js';
import { machineLine, median, PEER_PYTHON, writeSection } from './sections.js';

const MODEL = '784-1024-1024-1024-10';
const SCHEDULES = ['backprop', 'local-parallel', 'local-gated'];
const BATCHES = [128, 1024];
const REPEATS = 3;
const PEER = join(import.meta.dirname, 'peer', 'mlp_throughput.py');

/** Steps per timed window: about a second or more of work each. */
const stepsFor = (batch: number) => (batch >= 1024 ? 4 : 12);

/**
 * Training throughput of one schedule: `plan.train()` over one epoch of
 * random inputs and labels (`steps` mini-batches), Adam, batch steps; no
 * evaluation is timed. The median over repeats, after one warm-up epoch.
 */
async function ours(schedule: string, batch: number): Promise<number> {
  const spec = parseModelSpec(MODEL);
  const rng = new Rng(0);
  const count = batch * stepsFor(batch);
  const x = Float32Array.from({ length: count * 784 }, () => rng.uniform());
  const y = oneHot(Array.from({ length: count }, () => rng.int(10)), 10);
  const train = makeDataset(x, y, 784, 10);
  const test = makeDataset(x.subarray(0, 784), y.subarray(0, 10), 784, 10);
  const network = Network.fromParameters(spec, initialParameters(spec, rng.fork('init')));
  const optimizer = createOptimizer({ name: 'adam', lr: 1e-3 });
  const session = new Session(network, optimizer, train, test, { step: 'batch', batchSize: batch, decoders: 'learned', hiddenLoss: 'ce' }, rng.fork('shuffle'));
  const plans = getSchedule(schedule).plan(session, REPEATS + 1);
  const rates: number[] = [];
  let k = 0;
  for (const plan of plans) {
    session.beginEpoch();
    const start = performance.now();
    trainToEnd(plan.train());
    // Reading the losses waits for the backend to finish the epoch's work.
    session.takeEpochLosses();
    const seconds = (performance.now() - start) / 1000;
    if (k++ > 0) rates.push(count / seconds);
  }
  optimizer.dispose();
  session.dispose();
  network.dispose();
  return median(rates);
}

/** The backend measured: native (the BLAS) unless BENCH_BACKEND names another. */
const BACKEND = process.env.BENCH_BACKEND ?? 'native';

/** float32 matmul GFLOP/s of TF.js on this backend, 512×512 (on native: the BLAS's own, through the same kernel). */
function matmulPeak(): number {
  const a = tf.randomUniform([512, 512]);
  const b = tf.randomUniform([512, 512]);
  const time = () => {
    const start = performance.now();
    for (let i = 0; i < 20; i++) tf.matMul(a, b).dispose();
    tf.matMul(a, b).dataSync();
    return (performance.now() - start) / 21 / 1000;
  };
  time();
  const t = median([time(), time(), time()]);
  tf.dispose([a, b]);
  return (2 * 512 ** 3) / t / 1e9;
}

/** Multiply-adds per training sample: forward, weight gradients, and input gradients where the schedule passes them down. */
export function macsPerSample(layers: number[], schedule: string): number {
  const products = layers.slice(0, -1).map((n, i) => n * layers[i + 1]);
  const forward = products.reduce((a, b) => a + b, 0);
  const classes = layers[layers.length - 1];
  if (schedule === 'backprop') return forward + forward + (forward - products[0]);
  // Local: each block's forward and weight gradient, plus its decoder's forward, weight and input gradients.
  const decoders = layers.slice(1, -1).reduce((a, w) => a + 3 * w * classes, 0);
  return 2 * forward + decoders;
}

interface PeerRow {
  schedule?: string;
  batch?: number;
  samplesPerS?: number;
  matmul512GflopPerS?: number;
  threads: number;
  torch?: string;
}

function peer(threads: number, schedules = 'backprop,local-parallel', batches = BATCHES.join(','), matmul = true): PeerRow[] {
  const r = spawnSync(PEER_PYTHON, [PEER, '--layers', MODEL, '--batches', batches, '--schedules', schedules, '--repeats', String(REPEATS), '--threads', String(threads), ...(matmul ? ['--matmul'] : [])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the PyTorch peer failed (install Debian's python3-torch and libopenblas0-pthread): ${r.stderr || r.error}`);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as PeerRow);
}

/** PyTorch's samples/s for one schedule and batch at the faster of 1 and every-core threads, and each thread count's. */
export function torchBest(schedule: string, batch: number): { rate: number; threads: number; all: string } {
  const counts = [...new Set([1, cpus().length])];
  const rates = counts.map((t) => ({ threads: t, rate: peer(t, schedule, String(batch), false)[0].samplesPerS! }));
  const best = rates.reduce((a, b) => (b.rate > a.rate ? b : a));
  return { ...best, all: rates.map((r) => `${r.threads}: ${r.rate.toFixed(0)}`).join(', ') };
}

/** PyTorch on 1 thread and on every core: whichever is faster for a row is the peer (small batches can lose to threading overhead). */
function bestPeer(): { rows: PeerRow[]; byThreads: Record<number, PeerRow[]> } {
  const counts = [...new Set([1, cpus().length])];
  const byThreads: Record<number, PeerRow[]> = {};
  for (const t of counts) byThreads[t] = peer(t);
  const rows = byThreads[counts[0]].map((row) => {
    const candidates = counts.map((t) => byThreads[t].find((r) => r.schedule === row.schedule && r.batch === row.batch && (r.matmul512GflopPerS === undefined) === (row.matmul512GflopPerS === undefined))!);
    const speed = (r: PeerRow) => r.samplesPerS ?? r.matmul512GflopPerS ?? 0;
    return candidates.reduce((a, b) => (speed(b) > speed(a) ? b : a));
  });
  return { rows, byThreads };
}

/** Our rate at the faster of 1 and every-core BLAS threads (native; wasm runs one thread either way). */
async function oursBest(schedule: string, batch: number, counts: number[]): Promise<{ rate: number; threads: number; all: string }> {
  let best = { rate: 0, threads: 1 };
  const seen: string[] = [];
  for (const t of counts) {
    setThreadBudget(t);
    const rate = await ours(schedule, batch);
    seen.push(`${t}: ${rate.toFixed(0)}`);
    if (rate > best.rate) best = { rate, threads: t };
  }
  setThreadBudget(undefined);
  return { ...best, all: seen.join(', ') };
}

export async function benchThroughput(file: string): Promise<string> {
  const choice = await useBackend(BACKEND);
  const counts = BACKEND === 'native' ? [...new Set([1, cpus().length])] : [1];
  // The MLP's widths, input first, as the PyTorch peer's --layers takes them.
  const spec = parseModelSpec(MODEL);
  const layers = [inputSize(spec), ...modelShapes(spec).blocks.map((b) => sizeOf(b.output))];
  const load = loadavg()[0];
  const peaks = counts.map((t) => {
    setThreadBudget(t);
    return { threads: t, gflops: matmulPeak() };
  });
  setThreadBudget(undefined);
  const rows: string[] = [];
  const { rows: torch, byThreads } = bestPeer();
  const threadNote = Object.entries(byThreads)
    .map(([t, rs]) => `${t} thread${t === '1' ? '' : 's'}: ${rs.filter((r) => r.samplesPerS).map((r) => `${r.schedule} ${r.batch} ${r.samplesPerS!.toFixed(0)}`).join(', ')}`)
    .join('; ');
  const torchPeak = torch.find((r) => r.matmul512GflopPerS)!;
  const ourNotes: string[] = [];
  for (const batch of BATCHES) {
    for (const schedule of SCHEDULES) {
      const { rate, threads, all } = await oursBest(schedule, batch, counts);
      ourNotes.push(`${schedule} ${batch}: ${all}`);
      const peak = peaks.find((p) => p.threads === threads)!.gflops;
      const peerRow = torch.find((r) => r.schedule === (schedule === 'local-gated' ? 'local-parallel' : schedule) && r.batch === batch);
      const theirs = peerRow?.samplesPerS;
      const gflops = (rate * 2 * macsPerSample(layers, schedule)) / 1e9;
      const theirGflops = theirs ? (theirs * 2 * macsPerSample(layers, schedule)) / 1e9 : NaN;
      rows.push(`| ${schedule} | ${batch} | ${rate.toFixed(0)} (${threads}) | ${gflops.toFixed(1)} (${((100 * gflops) / peak).toFixed(0)}%) | ${theirs ? `${theirs.toFixed(0)} (${peerRow!.threads})` : '—'} | ${theirs ? theirGflops.toFixed(1) : '—'} | ${theirs ? (rate / theirs).toFixed(2) : '—'} |`);
      process.stderr.write(`throughput ${schedule} batch ${batch}: ${rate.toFixed(0)} samples/s (${all})\n`);
    }
  }
  const engine = choice.blas ? `native: TF.js wasm with its matrix kernels on ${choice.blas.library}, core ${choice.blas.coreType}` : `TF.js ${choice.name}`;
  const body = `## Training throughput on ${MODEL}: localprop (${engine}) vs PyTorch
${machineLine()} Load average ${load.toFixed(1)} on ${cpus().length} cores at the start${load > cpus().length ? ' (the machine was shared: absolute rates are low and noisy)' : ''}; ratios are side by side.

One Adam step per mini-batch on random inputs, ReLU blocks, cross-entropy (hidden decoders too); only the training steps are timed (no evaluation); medians of ${REPEATS} windows after a warm-up. localprop runs one JavaScript thread with ${counts.join(' and ')} BLAS thread${counts.length > 1 ? 's' : ''}, the faster for each row in brackets (samples/s: ${ourNotes.join('; ')}). PyTorch ${torch.find((r) => r.torch)?.torch ?? ''} runs the same network and steps (\`bench/peer/mlp_throughput.py\`, OPENBLAS_NUM_THREADS and OMP_NUM_THREADS set before torch loads) on 1 thread and on every core, the faster of the two for each row (samples/s, ${threadNote}); its local-parallel serves as the peer of local-gated too. GFLOP/s counts 2 FLOPs per multiply-add of ${(macsPerSample(layers, 'backprop') / 1e6).toFixed(2)}M (back-propagation) or ${(macsPerSample(layers, 'local-parallel') / 1e6).toFixed(2)}M (local: no input gradients) per sample; the percentage is of this backend's own 512×512 matmul at the same thread count (${peaks.map((p) => `${p.gflops.toFixed(1)} GFLOP/s on ${p.threads}`).join(', ')}; PyTorch's: ${torchPeak.matmul512GflopPerS!.toFixed(1)} GFLOP/s on ${torchPeak.threads} thread${torchPeak.threads > 1 ? 's' : ''}).

| schedule | batch | localprop samples/s (BLAS threads) | localprop GFLOP/s (% of its matmul peak) | PyTorch samples/s (threads) | PyTorch GFLOP/s | ratio |
|---|---|---|---|---|---|---|
${rows.join('\n')}`;
  writeSection(file, BACKEND === 'native' ? 'throughput' : `throughput-${BACKEND}`, body);
  return body;
}
