/*
 * The entry of one local sweep worker: a child process that trains the runs
 * its parent sends, one at a time, and answers over the IPC channel. It
 * never writes to stdout (the parent's command owns it).
 */
import { registerImageDatasets } from '../node/image-datasets.js';
import { WorkerEvaluator } from '../node/worker-evaluator.js';
import { RecordStore } from './store.js';
import { trainPlannedRun } from './train-one.js';
import type { FromWorker, ToWorker } from './worker-messages.js';

registerImageDatasets();

let stopping = false;
let evaluator: WorkerEvaluator | undefined;
// After the parent is gone (a second Ctrl-C exits it at once) there is nobody to tell: the checkpoint on disk says it all.
const send = (message: FromWorker) => {
  if (process.connected) process.send?.(message);
};

// Ctrl-C reaches every process of the terminal's group: each worker checkpoints its run and stops, as the parent asks it to.
process.on('SIGINT', () => {
  stopping = true;
});
// Without its parent nobody reads the outcome: stop at the next epoch, checkpointed, and leave.
process.on('disconnect', () => {
  stopping = true;
});

async function finish(): Promise<void> {
  await evaluator?.close();
  process.disconnect?.();
}

process.on('message', (message: ToWorker) => {
  if (message.type === 'stop') stopping = true;
  else if (message.type === 'exit') void finish();
  else void train(message);
});

async function train(message: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  const { run } = message;
  if (run.options.evalThread !== 'off') evaluator ??= WorkerEvaluator.start();
  const outcome = await trainPlannedRun(run, new RecordStore(message.records), {
    ...message.settings,
    evaluator,
    shouldStop: () => stopping,
    onEpoch: (epoch, epochs) => send({ type: 'epoch', id: run.id, epoch, epochs }),
    onCheckpoint: (epoch) => send({ type: 'checkpoint', id: run.id, epoch }),
  });
  if (outcome.status === 'done') send({ type: 'outcome', id: run.id, status: 'done', seconds: outcome.record.seconds, testAccuracy: outcome.record.final.testAccuracy });
  else if (outcome.status === 'failed') send({ type: 'outcome', id: run.id, status: 'failed', message: outcome.message });
  else if (outcome.status === 'claimed') send({ type: 'outcome', id: run.id, status: 'claimed', message: outcome.owner });
  else send({ type: 'outcome', id: run.id, status: 'stopped' });
}

send({ type: 'ready' });
