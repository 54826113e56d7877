import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Starts the CLI, sends Ctrl-C (SIGINT) once `ready` holds, and resolves with how it ended. */
function interrupted(args: string[], ready: () => boolean): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...args], { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const poll = setInterval(() => {
      if (ready()) {
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
    const args = ['train', '--schedule', 'local-parallel', '--dataset', 'spiral', '--model', '2-64-64-8-1 hidden=tanh out=sigmoid', '--step', 'batch', '--batch-size', '20', '--epochs', '500', '--workers', '2', '--eval-thread', 'off', '--out', dir];
    // Interrupt once training has started (the config is written first, the pipeline starts right after).
    let seen = 0;
    const r = await interrupted(args, () => existsSync(join(dir, 'config.json')) && ++seen > 40);
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
