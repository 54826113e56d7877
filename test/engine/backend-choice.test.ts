import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lines, stackLines, tempDir } from '../cli/helpers.js';

/**
 * What a machine without a BLAS sees, in real processes (a process loads its
 * BLAS once): LOCALPROP_BLAS names a library that does not exist.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const ENTRY = existsSync(join(ROOT, 'src/cli/bin.ts')) ? 'src/cli/bin.ts' : 'src/cli/main.ts';
const MISSING = '/nonexistent/libopenblas-missing.so';
const TRAIN = ['train', '--schedule', 'backprop', '--epochs', '1', '--model', '2-4-1', '--report', 'off', '--eval-thread', 'off'];

function localprop(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
  if (r.error) throw r.error;
  return r;
}

describe('the backend without a BLAS', () => {
  it('--backend native exits 2 with one line naming the library and the package to install', () => {
    const out = join(tempDir(), 'out');
    const r = localprop({ LOCALPROP_BLAS: MISSING }, ...TRAIN, '--backend', 'native', '--out', out);
    expect(r.status, r.stderr).toBe(2);
    expect(lines(r.stderr), r.stderr).toHaveLength(1);
    expect(stackLines(r.stderr)).toEqual([]);
    expect(r.stderr).toMatch(/^localprop: the native backend could not load the BLAS library LOCALPROP_BLAS=\/nonexistent\/libopenblas-missing\.so names \(.+\); install OpenBLAS \(Debian\/Ubuntu: apt-get install libopenblas0-pthread\)/);
    expect(r.stderr).toMatch(/or use --backend wasm/);
    // Nothing half-done: the backend is refused before any file is written.
    expect(existsSync(out)).toBe(false);
  });

  it('the default (auto) trains on wasm, says so once in one line with the fast path, and records wasm', () => {
    const out = join(tempDir(), 'out');
    const r = localprop({ LOCALPROP_BLAS: MISSING }, ...TRAIN, '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const notes = lines(r.stderr).filter((l) => l.includes('backend'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^localprop: backend wasm: no BLAS loaded \(.+\); for the faster native backend: apt-get install libopenblas0-pthread/);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.backend).toBe('wasm');
    expect(config.blas).toBeUndefined();
  });

  it('--quiet keeps the line to itself', () => {
    const r = localprop({ LOCALPROP_BLAS: MISSING }, ...TRAIN, '--quiet', '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });
});
