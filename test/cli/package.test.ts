import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as internal from '../../src/internal.js';
import { listSchedules } from '../../src/schedules/registry.js';
import { tempDir } from './helpers.js';

/** What a user of the published package gets: its license, its maps, its exports and its types. */
const ROOT = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string; files: string[] };

/** tsconfig files allow comments; JSON.parse does not. */
function readTsconfig(path: string): { compilerOptions?: { sourceMap?: boolean; declarationMap?: boolean } } {
  return JSON.parse(readFileSync(path, 'utf8').replace(/^\s*\/\/.*$/gm, '')) as { compilerOptions?: { sourceMap?: boolean } };
}

describe('the published package', () => {
  it('ships the MIT license that package.json names', () => {
    expect(pkg.license).toBe('MIT');
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License/);
    expect(license).toContain('THE SOFTWARE IS PROVIDED "AS IS"');
    expect(pkg.files).toContain('LICENSE');
  });

  it('has no source maps pointing at sources it does not ship', () => {
    const build = readTsconfig(join(ROOT, 'tsconfig.build.json')).compilerOptions ?? {};
    const base = readTsconfig(join(ROOT, 'tsconfig.json')).compilerOptions ?? {};
    const maps = (build.sourceMap ?? base.sourceMap) === true || (build.declarationMap ?? base.declarationMap) === true;
    const shipsSources = pkg.files.some((f) => f === 'src' || f.startsWith('src/'));
    expect(maps && !shipsSources, 'the build writes maps to src/*.ts but "files" leaves src out').toBe(false);
  });

  it('exports every registered schedule under its camelCase name (localprop/internal)', () => {
    const exported = internal as unknown as Record<string, { name?: string }>;
    for (const schedule of listSchedules()) {
      const key = schedule.name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      expect(exported[key]?.name, `${key} is not exported`).toBe(schedule.name);
    }
  });

  it('compiles in a consumer with skipLibCheck false, tf included', () => {
    // The declarations the build emits, then a consumer that uses tf through them, checked with the library types on.
    const work = tempDir('localprop-consumer-');
    const dist = join(work, 'node_modules', 'localprop');
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--emitDeclarationOnly', '--outDir', join(dist, 'dist')], { stdio: 'pipe' });
    writeFileSync(join(dist, 'package.json'), JSON.stringify({ name: 'localprop', type: 'module', types: './dist/index.d.ts', exports: { '.': { types: './dist/index.d.ts' } } }));
    writeFileSync(join(work, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(work, 'use.ts'), "import { tf, Run, getSchedule, type ModelSpec } from 'localprop';\nconst t: ReturnType<typeof tf.zeros> = tf.zeros([2]);\nexport const used = [t, Run, getSchedule('local-gated').name, null as ModelSpec | null];\n");
    // The dependencies the package's types name, where npm would put them beside it.
    for (const scope of ['@tensorflow', '@types']) symlinkSync(join(ROOT, 'node_modules', scope), join(work, 'node_modules', scope));
    writeFileSync(
      join(work, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, noEmit: true, types: ['node'] },
        files: ['use.ts'],
      }),
    );
    expect(existsSync(join(dist, 'dist/index.d.ts'))).toBe(true);
    let output = '';
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', work], { stdio: 'pipe', encoding: 'utf8' });
    } catch (e) {
      output = String((e as { stdout?: string }).stdout ?? e);
    }
    expect(output).toBe('');
  }, 120_000);
});
