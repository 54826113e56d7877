import { MessageChannel, Worker } from 'node:worker_threads';
import { tf } from '../engine/backend.js';
import { userModules } from './user-modules.js';
import { computeThreadStarted } from '../engine/threads.js';
import type { EpochBatches } from '../data/batches.js';
import type { Dataset } from '../data/dataset.js';
import type { Network } from '../model/network.js';
import type { ModelSpec } from '../model/spec.js';
import { groupBlocks, type EpochPipeline, type PipelineRunOptions, type PipelineState } from '../train/pipeline.js';
import type { VariableState } from '../optim/optimizer.js';
import type { RngState } from '../util/rng.js';
import { LocalpropError } from '../util/errors.js';
import type { PipelineReply, PipelineRequest } from './pipeline-worker.js';
import type { BlockEpochAdjustments } from '../modulators/epoch-adjustments.js';

/** Batches a group may run ahead of the next one: bounds the activations in flight. */
const WINDOW = 4;

/**
 * An {@link EpochPipeline} on Node's worker_threads: one thread, with its own
 * TF.js, per group of blocks; consecutive groups talk over their own
 * message channel, activations read once off the backend and then
 * transferred, not cloned.
 * Close it when done ({@link WorkerPipeline.close}); a failed epoch closes it.
 */
export class WorkerPipeline implements EpochPipeline {
  private readonly workers: Worker[];
  private replies: ((m: PipelineReply, g: number) => void) | null = null;
  private rejectPending: ((e: Error) => void) | null = null;
  private failure: Error | null = null;
  private closed = false;
  private epochs = 0;
  private variableCount = 0;
  private blockCount = 0;
  /** Test hook: make a block throw at a batch, to check how failures surface. */
  failAt?: { block: number; batch: number };

  constructor(readonly groups: number[][]) {
    this.workers = groups.map(() => startWorker());
    this.workers.forEach((w, g) => {
      w.on('message', (m: PipelineReply) => this.replies?.(m, g));
      w.on('error', (e) => this.fail(new LocalpropError(`pipeline group ${g} (blocks ${groups[g].join(', ')}) crashed: ${e.message}`)));
      // Each group is one more thread computing: the BLAS thread policy (engine/threads.ts) counts it.
      const ended = computeThreadStarted('training');
      w.on('exit', (code) => {
        ended();
        if (!this.closed) this.fail(new LocalpropError(`pipeline group ${g} (blocks ${groups[g].join(', ')}) exited with code ${code}`));
      });
    });
    // Channel g carries group g's activations to group g+1 (and its credits back).
    const channels = groups.slice(1).map(() => new MessageChannel());
    this.workers.forEach((w, g) => {
      const upstream = channels[g - 1]?.port2 ?? null;
      const downstream = channels[g]?.port1 ?? null;
      w.postMessage({ type: 'ports', upstream, downstream } satisfies PipelineRequest, [upstream, downstream].filter((p) => p !== null));
    });
  }

  /** A pipeline of `workers` groups, balanced by {@link groupBlocks}. */
  static start(spec: ModelSpec, workers: number): WorkerPipeline {
    return new WorkerPipeline(groupBlocks(spec, workers));
  }

  async setup(network: Network, train: Dataset, options: PipelineRunOptions, resume?: PipelineState): Promise<void> {
    this.check();
    const parameters = network.toParameters();
    this.variableCount = network.variables.length;
    this.blockCount = network.blocks.length;
    await this.all((g) => ({ type: 'setup', resume, backend: tf.getBackend(), imports: userModules(), spec: network.spec, parameters, train, options, blocks: this.groups[g], window: WINDOW, failAt: this.failAt }), 'ready');
  }

  async exportState(): Promise<PipelineState> {
    this.check();
    const replies = await this.all(() => ({ type: 'state' }), 'state');
    const optimizer: (VariableState | null)[] = Array.from({ length: this.variableCount }, () => null);
    const dropout: RngState[] = [];
    let augment: RngState | undefined;
    for (const reply of replies) {
      if (reply.type !== 'state') continue;
      for (const v of reply.optimizer) optimizer[v.index] = v.state;
      for (const d of reply.dropout) dropout[d.block] = d.state;
      augment ??= reply.augment;
    }
    return { optimizer, dropout: dropout.length === this.blockCount ? dropout : null, ...(augment ? { augment } : {}) };
  }

  async trainEpoch(batches: EpochBatches, learningRate: number, adjustments?: BlockEpochAdjustments[]): Promise<{ blockLosses: number[]; snapshot: Float32Array[] }> {
    this.check();
    const epoch = ++this.epochs;
    // Each group gets its own blocks' adjustments only (the others' are null).
    const ofGroup = (g: number) => adjustments?.map((a, block) => (this.groups[g].includes(block) ? a : null));
    const done = await this.all((g) => ({ type: 'epoch', epoch, learningRate, batches, ...(adjustments ? { adjustments: ofGroup(g) } : {}) }), 'done');
    const blockLosses: number[] = [];
    const snapshot: Float32Array[] = [];
    done.forEach((reply, g) => {
      if (reply.type !== 'done') return;
      this.groups[g].forEach((_, k) => blockLosses.push(reply.blockLosses[k]));
      for (const p of reply.parameters) snapshot[p.index] = p.data;
    });
    return { blockLosses, snapshot };
  }

  /** Ends every thread; safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    this.replies = null;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** Threads still running: 0 once the pipeline is closed (tests check nothing is left behind). */
  get threadCount(): number {
    return this.workers.filter((w) => w.threadId !== -1).length;
  }

  private check(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new LocalpropError('this pipeline is closed; start a new one');
  }

  /** Sends each group its request and waits for every group's reply of `kind`; the first error fails them all. */
  private all(request: (g: number) => PipelineRequest, kind: PipelineReply['type']): Promise<PipelineReply[]> {
    return new Promise((resolve, reject) => {
      const got: PipelineReply[] = [];
      let count = 0;
      this.rejectPending = reject;
      this.replies = (m, g) => {
        if (m.type === 'error') {
          const where = m.block === null ? `group ${g} (blocks ${this.groups[g].join(', ')})` : `block ${m.block} (pipeline group ${g})`;
          this.fail(new LocalpropError(`training failed in ${where}: ${m.message}`));
          return;
        }
        if (m.type !== kind) return;
        got[g] = m;
        if (++count === this.groups.length) {
          this.replies = null;
          this.rejectPending = null;
          resolve(got);
        }
      };
      this.workers.forEach((w, g) => w.postMessage(request(g)));
    });
  }
  /** A failed group leaves the others waiting on it: stop them all, keep the first error for the caller. */
  private fail(error: Error): void {
    if (this.failure || this.closed) return;
    this.failure = error;
    this.rejectPending?.(error);
    this.rejectPending = null;
    void this.close();
  }
}

function startWorker(): Worker {
  // Under tsx (tests, `npx tsx`) this module is TypeScript and so is its worker; see WorkerEvaluator.
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./pipeline-worker.js', import.meta.url));
  const entry = JSON.stringify(new URL('./pipeline-worker.ts', import.meta.url).href);
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${entry}); });`, { eval: true });
}
