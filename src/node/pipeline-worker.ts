/**
 * One group of a {@link WorkerPipeline}: a thread with its own TF.js that
 * trains its blocks on each batch with local-parallel's own steps
 * ({@link stepBlockRun}), taking the block inputs from the group before it
 * and passing its output to the next; a gated schedule's steps are adjusted
 * as the run's thread fixed them for the epoch.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import { tf, useBackend } from '../engine/backend.js';
import type { Dataset } from '../data/dataset.js';
import { Network } from '../model/network.js';
import type { ParameterMap } from '../model/parameters.js';
import type { ModelSpec } from '../model/spec.js';
import type { Optimizer } from '../optim/index.js';
import { runOptimizer } from '../train/run.js';
import { check } from '../util/errors.js';
import type { PipelineRunOptions, PipelineState } from '../train/pipeline.js';
import type { VariableState } from '../optim/optimizer.js';
import type { RngState } from '../util/rng.js';
import { Session } from '../train/session.js';
import { makeDataset } from '../data/dataset.js';
import type { EpochBatches } from '../data/batches.js';
import { Rng } from '../util/rng.js';
import { configuredRule } from '../rules/registry.js';
import { importUserModuleUrls } from './user-modules.js';
import { stepBlockRun } from '../schedules/local-parallel.js';
import { FixedEpochAdjustments, type BlockEpochAdjustments } from '../modulators/epoch-adjustments.js';

export type PipelineRequest =
  | { type: 'ports'; upstream: MessagePort | null; downstream: MessagePort | null }
  | { type: 'state' }
  | { type: 'setup'; resume?: PipelineState; backend: string; imports: string[]; spec: ModelSpec; parameters: ParameterMap; train: Dataset; options: PipelineRunOptions; blocks: number[]; window: number; failAt?: { block: number; batch: number } }
  | { type: 'epoch'; epoch: number; learningRate: number; batches: EpochBatches; adjustments?: (BlockEpochAdjustments | null)[] };

export type PipelineReply =
  | { type: 'ready' }
  | { type: 'state'; optimizer: { index: number; state: VariableState | null }[]; dropout: { block: number; state: RngState }[]; augment?: RngState }
  | { type: 'done'; epoch: number; blockLosses: number[]; parameters: { index: number; data: Float32Array }[] }
  | { type: 'error'; block: number | null; message: string };

/** Activations of one batch, tagged so a group never learns from the wrong one. */
interface Activation {
  epoch: number;
  batch: number;
  rows: number;
  data: Float32Array;
}

let upstream: MessagePort | null = null;
let downstream: MessagePort | null = null;
let state: { network: Network; session: Session; optimizer: Optimizer; blocks: number[]; window: number; failAt?: { block: number; batch: number } } | null = null;

/** Arrivals from upstream and credits from downstream, with a waiter each. */
const inbox: Activation[] = [];
let credits = 0;
let wake: (() => void) | null = null;
const notify = () => {
  const w = wake;
  wake = null;
  w?.();
};
const until = async (ready: () => boolean) => {
  while (!ready()) await new Promise<void>((resolve) => (wake = resolve));
};

function reply(message: PipelineReply, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(message, transfer);
}

function setup(request: Extract<PipelineRequest, { type: 'setup' }>): void {
  if (state) {
    state.optimizer.dispose();
    state.session.dispose();
    state.network.dispose();
  }
  inbox.length = 0;
  credits = request.window;
  const o = request.options;
  const network = Network.fromParameters(request.spec, request.parameters, 'pipeline group', configuredRule(o.rule, o.ruleOptions));
  // The run's own optimizer (with the output block's rate apart when it has one): a variable's steps do not depend on which others it is stepped with.
  const optimizer = runOptimizer(o, network);
  // Only the first group reads the training images, so only it draws their augmentation.
  const augment = request.blocks[0] === 0 ? o.augment : undefined;
  // A one-example "test set": this thread never evaluates, the run's own thread does.
  const test = makeDataset(request.train.x.slice(0, request.train.inputSize), request.train.y.slice(0, request.train.outputSize), request.train.inputSize, request.train.outputSize);
  // Batches come from the run's own session every epoch, so the shuffle stream here is never drawn.
  // The run's dropout stream, forked per block as the run's own session does: each group draws its blocks' masks.
  const seedRng = new Rng(o.seed);
  const session = new Session(network, optimizer, request.train, test, { step: 'batch', batchSize: o.batchSize, decoders: o.decoders, hiddenLoss: o.hiddenLoss, dropout: o.dropout, dropoutPlacement: o.dropoutPlacement, augment, measureTrainLoss: false }, seedRng.fork('unused'), seedRng.fork('dropout'), undefined, seedRng.fork('augment'));
  state = { network, session, optimizer, blocks: request.blocks, window: request.window, failAt: request.failAt };
  if (request.resume) restore(request.resume);
}

