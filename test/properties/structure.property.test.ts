import fc from 'fast-check';
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { resolveOptions, type OptionValues } from '../../src/cli/options.js';
import { parseYamlSettings } from '../../src/cli/settings-file.js';
import { parseIdx } from '../../src/data/idx.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { formatModelSpec, modelSpecFrom, parseModelSpec } from '../../src/model/spec.js';
import { MAX_SWEEP_RUNS } from '../../src/sweep/run-limit.js';
import { parseSweepSpec, specConfigurations } from '../../src/sweep/spec.js';
import { INPUT_LIMITS, parseJsonInput } from '../../src/util/structured-input.js';
import { checkProperty, outcome, type Outcome } from './property.js';

/*
 * The property tests of values (csv, config, spec, binary) feed parsers
 * inputs of the right shape with wrong values. These feed them structure no
 * real input has: nesting up to 150 deep, strings of a million characters,
 * a key given twice, lists of tens of thousands and counts that multiply to
 * trillions. Each input must parse (and round-trip) or be refused with a
 * LocalpropError, and the limit it passes must be the one named.
 */

/** What to do to one field of a document that is otherwise right. */
type Mutation = { kind: 'none' } | { kind: 'nest'; depth: number; brackets: 'array' | 'object' } | { kind: 'long'; length: number } | { kind: 'twice' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'none' } as const) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('nest' as const), depth: fc.integer({ min: 1, max: 150 }), brackets: fc.constantFrom('array' as const, 'object' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('long' as const), length: fc.constantFrom(100, 10_000, 1_000_000) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'twice' } as const) },
);

/** A JSON object's text from its fields' texts, one field changed as `m` says. Returns the text and how deep it nests. */
function documentText(fields: [string, string][], target: number, m: Mutation): { text: string; depth: number } {
  const at = target % fields.length;
  let depth = 1;
  const parts = fields.map(([key, value], i) => {
    if (i !== at) return `${JSON.stringify(key)}: ${value}`;
    if (m.kind === 'nest') {
      depth = 1 + m.depth + (value.trim().startsWith('[') || value.trim().startsWith('{') ? 1 : 0);
      const [open, close] = m.brackets === 'array' ? ['[', ']'] : ['{"k": ', '}'];
      return `${JSON.stringify(key)}: ${open.repeat(m.depth)}${value}${close.repeat(m.depth)}`;
    }
    if (m.kind === 'long') return `${JSON.stringify(key)}: ${JSON.stringify('m'.repeat(m.length))}`;
    if (m.kind === 'twice') return `${JSON.stringify(key)}: ${value}, ${JSON.stringify(key)}: ${value}`;
    return `${JSON.stringify(key)}: ${value}`;
  });
  return { text: `{${parts.join(', ')}}`, depth };
}

/** The refusal a mutation must meet, if any: the limits come before any value is looked at. */
function expectLimit(m: Mutation, depth: number, r: Outcome<unknown>): void {
  const message = r.ok ? '' : r.message;
  if (m.kind === 'nest' && depth > INPUT_LIMITS.depth) expect(message).toMatch(/more than 64 levels deep/);
  if (m.kind === 'twice') expect(message).toMatch(/appears twice in one object/);
}

describe('model spec JSON of any structure', () => {
  it('parses to a spec that round-trips, or is refused with the limit it passes (1500 inputs)', () => {
    const model = fc.record({
      widths: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.constantFrom(1000, 20_000) }),
      target: fc.nat(),
      m: mutation,
    });
    const { parsed } = checkProperty(
      model,
      ({ widths, target, m }) => {
        const layers = `[2, ${Array(widths).fill('4, ').join('')}1]`;
        const { text, depth } = documentText([['layers', layers], ['hidden', '{"activation": "relu", "normalize": true}'], ['out', '"sigmoid"']], target, m);
        const r = outcome(() => modelSpecFrom(parseJsonInput(text, '--model')));
        expectLimit(m, depth, r);
        if (!r.ok) return false;
        expect(m.kind === 'none' || (m.kind === 'nest' && depth <= INPUT_LIMITS.depth)).toBe(true);
        expect(parseModelSpec(formatModelSpec(r.value))).toEqual(r.value);
        return true;
      },
      1500,
    );
    expect(parsed).toBeGreaterThan(200);
  });
});

