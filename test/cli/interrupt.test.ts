import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Starts the CLI, sends Ctrl-C (SIGINT) once `ready(stdout)` holds, and resolves with how it ended. */
function interrupted(args: string[], ready: (stdout: string) => boolean): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...args], { cwd: ROOT });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.stdout.on('data', (d) => (stdout += String(d)));
    const poll = setInterval(() => {
      if (ready(stdout)) {
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

describe('Ctrl-C', () => {
  it('stops a pipelined run after its epoch in progress, keeps its finished epochs and exits 130', async () => {
    const dir = join(tempDir(), 'run');
    const args = ['train', '--schedule', 'local-parallel', '--dataset', 'spiral', '--model', '2-64-64-8-1 hidden=tanh out=sigmoid', '--step', 'batch', '--batch-size', '20', '--epochs', '500', '--log-every', '1', '--workers', '2', '--eval-thread', 'off', '--out', dir];
    // Interrupt once two epochs have been printed (a header line, then a line an epoch).
    const r = await interrupted(args, (stdout) => stdout.trim().split('\n').length >= 3);
    expect(r.status, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/stopping after the epoch in progress/);
    expect(r.stderr).toMatch(/localprop: interrupted \(Ctrl-C\); its \d+ finished epochs? (is|are) in .*local-parallel-seed0\.failed\.json/);
    const failed = JSON.parse(readFileSync(join(dir, 'local-parallel-seed0.failed.json'), 'utf8')) as { error: string; epochs: { epoch: number }[] };
    expect(failed.epochs.length).toBeGreaterThan(0);
    expect(failed.epochs.map((e) => e.epoch)).toEqual(failed.epochs.map((_, k) => k + 1));
    // Not a finished run: no history file that --resume would take as done.
    expect(readdirSync(dir).filter((f) => f.endsWith('.history.json'))).toEqual([]);
  });
});
