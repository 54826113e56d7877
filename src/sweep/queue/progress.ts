import type { Redis } from 'ioredis';
import { sweepKey } from './destination.js';

/** Where a queued run stands while a worker trains it (or after its worker stopped it at a checkpoint): what `sweep status --queue` shows. */
export interface QueueProgress {
  id: string;
  /** The worker training it, as `HOST pid PID`. */
  worker: string;
  epoch: number;
  epochs: number;
  /** The epoch of its latest checkpoint in its store: where it resumes if its worker is lost now. */
  checkpointEpoch: number | null;
  /** The epochs it resumed from so far, carried from worker to worker into its record. */
  resumedAt: number[];
  updatedAt: string;
  /** Wall seconds an epoch lately, as the worker saw its training process report them (see EpochPace). */
  secondsPerEpoch?: number;
}

/** The progress values of a queue's runs, in its Redis. */
export class ProgressBoard {
  constructor(
    private readonly redis: Redis,
    private readonly queue: string,
  ) {}
  async get(id: string): Promise<QueueProgress | undefined> {
    const text = await this.redis.get(sweepKey(this.queue, 'progress', id));
    return text === null ? undefined : (JSON.parse(text) as QueueProgress);
  }
  async set(progress: QueueProgress): Promise<void> {
    await this.redis.set(sweepKey(this.queue, 'progress', progress.id), JSON.stringify(progress));
  }
  async clear(id: string): Promise<void> {
    await this.redis.del(sweepKey(this.queue, 'progress', id));
  }
}