describe('config files of any structure', () => {
  const fields: [string, string][] = [
    ['epochs', '3'],
    ['seeds', '[0, 1, 2]'],
    ['schedules', '"backprop,local-parallel"'],
    ['lr', '0.01'],
  ];

  it('JSON: parses to options that parse again to themselves, or is refused with the limit it passes (800 inputs)', () => {
    const { parsed } = checkProperty(
      fc.record({ target: fc.nat(), m: mutation, seeds: fc.oneof({ weight: 4, arbitrary: fc.constant(3) }, { weight: 1, arbitrary: fc.constant(20_000) }) }),
      ({ target, m, seeds }) => {
        const list = `[${Array.from({ length: seeds }, (_, i) => i).join(', ')}]`;
        const { text, depth } = documentText(fields.map(([k, v]) => [k, k === 'seeds' ? list : v]), target, m);
        const r = outcome(() => resolveOptions('compare', { config: 'c.json' }, (path) => parseJsonInput(text, `--config ${path}`)));
        expectLimit(m, depth, r);
        if (!r.ok) return false;
        // As text: deep equality of a list of 200,000 seeds would take seconds.
        const again = resolveOptions('compare', { config: 'again.json' }, () => r.value);
        expect(JSON.stringify(again)).toBe(JSON.stringify(r.value as OptionValues));
        return true;
      },
      800,
    );
    expect(parsed).toBeGreaterThan(200);
  });

  it('YAML: nesting, aliases that multiply, an alias inside itself, a key twice, long scalars (600 inputs)', () => {
    type Yaml = { kind: 'plain' } | { kind: 'nest'; depth: number; flow: boolean } | { kind: 'laughs'; levels: number } | { kind: 'loop' } | { kind: 'twice' } | { kind: 'long'; length: number };
    const yaml: fc.Arbitrary<Yaml> = fc.oneof(
      fc.constant({ kind: 'plain' as const }),
      fc.record({ kind: fc.constant('nest' as const), depth: fc.integer({ min: 1, max: 1500 }), flow: fc.boolean() }),
      // Levels of nine aliases each: 9^levels values once expanded.
      fc.record({ kind: fc.constant('laughs' as const), levels: fc.integer({ min: 1, max: 8 }) }),
      fc.constant({ kind: 'loop' as const }),
      fc.constant({ kind: 'twice' as const }),
      fc.record({ kind: fc.constant('long' as const), length: fc.constantFrom(100, 100_000) }),
    );
    const textOf = (y: Yaml): string => {
      switch (y.kind) {
        case 'plain':
          return 'epochs: 3\nseeds: [0, 1]\nschedules: backprop\n';
        case 'nest':
          return y.flow ? `seeds: ${'['.repeat(y.depth)}3${']'.repeat(y.depth)}\n` : `seeds:\n${Array.from({ length: y.depth }, (_, i) => `${'  '.repeat(i)}- `).join('\n')}3\n`;
        case 'laughs': {
          const lines = ['seeds: &a0 [0, 1, 2, 3, 4, 5, 6, 7, 8]'];
          for (let k = 1; k <= y.levels; k++) lines.push(`a${k}: &a${k} [${Array(9).fill(`*a${k - 1}`).join(', ')}]`);
          return lines.join('\n') + '\n';
        }
        case 'loop':
          return 'seeds: &s [0, *s]\n';
        case 'twice':
          return 'epochs: 3\nepochs: 4\n';
        case 'long':
          return `epochs: 3\nschedules: "${'m'.repeat(y.length)}"\n`;
      }
    };
    const { parsed } = checkProperty(
      yaml,
      (y) => {
        const r = outcome(() => resolveOptions('compare', { config: 'c.yaml' }, (path) => parseYamlSettings(textOf(y), `--config ${path}`)));
        const message = r.ok ? '' : r.message;
        if (y.kind === 'laughs' && y.levels >= 3) expect(message).toMatch(/expands its aliases/);
        if (y.kind === 'loop') expect(message).toMatch(/holds itself/);
        if (y.kind === 'twice') expect(message).toMatch(/unique/);
        // Block nesting indents each level further: past about 1000 levels the text passes the size limit first.
        if (y.kind === 'nest' && y.depth + 1 > INPUT_LIMITS.depth) expect(message).toMatch(textOf(y).length > INPUT_LIMITS.yamlBytes ? /more than the 1 MiB localprop reads as YAML/ : /more than 64 levels deep/);
        if (y.kind === 'plain') expect(r.ok, message).toBe(true);
        if (r.ok) expect(resolveOptions('compare', { config: 'again.json' }, () => r.value)).toEqual(r.value);
        return r.ok;
      },
      600,
    );
    expect(parsed).toBeGreaterThan(30);
  });
});

