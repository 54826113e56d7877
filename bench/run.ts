import { join } from 'node:path';
import { benchBlas } from './blas.js';
import { benchDenseOp } from './dense-op.js';
import { benchEndToEnd } from './end-to-end.js';
import { benchPipeline } from './pipeline.js';
import { benchPlayground } from './playground.js';
import { benchReport } from './report.js';
import { benchSeedProtocol } from './seed-protocol.js';
import { benchSweep } from './sweep.js';
import { benchSweepQueue } from './sweep-queue.js';
import { benchNpmStart, benchSmallTensors } from './small-tensors.js';
import { benchSoak } from './soak.js';
import { benchThroughput } from './throughput.js';

/** `npm run bench [-- name ...]`: runs the named benchmarks (all by default) and updates their sections of BENCHMARKS.md. */
const BENCHES: Record<string, (file: string) => Promise<string>> = {
  'seed-protocol': (file) => benchSeedProtocol(file),
  dense: (file) => benchDenseOp(file),
  blas: (file) => benchBlas(file),
  report: (file) => benchReport(file),
  throughput: (file) => benchThroughput(file),
  pipeline: (file) => benchPipeline(file),
  'end-to-end': (file) => benchEndToEnd(file),
  playground: (file) => benchPlayground(file),
  sweep: (file) => benchSweep(file),
  'sweep-queue': (file) => benchSweepQueue(file),
  'small-tensors': (file) => benchSmallTensors(file),
  'npm-start': (file) => benchNpmStart(file),
  soak: (file) => benchSoak(file),
};

const file = join(import.meta.dirname, '..', 'BENCHMARKS.md');
const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(BENCHES);
for (const name of names) {
  const bench = BENCHES[name];
  if (!bench) {
    process.stderr.write(`unknown benchmark "${name}"; choose from ${Object.keys(BENCHES).join(', ')}\n`);
    process.exit(2);
  }
  process.stdout.write(`${await bench(file)}\n\n`);
}
