import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compareHeader } from '../../src/cli/header.js';
import { withFirstLook } from '../../src/cli/first-look.js';
import { allScheduleNames, experimentFrom } from '../../src/cli/setup.js';
import { parseSeeds } from '../../src/cli/options.js';
import { halfPlaneRows, writeCsv } from '../cli/helpers.js';

/**
 * The README cannot rot: it stays short, its links resolve, every command it
 * shows runs (shortened: one seed, one epoch, a slice of MNIST), the output
 * of `npm start` it shows is what `npm start` prints, and its library
 * example type-checks against the built package and runs.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** tsx's loader by path, for a process started elsewhere than the checkout's root. */
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

/**
 * A fresh folder for a command's files, inside the checkout (test-output/,
 * ignored by git) so that the threads the CLI starts from source find tsx
 * in node_modules; removed when the file's tests end.
 */
const folders: string[] = [];
function workFolder(): string {
  mkdirSync(join(ROOT, 'test-output'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, 'test-output', 'readme-'));
  folders.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The fenced blocks of the README, with their language. */
const blocks = [...README.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], body: m[2] }));

/** Splits a command line as a shell would for these simple cases: spaces, double quotes, a trailing # comment. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.replace(/\s+#.*$/, '').matchAll(/"([^"]*)"|(\S+)/g)) words.push(m[1] ?? m[2]);
  return words;
}

/** Runs the CLI in a fresh process, in `cwd`. */
function localprop(cwd: string, args: string[]) {
  const r = spawnSync(process.execPath, ['--import', TSX, join(ROOT, 'src/cli/bin.ts'), ...args], { cwd, encoding: 'utf8', timeout: 170_000 });
  if (r.error) throw r.error;
  return r;
}

/** Numbers (and the words whose plural follows them) masked, spaces collapsed: the shape of output whose figures vary. */
const shape = (text: string) =>
  text
    .replace(/\d+(\.\d+)?(e[-+]?\d+)?/g, '#')
    .replace(/# (epoch|seed|block)s\b/g, '# $1')
    .replace(/[ \t]+/g, ' ')
    .replace(/-+( -+)+/g, '---')
    .trim();

describe('README.md', () => {
  it('is at most 200 lines', () => {
    expect(README.split('\n').length).toBeLessThanOrEqual(200);
  });

  it('links only to files that exist in the repository', () => {
    const targets = [...README.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1]).filter((t) => !/^https?:/.test(t));
    expect(targets.length).toBeGreaterThan(5);
    for (const t of targets) expect(existsSync(join(ROOT, t)), t).toBe(true);
    // The docs it points to link only inside the repository too.
    for (const t of targets.filter((t) => t.startsWith('docs/') && t.endsWith('.md'))) {
      const page = readFileSync(join(ROOT, t), 'utf8');
      for (const m of page.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) if (!/^https?:/.test(m[1])) expect(existsSync(join(ROOT, dirname(t), m[1])), `${t} → ${m[1]}`).toBe(true);
    }
  });

  it('names the research note once in full and points to no file outside the repository', () => {
    expect(README.match(/"Local propagation by linear\s+decoders" by D\. A\. Mertens/g)).toHaveLength(1);
    expect(README).toContain('DQBO1998/Local-propagation-by-linear-unprojections');
    expect(README).not.toMatch(/\.\.\/shared|SEED-PROTOCOL|the seed\b/);
  });

  const commands = blocks.filter((b) => b.lang === '').flatMap((b) => b.body.split('\n')).filter((l) => l.startsWith('npx localprop ') || l.startsWith('npm start'));

  it('shows npm start and five CLI examples', () => {
    expect(commands.filter((c) => c.startsWith('npx localprop '))).toHaveLength(5);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe('node dist/cli/bin.js compare --out runs/{time}');
  });

  it.each(commands)('`%s` runs (one seed, one epoch, a slice of the data)', (command) => {
    const cwd = workFolder();
    const args = command.startsWith('npm start') ? ['compare', '--out', 'runs/{time}'] : shellWords(command).slice(2);
    // The CSV files the README's own-data example names.
    writeCsv(cwd, 'my-train.csv', ['x1', 'x2', 'y'], halfPlaneRows(60, 1));
    writeCsv(cwd, 'my-test.csv', ['x1', 'x2', 'y'], halfPlaneRows(60, 2));
    const short = args[0] === 'compare' ? ['--seeds', '1', '--epochs', '1', '--limit', '200', '--grid-size', '20', '--block-grid-size', '10'] : ['--epochs', '1', '--limit', '200'];
    const r = localprop(cwd, [...args, ...short]);
    expect(r.status, `${command}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/test acc/);
    if (args.includes('--save')) expect(existsSync(join(cwd, args[args.indexOf('--save') + 1]))).toBe(true);
    if (args.includes('--out')) expect(r.stdout).toMatch(/open runs\/\S+\/report\.html in a browser\.$/m);
  }, 180_000);

  it("shows npm start's output as it prints it", () => {
    const shown = blocks.find((b) => b.body.startsWith('localprop compare: '));
    expect(shown, 'a block with the output of npm start').toBeDefined();
    const cut = shown!.body.indexOf('\n\n');
    const [header, rest] = [shown!.body.slice(0, cut), shown!.body.slice(cut + 2)];
    // The header is what the CLI prints for the options npm start gives: figure for figure.
    const { options } = withFirstLook({ out: 'runs/{time}' }, 'compare');
    expect(header).toBe(compareHeader(experimentFrom(options, allScheduleNames(), parseSeeds(5))));
    // The table, the memory and the report's line: the same lines as a shorter run prints, figures aside.
    const cwd = workFolder();
    const r = localprop(cwd, ['compare', '--out', 'runs/{time}', '--epochs', '1', '--grid-size', '20', '--block-grid-size', '10']);
    expect(r.status, r.stderr).toBe(0);
    expect(shape(rest)).toBe(shape(r.stdout));
  }, 180_000);

  it('its library example type-checks against the built package and runs', () => {
    const example = blocks.filter((b) => b.lang === 'ts');
    expect(example).toHaveLength(1);
    // A copy of the package as npm would install it: package.json and the declarations of the build.
    const pkgDir = join(ROOT, 'test-output', 'readme-package');
    rmSync(pkgDir, { recursive: true, force: true });
    mkdirSync(pkgDir, { recursive: true });
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(pkgDir, 'package.json'), JSON.stringify({ name: pkg.name, type: pkg.type, exports: pkg.exports }));
    const tsc = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
    const build = tsc('-p', 'tsconfig.build.json', '--outDir', join(pkgDir, 'dist'), '--emitDeclarationOnly', '--sourceMap', 'false');
    expect(build.status, build.stdout + build.stderr).toBe(0);
    writeFileSync(join(pkgDir, 'example.ts'), example[0].body);
    writeFileSync(join(pkgDir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] }, files: ['example.ts'] }));
    const check = tsc('-p', join(pkgDir, 'tsconfig.json'));
    expect(check.status, check.stdout + check.stderr).toBe(0);
    // And it runs: inside the checkout 'localprop' is the source.
    const runDir = join(ROOT, 'test-output', 'readme-run');
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, 'example.ts'), example[0].body);
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(runDir, 'example.ts')], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('[ 1, 0 ]');
  }, 180_000);
});
