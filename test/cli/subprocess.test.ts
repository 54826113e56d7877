import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../../src/io/safetensors.js';
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

  it("takes the options a module's rule declares as flags once --import loads it (in --help too), and without it knows no such flag", () => {
    const fixture = join(ROOT, 'test/fixtures/rules/offset-decoder.ts');
    const dir = tempDir();
    const run = ['--rule', 'offset-decoder', '--schedule', 'local-parallel', '--dataset', 'signed_xor', '--epochs', '1', '--optimizer', 'sgd', '--lr', '1e-9', '--quiet'];
    expect(localprop('train', '--import', fixture, '--help').stdout).toMatch(/--offset-decoder-start <b> +rule offset-decoder: every decoder bias's/);
    const save = join(dir, 'started.safetensors');
    const trained = localprop('train', `--import=${fixture}`, ...run, '--offset-decoder-start', '0.5', '--save', save);
    expect(trained.status, trained.stderr).toBe(0);
    // One step at a rate of 1e-9 leaves the bias where the option started it.
    expect(decodeSafetensors(new Uint8Array(readFileSync(save))).tensors['offset.0.bias'].data[0]).toBeCloseTo(0.5, 6);
    expectOneLineError(localprop('train', '--import', fixture, ...run, '--offset-decoder-start', 'half'), /^localprop: --offset-decoder-start must be a finite number, got "half"$/m);
    expectOneLineError(localprop('train', ...run.slice(2), '--offset-decoder-start', '0.5'), /unknown option '--offset-decoder-start'/);
  });
});
