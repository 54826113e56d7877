import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

/** What one in-process CLI call produced. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Calls the CLI's `main` in this process with stdout and stderr captured.
 * The spies are restored before returning, even when `main` throws, so a
 * failing call never swallows the test runner's own output.
 */
export async function cli(...given: string[]): Promise<CliResult> {
  // The tests' expected numbers are wasm's: training commands are pinned to it unless a test names a backend.
  const args = (given[0] === 'compare' || given[0] === 'train') && !given.includes('--backend') ? [given[0], '--backend', 'wasm', ...given.slice(1)] : given;
  const out: string[] = [];
  const err: string[] = [];
  const capture = (sink: string[]) => (chunk: unknown, ...rest: unknown[]) => {
    sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  };
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(capture(out) as typeof process.stdout.write);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(capture(err) as typeof process.stderr.write);
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

/** Runs the CLI and parses the single JSON object it must print on stdout. */
export async function cliJson(...args: string[]): Promise<ResultsJson> {
  const r = await cli(...args);
  if (r.code !== 0) throw new Error(`localprop ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== 1) throw new Error(`expected one line of JSON on stdout, got ${lines.length}:\n${r.stdout}`);
  return JSON.parse(lines[0]) as ResultsJson;
}

export interface ResultRow {
  schedule: string;
  seed: number;
  decoders: string;
  testAccuracy: number;
  testLoss: number;
  trainLoss: number;
  seconds: number;
  [extra: string]: unknown;
}

export interface ResultsJson {
  dataset: string;
  model: string;
  results: ResultRow[];
  [extra: string]: unknown;
}

const made: string[] = [];

/** A fresh temporary folder, removed when the test file ends. */
export function tempDir(prefix = 'localprop-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function readJson<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Names in a folder, sorted; an absent folder lists as empty. */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** Lines of a stack trace, as Node prints them. */
export function stackLines(text: string): string[] {
  return text.split('\n').filter((l) => /^\s{4}at /.test(l));
}

/** Non-blank lines. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** Deterministic uniform numbers in [0, 1) (an LCG; quality is no concern here). */
export function uniforms(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Writes `rows` as a CSV file with `header`, returning its path. */
export function writeCsv(dir: string, name: string, header: string[], rows: (number | string)[][]): string {
  const path = join(dir, name);
  writeFileSync(path, [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n');
  return path;
}

/** Points of [-1, 1]² labelled 1 when x1 > 0: a linearly separable 2-D problem. */
export function halfPlaneRows(count: number, seed: number): number[][] {
  const u = uniforms(seed);
  const rows: number[][] = [];
  for (let i = 0; i < count; i++) {
    const x1 = 2 * u() - 1;
    const x2 = 2 * u() - 1;
    rows.push([+x1.toFixed(4), +x2.toFixed(4), x1 > 0 ? 1 : 0]);
  }
  return rows;
}

/** Points of [-1, 1]² in three classes by the angle's third of the circle. */
export function threeClassRows(count: number, seed: number): number[][] {
  const u = uniforms(seed);
  const rows: number[][] = [];
  for (let i = 0; i < count; i++) {
    const x1 = 2 * u() - 1;
    const x2 = 2 * u() - 1;
    const angle = Math.atan2(x2, x1) + Math.PI; // 0 .. 2π
    rows.push([+x1.toFixed(4), +x2.toFixed(4), Math.min(2, Math.floor((angle / (2 * Math.PI)) * 3))]);
  }
  return rows;
}

/** A small, fast and deterministic set of flags every training call adds. */
export const TINY = ['--epochs', '2', '--quiet'];
