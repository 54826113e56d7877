import { describe, expect, it } from 'vitest';
import { brief, checkNesting, duplicateJsonKey, INPUT_LIMITS, jsonNestingTooDeep, parseJsonInput } from '../../src/util/structured-input.js';
import { localpropErrorOf } from '../support.js';

const nested = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);

describe('jsonNestingTooDeep', () => {
  it('allows 64 levels and names the line of the 65th', () => {
    expect(INPUT_LIMITS.depth).toBe(64);
    expect(jsonNestingTooDeep(nested(64))).toBeNull();
    expect(jsonNestingTooDeep(nested(65))).toBe(1);
    expect(jsonNestingTooDeep('{\n"a":\n' + nested(64) + '}')).toBe(3);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(jsonNestingTooDeep(`{"a": "${'['.repeat(100)}", "b": "\\"${'{'.repeat(100)}"}`)).toBeNull();
  });

  it('refuses 200,000 levels at once, without building them', () => {
    const started = performance.now();
    expect(jsonNestingTooDeep(nested(200_000))).toBe(1);
    expect(performance.now() - started).toBeLessThan(100);
  });
});

describe('duplicateJsonKey', () => {
  it('finds a key given twice in one object, with its line', () => {
    expect(duplicateJsonKey('{"epochs": 5,\n "lr": 1,\n "epochs": 50}')).toEqual({ key: 'epochs', line: 3 });
  });

  it('compares keys as JSON reads them: "\\u0061" is "a"', () => {
    expect(duplicateJsonKey('{"a": 1, "\\u0061": 2}')).toEqual({ key: 'a', line: 1 });
  });

  it('allows one key in two objects, and strings that equal a key as values', () => {
    expect(duplicateJsonKey('{"a": {"a": 1}, "b": [{"a": 2}, {"a": 3}], "c": "a", "d": ["a", "a"]}')).toBeNull();
  });
});

describe('parseJsonInput', () => {
  it('parses what is within the limits', () => {
    expect(parseJsonInput('{"epochs": 5, "seeds": [0, 1]}', '--config c.json')).toEqual({ epochs: 5, seeds: [0, 1] });
  });

  it('refuses each limit with one line naming the input', () => {
    expect(localpropErrorOf(() => parseJsonInput(`{"model": ${nested(100)}}`, '--config c.json'))).toBe(
      '--config c.json nests arrays and objects more than 64 levels deep (line 1); no localprop input needs that many, so check its brackets',
    );
    expect(localpropErrorOf(() => parseJsonInput('{"lr": 1, "lr": 2}', '--config c.json'))).toMatch(/^--config c\.json line 1: the key "lr" appears twice in one object; keep one of them/);
    expect(localpropErrorOf(() => parseJsonInput(' '.repeat(INPUT_LIMITS.bytes + 1), '--config c.json'))).toMatch(/^--config c\.json is 16\.0 MiB, more than the 16 MiB localprop reads as JSON/);
    expect(localpropErrorOf(() => parseJsonInput('{"lr": }', '--config c.json'))).toMatch(/^--config c\.json is not valid JSON \(.*\); check its brackets, quotes and commas$/);
  });
});

describe('checkNesting', () => {
  it('allows 64 levels of parsed values and refuses 65', () => {
    const deep = (depth: number): unknown => (depth === 0 ? 1 : [deep(depth - 1)]);
    expect(() => checkNesting(deep(64), 'v')).not.toThrow();
    expect(localpropErrorOf(() => checkNesting(deep(65), 'v'))).toMatch(/^v nests arrays and objects more than 64 levels deep/);
  });

  it('refuses a value that holds itself, and allows one value shared twice', () => {
    const loop: unknown[] = [];
    loop.push(loop);
    expect(localpropErrorOf(() => checkNesting({ a: loop }, 'spec.yaml'))).toMatch(/^spec\.yaml holds itself \(an alias/);
    const shared = { x: [1, 2] };
    expect(() => checkNesting({ a: shared, b: shared }, 'v')).not.toThrow();
  });
});

describe('brief', () => {
  it('keeps short text and cuts long text to 60 characters and its length', () => {
    expect(brief('F16')).toBe('F16');
    expect(brief('x'.repeat(1000))).toBe(`${'x'.repeat(60)}… (1000 characters)`);
  });
});
