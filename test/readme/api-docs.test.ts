import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

describe('npm run docs', () => {
  it('builds the API reference from the TSDoc without a warning (every public name documented, every link resolved)', () => {
    const out = join(ROOT, 'test-output', 'api-docs');
    rmSync(out, { recursive: true, force: true });
    // typedoc.json treats warnings as errors, so a warning fails the build.
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typedoc/bin/typedoc'), '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/warning/i);
    for (const page of ['index.html', 'functions/fit.html', 'classes/Model.html', 'classes/Run.html']) expect(existsSync(join(out, page)), page).toBe(true);
    rmSync(out, { recursive: true, force: true });
  }, 180_000);
});
