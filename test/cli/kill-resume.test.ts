import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE } from '../../src/cli/report.js';
import { decodeRunCheckpoint } from '../../src/io/run-checkpoint.js';
import { Rng } from '../../src/util/rng.js';
import { cli, tempDir } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Two schedules × two seeds of Mertens' protocol, a checkpoint every 10 epochs: a history file as each run ends, results.json at the end. */
const ARGS = ['compare', '--backend', 'wasm', '--schedules', 'backprop,local-parallel', '--seeds', '2', '--epochs', '400', '--checkpoint-every', '10', '--quiet', '--report', 'off', '--eval-thread', 'off'];

/** results.json's runs without their seconds: what a resumed experiment must end with. */
function results(dir: string): unknown[] {
  const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { results: Record<string, unknown>[] };
  return json.results.map(({ seconds: _s, ...rest }) => rest);
}

/** Every history without its seconds. */
function histories(dir: string): Record<string, unknown> {
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith('.history.json'))
      .map((f) => {
        const h = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { epochs: Record<string, unknown>[]; final: Record<string, unknown> };
        const { seconds: _s, ...final } = h.final;
        return [f, { epochs: h.epochs.map(({ seconds: _e, ...e }) => e), final }];
      }),
  );
}

/** Starts the experiment (or its --resume) and SIGKILLs it after `ms`, unless it ends first; says whether it ended by itself. */
function runFor(args: string[], ms: number): Promise<boolean> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === null && code !== 0) throw new Error(`localprop ${args.join(' ')} exited ${code}: ${stderr}`);
      done(signal === null);
    });
  });
}

/** Nothing in the folder is torn: every JSON file parses, the checkpoint decodes (or its previous copy does), no temporary file is left for a reader. */
function checkWhole(dir: string): void {
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) expect(() => JSON.parse(readFileSync(join(dir, f), 'utf8')), f).not.toThrow();
  const checkpoint = join(dir, CHECKPOINT_FILE);
  if (existsSync(checkpoint)) expect(() => decodeRunCheckpoint(new Uint8Array(readFileSync(checkpoint)), checkpoint)).not.toThrow();
}

describe('killed at random moments (SIGKILL)', () => {
  it('resumes every time to the numbers of the experiment never stopped, and leaves no file torn', async () => {
    const straight = join(tempDir(), 'straight');
    const whole = await cli(...ARGS, '--out', straight);
    expect(whole.code, whole.stderr).toBe(0);

    const dir = join(tempDir(), 'killed');
    // Seeded moments: process start-up (tsx) takes about 2 s, the four runs a few seconds more.
    const rng = new Rng(32, 'kills');
    let kills = 0;
    let finished = false;
    while (!finished) {
      const started = existsSync(join(dir, 'config.json')) && (existsSync(join(dir, CHECKPOINT_FILE)) || readdirSync(dir).some((f) => f.endsWith('.history.json')));
      // Killed before its first checkpoint, an experiment has nothing to resume from: it starts again.
      if (!started) rmSync(dir, { recursive: true, force: true });
      const args = started ? [...ARGS, '--resume', dir] : [...ARGS, '--out', dir];
      const ms = kills < 10 ? rng.uniformIn(1500, 5000) : 600_000;
      finished = await runFor(args, ms);
      if (!finished) kills++;
      if (existsSync(dir)) checkWhole(dir);
    }
    expect(kills).toBe(10);
    expect(results(dir)).toEqual(results(straight));
    expect(histories(dir)).toEqual(histories(straight));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.includes(CHECKPOINT_FILE))).toEqual([]);
  }, 300_000);

  it('a damaged checkpoint falls back to the one before it, in one line, and still ends with the uninterrupted numbers', async () => {
    const straight = join(tempDir(), 'straight');
    expect((await cli(...ARGS, '--out', straight)).code).toBe(0);
    const dir = join(tempDir(), 'damaged');
    // Stopped after a couple of checkpoints: wait for the second, then kill.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...ARGS, '--out', dir], { cwd: ROOT, stdio: 'ignore' });
    const previous = join(dir, `${CHECKPOINT_FILE}.previous`);
    const deadline = Date.now() + 60_000;
    const path = join(dir, CHECKPOINT_FILE);
    // Until the latest checkpoint is a file of its own (while it is replaced, both names are one file for a moment).
    const apart = () => existsSync(previous) && existsSync(path) && statSync(previous).ino !== statSync(path).ino;
    while (!apart() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    expect(existsSync(previous)).toBe(true);
    // One byte of a tensor flipped: the file still parses, only its checksum tells.
    const bytes = readFileSync(path);
    bytes[bytes.length - 3] ^= 0xff;
    writeFileSync(path, bytes);
    const resumed = await cli(...ARGS, '--resume', dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/^localprop: .*checkpoint.* its checksum does not match its contents: continuing from the one before it, .*\.previous$/m);
    expect(results(dir)).toEqual(results(straight));
  }, 300_000);
});
