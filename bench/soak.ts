import { tf, useBackend } from '../src/engine/backend.js';
import { experimentFrom } from '../src/cli/setup.js';
import { experimentRuns } from '../src/experiment/experiment.js';
import { registerImageDatasets } from '../src/node/image-datasets.js';
import { WorkerEvaluator } from '../src/node/worker-evaluator.js';
import { machineLine, writeSection } from './sections.js';

/** Epochs of every soaked run, and the examples it trains on (the first of MNIST's training set). */
const EPOCHS = Number(process.env.SOAK_EPOCHS ?? 50);
const EXAMPLES = 10_000;
const MODEL = '784-256-256-256-10';
/** The schedules soaked: one back-propagation path and one local path (the pipeline-free trainer). */
const SCHEDULES = (process.env.SOAK_SCHEDULES ?? 'backprop,local-parallel').split(',');
/** Epochs before the curves are judged: the first epochs allocate the optimizer state, the wasm heap grows to its working size. */
const WARMUP = 5;

interface Sample {
  epoch: number;
  tensors: number;
  tensorMiB: number;
  rssMiB: number;
  heapMiB: number;
  testAccuracy: number;
}

const mib = (bytes: number) => bytes / 2 ** 20;

function sample(epoch: number, testAccuracy: number): Sample {
  const m = tf.memory();
  const p = process.memoryUsage();
  return { epoch, tensors: m.numTensors, tensorMiB: mib(m.numBytes), rssMiB: mib(p.rss), heapMiB: mib(p.heapUsed), testAccuracy };
}

/** Least-squares slope of y against x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * The soak: each schedule trains MODEL for EPOCHS epochs of mini-batches
 * (batch 128, Adam) on the first EXAMPLES MNIST images, as `localprop
 * train` would (evaluation thread on), sampling after every epoch the
 * main thread's TF.js tensors and the process's resident memory. A leak of
 * one tensor a step shows as a count that climbs by the ~80 steps of an
 * epoch; a leak of buffers as resident memory that climbs after warm-up.
 */
export async function benchSoak(file: string): Promise<string> {
  registerImageDatasets();
  await useBackend('wasm');
  const evaluator = WorkerEvaluator.start();
  const rows: string[] = [];
  const verdicts: string[] = [];
  const started = performance.now();
  try {
    for (const schedule of SCHEDULES) {
      const o = { dataset: 'mnist', model: MODEL, limit: EXAMPLES, step: 'batch', batchSize: 128, optimizer: 'adam', epochs: EPOCHS };
      const config = experimentFrom(o, [schedule], [0], evaluator);
      const samples: Sample[] = [];
      const before = sample(0, NaN);
      let seconds = 0;
      for (const run of experimentRuns(config)) {
        for await (const event of run) {
          if (event.type !== 'epoch') continue;
          samples.push(sample(event.epoch, event.testAccuracy));
          seconds = event.seconds;
          if (event.epoch % 10 === 0) process.stderr.write(`soak ${schedule}: epoch ${event.epoch}/${EPOCHS}, ${samples.at(-1)!.tensors} tensors, ${samples.at(-1)!.rssMiB.toFixed(0)} MiB resident\n`);
        }
      }
      const after = sample(EPOCHS, NaN);
      const judged = samples.filter((s) => s.epoch > WARMUP);
      const tensorCounts = new Set(judged.map((s) => s.tensors));
      const rss = judged.map((s) => s.rssMiB);
      const rssSlope = slope(judged.map((s) => s.epoch), rss);
      // The second half alone: whether the growth, if any, goes on or has stopped.
      const late = judged.filter((s) => s.epoch > EPOCHS / 2);
      const lateSlope = slope(late.map((s) => s.epoch), late.map((s) => s.rssMiB));
      const rssRange = Math.max(...rss) - Math.min(...rss);
      const flatTensors = tensorCounts.size === 1;
      // Flat: under 0.5 MiB an epoch, which over the 45 judged epochs is less than a tenth of one copy of the model's 1.4 MiB of weights a step.
      const flatRss = rssSlope < 0.5;
      const pick = samples.filter((s) => [1, 2, WARMUP, 10, 20, 30, 40, EPOCHS].includes(s.epoch));
      rows.push(
        ...pick.map((s) => `| ${schedule} | ${s.epoch} | ${s.tensors} | ${s.tensorMiB.toFixed(1)} | ${s.rssMiB.toFixed(0)} | ${s.heapMiB.toFixed(0)} | ${s.testAccuracy.toFixed(4)} |`),
      );
      verdicts.push(
        `- **${schedule}** (${seconds.toFixed(0)} s of training): tensors after epochs ${WARMUP + 1}-${EPOCHS}: ${[...tensorCounts].join(', ')} (${flatTensors ? 'flat' : 'NOT flat'}); before the run ${before.tensors}, after it is freed ${after.tensors}. ` +
          `Resident memory over the same epochs: ${Math.min(...rss).toFixed(0)}-${Math.max(...rss).toFixed(0)} MiB (range ${rssRange.toFixed(1)} MiB), slope ${rssSlope.toFixed(3)} MiB an epoch (${flatRss ? 'flat' : 'NOT flat'}: the bar is 0.5), ${lateSlope.toFixed(3)} over epochs ${Math.floor(EPOCHS / 2) + 1}-${EPOCHS}.\n` +
          `  Resident MiB after epochs 1, 5, 10, …: ${samples.filter((s) => s.epoch === 1 || s.epoch % 5 === 0).map((s) => s.rssMiB.toFixed(0)).join(', ')}; tensors: ${samples.filter((s) => s.epoch === 1 || s.epoch % 5 === 0).map((s) => s.tensors).join(', ')}.`,
      );
    }
  } finally {
    await evaluator.close();
  }
  const body = `## Soak: ${EPOCHS} epochs of ${MODEL} on the first ${EXAMPLES} MNIST images
${machineLine()}

Each schedule trains ${EPOCHS} epochs of mini-batches (batch 128, Adam lr 1e-3, seed 0, evaluation thread on, wasm) on MNIST's first ${EXAMPLES} training images, scored on the first ${EXAMPLES} test images, in one process (\`npm run bench soak\`, ${((performance.now() - started) / 60_000).toFixed(0)} min). After every epoch: the main thread's TF.js tensors (\`tf.memory()\`) and the process's resident memory (\`process.memoryUsage().rss\`, the wasm heaps of both threads included). The first ${WARMUP} epochs are warm-up (optimizer state, the wasm heap growing to its working size, which it never gives back).

${verdicts.join('\n')}

| schedule | epoch | tensors | tensor MiB | resident MiB | JS heap MiB | test accuracy |
|---|---|---|---|---|---|---|
${rows.join('\n')}`;
  writeSection(file, 'soak', body);
  return body;
}
