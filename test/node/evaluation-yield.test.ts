import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, getPriority } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/engine/backend.js';
import { computeThreadStarted } from '../../src/engine/threads.js';
import { seededStart } from '../../src/experiment/seeded.js';
import { cloneParameters } from '../../src/model/parameters.js';
import { parseModelSpec, SEED_MODEL } from '../../src/model/spec.js';
import { WorkerEvaluator } from '../../src/node/worker-evaluator.js';
import { Run } from '../../src/train/run.js';
import { TEST_BACKEND } from '../support.js';

const spec = parseModelSpec(SEED_MODEL);

/** Nice values of this process's threads other than 0 (Linux: /proc/self/task/<tid>/stat, field 19). */
function nicedThreads(): number[] {
  return readdirSync('/proc/self/task')
    .map((tid) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    })
    .filter((nice) => nice !== 0);
}

async function scores(evaluator: WorkerEvaluator): Promise<number[]> {
  const start = seededStart(5, spec, { dataset: 'signed_xor' });
  const run = new Run({ schedule: 'local-parallel', spec, ...start, parameters: cloneParameters(start.parameters), epochs: 4, testEvaluator: evaluator, step: 'batch', batchSize: 128, optimizer: { name: 'adam', lr: 0.01 } });
  const out: number[] = [];
  await run.complete((e) => {
    if (e.type === 'epoch') out.push(e.trainLoss, e.testLoss, e.testAccuracy);
  });
  run.dispose();
  return out;
}

/**
 * The thread policy's yielding evaluation thread (src/engine/threads.ts):
 * while the threads that train fill the cores, the evaluation thread runs
 * at the lowest priority, and only it; its scores are the same.
 */
describe('the evaluation thread yields to training threads that fill the cores', () => {
  let evaluator: WorkerEvaluator;
  beforeAll(async () => {
    await useBackend(TEST_BACKEND);
    evaluator = WorkerEvaluator.start();
  });
  afterAll(async () => {
    await evaluator.close();
  });

  it('keeps its priority while one thread trains on a machine of several cores, lowers it (Linux) once training threads fill the cores, and scores the same', async () => {
    const alone = await scores(evaluator);
    // One training thread leaves cores free, unless the machine has one core.
    expect(nicedThreads()).toEqual(availableParallelism() > 1 ? [] : [19]);
    // As many training threads as cores, as a pipeline of that many groups registers them.
    const ends = Array.from({ length: availableParallelism() }, () => computeThreadStarted('training'));
    try {
      const yielding = await scores(evaluator);
      expect(yielding).toEqual(alone);
      expect(nicedThreads()).toEqual(process.platform === 'linux' ? [19] : []);
      // This thread, which trains, keeps its priority.
      expect(getPriority(0)).toBe(0);
    } finally {
      ends.forEach((end) => end());
    }
  });
});