describe('sweep specs of any size', () => {
  it('a grid, points and seeds multiplying past the limit are refused by their count; the rest expand to that count (200 inputs)', () => {
    const spec = fc.record({
      lists: fc.array(fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 12 }) }, { weight: 1, arbitrary: fc.constant(1000) }), { maxLength: 4 }),
      points: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.constantFrom(200_000) }),
      seeds: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 5 }) }, { weight: 1, arbitrary: fc.constantFrom(1000, 100_000) }),
    });
    const keys = ['lr', 'epochs', 'batchSize', 'momentum'];
    const valueOf = (key: string, i: number) => (key === 'lr' ? 0.001 * (i + 1) : key === 'momentum' ? i / 10_000 : i + 1);
    const { parsed } = checkProperty(
      spec,
      ({ lists, points, seeds }) => {
        const grid = Object.fromEntries(lists.map((n, k) => [keys[k], Array.from({ length: n }, (_, i) => valueOf(keys[k], i))]));
        const value = { base: { epochs: 1 }, grid, points: Array.from({ length: points }, () => ({ epochs: 2 })), seeds, records: 'records' };
        const product = lists.length > 0 ? lists.reduce((a, b) => a * b, 1) : 0;
        const runs = (product + points || 1) * seeds;
        const r = outcome(() => parseSweepSpec(value, 's.json'));
        if (runs > MAX_SWEEP_RUNS) {
          expect(r.ok ? '' : r.message).toMatch(/runs \(.*\), more than the 100,000 one sweep may hold/);
          return false;
        }
        expect(r.ok, r.ok ? '' : r.message).toBe(true);
        if (!r.ok) return false;
        expect(specConfigurations(r.value).length * r.value.seeds.length).toBe(runs);
        return true;
      },
      200,
    );
    expect(parsed).toBeGreaterThan(60);
  });
});

/** A safetensors file from header text and data. */
function safetensorsOf(header: string, data: Uint8Array, declared?: bigint): Uint8Array {
  const json = new TextEncoder().encode(header);
  const bytes = new Uint8Array(8 + json.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, declared ?? BigInt(json.length), true);
  bytes.set(json, 8);
  bytes.set(data, 8 + json.length);
  return bytes;
}

