import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { seededStart } from '../../src/experiment/seeded.js';
import { Network } from '../../src/model/network.js';
import { parseModelSpec } from '../../src/model/spec.js';
import { WorkerPipeline } from '../../src/node/worker-pipeline.js';
import { createOptimizer } from '../../src/optim/index.js';
import { trainParallelEpoch } from '../../src/schedules/local-parallel.js';
import { trainToEnd } from '../../src/schedules/schedule.js';
import { blockWork, groupBlocks, pipelineBound, pipelinedEpoch, type PipelineRunOptions } from '../../src/train/pipeline.js';
import { Session } from '../../src/train/session.js';
import { Run, type RunOptions } from '../../src/train/run.js';
import type { EpochEvent } from '../../src/train/events.js';
import { Rng } from '../../src/util/rng.js';
import { cloneParameters } from '../../src/model/parameters.js';
import { decodeRunCheckpoint, encodeRunCheckpoint } from '../../src/io/run-checkpoint.js';
import { TEST_BACKEND } from '../support.js';
import { makeDataset } from '../../src/data/dataset.js';

const spec = parseModelSpec('2-16-12-8-1 hidden=tanh out=sigmoid');
const options: PipelineRunOptions = { rule: 'decoder', seed: 3, batchSize: 100, decoders: 'learned', hiddenLoss: 'mse', optimizer: { name: 'adam', lr: 0.01 }, dropout: 0 };
const EPOCHS = 3;

beforeAll(async () => {
  await useBackend(TEST_BACKEND);
});

/** A session like the run's own: same shuffle stream, batch steps. */
function sessionFor(seed: number) {
  const start = seededStart(seed, spec, { dataset: 'signed_xor' });
  const network = Network.fromParameters(spec, start.parameters);
  const optimizer = createOptimizer(options.optimizer);
  const session = new Session(network, optimizer, start.train, start.test, { step: 'batch', batchSize: options.batchSize, decoders: 'learned', hiddenLoss: 'mse' }, new Rng(seed).fork('shuffle'));
  return { network, optimizer, session, train: start.train };
}

/** local-parallel on this thread: the reference the pipeline must reproduce. */
function singleThread(seed: number): { weights: Float32Array[]; losses: number[][] } {
  const { network, optimizer, session } = sessionFor(seed);
  const losses: number[][] = [];
  for (let e = 0; e < EPOCHS; e++) {
    session.beginEpoch();
    trainToEnd(trainParallelEpoch(session));
    losses.push(session.epochLossValues().map((l) => l.reduce((a, v) => a + v, 0) / session.batchCount));
    session.takeEpochLosses();
  }
  const weights = network.snapshot();
  optimizer.dispose();
  session.dispose();
  network.dispose();
  return { weights, losses };
}

async function pipelined(seed: number, pipeline: WorkerPipeline): Promise<{ weights: Float32Array[]; losses: number[][] }> {
  const { network, optimizer, session, train } = sessionFor(seed);
  await pipeline.setup(network, train, { ...options, seed });
  const losses: number[][] = [];
  for (let e = 0; e < EPOCHS; e++) {
    session.beginEpoch();
    losses.push(await pipelinedEpoch(session, pipeline, options.optimizer.lr));
  }
  const weights = network.snapshot();
  optimizer.dispose();
  session.dispose();
  network.dispose();
  return { weights, losses };
}

/** Trains `run` to its epoch `epoch` event and returns its checkpoint there, encoded; the run is disposed. */
async function checkpointAt(run: Run, epoch: number): Promise<Uint8Array> {
  try {
    for await (const e of run) {
      if (e.type === 'epoch' && e.epoch === epoch) {
        await run.prepareCheckpoint();
        return encodeRunCheckpoint(run.checkpoint());
      }
    }
    throw new Error(`the run ended before epoch ${epoch}`);
  } finally {
    run.dispose();
  }
}

/** Resumes `bytes` on `pipeline` and on one thread, each from a copy of `options.parameters`, and expects both to end at `expected`. */
async function expectResumedTo(options: RunOptions & { parameters: RunOptions['parameters'] }, bytes: Uint8Array, pipeline: WorkerPipeline, expected: unknown, label: string): Promise<void> {
  for (const onPipeline of [true, false]) {
    const rest = new Run({ ...options, parameters: cloneParameters(options.parameters), resumeFrom: decodeRunCheckpoint(bytes, 'pipelined'), ...(onPipeline ? { pipeline } : {}) });
    await rest.complete();
    expect(rest.network.toParameters(), `${label}, resumed ${onPipeline ? 'on the pipeline' : 'on one thread'}`).toEqual(expected);
    rest.dispose();
  }
}

