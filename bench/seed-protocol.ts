import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBackend } from '../src/engine/backend.js';
import { seededStart, type SeededStart } from '../src/experiment/seeded.js';
import { encodeSafetensors } from '../src/io/safetensors.js';
import { cloneParameters } from '../src/model/parameters.js';
import { parseModelSpec, SEED_MODEL } from '../src/model/spec.js';
import { Run } from '../src/train/run.js';
import type { TestEvaluator } from '../src/train/evaluation.js';
import { WorkerEvaluator } from '../src/node/worker-evaluator.js';
import { machineLine, median, PEER_PYTHON, writeSection } from './sections.js';

/** The schedules of Mertens' protocol that the PyTorch peer implements. */
export const PROTOCOL_SCHEDULES = ['backprop', 'local-parallel', 'local-sequential'] as const;
/** The PyTorch peer of Mertens' protocol. */
export const PROTOCOL_PEER = join(import.meta.dirname, 'peer', 'seed_protocol.py');

interface Measured {
  schedule: string;
  seed: number;
  testAccuracy: number;
  seconds: number;
  testLosses: number[];
}

/** Mertens' data and initial parameters in the peer's exchange format, so both start identically. */
export function exportStart(start: SeededStart, dir: string): void {
  const t = (data: Float32Array, shape: number[]) => ({ data, shape });
  const bytes = encodeSafetensors({
    ...start.parameters,
    'data.train.x': t(start.train.x, [start.train.count, 2]),
    'data.train.y': t(start.train.y, [start.train.count, 1]),
    'data.test.x': t(start.test.x, [start.test.count, 2]),
    'data.test.y': t(start.test.y, [start.test.count, 1]),
  });
  writeFileSync(join(dir, `seed${start.seed}.safetensors`), bytes);
}

async function runOurs(start: SeededStart, testEvaluator?: TestEvaluator): Promise<Measured[]> {
  const spec = parseModelSpec(SEED_MODEL);
  const out: Measured[] = [];
  for (const schedule of PROTOCOL_SCHEDULES) {
    const run = new Run({ schedule, spec, parameters: cloneParameters(start.parameters), train: start.train, test: start.test, seed: start.seed, testEvaluator });
    const testLosses: number[] = [];
    const end = await run.complete((e) => {
      if (e.type === 'epoch') testLosses.push(e.testLoss);
    });
    run.dispose();
    out.push({ schedule, seed: start.seed, testAccuracy: end.testAccuracy, seconds: end.seconds, testLosses });
  }
  return out;
}

function runPeer(seed: number, dir: string): Measured[] {
  const trace = join(dir, `trace${seed}.json`);
  const p = spawnSync(PEER_PYTHON, [PROTOCOL_PEER, '--seeds', String(seed), '--init-dir', dir, '--trace', trace, '--json'], { encoding: 'utf8' });
  if (p.status !== 0) {
    throw new Error(`the PyTorch peer failed (${p.error?.message ?? p.stderr.trim().split('\n').pop()}); it needs Debian's python3-torch and libopenblas0-pthread (apt-get install python3-torch libopenblas0-pthread)`);
  }
  const results = JSON.parse(p.stdout).results as { schedule: string; seed: number; testAccuracy: number; seconds: number }[];
  const runs = JSON.parse(readFileSync(trace, 'utf8')).runs as { schedule: string; epochs: { testLoss: number }[] }[];
  return results.map((r) => ({ ...r, testLosses: runs.find((t) => t.schedule === r.schedule)!.epochs.map((e) => e.testLoss) }));
}

/**
 * Mertens' protocol (three schedules, learned decoders) in localprop and in
 * the PyTorch peer, from the same data and initial parameters, seed by seed
 * and side by side; writes the timing table and how closely the two agree.
 */