describe('safetensors headers of any structure', () => {
  it('many tensors, long names, a name twice, nesting, lying lengths: decoded and re-encoded, or refused (600 inputs)', () => {
    const header = fc.record({
      tensors: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.constantFrom(5000) }),
      nameLength: fc.constantFrom(1, 10, 100_000),
      m: fc.oneof(
        { weight: 3, arbitrary: fc.constant({ kind: 'none' } as const) },
        { weight: 2, arbitrary: fc.record({ kind: fc.constant('nest' as const), depth: fc.integer({ min: 1, max: 100_000 }) }) },
        { weight: 1, arbitrary: fc.constant({ kind: 'twice' } as const) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('declared' as const), length: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('shape' as const), dims: fc.array(fc.constantFrom(0, 1, 2 ** 31, 2 ** 53 - 1), { minLength: 1, maxLength: 40 }) }) },
      ),
    });
    const { parsed } = checkProperty(
      header,
      ({ tensors, nameLength, m }) => {
        const entries: string[] = [];
        for (let t = 0; t < tensors; t++) {
          const name = JSON.stringify(t === 0 ? '0'.padEnd(nameLength, 'n') : `${t}`);
          const shape = m.kind === 'shape' && t === 0 ? JSON.stringify(m.dims) : '[1]';
          const dtype = m.kind === 'nest' && t === 0 ? `${'['.repeat(m.depth)}"F32"${']'.repeat(m.depth)}` : '"F32"';
          entries.push(`${name}: {"dtype": ${dtype}, "shape": ${shape}, "data_offsets": [${4 * t}, ${4 * t + 4}]}`);
        }
        if (m.kind === 'twice') entries.push(entries[0]);
        const bytes = safetensorsOf(`{${entries.join(', ')}}`, new Uint8Array(4 * tensors).fill(63), m.kind === 'declared' ? m.length : undefined);
        const r = outcome(() => decodeSafetensors(bytes));
        if (m.kind === 'twice') expect(r.ok ? '' : r.message).toMatch(/twice/);
        // The header's object, then the tensor's entry, then the nesting around the dtype.
        if (m.kind === 'nest' && m.depth + 2 > INPUT_LIMITS.depth) expect(r.ok ? '' : r.message).toMatch(/more than 64 levels deep/);
        if (m.kind === 'declared' && m.length > 100_000_000n) expect(r.ok ? '' : r.message).toMatch(/more than the 100000000 the format allows/);
        if (!r.ok) return false;
        const again = decodeSafetensors(encodeSafetensors(r.value.tensors, r.value.metadata));
        expect(Object.keys(again.tensors)).toEqual(Object.keys(r.value.tensors));
        return true;
      },
      600,
    );
    expect(parsed).toBeGreaterThan(200);
  });
});

describe('IDX headers of any structure', () => {
  it('any rank, sizes up to 2^32-1 whose product overflows, gzip trailers that lie: parsed or refused (1000 inputs)', () => {
    const idx = fc.record({
      dims: fc.array(fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.constantFrom(2 ** 16, 2 ** 32 - 1) }), { maxLength: 255 }),
      gzip: fc.boolean(),
      trailer: fc.option(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { freq: 3 }),
    });
    const { parsed } = checkProperty(
      idx,
      ({ dims, gzip, trailer }) => {
        const product = dims.reduce((a, b) => a * b, 1);
        // The values the header announces, when there are few enough to write.
        const size = product <= 1000 ? product : 7;
        const bytes = new Uint8Array(4 + 4 * dims.length + size);
        bytes.set([0, 0, 8, dims.length]);
        dims.forEach((d, k) => new DataView(bytes.buffer).setUint32(4 + 4 * k, d, false));
        let file = gzip ? gzipSync(bytes) : bytes;
        if (gzip && trailer !== null) {
          file = file.slice();
          new DataView(file.buffer).setUint32(file.length - 4, trailer, true);
        }
        const r = outcome(() => parseIdx(file, 'f.idx'));
        if (product > 1000) expect(r.ok).toBe(false);
        if (!r.ok) return false;
        expect(r.value.dims).toEqual(dims);
        expect(r.value.data.length).toBe(product);
        return true;
      },
      1000,
    );
    expect(parsed).toBeGreaterThan(200);
  });
});
