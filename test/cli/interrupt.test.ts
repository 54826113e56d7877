import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Starts the CLI, sends Ctrl-C (SIGINT) once `ready(stdout, stderr)` holds, and resolves with how it ended. */
function interrupted(args: string[], ready: (stdout: string, stderr: string) => boolean): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    // Pinned to wasm like the in-process calls (helpers.ts), which resume and compare with it.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', args[0], '--backend', 'wasm', ...args.slice(1)], { cwd: ROOT });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.stdout.on('data', (d) => (stdout += String(d)));
    const poll = setInterval(() => {
      if (ready(stdout, stderr)) {
        clearInterval(poll);
        child.kill('SIGINT');
      }
    }, 50);
    const limit = setTimeout(() => {
      clearInterval(poll);
      child.kill('SIGKILL');
      reject(new Error(`no exit after SIGINT: ${stderr}`));
    }, 90_000);
    child.on('exit', (status) => {
      clearInterval(poll);
      clearTimeout(limit);
      resolvePromise({ status, stderr });
    });
  });
}

/**
 * Ready a second after `compare`'s header: once it is out the options are
 * checked and training has begun (a fixed delay from the start raced a slow start).
 */
function secondAfterHeader(): (stdout: string, stderr: string) => boolean {
  let headerAt = 0;
  return (_stdout, stderr) => {
    if (!headerAt && stderr.includes('localprop compare:')) headerAt = Date.now();
    return headerAt > 0 && Date.now() - headerAt > 1000;
  };
}

describe('Ctrl-C', () => {
  /** results.json's runs without their timing. */
  const resultsOf = (dir: string) =>
    (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { results: Record<string, unknown>[] }).results.map(({ seconds: _s, ...rest }) => rest);

  /**
   * Continues the stopped run in `dir` (the command plus `--resume`), trains
   * the command uninterrupted too (`straightArgs`, the same command unless
   * given), and returns both runs' results, timing aside.
   */
  async function resumedAndStraight(args: string[], dir: string, straightArgs = args): Promise<{ resumed: Record<string, unknown>[]; straight: Record<string, unknown>[] }> {
    const resumed = await cli(...args, '--resume', dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    const straight = join(tempDir(), 'straight');
    expect((await cli(...straightArgs, '--out', straight)).code).toBe(0);
    return { resumed: resultsOf(dir), straight: resultsOf(straight) };
  }

  it('stops a pipelined run at its next epoch, keeps its finished epochs, and --resume continues it to the uninterrupted result', async () => {
    const dir = join(tempDir(), 'run');
    const args = ['train', '--schedule', 'local-parallel', '--dataset', 'spiral', '--model', '2-64-64-8-1 hidden=tanh out=sigmoid', '--step', 'batch', '--batch-size', '20', '--epochs', '12', '--log-every', '1', '--workers', '2', '--eval-thread', 'off', '--report', 'off'];
    // Interrupt once two epochs have been printed (a header line, then a line an epoch).
    const r = await interrupted([...args, '--out', dir], (stdout) => stdout.trim().split('\n').length >= 3);
    expect(r.status, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/stopping at the next step/);
    expect(r.stderr).toMatch(/stopped before epoch \d+ of 12; its state is in .*: repeat the command with --resume/);
    expect(r.stderr).toMatch(/its \d+ finished epochs? (is|are) in .*local-parallel-seed0\.failed\.json/);
    const failed = JSON.parse(readFileSync(join(dir, 'local-parallel-seed0.failed.json'), 'utf8')) as { error: string; epochs: { epoch: number }[] };
    expect(failed.epochs.length).toBeGreaterThan(0);
    // Events 0 (the untrained network) to the last finished epoch.
    expect(failed.epochs.map((e) => e.epoch)).toEqual(failed.epochs.map((_, k) => k));
    // Not a finished run: no history file that --resume would take as done.
    expect(readdirSync(dir).filter((f) => f.endsWith('.history.json'))).toEqual([]);
    const { resumed, straight } = await resumedAndStraight(args, dir, [...args, '--workers', '1']);
    expect(resumed.map(({ epochs: _e, ...r }) => r)).toEqual(straight.map(({ epochs: _e, ...r }) => r));
  }, 240_000);

  it('stops a single-thread mini-batch run inside its epoch, and --resume continues it to the uninterrupted result', async () => {
    const dir = join(tempDir(), 'run');
    const args = ['train', '--schedule', 'local-parallel', '--dataset', 'spiral', '--model', '2-64-64-8-1 hidden=tanh out=sigmoid', '--step', 'batch', '--batch-size', '20', '--epochs', '8', '--log-every', '1', '--eval-thread', 'off', '--report', 'off'];
    const r = await interrupted([...args, '--out', dir], (stdout) => stdout.trim().split('\n').length >= 3);
    expect(r.status, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/stopped in epoch \d of 8, after step \d+ of 50/);
    expect(r.stderr).toContain(`--resume ${dir}`);
    const { resumed, straight } = await resumedAndStraight(args, dir);
    expect(resumed).toEqual(straight);
  }, 240_000);

  it('stops compare between steps without --out, saying how to make the run resumable', async () => {
    const args = ['compare', '--schedules', 'backprop,local-sequential', '--dataset', 'spiral', '--step', 'batch', '--batch-size', '10', '--epochs', '200', '--seeds', '1', '--eval-thread', 'off'];
    const r = await interrupted(args, secondAfterHeader());
    expect(r.status, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/without --out DIR a run cannot be resumed/);
  });

  it('stops compare of several schedules in epoch mode with the evaluation thread on, and --resume continues it to the uninterrupted results', async () => {
    const dir = join(tempDir(), 'run');
    const args = ['compare', '--schedules', 'backprop,local-parallel', '--dataset', 'spiral', '--model', '2-64-64-8-1 hidden=tanh out=sigmoid', '--epochs', '400', '--seeds', '1', '--report', 'off', '--backend', 'wasm'];
    const r = await interrupted([...args, '--out', dir], secondAfterHeader());
    expect(r.status, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/stopped before epoch \d+ of 400; its state is in .*--resume/);
    const { resumed, straight } = await resumedAndStraight(args, dir);
    expect(resumed).toEqual(straight);
  }, 240_000);
});