/** This group's variables, by their position in the whole network's variables. */
function groupVariables(): { index: number; variable: tf.Variable }[] {
  const { network, blocks } = state!;
  return blocks.flatMap((i) => network.variableIndicesOf(i)).map((index) => ({ index, variable: network.variables[index] }));
}

/** Takes up a resumed run's optimizer state, mask streams and (first group) augmentation stream for this group's blocks. */
function restore(resume: PipelineState): void {
  const vars = groupVariables();
  state!.optimizer.loadState(vars.map((v) => v.variable), vars.map((v) => resume.optimizer[v.index] ?? null));
  if (resume.dropout) for (const i of state!.blocks) state!.session.setDropoutState(i, resume.dropout[i]);
  if (state!.session.options.augment) {
    check(resume.augment != null, 'the checkpoint holds no augmentation stream but this run augments its images; resume with the options it was started with');
    state!.session.setAugmentState(resume.augment);
  }
}

/** This group's optimizer state and mask streams (and the first group's augmentation stream), for a checkpoint. */
function exportState(): Extract<PipelineReply, { type: 'state' }> {
  const vars = groupVariables();
  const saved = state!.optimizer.saveState(vars.map((v) => v.variable));
  const session = state!.session.saveState();
  const dropout = session.dropout;
  return {
    type: 'state',
    optimizer: vars.map((v, k) => ({ index: v.index, state: saved[k] })),
    dropout: dropout ? state!.blocks.map((block) => ({ block, state: dropout[block] })) : [],
    ...(session.augment ? { augment: session.augment } : {}),
  };
}

async function epoch(request: Extract<PipelineRequest, { type: 'epoch' }>): Promise<void> {
  const { session, optimizer, network, blocks } = state!;
  const [first, last] = [blocks[0], blocks[blocks.length - 1]];
  optimizer.learningRate = request.learningRate;
  session.beginEpoch(request.batches);
  // Only this group's blocks ask; the others' entries are null.
  session.modulator = request.adjustments ? new FixedEpochAdjustments(request.adjustments.map((a) => a ?? { first: undefined, later: undefined })) : null;
  let batch = 0;
  let current: number | null = null;
  const beforeStep = (block: number) => {
    current = block;
    if (state!.failAt && state!.failAt.block === block && state!.failAt.batch === batch) throw new Error('injected failure (test)');
  };
  try {
    for (const chunk of session.chunks()) {
      let input: tf.Tensor2D = chunk.x;
      if (upstream) {
        await until(() => inbox.length > 0);
        const a = inbox.shift()!;
        if (a.epoch !== request.epoch || a.batch !== batch) throw new Error(`expected epoch ${request.epoch} batch ${batch} from the group before, got epoch ${a.epoch} batch ${a.batch}`);
        input = tf.tensor2d(a.data, [a.rows, a.data.length / a.rows]);
        upstream.postMessage('credit');
      }
      // local-parallel's own steps of this group's blocks; the first group also has the unmasked batch.
      const output = stepBlockRun(session, chunk, input, first, last + 1, upstream ? null : chunk.x, beforeStep);
      current = null;
      if (downstream) {
        await until(() => credits > 0);
        credits--;
        const data = output!.dataSync() as Float32Array;
        const copy = data.slice();
        downstream.postMessage({ epoch: request.epoch, batch, rows: output!.shape[0], data: copy } satisfies Activation, [copy.buffer]);
        output!.dispose();
      }
      batch++;
    }
    const losses = session.takeEpochLosses();
    const blockLosses = blocks.map((i) => losses[i]!);
    // Batch norm's running statistics change in training too: they go back with the parameters.
    const parameters = blocks.flatMap((i) => [...network.variableIndicesOf(i), ...network.bufferIndicesOf(i)]).map((index) => ({ index, data: (network.variables[index].dataSync() as Float32Array).slice() }));
    reply({ type: 'done', epoch: request.epoch, blockLosses, parameters }, parameters.map((p) => p.data.buffer as ArrayBuffer));
  } catch (e) {
    reply({ type: 'error', block: current, message: (e as Error).message });
  } finally {
    session.modulator = null;
  }
}

parentPort!.on('message', async (request: PipelineRequest) => {
  try {
    if (request.type === 'ports') {
      upstream = request.upstream;
      downstream = request.downstream;
      upstream?.on('message', (a: Activation) => {
        inbox.push(a);
        notify();
      });
      downstream?.on('message', () => {
        credits++;
        notify();
      });
    } else if (request.type === 'state') {
      reply(exportState());
    } else if (request.type === 'setup') {
      await useBackend(request.backend);
      await importUserModuleUrls(request.imports);
      setup(request);
      reply({ type: 'ready' });
    } else {
      await epoch(request);
    }
  } catch (e) {
    reply({ type: 'error', block: null, message: (e as Error).message });
  }
});
