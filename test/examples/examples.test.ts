import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * Every script in examples/ runs to the end and prints what it promises, so
 * an example can never rot behind the API. The directory is listed, not a
 * fixed set: a new example is run without editing this file.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLES = join(ROOT, 'examples');
const scripts = readdirSync(EXAMPLES).filter((f) => f.endsWith('.ts'));

/** What each example must print, beyond exiting 0. */
const EXPECTED: Record<string, (stdout: string) => void> = {
  'two-d-arrays.ts': (out) => {
    expect(Number(/accuracy on the validation points: ([\d.]+)/.exec(out)?.[1])).toBeGreaterThan(0.9);
    expect(out).toContain('classes of (0.5, 0.5) and (0.5, -0.5): [ 1, 0 ]');
    expect(out).toMatch(/the loaded model predicts the same: true/);
  },
  'mnist-small.ts': (out) => {
    // Well above chance (0.1) for both schedules after two epochs on 10000 images.
    const accuracies = [...out.matchAll(/^(\S+): test accuracy ([\d.]+)/gm)].map((m) => [m[1], Number(m[2])]);
    expect(accuracies.map(([s]) => s)).toEqual(['backprop', 'local-parallel']);
    for (const [, a] of accuracies) expect(a).toBeGreaterThan(0.8);
  },
  'custom-rule.ts': (out) => {
    const rows = [...out.matchAll(/^local-parallel · (\S+): test accuracy ([\d.]+) ± [\d.]+ over seeds 0, 1$/gm)];
    expect(rows.map((m) => m[1])).toEqual(['decoder', 'biased-decoder']);
    // Both rules learn signed_xor in 60 epochs of full-batch Rprop.
    for (const m of rows) expect(Number(m[2])).toBeGreaterThan(0.95);
  },
  'custom-dataset.ts': (out) => {
    const rows = [...out.matchAll(/^(\S+) +test accuracy ([\d.]+) ± [\d.]+ over seeds 0, 1$/gm)];
    expect(rows.map((m) => m[1])).toEqual(['backprop', 'local-sequential', 'local-parallel']);
    for (const m of rows) expect(Number(m[2])).toBeGreaterThan(0.75);
  },
};

describe('examples/', () => {
  it('has an expectation for every script', () => {
    expect(scripts.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(scripts)('%s runs and prints what it promises', (script) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join('examples', script)], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
    expect(r.status, r.stderr).toBe(0);
    EXPECTED[script](r.stdout);
  }, 180_000);

  it('the browser example bundles for a browser, with no Node built-in reaching it', async () => {
    const result = await build({
      entryPoints: [join(EXAMPLES, 'browser/main.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
      alias: { localprop: join(ROOT, 'src/index.ts') },
    });
    expect(result.errors).toEqual([]);
    expect(result.outputFiles[0].text).toContain('dataset.accuracy');
  });
});
