/**
 * The thread behind {@link WorkerEvaluator}: holds a copy of the run's
 * network and test set and scores parameter snapshots on request.
 */
import { parentPort } from 'node:worker_threads';
import { useBackend } from '../engine/backend.js';
import { Network } from '../model/network.js';
import { ScoredSet } from '../schedules/evaluation.js';
import type { WorkerRequest, WorkerReply } from './worker-evaluator.js';

let network: Network | null = null;
let testSet: ScoredSet | null = null;

function reply(message: WorkerReply): void {
  parentPort!.postMessage(message);
}

parentPort!.on('message', async (request: WorkerRequest) => {
  try {
    if (request.type === 'setup') {
      await useBackend(request.backend);
      network?.dispose();
      testSet?.dispose();
      network = Network.fromParameters(request.spec, request.parameters, 'evaluation thread');
      testSet = new ScoredSet(request.test, request.batchSize, request.hiddenLoss);
      reply({ id: request.id, loss: 0, accuracy: 0, blockAccuracy: [] });
    } else {
      network!.load(request.snapshot);
      reply({ id: request.id, ...testSet!.evaluate(network!) });
    }
  } catch (e) {
    reply({ id: request.id, error: (e as Error).message });
  }
});
