import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, getPriority } from 'node:os';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { seededStart } from '../../src/experiment/seeded.js';
import { computeThreadStarted } from '../../src/engine/threads.js';
import { cloneParameters } from '../../src/model/parameters.js';
import { parseModelSpec, SEED_MODEL } from '../../src/model/spec.js';
import { WorkerEvaluator } from '../../src/node/worker-evaluator.js';
import type { EpochEvent, RunEndEvent } from '../../src/train/events.js';
import { Run } from '../../src/train/run.js';
import { TEST_BACKEND } from '../support.js';

const spec = parseModelSpec(SEED_MODEL);

async function run(schedule: string, evaluator?: WorkerEvaluator, batch = false): Promise<{ events: EpochEvent[]; end: RunEndEvent }> {
  const start = seededStart(3, spec, { dataset: 'signed_xor' });
  const steps = batch ? { step: 'batch' as const, batchSize: 128, optimizer: { name: 'adam' as const, lr: 0.01 } } : {};
  const r = new Run({ schedule, spec, ...start, parameters: cloneParameters(start.parameters), epochs: 6, testEvaluator: evaluator, ...steps });
  const events: EpochEvent[] = [];
  const end = await r.complete((e) => {
    if (e.type === 'epoch') events.push(e);
  });
  r.dispose();
  return { events, end };
}

async function epochs(schedule: string, evaluator?: WorkerEvaluator, batch = false): Promise<EpochEvent[]> {
  return (await run(schedule, evaluator, batch)).events;
}

describe('evaluation on a second thread', () => {
  let evaluator: WorkerEvaluator;
  beforeAll(async () => {
    await useBackend(TEST_BACKEND);
    evaluator = WorkerEvaluator.start();
  });
  afterAll(async () => {
    await evaluator.close();
  });

  it.each(['backprop', 'local-parallel', 'local-sequential'])('gives %s exactly the test loss and accuracy computed inline', async (schedule) => {
    const inline = await epochs(schedule);
    const threaded = await epochs(schedule, evaluator);
    expect(threaded.map((e) => [e.testLoss, e.testAccuracy, e.trainLoss])).toEqual(inline.map((e) => [e.testLoss, e.testAccuracy, e.trainLoss]));
    // Training changes the network every epoch, so a stale snapshot would show as repeated values.
    expect(new Set(threaded.map((e) => e.testLoss)).size).toBe(threaded.length);
  });

  it.each(['backprop', 'local-parallel'])('scores the network after every epoch of %s on the thread, exactly as inline, with mini-batches', async (schedule) => {
    const inline = await run(schedule, undefined, true);
    const calls = vi.spyOn(evaluator, 'evaluate');
    const threaded = await run(schedule, evaluator, true);
    // One test score for each event: the untrained network, then after each epoch (the last is the trained network's).
    expect(threaded.events.map((e) => e.epoch)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(calls).toHaveBeenCalledTimes(threaded.events.length);
    calls.mockRestore();
    const scores = (e: RunEndEvent) => [e.testLoss, e.testAccuracy, e.trainLoss, e.trainAccuracy];
    expect(scores(threaded.end)).toEqual(scores(inline.end));
    expect(threaded.events.map((e) => [e.trainLoss, e.testLoss, e.testAccuracy])).toEqual(inline.events.map((e) => [e.trainLoss, e.testLoss, e.testAccuracy]));
    // The last event describes the trained network, as the end event does.
    const last = threaded.events.at(-1)!;
    expect([last.testLoss, last.testAccuracy, last.trainLoss]).toEqual([threaded.end.testLoss, threaded.end.testAccuracy, threaded.end.trainLoss]);
  });

  it('leaves no tensors behind on the main thread', async () => {
    const before = tf.memory().numTensors;
    await epochs('local-parallel', evaluator);
    expect(tf.memory().numTensors).toBe(before);
  });

  // Last: once lowered, the thread's priority stays low (src/engine/threads.ts's policy), as it does for the rest of a command.
  it('keeps its priority while one thread trains on a machine of several cores, lowers it (Linux) once training threads fill the cores, and scores the same', async () => {
    const scores = async () => (await epochs('local-parallel', evaluator, true)).flatMap((e) => [e.trainLoss, e.testLoss, e.testAccuracy]);
    const alone = await scores();
    // One training thread leaves cores free, unless the machine has one core.
    expect(nicedThreads()).toEqual(availableParallelism() > 1 ? [] : [19]);
    // As many training threads as cores, as a pipeline of that many groups registers them.
    const ends = Array.from({ length: availableParallelism() }, () => computeThreadStarted('training'));
    try {
      expect(await scores()).toEqual(alone);
      expect(nicedThreads()).toEqual(process.platform === 'linux' ? [19] : []);
      // This thread, which trains, keeps its priority.
      expect(getPriority(0)).toBe(BASE_NICE);
    } finally {
      ends.forEach((end) => end());
    }
  });
});

/** The niceness the suite was started with (0, or what `nice -n N npm test` gave every thread). */
const BASE_NICE = getPriority(0);

/** Nice values of this process's threads other than the suite's own (Linux: /proc/self/task/<tid>/stat, field 19): the evaluation thread's, once it yields. */
function nicedThreads(): number[] {
  return readdirSync('/proc/self/task')
    .map((tid) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    })
    .filter((nice) => nice !== BASE_NICE);
}
