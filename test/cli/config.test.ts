import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliJson, lines, listDir, readJson, stackLines, tempDir } from './helpers.js';

function configFile(value: unknown, name = 'options.json'): string {
  const path = join(tempDir(), name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

/** Expects a user error: status 2, one line on stderr with no stack, nothing on stdout. */
function expectUserError(r: { code: number; stdout: string; stderr: string }): string {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  expect(lines(r.stderr)).toHaveLength(1);
  expect(stackLines(r.stderr)).toEqual([]);
  return r.stderr;
}

describe('--config', () => {
  it('supplies options from a JSON file', async () => {
    const path = configFile({ epochs: 2, schedules: 'backprop', seeds: 1, quiet: true });
    const json = await cliJson('compare', '--config', path, '--json');
    expect(json.results).toHaveLength(1);
    expect(json.results[0]).toMatchObject({ schedule: 'backprop', seed: 0, epochs: 2 });
  });

  it('takes JSON values in their own types: lists as arrays, flags as booleans', async () => {
    const path = configFile({ epochs: 2, schedules: ['local-parallel', 'backprop'], seeds: [0, 2], quiet: true, json: true });
    const json = await cliJson('compare', '--config', path);
    expect(json.results.map((r) => `${r.schedule}/${r.seed}`)).toEqual(['local-parallel/0', 'backprop/0', 'local-parallel/2', 'backprop/2']);
  });

  it('a flag on the command line wins over the file', async () => {
    const path = configFile({ epochs: 2, schedules: 'backprop', seeds: 1, quiet: true });
    const json = await cliJson('compare', '--config', path, '--json', '--epochs', '3', '--schedules', 'local-parallel');
    expect(json.results).toHaveLength(1);
    expect(json.results[0]).toMatchObject({ schedule: 'local-parallel', epochs: 3 });
  });

  it('accepts kebab-case and camelCase keys', async () => {
    for (const key of ['batch-size', 'batchSize']) {
      const out = join(tempDir(), 'out');
      const path = configFile({ epochs: 2, schedules: 'backprop', seeds: 1, quiet: true, [key]: 250, 'hidden-loss': 'bce' });
      const r = await cli('compare', '--config', path, '--out', out);
      expect(r.code, r.stderr).toBe(0);
      const config = readJson<{ training: Record<string, unknown> }>(join(out, 'config.json'));
      expect(config.training).toMatchObject({ epochs: 2, batchSize: 250, hiddenLoss: 'bce' });
      const history = readJson<{ options: Record<string, unknown> }>(join(out, 'backprop-seed0.history.json'));
      expect(history.options).toMatchObject({ batchSize: 250, hiddenLoss: 'bce' });
    }
  });

  it('works for train, with train-only keys', async () => {
    const path = configFile({ schedule: 'backprop', epochs: 2, seed: 4, quiet: true, json: true });
    const json = await cliJson('train', '--config', path);
    expect(json.results[0]).toMatchObject({ schedule: 'backprop', seed: 4, epochs: 2 });
  });

  it('an unknown key is an error naming the key and the known ones', async () => {
    const path = configFile({ epochs: 2, epocs: 3 });
    const message = expectUserError(await cli('compare', '--config', path, '--quiet'));
    expect(message).toContain('unknown option "epocs"');
    expect(message).toContain(path);
    expect(message).toMatch(/known: .*epochs/);
  });

  it('a key of the other command is unknown (seeds in train, save in compare)', async () => {
    expect(expectUserError(await cli('train', '--schedule', 'backprop', '--config', configFile({ seeds: 2 })))).toMatch(/unknown option "seeds" for `localprop train`/);
    expect(expectUserError(await cli('compare', '--config', configFile({ save: 'x.safetensors' })))).toMatch(/unknown option "save" for `localprop compare`/);
  });

  it('finds the CSV files a config names beside the config, whatever the working directory', async () => {
    const dir = tempDir();
    const rows = (n: number) => Array.from({ length: n }, (_, i) => `${(i % 7) / 7 - 0.5},${(i % 5) / 5 - 0.5},${i % 2}`).join('\n');
    writeFileSync(join(dir, 'train.csv'), rows(40));
    writeFileSync(join(dir, 'test.csv'), rows(20));
    const path = join(dir, 'config.json');
    writeFileSync(path, JSON.stringify({ train: 'train.csv', test: 'test.csv', model: '2-8-1 hidden=relu', schedules: 'backprop', seeds: 1, epochs: 2, quiet: true }));
    const json = await cliJson('compare', '--config', path, '--json');
    expect(json.results).toHaveLength(1);
    expect(json.dataset).toContain("train.csv");
    // A missing file is named by its full place, so the user sees where it was looked for.
    writeFileSync(path, JSON.stringify({ train: 'missing.csv', test: 'test.csv' }));
    expect(expectUserError(await cli('compare', '--config', path, '--quiet'))).toContain(join(dir, 'missing.csv'));
  });

  it('"config" inside a config file is refused', async () => {
    expect(expectUserError(await cli('compare', '--config', configFile({ config: 'other.json' })))).toMatch(/unknown option "config"/);
  });

  it('a bad value names the key and the file', async () => {
    const path = configFile({ epochs: 'many' });
    const message = expectUserError(await cli('compare', '--config', path, '--quiet'));
    expect(message).toContain(`"epochs" in ${path}`);
    expect(message).toMatch(/must be a number/);
  });

  it('a file that is not JSON, or not an object, or missing, is an error', async () => {
    const broken = configFile('{"epochs": 2,', 'broken.json');
    expect(expectUserError(await cli('compare', '--config', broken))).toMatch(/is not valid JSON.*check its brackets/);
    const array = configFile([1, 2], 'array.json');
    expect(expectUserError(await cli('compare', '--config', array))).toMatch(/must hold a JSON object of options/);
    const missing = join(tempDir(), 'nope.json');
    expect(expectUserError(await cli('compare', '--config', missing))).toMatch(/--config .*nope\.json: cannot read it \(no such file\)/);
  });

  it('reads YAML when the file name ends in .yaml or .yml, with the same values as JSON', async () => {
    const yaml = configFile('epochs: 2\nschedules: [local-parallel, backprop]\nseeds: [0, 2]\nbatch-size: 250\neval-thread: off\nquiet: true\njson: true\n', 'options.yaml');
    const fromJson = configFile({ epochs: 2, schedules: ['local-parallel', 'backprop'], seeds: [0, 2], 'batch-size': 250, 'eval-thread': 'off', quiet: true, json: true });
    const [a, b] = [await cliJson('compare', '--config', yaml), await cliJson('compare', '--config', fromJson)];
    expect(a.results.map((r) => `${r.schedule}/${r.seed}/${r.testLoss}`)).toEqual(b.results.map((r) => `${r.schedule}/${r.seed}/${r.testLoss}`));
    expect(a.results).toHaveLength(4);
  });

  it('a broken YAML file, or one with a key twice, is one line naming the file', async () => {
    const broken = configFile('epochs: 2\n  schedules: [backprop\n', 'broken.yml');
    expect(expectUserError(await cli('compare', '--config', broken))).toMatch(new RegExp(`--config ${broken} is not valid YAML \\(.+\\); check its indentation and colons`));
    const twice = configFile('epochs: 2\nepochs: 3\n', 'twice.yaml');
    expect(expectUserError(await cli('compare', '--config', twice))).toMatch(/is not valid YAML \(.*unique.*\)/i);
  });

  it('writes nothing to --out when the config is wrong', async () => {
    const out = join(tempDir(), 'out');
    expectUserError(await cli('compare', '--config', configFile({ bogus: 1 }), '--out', out));
    expect(listDir(out)).toEqual([]);
  });
});
