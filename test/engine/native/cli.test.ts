import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, lines, readJson, tempDir } from '../../cli/helpers.js';

/** The command line on a machine with a BLAS (`npm run test:native`). */
const ROOT = resolve(import.meta.dirname, '../../..');
const ENTRY = existsSync(join(ROOT, 'src/cli/bin.ts')) ? 'src/cli/bin.ts' : 'src/cli/main.ts';
const TRAIN = ['train', '--schedule', 'backprop', '--epochs', '2', '--model', '2-4-1', '--report', 'off', '--eval-thread', 'off'];

describe('the command line on the native backend', () => {
  it('takes native by default, says so in one line, and records the backend, library and core type in config.json', () => {
    const out = join(tempDir(), 'out');
    const r = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, ...TRAIN, '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const notes = lines(r.stderr).filter((l) => l.includes('backend'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^localprop: backend native \(TF\.js wasm with matrix products on \S+, core \S+\); --backend wasm for the portable one$/);
    const config = readJson(join(out, 'config.json'));
    expect(config.backend).toBe('native');
    expect(typeof config.blas).toBe('string');
    expect(typeof config.blasCore).toBe('string');
  });

  it('--resume refuses a folder trained on another backend, naming both', async () => {
    const out = join(tempDir(), 'out');
    const first = await cli(...TRAIN, '--quiet', '--backend', 'wasm', '--out', out);
    expect(first.code, first.stderr).toBe(0);
    const again = await cli(...TRAIN, '--quiet', '--backend', 'native', '--resume', out);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/the options differ from those the run was started with \(.*backend: "wasm" ≠ "native"/);
  });

  it('--resume without --backend continues on the backend the folder records, not on auto', async () => {
    const out = join(tempDir(), 'out');
    const first = await cli(...TRAIN, '--quiet', '--backend', 'wasm', '--out', out);
    expect(first.code, first.stderr).toBe(0);
    const r = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, ...TRAIN, '--quiet', '--resume', out], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    // The options match (the recorded wasm was taken), so what stops it is only that the run had finished.
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/every run there has finished/);
    expect(r.stderr).not.toMatch(/backend/);
  });
});
