import { describe, expect, it } from 'vitest';
import { connectionMessage, parseQueueAddress, redisOptions } from '../../src/sweep/queue/address.js';
import { PASSWORD_VARIABLE } from '../../src/sweep/queue/settings.js';
import { LocalpropError } from '../../src/util/errors.js';

const refusal = (url: string) => {
  try {
    parseQueueAddress(url);
  } catch (e) {
    expect(e).toBeInstanceOf(LocalpropError);
    return (e as Error).message;
  }
  throw new Error(`${url} was accepted`);
};

describe('--queue addresses', () => {
  it('reads host, port, queue name, user and TLS from the URL', () => {
    expect(parseQueueAddress('redis://127.0.0.1:6380/my-sweep')).toEqual({ host: '127.0.0.1', port: 6380, tls: false, name: 'my-sweep', shown: 'redis://127.0.0.1:6380/my-sweep' });
    expect(parseQueueAddress('rediss://alice@redis.example.org/lr_grid.2')).toEqual({ host: 'redis.example.org', port: 6379, tls: true, username: 'alice', name: 'lr_grid.2', shown: 'rediss://alice@redis.example.org/lr_grid.2' });
    expect(parseQueueAddress('redis://[::1]:7000/q').host).toBe('::1');
  });

  it('refuses a password in the URL, other schemes and a missing queue name, each with what to do', () => {
    expect(refusal('redis://:hunter2@127.0.0.1:6379/q')).toBe(`--queue must not hold a password (URLs are printed and kept in shell history): remove it from the URL and set ${PASSWORD_VARIABLE} instead`);
    expect(refusal('redis://:hunter2@127.0.0.1:6379/q')).not.toContain('hunter2');
    expect(refusal('http://127.0.0.1:6379/q')).toBe('--queue must start with redis:// or rediss:// (TLS), got "http://…"; like redis://127.0.0.1:6379/my-sweep (or rediss:// for TLS)');
    expect(refusal('redis://127.0.0.1:6379')).toContain(`--queue needs the queue's name after the host`);
    expect(refusal('redis://127.0.0.1:6379/a/b')).toContain('got "a/b"');
    expect(refusal('localhost:6379/q')).toContain('--queue must start with redis://');
    expect(refusal('127.0.0.1:6379/q')).toContain('is not a URL; give redis://HOST:PORT/NAME');
    expect(refusal('not a url')).toBe('--queue "not a url" is not a URL; give redis://HOST:PORT/NAME, like redis://127.0.0.1:6379/my-sweep (or rediss:// for TLS)');
  });

  it('takes the password from the environment only, and TLS with the host checked for rediss://', () => {
    const plain = redisOptions(parseQueueAddress('redis://h:1/q'), {});
    expect(plain.password).toBeUndefined();
    expect(plain.tls).toBeUndefined();
    const secure = redisOptions(parseQueueAddress('rediss://u@h:1/q'), { [PASSWORD_VARIABLE]: 's3cret' });
    expect(secure).toMatchObject({ host: 'h', port: 1, username: 'u', password: 's3cret', tls: { servername: 'h' } });
  });

  it("turns the server's refusals into one line that names the fix and never the password", () => {
    const address = parseQueueAddress('redis://10.0.0.5:6379/q');
    expect(connectionMessage(address, new Error('WRONGPASS invalid username-password pair or user is disabled.'))).toBe(`the Redis at redis://10.0.0.5:6379/q refused the password in ${PASSWORD_VARIABLE} (WRONGPASS); set it to the server's password (requirepass), or the user's when the URL names one`);
    expect(connectionMessage(address, new Error('NOAUTH Authentication required.'))).toBe(`the Redis at redis://10.0.0.5:6379/q needs a password (NOAUTH); set ${PASSWORD_VARIABLE} to it`);
    expect(connectionMessage(address, new Error('ERR AUTH <password> called without any password configured for the default user.'))).toContain(`has no password, but ${PASSWORD_VARIABLE} gives one`);
    expect(connectionMessage(address, new Error('connect ECONNREFUSED 10.0.0.5:6379'))).toBe('no Redis answers at 10.0.0.5:6379 (connection refused); start redis-server there or fix --queue');
  });
});
