/*
 * The queue's fixed names and numbers, apart from the modules that load
 * BullMQ and ioredis, so the command line's help can name them without
 * loading either.
 */

/** The environment variable a queue's Redis password is read from: a password never stands in a URL, which gets printed and kept in shell history. */
export const PASSWORD_VARIABLE = 'LOCALPROP_REDIS_PASSWORD';

/** The prefix of every key localprop and BullMQ write for a queue: `localprop:NAME:…`. */
export const KEY_PREFIX = 'localprop';

/** A run that fails for its own reasons (bad options on that worker, divergence) is tried this many times, then marked failed. */
export const DEFAULT_ATTEMPTS = 2;

/** A job whose worker was lost (no heartbeat) goes back to the queue this many times; one more loss fails it. */
export const LOST_WORKERS_ALLOWED = 5;

/** Seconds without a heartbeat after which a worker counts as lost (its jobs' locks expire and another worker requeues them). */
export const DEFAULT_LOST_AFTER = 30;
