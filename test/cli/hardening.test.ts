import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { cli, halfPlaneRows, lines, listDir, readJson, stackLines, tempDir, writeCsv, type CliResult } from './helpers.js';
import { readFileSync } from 'node:fs';

/*
 * The cases of issue 17 ("Hardening"), each as a user meets it: every one
 * must end with one line `localprop: ...`, status 2, no stack, and nothing
 * written where it would be half-done.
 */

function expectOneLine(r: CliResult, ...patterns: (RegExp | string)[]): void {
  expect(r.code, `stderr: ${r.stderr}`).toBe(2);
  expect(lines(r.stderr), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^localprop: /);
  expect(stackLines(r.stderr)).toEqual([]);
  expect(r.stderr).not.toMatch(/internal error/);
  for (const p of patterns) {
    if (typeof p === 'string') expect(r.stderr).toContain(p);
    else expect(r.stderr).toMatch(p);
  }
}

let dir: string;
let train: string;
let test: string;
let checkpoint: string;

beforeAll(async () => {
  dir = tempDir();
  train = writeCsv(dir, 'train.csv', ['x1', 'x2', 'y'], halfPlaneRows(40, 1));
  test = writeCsv(dir, 'test.csv', ['x1', 'x2', 'y'], halfPlaneRows(20, 2));
  checkpoint = join(dir, 'seed.safetensors');
  const r = await cli('train', '--schedule', 'backprop', '--epochs', '1', '--quiet', '--save', checkpoint);
  expect(r.code, r.stderr).toBe(0);
});

const TRAIN = ['train', '--schedule', 'backprop', '--epochs', '2', '--quiet'];

describe('2: every output path is checked before the first epoch', () => {
  it('--save naming a folder, or a path under a file, fails before any epoch prints', async () => {
    const base = tempDir();
    const file = join(base, 'a-file');
    writeFileSync(file, 'x');
    // Without --quiet, train prints its table header at the run's start: none may appear.
    for (const [save, pattern] of [
      [base, `--save ${base} is a folder; give a file name`],
      [join(file, 'w.safetensors'), 'cannot create folder'],
    ]) {
      const r = await cli('train', '--schedule', 'backprop', '--epochs', '2', '--save', save);
      expectOneLine(r, pattern);
      expect(r.stdout).toBe('');
    }
    expect(listDir(base)).toEqual(['a-file']);
  });

  it('--save in a folder that does not exist yet is created when the model is saved', async () => {
    const save = join(tempDir(), 'new', 'deeper', 'w.safetensors');
    const r = await cli(...TRAIN, '--save', save);
    expect(r.code, r.stderr).toBe(0);
    expect(Object.keys(decodeSafetensors(new Uint8Array(readFileSync(save))).tensors)).toContain('blocks.0.weight');
  });
});

describe('3: model JSON is type-checked at every level', () => {
  it('"normalize": "false", an unknown key inside hidden, widths as strings', async () => {
    for (const [model, pattern] of [
      ['{"layers": [2, 10, 1], "hidden": {"activation": "relu", "normalize": "false"}}', '"hidden.normalize" must be true or false'],
      ['{"layers": [2, 10, 1], "hidden": {"activation": "relu", "normalise": true}}', 'unknown key(s) normalise'],
      ['{"layers": ["2", "10", "1"]}', '"layers" must be two or more whole numbers'],
      ['{"layers": [2, 10, 1], "out": 1}', '"out" must be a name'],
    ]) {
      expectOneLine(await cli(...TRAIN, '--model', model), pattern);
    }
  });
});

