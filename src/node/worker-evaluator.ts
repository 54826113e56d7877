import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { tf } from '../engine/backend.js';
import { userModules } from './user-modules.js';
import { computeThreadStarted, evaluationYields } from '../engine/threads.js';
import type { Dataset } from '../data/dataset.js';
import type { Network } from '../model/network.js';
import type { ParameterMap } from '../model/parameters.js';
import type { LossName, ModelSpec } from '../model/spec.js';
import type { Evaluation, TestEvaluator } from '../train/evaluation.js';

export type WorkerRequest =
  | { type: 'setup'; id: number; backend: string; imports: string[]; rule: string; ruleOptions?: Record<string, unknown>; spec: ModelSpec; parameters: ParameterMap; test: Dataset; batchSize: number; hiddenLoss: LossName; train?: Dataset }
  | { type: 'evaluate'; id: number; snapshot: Float32Array[]; yieldToTraining: boolean };

export type WorkerReply = ({ id: number } & Evaluation) | { id: number; error: string };

/**
 * Scores the test set on a second thread (Node's worker_threads) while the
 * main thread measures the training loss of the same network, after every
 * epoch: TF.js's wasm backend is single-threaded in Node, so without it one
 * core idles. One instance serves many runs; call
 * {@link WorkerEvaluator.close} when done.
 *
 * When the threads that train fill the cores (a pipeline with as many
 * groups as cores), each request tells the thread to yield to them
 * (`evaluationYields` in src/engine/threads.ts): it lowers its own priority
 * to the lowest, for the rest of its life (an unprivileged thread cannot
 * raise it again), and so scores in the time the pipeline leaves idle.
 */
export class WorkerEvaluator implements TestEvaluator {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (e: Evaluation) => void; reject: (e: Error) => void }>();

  private constructor(private readonly worker: Worker) {
    worker.on('message', (message: WorkerReply) => {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (this.pending.size === 0) worker.unref();
      if ('error' in message) waiting.reject(new Error(`evaluation thread: ${message.error}`));
      else waiting.resolve(message);
    });
    worker.on('error', (e) => this.failAll(e));
    // One more thread computes while it lives: the BLAS thread policy (engine/threads.ts) counts it.
    const ended = computeThreadStarted('evaluation');
    worker.on('exit', (code) => {
      ended();
      this.failAll(new Error(`evaluation thread exited with code ${code}`));
    });
    // An idle evaluator must not keep the process alive; a busy one must (a pending promise alone does not).
    worker.unref();
  }

  static start(): WorkerEvaluator {
    // Under tsx (tests, `npx tsx`) this module is TypeScript and so is its worker.
    if (!import.meta.url.endsWith('.ts')) return new WorkerEvaluator(new Worker(new URL('./eval-worker.js', import.meta.url)));
    // Workers do not inherit tsx's loader; register it inside the worker, then load the TypeScript entry.
    const entry = JSON.stringify(new URL('./eval-worker.ts', import.meta.url).href);
    const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${entry}); });`;
    return new WorkerEvaluator(new Worker(bootstrap, { eval: true }));
  }

  setup(network: Network, test: Dataset, batchSize: number, hiddenLoss: LossName, train?: Dataset): Promise<void> {
    return this.request({ type: 'setup', id: 0, backend: tf.getBackend(), imports: userModules(), rule: network.rule.name, ruleOptions: network.rule.options, spec: network.spec, parameters: network.toParameters(), test, batchSize, hiddenLoss, train }).then(() => undefined);
  }

  evaluate(snapshot: Float32Array[]): Promise<Evaluation> {
    return this.request({ type: 'evaluate', id: 0, snapshot, yieldToTraining: yieldsNow() }, snapshot.map((a) => a.buffer as ArrayBuffer));
  }

  async close(): Promise<void> {
    this.pending.clear();
    await this.worker.terminate();
  }

  private request(message: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<Evaluation> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  private failAll(error: Error): void {
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }
}

/** The thread policy's answer for this machine's cores, asked at every request (a pipeline may have started since the last). */
function yieldsNow(): boolean {
  return evaluationYields(availableParallelism());
}
