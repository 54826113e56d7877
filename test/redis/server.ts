import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * A real redis-server for the queue tests, on a free loopback port with its
 * files in `dir`, append-only persistence on (as docs/sweeps-redis.md tells
 * users), and a password. Throws, so the tests fail rather than skip,
 * where redis-server is not installed.
 */
export class RedisServer {
  private process?: ChildProcess;
  private constructor(
    readonly port: number,
    readonly dir: string,
    readonly password: string,
    readonly tls?: TlsFiles,
  ) {}

  /** `tls`: serve TLS only, with this certificate (for `rediss://`). */
  static async start(dir: string, password = 'queue-test-password', tls?: TlsFiles): Promise<RedisServer> {
    const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
    if (found.error) throw new Error('redis-server is not installed: the queue tests need it (Debian: apt-get install redis-server)');
    const server = new RedisServer(await freePort(), dir, password, tls);
    await server.restart();
    return server;
  }

  /** `redis://127.0.0.1:PORT/NAME`. */
  url(name: string): string {
    return `redis://127.0.0.1:${this.port}/${name}`;
  }

  /** Starts it (again), on the same port with the same files. */
  async restart(): Promise<void> {
    const listen = this.tls ? ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', this.tls.cert, '--tls-key-file', this.tls.key, '--tls-auth-clients', 'no'] : ['--port', String(this.port)];
    const args = [...listen, '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--save', '', '--requirepass', this.password, '--daemonize', 'no'];
    this.process = spawn('redis-server', args, { stdio: 'ignore' });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const client = this.client({ retryStrategy: () => null, lazyConnect: true });
      try {
        await client.connect();
        if ((await client.ping()) === 'PONG') return;
      } catch {
        if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${this.port}`);
        await new Promise((r) => setTimeout(r, 50));
      } finally {
        client.disconnect();
      }
    }
  }

  /** A client, for the tests to read what the queue holds. */
  client(options: RedisOptions = {}): Redis {
    const tls = this.tls ? { tls: { ca: readFileSync(this.tls.cert), servername: 'localhost' } } : {};
    const client = new Redis({ host: '127.0.0.1', port: this.port, password: this.password, ...tls, ...options });
    client.on('error', () => undefined);
    return client;
  }

  /** Stops it as a restart or `systemctl stop` does (SIGTERM: the append-only file is flushed). */
  async stop(): Promise<void> {
    const p = this.process;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((r) => {
      p.once('exit', () => r());
      p.kill('SIGTERM');
    });
  }
}

/** A certificate and its key, as PEM files. */
export interface TlsFiles {
  cert: string;
  key: string;
}

/** A self-signed certificate for localhost (openssl), which a client trusts through NODE_EXTRA_CA_CERTS. */
export function selfSignedCertificate(dir: string): TlsFiles {
  const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-keyout', files.key, '-out', files.cert], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl could not make a certificate: ${r.error?.message ?? r.stderr}`);
  return files;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolvePort(port));
    });
  });
}

const ROOT = resolve(import.meta.dirname, '../..');

/** A `localprop` process (the CLI under tsx), with its output gathered. */
export interface CliProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Polls `condition` every 50 ms until it holds or `seconds` pass (then throws with `what`). */
export async function until(condition: () => Promise<boolean> | boolean, what: string, seconds = 60): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