describe('4: class labels must be 0..C-1', () => {
  it('a stray 7 among 0/1 labels names the file, line and value', async () => {
    const rows = halfPlaneRows(30, 3);
    rows[6][2] = 7; // line 8 (the header is line 1)
    const bad = writeCsv(dir, 'stray-train.csv', ['x1', 'x2', 'y'], rows);
    expectOneLine(await cli(...TRAIN, '--train', bad, '--test', test), bad, 'line 8', 'label 7 makes 8 classes', 'labels 2, 3, 4, 5, 6 never appear', '--classes 8');
  });

  it('a label only the test file has names the test file', async () => {
    const rows = halfPlaneRows(20, 4);
    rows[2][2] = 2; // line 4
    const bad = writeCsv(dir, 'stray-test.csv', ['x1', 'x2', 'y'], rows);
    expectOneLine(await cli(...TRAIN, '--train', train, '--test', bad), bad, 'line 4', 'label 2 is not one of the training file\'s classes 0..1');
  });

  it('labels {1, 2} (no class 0) are refused', async () => {
    const rows = halfPlaneRows(20, 5).map(([a, b, y]) => [a, b, y + 1]);
    const shifted = writeCsv(dir, 'shifted.csv', ['x1', 'x2', 'y'], rows);
    expectOneLine(await cli(...TRAIN, '--train', shifted, '--test', shifted), 'label 0 never appears');
  });

  it('--classes C allows absent classes and refuses labels ≥ C', async () => {
    const rows = halfPlaneRows(30, 6);
    rows[0][2] = 3;
    const sparse = writeCsv(dir, 'sparse.csv', ['x1', 'x2', 'y'], rows);
    const r = await cli(...TRAIN, '--json', '--train', sparse, '--test', test, '--classes', '5', '--model', '2-8-5');
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { model: string }).model).toMatch(/^2-8-5 /);
    expectOneLine(await cli(...TRAIN, '--train', sparse, '--test', test, '--classes', '3'), sparse, 'label 3 is not one of the 3 classes 0..2');
    expectOneLine(await cli(...TRAIN, '--classes', '3'), '--classes only applies to --train/--test');
  });
});

