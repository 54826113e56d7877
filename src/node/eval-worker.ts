/**
 * The thread behind {@link WorkerEvaluator}: holds a copy of the run's
 * network and test set and scores parameter snapshots on request.
 */
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { useBackend } from '../engine/backend.js';
import { Network } from '../model/network.js';
import { configuredRule } from '../rules/registry.js';
import { importUserModuleUrls } from './user-modules.js';
import { ScoredSet } from '../train/evaluation.js';
import type { WorkerRequest, WorkerReply } from './worker-evaluator.js';

let network: Network | null = null;
let testSet: ScoredSet | null = null;

/** Whether this thread has lowered its priority to yield to the training threads. */
let yielded = false;

/**
 * Lowers this thread's priority to the lowest (nice 19), once. On Linux the
 * nice value belongs to the thread, so `setPriority(0, …)` from here leaves
 * the process's other threads as they are; elsewhere it would change the
 * whole process, so the thread stays as it is there.
 */
function yieldToTraining(): void {
  if (yielded || process.platform !== 'linux') return;
  yielded = true;
  try {
    setPriority(0, 19);
  } catch {
    // A sandbox may refuse; the scores are the same either way, only the sharing of the cores differs.
  }
}

function reply(message: WorkerReply): void {
  parentPort!.postMessage(message);
}

parentPort!.on('message', async (request: WorkerRequest) => {
  try {
    if (request.type === 'setup') {
      await useBackend(request.backend);
      await importUserModuleUrls(request.imports);
      network?.dispose();
      testSet?.dispose();
      network = Network.fromParameters(request.spec, request.parameters, 'evaluation thread', configuredRule(request.rule, request.ruleOptions));
      testSet = new ScoredSet(request.test, request.batchSize, request.hiddenLoss, network.rule.fitsProbes ? request.train : undefined);
      reply({ id: request.id, loss: 0, accuracy: 0, blockAccuracy: [] });
    } else {
      if (request.yieldToTraining) yieldToTraining();
      network!.load(request.snapshot);
      reply({ id: request.id, ...testSet!.evaluate(network!) });
    }
  } catch (e) {
    reply({ id: request.id, error: (e as Error).message });
  }
});