export async function benchSeedProtocol(file: string, seeds = [0, 1, 2]): Promise<string> {
  await useBackend('wasm');
  const spec = parseModelSpec(SEED_MODEL);
  const dir = mkdtempSync(join(tmpdir(), 'localprop-bench-'));
  const ours: Measured[] = [];
  const oneThread: Measured[] = [];
  const peer: Measured[] = [];
  let torchVersion = '';
  const evaluator = WorkerEvaluator.start();
  try {
    for (const seed of seeds) {
      const start = seededStart(seed, spec, { dataset: 'signed_xor' });
      exportStart(start, dir);
      ours.push(...(await runOurs(start, evaluator)));
      oneThread.push(...(await runOurs(start)));
      peer.push(...runPeer(seed, dir));
      process.stderr.write(`seed ${seed} done\n`);
    }
    torchVersion = spawnSync(PEER_PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).stdout.trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await evaluator.close();
  }
  const rows = PROTOCOL_SCHEDULES.map((schedule) => {
    const o = ours.filter((m) => m.schedule === schedule);
    const p = peer.filter((m) => m.schedule === schedule);
    const gaps = o.map((m, k) => Math.max(...m.testLosses.map((l, e) => Math.abs(l - p[k].testLosses[e]))));
    const early = o.map((m, k) => Math.max(...m.testLosses.slice(0, 10).map((l, e) => Math.abs(l - p[k].testLosses[e]))));
    return {
      schedule,
      ours: median(o.map((m) => m.seconds)),
      oneThread: median(oneThread.filter((m) => m.schedule === schedule).map((m) => m.seconds)),
      peer: median(p.map((m) => m.seconds)),
      accOurs: o.map((m) => m.testAccuracy.toFixed(3)).join(', '),
      accPeer: p.map((m) => m.testAccuracy.toFixed(3)).join(', '),
      early: Math.max(...early),
      gap: Math.max(...gaps),
    };
  });
  const totalOurs = rows.reduce((a, r) => a + r.ours, 0);
  const totalPeer = rows.reduce((a, r) => a + r.peer, 0);
  const totalOne = rows.reduce((a, r) => a + r.oneThread, 0);
  const body = [
    "## Mertens' protocol: localprop (TF.js wasm) vs PyTorch",
    '',
    machineLine(),
    `PyTorch ${torchVersion} (Debian python3-torch, OpenBLAS, 2 threads), bench/peer/seed_protocol.py. Seeds ${seeds.join(', ')}; learned decoders; both implementations start from the same data and initial parameters (exported to safetensors) and run one seed after the other in one \`npm run bench\`. Seconds: the schedule's training loop with its per-epoch test evaluation, median over seeds. localprop runs as the CLI does, the test set scored on a second thread (\`--eval-thread on\`), and on one thread (\`--eval-thread off\`).`,
    '',
    '| schedule | localprop s | localprop, one thread s | PyTorch s | speed-up (one thread) | test accuracy localprop | test accuracy PyTorch | max \\|Δ test loss\\| epochs 1-10 | over the run |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.schedule} | ${r.ours.toFixed(2)} | ${r.oneThread.toFixed(2)} | ${r.peer.toFixed(2)} | ${(r.peer / r.ours).toFixed(2)}× (${(r.peer / r.oneThread).toFixed(2)}×) | ${r.accOurs} | ${r.accPeer} | ${r.early.toExponential(1)} | ${r.gap.toExponential(1)} |`),
    `| **whole protocol** | **${totalOurs.toFixed(2)}** | ${totalOne.toFixed(2)} | **${totalPeer.toFixed(2)}** | **${(totalPeer / totalOurs).toFixed(2)}×** (${(totalPeer / totalOne).toFixed(2)}×) | | | | |`,
    '',
    'The two agree to float32 rounding at first; Rprop follows gradient signs, so rounding can flip a step later and the curves drift apart while reaching the same accuracy.',
  ].join('\n');
  writeSection(file, 'seed-protocol', body);
  return body;
}
