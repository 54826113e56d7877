import { Redis, type RedisOptions } from 'ioredis';
import { LocalpropError, check } from '../../util/errors.js';
import { PASSWORD_VARIABLE } from './settings.js';


/** Where a sweep queue lives: `redis://[USER@]HOST[:PORT]/NAME`, or `rediss://` for TLS. */
export interface QueueAddress {
  host: string;
  port: number;
  tls: boolean;
  username?: string;
  /** The queue's name: every key of the queue starts with `localprop:NAME:`. */
  name: string;
  /** The address as printed: the URL without any secret. */
  shown: string;
}

/** Reads `--queue URL`, refusing a password in it (it belongs in {@link PASSWORD_VARIABLE}). */
export function parseQueueAddress(url: string): QueueAddress {
  const example = 'like redis://127.0.0.1:6379/my-sweep (or rediss:// for TLS)';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new LocalpropError(`--queue "${url}" is not a URL; give redis://HOST:PORT/NAME, ${example}`);
  }
  check(parsed.protocol === 'redis:' || parsed.protocol === 'rediss:', `--queue must start with redis:// or rediss:// (TLS), got "${parsed.protocol}//…"; ${example}`);
  check(parsed.password === '', `--queue must not hold a password (URLs are printed and kept in shell history): remove it from the URL and set ${PASSWORD_VARIABLE} instead`);
  check(parsed.hostname !== '', `--queue names no host; ${example}`);
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const name = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  check(/^[A-Za-z0-9_.-]+$/.test(name), `--queue needs the queue's name after the host (letters, digits, "_", "-", "."), got "${name}"; ${example}`);
  check(parsed.search === '' && parsed.hash === '', `--queue takes no query or fragment; ${example}`);
  const tls = parsed.protocol === 'rediss:';
  const username = parsed.username === '' ? undefined : decodeURIComponent(parsed.username);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port, tls, ...(username ? { username } : {}), name, shown: `${parsed.protocol}//${username ? `${parsed.username}@` : ''}${parsed.host}/${name}` };
}

/** The client options of an address, the password taken from the environment. `blocking` connections (BullMQ's) wait through a lost Redis instead of failing their commands. */
export function redisOptions(address: QueueAddress, env: NodeJS.ProcessEnv = process.env): RedisOptions {
  const password = env[PASSWORD_VARIABLE];
  return {
    host: address.host,
    port: address.port,
    ...(address.username ? { username: address.username } : {}),
    ...(password ? { password } : {}),
    ...(address.tls ? { tls: { servername: address.host } } : {}),
    // Commands wait for the connection to come back (a restarted Redis) instead of failing after a few tries.
    maxRetriesPerRequest: null,
    // Reconnect at once and then at most every 2 s, forever: a worker outlives a Redis restart.
    retryStrategy: (times: number) => Math.min(100 * times, 2000),
    lazyConnect: true,
  };
}

/** The one line a refused connection gets: what went wrong at which address, and what to do. Never the password. */
export function connectionMessage(address: QueueAddress, error: Error): string {
  const text = error.message ?? String(error);
  const where = `the Redis at ${address.shown}`;
  if (/WRONGPASS|invalid username-password/i.test(text)) return `${where} refused the password in ${PASSWORD_VARIABLE} (WRONGPASS); set it to the server's password (requirepass), or the user's when the URL names one`;
  if (/NOAUTH/i.test(text)) return `${where} needs a password (NOAUTH); set ${PASSWORD_VARIABLE} to it`;
  if (/without any password configured/i.test(text)) return `${where} has no password, but ${PASSWORD_VARIABLE} gives one; unset ${PASSWORD_VARIABLE}`;
  if (/ECONNREFUSED/.test(text)) return `no Redis answers at ${address.host}:${address.port} (connection refused); start redis-server there or fix --queue`;
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) return `the host ${address.host} of --queue is not known (${text.replace(/^.*(ENOTFOUND|EAI_AGAIN).*$/, '$1')}); fix --queue`;
  if (/ETIMEDOUT|timed? ?out/i.test(text)) return `${where} did not answer in time; check the address, the port and any firewall${address.tls ? ', and that the server speaks TLS (rediss://)' : ''}`;
  if (/certificate/i.test(text)) return `${where}: TLS failed (${text}); give the certificate of its authority in NODE_EXTRA_CA_CERTS=/path/ca.pem`;
  if (/SSL|TLS|EPROTO|wrong version number|disconnected before secure/i.test(text)) return `${where}: TLS failed (${text}); use rediss:// only for a server that speaks TLS, and redis:// otherwise`;
  if (/Connection is closed|ECONNRESET/i.test(text)) return `${where} closed the connection; if it speaks TLS, use rediss://`;
  return `${where}: ${text}`;
}

/** How long the first connection may take, TLS handshake included. */
const CONNECT_SECONDS = 5;

/**
 * A connected client for the queue's Redis. The first connection is tried
 * once, so a wrong address or password is one clear line at once, not
 * endless retries; after that the client reconnects by itself.
 */
export async function connectRedis(address: QueueAddress, env: NodeJS.ProcessEnv = process.env): Promise<Redis> {
  const options = redisOptions(address, env);
  const client = new Redis({ ...options, retryStrategy: () => null, connectTimeout: CONNECT_SECONDS * 1000 });
  let failure: Error | undefined;
  client.on('error', (e: Error) => (failure ??= e));
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    client.disconnect();
    throw new LocalpropError(connectionMessage(address, failure ?? (e as Error)));
  }
  // Connected once: from now on, reconnect through a restarted Redis.
  client.options.retryStrategy = options.retryStrategy;
  client.removeAllListeners('error');
  client.on('error', () => undefined);
  return client;
}
