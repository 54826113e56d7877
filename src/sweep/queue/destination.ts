import type { Redis } from 'ioredis';
import { check } from '../../util/errors.js';
import { currentRecord, RECORD_FORMAT, RecordStore, type FailureRecord, type StoredRecord, type SweepRecord } from '../store.js';
import { KEY_PREFIX } from './settings.js';

/**
 * Where a queued sweep's records, checkpoints and failures go: a folder
 * every worker reaches (a shared file system), or the queue's Redis. The
 * same operations as a {@link RecordStore}, asynchronous because Redis is
 * across the network.
 */
export interface SweepDestination {
  /** Where, as printed: the folder, or "Redis (QUEUE)". */
  readonly shown: string;
  record(id: string): Promise<SweepRecord | undefined>;
  /** Every record it holds, by id. */
  records(): Promise<SweepRecord[]>;
  /** Writes the record unless one is there already; true when this one was kept. */
  writeRecordOnce(record: SweepRecord): Promise<boolean>;
  checkpoint(id: string): Promise<Uint8Array | undefined>;
  writeCheckpoint(id: string, bytes: Uint8Array): Promise<void>;
  removeCheckpoint(id: string): Promise<void>;
  failure(id: string): Promise<FailureRecord | undefined>;
  failures(): Promise<FailureRecord[]>;
  writeFailure(failure: FailureRecord): Promise<void>;
  clearFailure(id: string): Promise<void>;
}

/** The records folder of a spec, shared by every worker: the local sweep's {@link RecordStore}. */
export class FolderDestination implements SweepDestination {
  readonly store: RecordStore;
  constructor(folder: string) {
    this.store = new RecordStore(folder);
  }
  get shown(): string {
    return this.store.folder;
  }
  async record(id: string) {
    return this.store.record(id);
  }
  async records() {
    return this.store.records();
  }
  async writeRecordOnce(record: SweepRecord) {
    return this.store.writeRecordOnce(record);
  }
  async checkpoint(id: string) {
    return this.store.checkpointBytes(id);
  }
  async writeCheckpoint(id: string, bytes: Uint8Array) {
    this.store.writeCheckpointBytes(id, bytes);
  }
  async removeCheckpoint(id: string) {
    this.store.removeCheckpoint(id);
  }
  async failure(id: string) {
    return this.store.failure(id);
  }
  async failures() {
    return this.store.failureIds().map((id) => this.store.failure(id)!);
  }
  async writeFailure(failure: FailureRecord) {
    this.store.writeFailure(failure);
  }
  async clearFailure(id: string) {
    this.store.clearFailure(id);
  }
}

/**
 * The largest checkpoint kept in Redis: 64 MiB (Redis allows 512 MiB a
 * value, but every byte of it sits in the server's memory). A bigger run
 * (about 8 million parameters with Adam) fails with a message to use a
 * shared folder instead.
 */
export const MAX_REDIS_CHECKPOINT_BYTES = 64 * 1024 * 1024;

/** The keys of a queue's own state beside BullMQ's: `localprop:NAME:sweep:KIND:ID`. */
export function sweepKey(queue: string, kind: 'record' | 'checkpoint' | 'failed' | 'progress', id: string): string {
  return `${KEY_PREFIX}:${queue}:sweep:${kind}:${id}`;
}

/** Records as JSON values, checkpoints as binary values, in the queue's Redis. */
export class RedisDestination implements SweepDestination {
  constructor(
    private readonly redis: Redis,
    private readonly queue: string,
  ) {}
  get shown(): string {
    return `Redis (queue ${this.queue})`;
  }
  private async json<T>(key: string): Promise<T | undefined> {
    const text = await this.redis.get(key);
    return text === null ? undefined : (JSON.parse(text) as T);
  }
  private async all<T>(kind: 'record' | 'failed'): Promise<T[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', sweepKey(this.queue, kind, '*'), 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    keys.sort();
    const values = keys.length > 0 ? await this.redis.mget(keys) : [];
    return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as T);
  }
  async record(id: string) {
    const r = await this.json<StoredRecord>(sweepKey(this.queue, 'record', id));
    check(r === undefined || (r.format === RECORD_FORMAT && r.id === id), () => `the Redis key ${sweepKey(this.queue, 'record', id)} is not the sweep record of run ${id}; delete it to train that run again`);
    return r && currentRecord(r);
  }
  async records() {
    return (await this.all<StoredRecord>('record')).map(currentRecord);
  }
  async writeRecordOnce(record: SweepRecord) {
    // SET NX: of two workers finishing one run, the first record stays.
    return (await this.redis.set(sweepKey(this.queue, 'record', record.id), JSON.stringify(record), 'NX')) === 'OK';
  }
  async checkpoint(id: string) {
    const bytes = await this.redis.getBuffer(sweepKey(this.queue, 'checkpoint', id));
    return bytes === null ? undefined : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  async writeCheckpoint(id: string, bytes: Uint8Array) {
    check(
      bytes.byteLength <= MAX_REDIS_CHECKPOINT_BYTES,
      () => `run ${id}'s checkpoint is ${(bytes.byteLength / 2 ** 20).toFixed(1)} MiB, more than the ${MAX_REDIS_CHECKPOINT_BYTES / 2 ** 20} MiB a checkpoint may take in Redis; give the spec a "records" folder that every worker reaches instead of "redis:"`,
    );
    await this.redis.set(sweepKey(this.queue, 'checkpoint', id), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  async removeCheckpoint(id: string) {
    await this.redis.del(sweepKey(this.queue, 'checkpoint', id));
  }
  async failure(id: string) {
    return this.json<FailureRecord>(sweepKey(this.queue, 'failed', id));
  }
  async failures() {
    return this.all<FailureRecord>('failed');
  }
  async writeFailure(failure: FailureRecord) {
    await this.redis.set(sweepKey(this.queue, 'failed', failure.id), JSON.stringify(failure));
  }
  async clearFailure(id: string) {
    await this.redis.del(sweepKey(this.queue, 'failed', id));
  }
}
