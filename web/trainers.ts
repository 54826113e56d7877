import type { ColumnRecord, Frame } from '../src/playground/lockstep.js';
import type { PlaygroundState } from '../src/playground/state.js';
import type { ExperimentInfo, FromWorker, StepTiming, ToWorker } from './protocol.js';

/** What the pool tells the page. */
export interface TrainerEvents {
  backend(name: string, note: string): void;
  ready(info: ExperimentInfo): void;
  /** Every worker's frame of one step, merged; `done` when every column has finished; `timing` of the slowest worker. */
  frame(frame: Frame, done: boolean, timing: StepTiming): void;
  error(message: string): void;
}

/** Threads the page may use: one per column, at most one per core, and no more than four. */
export function workerCount(columns: number): number {
  const cores = typeof navigator !== 'undefined' && navigator.hardwareConcurrency ? navigator.hardwareConcurrency : 1;
  return Math.max(1, Math.min(columns, cores, 4));
}

/**
 * A pool of training workers, each training a share of the columns from
 * the same seed (so the same data and initial weights). A step asks every
 * worker to advance and waits for all of them, so the columns stay in
 * lock-step however the work is spread.
 */
export class Trainers {
  private workers: Worker[] = [];
  private backend = '';
  private generation = 0;
  private shares: string[][] = [];
  private waiting: Map<number, Extract<FromWorker, { type: 'frame' }>> | null = null;
  private readyInfos = new Map<number, ExperimentInfo>();
  private recordRequests: { records: Map<number, ColumnRecord[]>; resolve: (r: ColumnRecord[]) => void } | null = null;
  private order: string[] = [];

  constructor(private readonly events: TrainerEvents) {}

  /** True while a step is out: the page must not ask for another. */
  get busy(): boolean {
    return this.waiting !== null;
  }

  /** Builds the state's experiment on fresh or reused workers; the first frame follows `ready`. */
  start(state: PlaygroundState): void {
    const count = workerCount(state.schedules.length);
    if (this.backend !== state.backend || this.workers.length !== count) this.spawn(state.backend, count);
    this.generation++;
    this.order = [...state.schedules];
    this.shares = this.workers.map((_, w) => state.schedules.filter((_, k) => k % count === w));
    this.readyInfos.clear();
    this.waiting = new Map();
    this.recordRequests = null;
    this.workers.forEach((worker, w) => this.post(worker, { type: 'start', generation: this.generation, state, schedules: this.shares[w] }));
  }

  /** Asks every worker for `epochs` more epochs; the merged frame comes through `frame`. */
  advance(epochs: number): void {
    if (this.busy || this.workers.length === 0) return;
    this.waiting = new Map();
    for (const worker of this.workers) this.post(worker, { type: 'advance', generation: this.generation, epochs });
  }

  /** Every column's record, in the state's order of schedules. */
  records(): Promise<ColumnRecord[]> {
    return new Promise((resolve) => {
      this.recordRequests = { records: new Map(), resolve };
      for (const worker of this.workers) this.post(worker, { type: 'records', generation: this.generation });
    });
  }

  /** Sorts columns into the state's order of schedules, whichever worker trained them. */
  private readonly byOrder = (a: { schedule: string }, b: { schedule: string }): number => this.order.indexOf(a.schedule) - this.order.indexOf(b.schedule);

  private spawn(backend: string, count: number): void {
    for (const worker of this.workers) worker.terminate();
    this.backend = backend;
    this.workers = Array.from({ length: count }, (_, w) => {
      const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
      worker.onmessage = (event: MessageEvent<FromWorker>) => this.receive(w, event.data);
      worker.onerror = (event) => this.events.error(`a training worker failed: ${event.message}`);
      return worker;
    });
  }

  private post(worker: Worker, message: ToWorker): void {
    worker.postMessage(message);
  }

  private receive(w: number, message: FromWorker): void {
    if (message.type === 'backend') {
      if (w === 0) this.events.backend(message.backend, message.note);
      return;
    }
    if (message.generation !== this.generation) return;
    switch (message.type) {
      case 'ready':
        this.readyInfos.set(w, message.info);
        if (this.readyInfos.size === this.workers.length) {
          const infos = [...this.readyInfos.values()];
          const columns = infos.flatMap((i) => i.columns).sort(this.byOrder);
          this.events.ready({ ...infos[0], columns });
        }
        return;
      case 'frame': {
        if (!this.waiting) return;
        this.waiting.set(w, message);
        if (this.waiting.size < this.workers.length) return;
        const parts = [...this.waiting.values()];
        this.waiting = null;
        const columns = parts.flatMap((p) => p.frame.columns).sort(this.byOrder);
        const slowest = parts.reduce((a, p) => (p.timing.trainMs + p.timing.picturesMs > a.trainMs + a.picturesMs ? p.timing : a), parts[0].timing);
        this.events.frame({ tick: parts[0].frame.tick, columns }, parts.every((p) => p.done), slowest);
        return;
      }
      case 'records': {
        const request = this.recordRequests;
        if (!request) return;
        request.records.set(w, message.records);
        if (request.records.size < this.workers.length) return;
        this.recordRequests = null;
        request.resolve([...request.records.values()].flat().sort(this.byOrder));
        return;
      }
      case 'error':
        this.waiting = null;
        this.events.error(message.message);
        return;
    }
  }
}