describe('5: divergence by saturation', () => {
  it('back-propagation pinned at the BCE clamp is a divergence, not a finished run', async () => {
    const save = join(tempDir(), 'w.safetensors');
    const r = await cli('train', '--schedule', 'backprop', '--optimizer', 'sgd', '--lr', '1e6', '--step', 'batch', '--epochs', '5', '--quiet', '--save', save);
    expectOneLine(r, 'backprop (seed 0) diverged at epoch 1', /pinned near the binary cross-entropy's clamp|is saturated/, 'lower the learning rate');
    expect(existsSync(save)).toBe(false);
  });

  it('compare reports a diverged run in its table, and the later schedules still run', async () => {
    const out = join(tempDir(), 'out');
    // At lr 3, SGD on the seed's model: local-parallel reaches NaN within a few epochs, back-propagation does not.
    const r = await cli('compare', '--schedules', 'local-parallel,backprop', '--optimizer', 'sgd', '--lr', '3', '--step', 'batch', '--epochs', '5', '--seeds', '1', '--quiet', '--report', 'off', '--out', out);
    expectOneLine(r, '1 of 2 runs diverged, the others finished', 'local-parallel (seed 0) diverged at epoch');
    const table = lines(r.stdout);
    expect(table.find((l) => l.startsWith('local-parallel'))).toMatch(/diverged\s+seed 0 epoch \d/);
    expect(table.find((l) => l.startsWith('backprop'))).toMatch(/^backprop\s+\S+\s+1\s+0\.\d{4}\s/);
    const results = readJson<{ results: { schedule: string }[]; diverged: { schedule: string; epoch: number }[] }>(join(out, 'results.json'));
    expect(results.results.map((x) => x.schedule)).toEqual(['backprop']);
    expect(results.diverged.map((x) => x.schedule)).toEqual(['local-parallel']);
    expect(listDir(out)).toContain('local-parallel-seed0.failed.json');
  });
});

describe('6: memory is estimated from the spec before anything is allocated', () => {
  it('2-40000-40000-1 is refused with the estimate and the wasm limit', async () => {
    const out = join(tempDir(), 'out');
    const started = Date.now();
    const r = await cli(...TRAIN, '--model', '2-40000-40000-1', '--out', out);
    expectOneLine(r, /model 2-40000-40000-1 .* needs about [\d.]+ MiB to train/, "the wasm backend's 4 GiB heap", 'narrower layers');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(existsSync(out)).toBe(false);
  });

  it('names only the fixes that help: fewer rows a step when activations are most of it', async () => {
    // 60000 rows a step on three 1024-wide blocks: about 4.4 GiB, most of it activations.
    const r = await cli(...TRAIN, '--dataset', 'mnist', '--model', '784-1024-1024-1024-10', '--step', 'epoch');
    expectOneLine(r, 'needs about 4410.97 MiB', '--step batch (a step of --step epoch holds the whole training set)');
    expectOneLine(await cli(...TRAIN, '--model', '2-40000-40000-1'), /4 GiB heap; use narrower layers\n$/);
  });
});

describe('7: path errors answer at once', () => {
  it('--out /proc/foo (where Node\'s recursive mkdir never returns)', async () => {
    const started = Date.now();
    expectOneLine(await cli(...TRAIN, '--out', '/proc/localprop-test/out'), 'cannot create folder /proc/localprop-test');
    expectOneLine(await cli(...TRAIN, '--save', '/proc/localprop-test/w.safetensors'), 'cannot create folder /proc/localprop-test');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('8: nothing is written to --out until the inputs are checked', () => {
  it('--val too large, --train-share 2, an empty --data-dir, a NaN --init, a huge model', async () => {
    const empty = tempDir();
    const nanInit = join(dir, 'nan-8.safetensors');
    writeNanCheckpoint(checkpoint, nanInit, 'blocks.1.bias');
    for (const [args, pattern] of [
      [['--val', '5000'], '--val 5000: a validation split needs between 1 and 999 examples, got 5000'],
      [['--train-share', '2'], '--train-share is the share of the points'],
      [['--dataset', 'mnist', '--data-dir', empty, '--model', '784-10'], 'mnist'],
      [['--init', nanInit], 'non-finite'],
      [['--model', '2-40000-40000-1'], 'needs about'],
    ] as const) {
      const out = join(tempDir(), 'out');
      expectOneLine(await cli('compare', '--epochs', '1', '--seeds', '1', '--schedules', 'backprop', '--quiet', ...args, '--out', out), pattern);
      expect(existsSync(out), `${args.join(' ')} left ${listDir(out).join(', ')}`).toBe(false);
    }
  });

  it('the command\'s header line is printed only once the inputs are checked', async () => {
    // Not --quiet: the header would come first and make the error a second line.
    expectOneLine(await cli('compare', '--epochs', '1', '--seeds', '1', '--val', '5000'), '--val 5000');
    expectOneLine(await cli('train', '--schedule', 'backprop', '--epochs', '1', '--val', '5000'), '--val 5000');
  });
});

describe('9: an --out folder holds one run', () => {
  it('a second train or compare into a non-empty --out is refused, naming --resume', async () => {
    const out = join(tempDir(), 'out');
    expect((await cli(...TRAIN, '--report', 'off', '--out', out)).code).toBe(0);
    const before = listDir(out);
    expectOneLine(await cli(...TRAIN, '--report', 'off', '--out', out), `--out ${out} already holds`, 'give a new folder', `--resume ${out}`);
    expectOneLine(await cli('compare', '--epochs', '1', '--seeds', '1', '--quiet', '--out', out), `--out ${out} already holds`);
    expect(listDir(out)).toEqual(before);
  });

  it('an existing empty folder is fine', async () => {
    const out = join(tempDir(), 'empty-out');
    mkdirSync(out);
    expect((await cli(...TRAIN, '--report', 'off', '--out', out)).code).toBe(0);
    expect(listDir(out)).toContain('results.json');
  });
});

describe('10: non-finite --init tensors are named', () => {
  it('a NaN in decoders.0.weight is blamed on the file, not the learning rate', async () => {
    const nanInit = join(dir, 'nan-10.safetensors');
    writeNanCheckpoint(checkpoint, nanInit, 'decoders.0.weight');
    const r = await cli(...TRAIN, '--init', nanInit);
    expectOneLine(r, `--init ${nanInit}: tensor "decoders.0.weight" holds 1 non-finite value (the first, NaN, at index 3)`);
    expect(r.stderr).not.toMatch(/learning rate/);
  });
});

describe('11: parsing', () => {
  it('numbers: a stray comma, hex, Infinity, 0 as a rate', async () => {
    for (const [args, pattern] of [
      [['--seeds', '3,'], '--seeds "3," has an empty item (a stray comma)'],
      [['--seeds', ',3'], 'empty item'],
      [['--lr', '0x10'], '--lr must be a decimal number (like 16 or 1e-3), got "0x10"'],
      [['--lr', 'Infinity'], '--lr must be a finite number, got "Infinity"'],
      [['--lr', '1e999'], '--lr must be a finite number'],
      [['--lr', '0'], '--lr must be > 0 (a rate of 0 trains nothing), got 0'],
      [['--epochs', ' '], '--epochs must be a number'],
      [['--epochs', '0b11'], 'decimal'],
    ] as const) {
      expectOneLine(await cli('compare', '--quiet', '--epochs', '1', ...args), pattern);
    }
  });

  it('config values of the wrong type say what type they need', async () => {
    for (const [config, pattern] of [
      [{ model: 42 }, '"model" in'],
      [{ model: 42 }, 'must be a name or a path (a string), got 42'],
      [{ quiet: 'yes' }, 'is a switch: give true or false, got "yes"'],
      [{ seeds: [0, null] }, 'must list names or numbers'],
      [{ seeds: [] }, 'needs at least one seed'],
      [{ lr: '0x10' }, 'decimal number'],
    ] as const) {
      const path = join(tempDir(), 'config.json');
      writeFileSync(path, JSON.stringify(config));
      expectOneLine(await cli('compare', '--quiet', '--epochs', '1', '--config', path), pattern);
    }
  });

  it('commander\'s own errors take the same one-line form', async () => {
    expectOneLine(await cli('compare', '--epoch', '2'), /^localprop: unknown option '--epoch' \(Did you mean --epochs\?\); see localprop --help\n$/);
    expectOneLine(await cli('compare', '--epochs'), /^localprop: option '--epochs <n>' argument missing/);
    expectOneLine(await cli('frobnicate'), "localprop: unknown command 'frobnicate'");
    expectOneLine(await cli('experiment'), "localprop: missing required argument 'name'");
  });
});

/** Copies checkpoint `from` to `to` with a NaN at index 3 of tensor `name`. */
function writeNanCheckpoint(from: string, to: string, name: string): void {
  const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(from)));
  tensors[name].data[3] = NaN;
  writeFileSync(to, encodeSafetensors(tensors, metadata));
}

describe('the rest of each kind, found by trying', () => {
  it('--seeds and --seed beyond what an array or the generator holds', async () => {
    expectOneLine(await cli('compare', '--quiet', '--epochs', '1', '--seeds', '1e300'), '--seeds must be a whole number below 2^53');
    expectOneLine(await cli('compare', '--quiet', '--epochs', '1', '--seeds', '99999999999'), 'give at most 100000, or list the seeds');
    expectOneLine(await cli('train', '--schedule', 'backprop', '--quiet', '--epochs', '1', '--seed', '1e300'), '--seed must be a whole number ≥ 0 (below 2^53)');
  });

  it('a device as an input file is refused, not read until memory runs out', async () => {
    const started = Date.now();
    expectOneLine(await cli(...TRAIN, '--init', '/dev/zero'), '--init /dev/zero: cannot read it (it is not a regular file)');
    expectOneLine(await cli(...TRAIN, '--train', '/dev/zero', '--test', test), '--train /dev/zero: cannot read it (it is not a regular file)');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('experiment options are parsed as strictly, and refused where they do not apply', async () => {
    expectOneLine(await cli('experiment', 'mnist', '--workers', '0x10', '--out', join(tempDir(), 'r')), '--workers must be a decimal number');
    expectOneLine(await cli('experiment', 'gated', '--workers', '2', '--out', join(tempDir(), 'r')), '--workers does nothing for `experiment gated`; drop it');
  });

  it('one diverged run alone is "the run diverged"', async () => {
    const r = await cli('compare', '--schedules', 'backprop', '--seeds', '1', '--quiet', '--model', '2-10-1', '--optimizer', 'sgd', '--lr', '1e30', '--epochs', '3');
    expectOneLine(r, /^localprop: the run diverged: backprop \(seed 0\) diverged at epoch \d/);
    expect(lines(r.stdout).find((l) => l.startsWith('backprop'))).toMatch(/diverged/);
  });
});

describe('issue 37: CSV as spreadsheets write it', () => {
  it('quoted numbers, a byte-order mark, CRLF and quoted header names train to the numbers of the plain file', async () => {
    const spreadsheet = (name: string, rows: number[][]) => {
      const path = join(dir, name);
      const quoted = rows.map((r) => r.map((v) => `"${v}"`).join(','));
      writeFileSync(path, '\ufeff' + ['"x1, first","x2 ""second""","y"', ...quoted].join('\r\n') + '\r\n');
      return path;
    };
    const quotedTrain = spreadsheet('quoted-train.csv', halfPlaneRows(40, 1));
    const quotedTest = spreadsheet('quoted-test.csv', halfPlaneRows(20, 2));
    const plain = await cli(...TRAIN, '--json', '--train', train, '--test', test);
    const quoted = await cli(...TRAIN, '--json', '--train', quotedTrain, '--test', quotedTest);
    expect(plain.code, plain.stderr).toBe(0);
    expect(quoted.code, quoted.stderr).toBe(0);
    const results = (r: CliResult) => (JSON.parse(r.stdout) as { results: { testAccuracy: number; testLoss: number; trainLoss: number }[] }).results.map(({ testAccuracy, testLoss, trainLoss }) => [testAccuracy, testLoss, trainLoss]);
    expect(results(quoted)).toEqual(results(plain));
  });

  it('quoting it cannot read is one line with the file and line', async () => {
    const bad = join(dir, 'open-quote.csv');
    writeFileSync(bad, 'x1,x2,y\n0.1,0.2,1\n"0.3,0.4,0\n');
    expectOneLine(await cli(...TRAIN, '--train', bad, '--test', test), `\`${bad}\` line 3: a quoted cell opens on this line and is never closed`);
  });
});

describe('issue 37: structure no input has is one line, never an internal error', () => {
  const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

  it('a model JSON file nested 200,000 deep (it was a stack overflow, exit 1)', async () => {
    const model = join(dir, 'deep-model.json');
    writeFileSync(model, `{"layers": ${deep(200_000)}}`);
    expectOneLine(await cli(...TRAIN, '--model', model), `--model ${model} nests arrays and objects more than 64 levels deep (line 1)`);
    // Inline, and as an object nested below the text's limit but deep all the same.
    expectOneLine(await cli(...TRAIN, '--model', `{"layers": ${deep(100)}}`), '--model nests arrays and objects more than 64 levels deep');
  });

  it('a key given twice in a JSON config or model, as YAML already refused it', async () => {
    const config = join(dir, 'twice.json');
    writeFileSync(config, '{\n  "epochs": 2,\n  "epochs": 50\n}\n');
    expectOneLine(await cli('compare', '--quiet', '--config', config), `--config ${config} line 3: the key "epochs" appears twice in one object`);
    expectOneLine(await cli(...TRAIN, '--model', '{"layers": [2, 4, 1], "layers": [2, 1]}'), '--model line 1: the key "layers" appears twice');
  });

  it('YAML: a billion laughs, an alias inside its own anchor, nesting the reader cannot follow', async () => {
    const laughs = join(dir, 'laughs.yaml');
    const level = (name: string, of: string) => `${name}: &${name} [${Array(9).fill(`*${of}`).join(', ')}]`;
    writeFileSync(laughs, ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]', level('b', 'a'), level('c', 'b'), level('d', 'c'), level('e', 'd'), level('f', 'e'), 'epochs: [*f, *f, *f, *f, *f, *f, *f, *f, *f]'].join('\n'));
    const started = Date.now();
    expectOneLine(await cli('compare', '--quiet', '--config', laughs), `--config ${laughs} expands its aliases (*name) beyond the 100 uses localprop allows`);
    expect(Date.now() - started).toBeLessThan(5000);
    const loop = join(dir, 'loop.yaml');
    writeFileSync(loop, 'seeds: &s [0, *s]\n');
    expectOneLine(await cli('compare', '--quiet', '--config', loop), `--config ${loop} holds itself (an alias, *name, inside the collection its anchor &name marks)`);
    const nested = join(dir, 'nested.yaml');
    writeFileSync(nested, `epochs: ${deep(20_000)}\n`);
    expectOneLine(await cli('compare', '--quiet', '--config', nested), `--config ${nested} nests arrays and objects more than 64 levels deep`);
  });

  it('a config or spec beyond the size limits, refused before it is parsed', async () => {
    const big = join(dir, 'big.json');
    writeFileSync(big, `{"epochs": 2, "pad": "${'x'.repeat(17 * 1024 * 1024)}"}`);
    expectOneLine(await cli('compare', '--quiet', '--config', big), `--config ${big} is 17.0 MiB, more than the 16 MiB localprop reads as JSON`);
    const bigYaml = join(dir, 'big.yaml');
    writeFileSync(bigYaml, `epochs: 2\npad: "${'x'.repeat(2 * 1024 * 1024)}"\n`);
    expectOneLine(await cli('compare', '--quiet', '--config', bigYaml), `--config ${bigYaml} is 2.0 MiB, more than the 1 MiB localprop reads as YAML`);
  });

  it('a sweep spec whose grid expands to millions of runs, refused before anything is planned or written', async () => {
    const folder = tempDir();
    const spec = join(folder, 'huge.json');
    const values = (n: number) => Array.from({ length: n }, (_, i) => 0.001 * (i + 1));
    writeFileSync(spec, JSON.stringify({ base: { epochs: 1 }, grid: { lr: values(1000), batchSize: Array.from({ length: 100 }, (_, i) => i + 1) }, points: [{ epochs: 2 }], seeds: 30, records: 'records' }));
    const started = Date.now();
    expectOneLine(await cli('sweep', 'run', spec), `${spec} expands to 3,000,030 runs ((a grid of 1000 × 100) + 1 point × 30 seeds), more than the 100,000 one sweep may hold`);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(listDir(folder)).toEqual(['huge.json']);
  });

  it('safetensors headers: beyond the file, beyond the format, not JSON, offsets outside, an unknown dtype, nested, a name twice', async () => {
    const header = (text: string, declared?: bigint, data = new Uint8Array(8)) => {
      const json = new TextEncoder().encode(text);
      const bytes = new Uint8Array(8 + json.length + data.length);
      new DataView(bytes.buffer).setBigUint64(0, declared ?? BigInt(json.length), true);
      bytes.set(json, 8);
      bytes.set(data, 8 + json.length);
      return bytes;
    };
    const entry = '"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}';
    for (const [name, bytes, pattern] of [
      ['beyond-file', header(`{${entry}}`, 1000n), 'header claims 1000 bytes but only'],
      ['beyond-format', header(`{${entry}}`, 2n ** 64n - 1n), 'header claims 18446744073709551615 bytes, more than the 100000000 the format allows'],
      ['not-json', header('{"w": [1, 2'), 'header is not valid UTF-8 JSON'],
      ['offsets', header('{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}'), 'has data_offsets [0, 16] outside the 8-byte data buffer'],
      ['dtype', header(`{"w": {"dtype": "${'Q'.repeat(500)}", "shape": [2], "data_offsets": [0, 8]}}`), `has dtype "${'Q'.repeat(59)}… (502 characters), but only F32 is supported`],
      ['nested', header(`{"w": {"dtype": ${deep(100_000)}, "shape": [2], "data_offsets": [0, 8]}}`), 'header nests arrays and objects more than 64 levels deep'],
      ['twice', header(`{${entry}, ${entry}}`), 'header names "w" twice'],
    ] as const) {
      const path = join(dir, `${name}.safetensors`);
      writeFileSync(path, bytes);
      expectOneLine(await cli(...TRAIN, '--init', path), 'safetensors ', pattern);
    }
  });

  it('IDX files whose header does not match the file, or whose gzip trailer lies', async () => {
    const { idxBytes } = await import('../data/idx-bytes.js');
    const { gzipSync } = await import('fflate');
    const images = (count: number, values = count * 784) => idxBytes([count, 28, 28], new Uint8Array(values));
    const labels = (count: number) => idxBytes([count], new Uint8Array(count));
    const folderOf = (files: Record<string, Uint8Array>) => {
      const d = tempDir();
      for (const [name, bytes] of Object.entries(files)) writeFileSync(join(d, name), bytes);
      return d;
    };
    const good = { 't10k-images-idx3-ubyte': images(2), 't10k-labels-idx1-ubyte': labels(2) };
    const lying = gzipSync(images(3));
    new DataView(lying.buffer).setUint32(lying.length - 4, 0xffffffff, true);
    for (const [files, pattern] of [
      [{ 'train-images-idx3-ubyte': images(3, 100), 'train-labels-idx1-ubyte': labels(3) }, 'is truncated: its header announces 3×28×28 = 2352 values but only 100 bytes follow'],
      [{ 'train-images-idx3-ubyte': images(3), 'train-labels-idx1-ubyte': labels(4) }, 'holds 3 images but'],
      [{ 'train-images-idx3-ubyte': images(0), 'train-labels-idx1-ubyte': labels(0) }, 'holds 0 images of 28×28 pixels, so there is nothing to train on'],
      // A trailer of ff ff ff ff no longer sizes the output; the file reads by its contents.
      [{ 'train-images-idx3-ubyte.gz': lying, 'train-labels-idx1-ubyte': labels(4) }, 'holds 3 images but'],
    ] as const) {
      const dataDir = folderOf({ ...good, ...files });
      expectOneLine(await cli(...TRAIN, '--dataset', 'mnist', '--model', '784-10', '--data-dir', dataDir), pattern);
    }
  });
});
