import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lines, listDir, readJson, stackLines, tempDir } from './helpers.js';

/**
 * A few real processes, to check what `main`'s return value turns into: the
 * exit status, and a stderr a person can read (no stack trace).
 */
const ROOT = resolve(import.meta.dirname, '../..');
// The executable entry: src/cli/bin.ts where it exists, else main.ts (which ran itself before bin.ts).
const ENTRY = existsSync(join(ROOT, 'src/cli/bin.ts')) ? 'src/cli/bin.ts' : 'src/cli/main.ts';
const FIXTURES = join(ROOT, 'test/fixtures/cli');

function localprop(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function expectOneLineError(r: ReturnType<typeof localprop>, ...patterns: RegExp[]): void {
  expect(r.signal).toBeNull();
  expect(r.status, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  expect(lines(r.stderr), r.stderr).toHaveLength(1);
  expect(stackLines(r.stderr), r.stderr).toEqual([]);
  for (const p of patterns) expect(r.stderr).toMatch(p);
}

describe('the localprop process', () => {
  it('exits 2 with one line for an unknown option', () => {
    expectOneLineError(localprop('compare', '--no-such-option', '--quiet'), /unknown option '--no-such-option'/);
  });

  it('exits 2 with one line for an unknown dataset, and writes no results', () => {
    const out = join(tempDir(), 'out');
    expectOneLineError(localprop('compare', '--dataset', 'moons', '--epochs', '1', '--seeds', '1', '--quiet', '--out', out), /^localprop: unknown dataset "moons"; choose one of: signed_xor/);
    expect(listDir(out)).not.toContain('results.json');
  });

  it('exits 2 with one line for a malformed CSV, naming the file and line', () => {
    const out = join(tempDir(), 'out');
    expectOneLineError(
      localprop('compare', '--train', join(FIXTURES, 'ragged.csv'), '--test', join(FIXTURES, 'small.csv'), '--epochs', '1', '--seeds', '1', '--quiet', '--out', out),
      /ragged\.csv` line 4: expected 3 columns, found 2/,
    );
    expect(listDir(out)).toEqual([]);
  });

  it('exits 0 and prints JSON for a tiny good run', () => {
    const out = join(tempDir(), 'out');
    const r = localprop('compare', '--train', join(FIXTURES, 'small.csv'), '--test', join(FIXTURES, 'small.csv'), '--model', '2-4-1', '--epochs', '2', '--schedules', 'backprop', '--seeds', '1', '--quiet', '--json', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const json = JSON.parse(r.stdout) as { results: unknown[] };
    expect(json.results).toHaveLength(1);
    expect(readJson(join(out, 'results.json'))).toEqual(json);
  });
});
