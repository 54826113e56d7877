import { cpus, loadavg } from 'node:os';
import { useBackend } from '../src/engine/backend.js';
import { buildDataset } from '../src/data/registry.js';
import { Network } from '../src/model/network.js';
import { initialParameters } from '../src/model/parameters.js';
import { parseModelSpec } from '../src/model/spec.js';
import { registerImageDatasets } from '../src/node/image-datasets.js';
import { WorkerPipeline } from '../src/node/worker-pipeline.js';
import { createOptimizer } from '../src/optim/index.js';
import { getSchedule } from '../src/schedules/registry.js';
import { trainToEnd } from '../src/schedules/schedule.js';
import { pipelineBound } from '../src/train/pipeline.js';
import { Session } from '../src/train/session.js';
import { Rng } from '../src/util/rng.js';
import { machineLine, median, writeSection } from './sections.js';
import { torchBest } from './throughput.js';

/** The backend measured: native (the BLAS) unless BENCH_BACKEND names another. */
const BACKEND = process.env.BENCH_BACKEND ?? 'native';

const MODEL = '784-1024-1024-1024-10';
const BATCH = 128;
// A pipeline fills and drains once an epoch, which costs about one batch of the slowest group: 96 batches keep that near 1%.
const BATCHES_PER_EPOCH = 96;
const EPOCHS = 3;

/** Seconds of each epoch's training (no evaluation), after a warm-up epoch, on the first examples of MNIST. */
async function epochSeconds(schedule: string, workers: number): Promise<number[]> {
  const spec = parseModelSpec(MODEL);
  const { train, test } = buildDataset('mnist', new Rng(0), { limit: BATCH * BATCHES_PER_EPOCH });
  const network = Network.fromParameters(spec, initialParameters(spec, new Rng(0).fork('init')));
  const optimizer = createOptimizer({ name: 'adam', lr: 1e-3 });
  const options = { step: 'batch' as const, batchSize: BATCH, decoders: 'learned' as const, hiddenLoss: 'ce' as const };
  const session = new Session(network, optimizer, train, test, { ...options, measureTrainLoss: false }, new Rng(0).fork('shuffle'));
  const pipeline = workers > 1 ? WorkerPipeline.start(spec, workers) : null;
  const seconds: number[] = [];
  try {
    await pipeline?.setup(network, train, { rule: 'decoder', seed: 0, ...options, optimizer: { name: 'adam', lr: 1e-3 }, dropout: 0 });
    const plans = getSchedule(schedule).plan(session, EPOCHS + 1);
    for (const plan of plans) {
      session.beginEpoch();
      const start = performance.now();
      if (pipeline) {
        await pipeline.trainEpoch(session.batches, 1e-3);
      } else {
        trainToEnd(plan.train());
        // Reading the losses waits for the backend to finish the epoch's work.
        session.takeEpochLosses();
      }
      seconds.push((performance.now() - start) / 1000);
    }
  } finally {
    await pipeline?.close();
    optimizer.dispose();
    session.dispose();
    network.dispose();
  }
  return seconds.slice(1);
}

/**
 * Layer-parallel training: local-parallel on one thread and pipelined over
 * two worker threads, back-propagation for reference, side by side.
 */
export async function benchPipeline(file: string): Promise<string> {
  registerImageDatasets();
  const choice = await useBackend(BACKEND);
  const load = loadavg()[0];
  const spec = parseModelSpec(MODEL);
  const samples = BATCH * BATCHES_PER_EPOCH;
  const rows: { label: string; rate: number }[] = [];
  const measure = async (label: string, schedule: string, workers: number) => {
    const rate = samples / median(await epochSeconds(schedule, workers));
    rows.push({ label, rate });
    process.stderr.write(`pipeline bench ${label}: ${rate.toFixed(0)} samples/s\n`);
    return rate;
  };
  await measure('back-propagation, 1 thread', 'backprop', 1);
  const one = await measure('local-parallel, --workers 1', 'local-parallel', 1);
  const two = await measure('local-parallel, --workers 2', 'local-parallel', 2);
  const groups = WorkerPipeline.start(spec, 2);
  const grouping = groups.groups;
  await groups.close();
  const bound = pipelineBound(spec, grouping);
  const speedUp = two / one;
  const torchParallel = torchBest('local-parallel', BATCH);
  const torchBackprop = torchBest('backprop', BATCH);
  const engine = choice.blas ? `native (${choice.blas.library}, core ${choice.blas.coreType})` : choice.name;
  const body = `## Layer-parallel training: local-parallel on 1 and 2 workers (${MODEL}, batch ${BATCH}, ${engine})
${machineLine()} ${cpus().length} cores, ${load > cpus().length ? 'shared with other work' : 'otherwise idle'} (load average ${load.toFixed(1)} at the start).

Training steps only (one Adam step per batch, cross-entropy decoders), ${BATCHES_PER_EPOCH} batches of the first MNIST images an epoch, median of ${EPOCHS} epochs after a warm-up. With 2 workers the blocks are grouped ${grouping.map((g) => `[${g.join(', ')}]`).join(' | ')} (balanced by multiply-adds), so the speed-up is bounded by ${bound.toFixed(2)}×.

| configuration | samples/s |
|---|---|
${rows.map((r) => `| ${r.label} | ${r.rate.toFixed(0)} |`).join('\n')}
| PyTorch back-propagation, ${torchBackprop.threads} thread${torchBackprop.threads > 1 ? 's' : ''} (its faster; ${torchBackprop.all}) | ${torchBackprop.rate.toFixed(0)} |
| PyTorch local-parallel, ${torchParallel.threads} thread${torchParallel.threads > 1 ? 's' : ''} (its faster; ${torchParallel.all}) | ${torchParallel.rate.toFixed(0)} |

Against PyTorch at its faster setting (random inputs there, the same work): local-parallel on 2 workers **${(two / torchParallel.rate).toFixed(2)}×** (goal ≥ 1.0), back-propagation on one thread **${(rows[0].rate / torchBackprop.rate).toFixed(2)}×** (goal ≥ 0.8). With workers every BLAS call runs on its caller's thread (src/engine/threads.ts); one thread alone lets the BLAS use every core.

Speed-up of 2 workers over 1: **${speedUp.toFixed(2)}×**, ${((100 * speedUp) / bound).toFixed(0)}% of the ${bound.toFixed(2)}× bound (goal ≥ 90%, ≥ 1.4×: ${speedUp >= 1.4 && speedUp >= 0.9 * bound ? 'met' : 'not met'}). The pipeline keeps local-parallel's dependencies exactly, so its weights equal the single thread's bit for bit (test/node/worker-pipeline.test.ts), and accuracy is unchanged by construction.`;
  writeSection(file, BACKEND === 'native' ? 'pipeline' : `pipeline-${BACKEND}`, body);
  return body;
}