describe('the layer-parallel pipeline', () => {
  const pipelines: WorkerPipeline[] = [];
  afterAll(async () => {
    await Promise.all(pipelines.map((p) => p.close()));
  });

  it('balances consecutive blocks by their work and knows its bound', () => {
    const mlp = parseModelSpec('784-1024-1024-1024-10');
    expect(blockWork(mlp, 0)).toBe(2 * 784 * 1024 + 3 * 1024 * 10);
    expect(blockWork(mlp, 3)).toBe(2 * 1024 * 10);
    expect(groupBlocks(mlp, 2)).toEqual([[0, 1], [2, 3]]);
    expect(groupBlocks(mlp, 1)).toEqual([[0, 1, 2, 3]]);
    expect(groupBlocks(mlp, 4)).toEqual([[0], [1], [2], [3]]);
    // (1.636 + 2.128 + 2.128 + 0.020) / (1.636 + 2.128) M multiply-adds: the bound near 1.57.
    expect(pipelineBound(mlp, [[0, 1], [2, 3]])).toBeCloseTo(1.571, 3);
    expect(() => groupBlocks(mlp, 5)).toThrow(/at most 4/);
  });

  it('gives local-parallel\'s weights and losses with two groups, and the same again on a second run', async () => {
    const pipeline = WorkerPipeline.start(spec, 2);
    pipelines.push(pipeline);
    expect(pipeline.groups).toEqual([[0, 1], [2, 3]]);
    const reference = singleThread(5);
    const first = await pipelined(5, pipeline);
    const second = await pipelined(5, pipeline);
    first.weights.forEach((w, k) => expect(Array.from(w)).toEqual(Array.from(reference.weights[k])));
    expect(first.losses).toEqual(reference.losses.map((row) => row.map((v) => expect.closeTo(v, 6))));
    second.weights.forEach((w, k) => expect(Array.from(w)).toEqual(Array.from(first.weights[k])));
  });

  it('names the block that failed, stops every thread and leaks no tensor', async () => {
    const before = tf.memory().numTensors;
    const pipeline = WorkerPipeline.start(spec, 2);
    pipeline.failAt = { block: 2, batch: 3 };
    const { network, optimizer, session, train } = sessionFor(1);
    await pipeline.setup(network, train, { ...options, seed: 1 });
    session.beginEpoch();
    await expect(pipelinedEpoch(session, pipeline, 0.01)).rejects.toThrow(/training failed in block 2 \(pipeline group 1\): injected failure/);
    await expect(pipeline.trainEpoch(session.batches, 0.01)).rejects.toThrow(/block 2/);
    await pipeline.close();
    expect(pipeline.threadCount).toBe(0);
    optimizer.dispose();
    session.dispose();
    network.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('runs inside a Run with the same events as one thread, and refuses what it cannot pipeline', async () => {
    const pipeline = WorkerPipeline.start(spec, 3);
    pipelines.push(pipeline);
    const events = async (withPipeline: boolean) => {
      const start = seededStart(2, spec, { dataset: 'signed_xor' });
      const run = new Run({ schedule: 'local-parallel', spec, ...start, epochs: 3, step: 'batch', batchSize: 250, optimizer: { name: 'adam', lr: 0.01 }, lrDecayAt: [2], lrDecay: 0.5, ...(withPipeline ? { pipeline } : {}) });
      const out: EpochEvent[] = [];
      for await (const e of run) if (e.type === 'epoch') out.push({ ...e, seconds: 0 });
      const end = run.result!;
      run.dispose();
      return { out, end: { ...end, seconds: 0 } };
    };
    const [one, three] = [await events(false), await events(true)];
    expect(three.out.map((e) => e.blockLosses)).toEqual(one.out.map((e) => e.blockLosses.map((v) => (v === null ? null : expect.closeTo(v, 6)))));
    expect(three.out.map((e) => [e.trainLoss, e.testLoss, e.testAccuracy])).toEqual(one.out.map((e) => [e.trainLoss, e.testLoss, e.testAccuracy]));
    expect(three.end).toEqual(one.end);

    const start = seededStart(2, spec, { dataset: 'signed_xor' });
    const epochMode = new Run({ schedule: 'local-parallel', spec, ...start, epochs: 1, pipeline });
    await expect(epochMode.complete()).rejects.toThrow(/--workers needs --step batch/);
    epochMode.dispose();
    // Other schedules ignore the pipeline and train on this thread.
    const backprop = new Run({ schedule: 'backprop', spec, ...start, epochs: 1, step: 'batch', pipeline });
    await backprop.complete();
    backprop.dispose();
  });

  it('gives local-gated\'s and local-drift\'s single-thread runs, with gates that close and adjustments that change the steps', async () => {
    const pipeline = WorkerPipeline.start(spec, 2);
    pipelines.push(pipeline);
    const adam = { name: 'adam' as const, lr: 0.02 };
    const rprop = { name: 'rprop' as const, lr: 0.01 };
    const variants: { schedule: string; optimizer: RunOptions['optimizer']; gate?: RunOptions['gate']; drift?: RunOptions['drift']; dropout?: number }[] = [
      { schedule: 'local-gated', optimizer: adam, gate: { tau: 0.05 } },
      { schedule: 'local-gated', optimizer: adam, gate: { mode: 'soft', target: 'block', tau: 0.05 }, dropout: 0.2 },
      { schedule: 'local-gated', optimizer: rprop, gate: { target: 'step-sizes', tau: 0.05 } },
      { schedule: 'local-drift', optimizer: rprop, drift: { shrink: 'on', reset: 'on', tau: 0.02 } },
      { schedule: 'local-drift', optimizer: adam, drift: { moments: 'both', freeze: 0.5 } },
      { schedule: 'local-drift', optimizer: adam, drift: { lag: 0.3 } },
    ];
    const train = async (o: (typeof variants)[number] | { schedule: string; optimizer: RunOptions['optimizer'] }, withPipeline: boolean) => {
      const start = seededStart(6, spec, { dataset: 'signed_xor' });
      const run = new Run({ spec, ...start, ...o, epochs: 5, step: 'batch', batchSize: 200, ...(withPipeline ? { pipeline } : {}) });
      const events: EpochEvent[] = [];
      for await (const e of run) if (e.type === 'epoch') events.push({ ...e, seconds: 0 });
      const parameters = run.network.toParameters();
      run.dispose();
      return { events, parameters };
    };
    for (const variant of variants) {
      const label = JSON.stringify(variant);
      const [one, two] = [await train(variant, false), await train(variant, true)];
      expect(two.parameters, label).toEqual(one.parameters);
      expect(two.events.map((e) => e.gates), label).toEqual(one.events.map((e) => e.gates));
      expect(two.events.map((e) => [e.trainLoss, e.testLoss, e.testAccuracy]), label).toEqual(one.events.map((e) => [e.trainLoss, e.testLoss, e.testAccuracy]));
      expect(two.events.map((e) => e.blockLosses), label).toEqual(one.events.map((e) => e.blockLosses.map((v) => (v === null ? null : expect.closeTo(v, 6)))));
      // The modulator did something: some block's gate or axis weight fell below 1 (0 for a block that waits or is frozen).
      expect(Math.min(...one.events.flatMap((e) => (e.gates ?? []).map((g) => g.gate))), label).toBeLessThan(1);
      // ... and it changed the steps: the run is not local-parallel's.
      const parallel = await train({ schedule: 'local-parallel', optimizer: variant.optimizer, ...(variant.dropout ? { dropout: variant.dropout } : {}) }, false);
      expect(one.parameters, label).not.toEqual(parallel.parameters);
    }
  });

  it('checkpoints a pipelined run at an epoch event and resumes it, on a pipeline or on one thread, to the run never stopped', async () => {
    const pipeline = WorkerPipeline.start(spec, 2);
    pipelines.push(pipeline);
    const start = seededStart(4, spec, { dataset: 'signed_xor' });
    // local-gated's checkpoint also carries its gates' trackers, which stay on the run's thread.
    for (const schedule of ['local-parallel', 'local-gated']) {
      const o = { schedule, spec, ...start, epochs: 4, step: 'batch' as const, batchSize: 125, optimizer: { name: 'adam' as const, lr: 0.01 }, dropout: 0.2, gate: { tau: 0.05 } };
      const full = new Run({ ...o, parameters: cloneParameters(start.parameters) });
      await full.complete();
      const expected = full.network.toParameters();
      full.dispose();

      const bytes = await checkpointAt(new Run({ ...o, parameters: cloneParameters(start.parameters), pipeline }), 2);
      await expectResumedTo({ ...o, parameters: start.parameters }, bytes, pipeline, expected, schedule);
    }
  });

  it("carries Nøkland & Eidnes' recipe to its threads: batch norm, augmentation, loss before dropout, the output block's rate and a rule's options give one thread's run, stopped and resumed too", async () => {
    // 6×6 grey "images" of three classes, so jitter and flip have something to move.
    const images = (count: number, rng: Rng) => {
      const x = new Float32Array(count * 36);
      const y = new Float32Array(count * 3);
      for (let n = 0; n < count; n++) {
        const label = n % 3;
        y[n * 3 + label] = 1;
        for (let p = 0; p < 36; p++) x[n * 36 + p] = (p % 6 === label * 2 ? 0.8 : 0) + 0.3 * rng.uniform();
      }
      return makeDataset(x, y, 36, 3);
    };
    const rng = new Rng(11);
    const [train, test] = [images(230, rng), images(60, rng)];
    const bnSpec = parseModelSpec('36-20-16-12-3 hidden=leaky-relu,batchnorm');
    const pipeline = WorkerPipeline.start(bnSpec, 2);
    pipelines.push(pipeline);
    const recipe = { spec: bnSpec, train, test, epochs: 4, step: 'batch' as const, batchSize: 50, optimizer: { name: 'adam' as const, lr: 0.005 }, hiddenLoss: 'ce' as const, lrDecayAt: [2], lrDecay: 0.5, dropout: 0.2, dropoutPlacement: 'after-loss' as const, augment: { jitter: 1, flip: true }, standardize: { mean: 0.3, std: 0.4 }, outputOptimizer: { lr: 0.002 } };
    for (const rule of [{ rule: 'predsim', ruleOptions: { predsimBeta: 0.9 } }, { rule: 'sim' }, { rule: 'pred' }]) {
      const label = JSON.stringify(rule);
      const o = { ...recipe, ...rule, schedule: 'local-parallel', seed: 7, parameters: seededStart(7, bnSpec, { train, test }, rule.rule).parameters };
      const fresh = () => cloneParameters(o.parameters);
      const train1 = async (withPipeline: boolean) => {
        const run = new Run({ ...o, parameters: fresh(), ...(withPipeline ? { pipeline } : {}) });
        const events: EpochEvent[] = [];
        for await (const e of run) if (e.type === 'epoch') events.push({ ...e, seconds: 0 });
        const parameters = run.network.toParameters();
        run.dispose();
        return { events, parameters };
      };
      const [one, two] = [await train1(false), await train1(true)];
      // Every tensor, batch norm's running statistics and the rule's maps among them.
      expect(Object.keys(one.parameters), label).toContain('blocks.1.bn.running_var');
      expect(two.parameters, label).toEqual(one.parameters);
      expect(two.events.map((e) => [e.trainLoss, e.testLoss, e.testAccuracy]), label).toEqual(one.events.map((e) => [e.trainLoss, e.testLoss, e.testAccuracy]));
      expect(two.events.map((e) => e.blockLosses), label).toEqual(one.events.map((e) => e.blockLosses.map((v) => (v === null ? null : expect.closeTo(v, 6)))));

      // Stopped after epoch 2 on the pipeline, continued on it or on one thread: the run never stopped.
      const bytes = await checkpointAt(new Run({ ...o, parameters: fresh(), pipeline }), 2);
      await expectResumedTo(o, bytes, pipeline, one.parameters, label);
    }
    // Each of these matters: without the augmentation (or with the loss after dropout) the run is another one.
    const base = { ...recipe, rule: 'pred', schedule: 'local-parallel', seed: 7, parameters: seededStart(7, bnSpec, { train, test }, 'pred').parameters };
    const ends = async (o: RunOptions) => {
      const run = new Run({ ...o, parameters: cloneParameters(base.parameters) });
      await run.complete();
      const p = run.network.toParameters();
      run.dispose();
      return p;
    };
    const reference = await ends(base);
    for (const change of [{ augment: undefined }, { dropoutPlacement: 'shared' as const }, { outputOptimizer: undefined }]) expect(await ends({ ...base, ...change }), JSON.stringify(change)).not.toEqual(reference);
  });

  it("refuses a rule object of the caller's own, which its threads cannot rebuild", async () => {
    const pipeline = WorkerPipeline.start(spec, 2);
    pipelines.push(pipeline);
    const start = seededStart(2, spec, { dataset: 'signed_xor' });
    const own = { ...(await import('../../src/rules/decoder.js')).decoderRule, name: 'my-decoder' };
    const run = new Run({ schedule: 'local-parallel', spec, ...start, rule: own, epochs: 1, step: 'batch', pipeline });
    await expect(run.complete()).rejects.toThrow(/rule my-decoder was given as an object, which the pipeline's threads cannot rebuild; register it/);
    run.dispose();
  });
});
