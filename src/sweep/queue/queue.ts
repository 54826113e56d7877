import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { recordsFolder } from '../plan.js';
import { recordsInRedis, type SweepSpec } from '../spec.js';
import { connectRedis, parseQueueAddress, type QueueAddress } from './address.js';
import { KEY_PREFIX } from './settings.js';
import { FolderDestination, RedisDestination, type SweepDestination } from './destination.js';
import type { SweepJobData } from './job.js';

/** A connection to a sweep queue: its address, a client and the BullMQ queue over it. */
export interface QueueConnection {
  address: QueueAddress;
  redis: Redis;
  queue: Queue<SweepJobData>;
  close(): Promise<void>;
}

/** Connects to `--queue URL` (one clear line when that fails: no server, a wrong password). */
export async function openQueue(url: string): Promise<QueueConnection> {
  const address = parseQueueAddress(url);
  const redis = await connectRedis(address);
  const queue = new Queue<SweepJobData>(address.name, { connection: redis, prefix: KEY_PREFIX });
  // The client reconnects by itself; its errors while Redis is away are not the command's.
  queue.on('error', () => undefined);
  return {
    address,
    redis,
    queue,
    close: async () => {
      await queue.close();
      redis.disconnect();
    },
  };
}

/** Where the spec's runs keep their records: its folder (beside the spec, as `sweep run` has it), or the queue's Redis. */
export function destinationOf(spec: SweepSpec, specPath: string, connection: Pick<QueueConnection, 'redis' | 'address'>): SweepDestination {
  return recordsInRedis(spec) ? new RedisDestination(connection.redis, connection.address.name) : new FolderDestination(recordsFolder(spec, specPath));
}
