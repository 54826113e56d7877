import { LocalpropError } from './errors.js';

/**
 * Limits on the JSON and YAML a user hands in (model specs, --config files,
 * sweep specs, a safetensors header), so that structure no real input has
 * (nesting 200,000 deep, a billion laughs, a key given twice) is one line
 * saying what is wrong instead of a stack overflow or a hang. The values
 * are far above anything the inputs need: a sweep spec nests 5 levels.
 */
export const INPUT_LIMITS = {
  /** Bytes of a JSON file read as settings or a spec. */
  bytes: 16 * 1024 * 1024,
  /** Bytes of a YAML file: its reader takes about 2 s a MiB. */
  yamlBytes: 1024 * 1024,
  /** Levels of nested arrays and objects. */
  depth: 64,
  /**
   * YAML's alias budget, as the `yaml` package counts it (uses of an anchor
   * times the aliases inside it): its own default, set here so it is ours.
   */
  yamlAliases: 100,
} as const;

const MIB = 1024 * 1024;

/** Refuses input of more than `limit` bytes (by default {@link INPUT_LIMITS}.bytes, JSON's). */
export function checkInputSize(bytes: number, label: string, limit: number = INPUT_LIMITS.bytes, format = 'JSON'): void {
  if (bytes <= limit) return;
  throw new LocalpropError(`${label} is ${(bytes / MIB).toFixed(1)} MiB, more than the ${limit / MIB} MiB localprop reads as ${format}; no spec or config needs that much, so check that this is the file you meant (or split a sweep into several specs)`);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COLON = 0x3a;

/** The index just past the string whose opening quote is at `start` (or the text's end). */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i += 2;
    else if (c === QUOTE) return i + 1;
    else i++;
  }
  return text.length;
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === NEWLINE || c === 0x0d;
}

/**
 * The 1-based line where JSON text first nests deeper than `maxDepth`, or
 * null. Counts brackets outside strings only, so it runs before
 * `JSON.parse` builds anything (it would build 5 million nested arrays in
 * 3 s) and needs no valid JSON.
 */
export function jsonNestingTooDeep(text: string, maxDepth: number = INPUT_LIMITS.depth): number | null {
  let depth = 0;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = stringEnd(text, i) - 1;
    else if (c === NEWLINE) line++;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth) return line;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return null;
}

/**
 * The first key that appears twice in one object of valid JSON text, with
 * its 1-based line, or null. `JSON.parse` keeps the last silently; YAML's
 * reader refuses a repeated key, and JSON inputs are held to the same rule.
 */
export function duplicateJsonKey(text: string): { key: string; line: number } | null {
  // One entry per open bracket: the keys seen in an object, null for an array.
  const open: (Set<string> | null)[] = [];
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === NEWLINE) line++;
    else if (c === OPEN_OBJECT) open.push(new Set());
    else if (c === OPEN_ARRAY) open.push(null);
    else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) open.pop();
    else if (c === QUOTE) {
      const end = stringEnd(text, i);
      let next = end;
      while (next < text.length && isBlank(text.charCodeAt(next))) next++;
      const keys = open[open.length - 1];
      if (keys && text.charCodeAt(next) === COLON) {
        const raw = text.slice(i, end);
        const key = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        if (keys.has(key)) return { key, line };
        keys.add(key);
      }
      i = end - 1;
    }
  }
  return null;
}

/** A value for a message: at most 80 characters of it. */
export function brief(text: string): string {
  return text.length <= 80 ? text : `${text.slice(0, 60)}… (${text.length} characters)`;
}

/**
 * Parses JSON a user gave, within {@link INPUT_LIMITS}: its size, its
 * nesting, and no key twice in one object. `label` names it in messages
 * (`--config a.json`).
 */
export function parseJsonInput(text: string, label: string): unknown {
  checkInputSize(text.length, label);
  const deep = jsonNestingTooDeep(text);
  if (deep !== null) throw tooDeep(label, `line ${deep}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new LocalpropError(`${label} is not valid JSON (${(e as Error).message}); check its brackets, quotes and commas`);
  }
  const twice = duplicateJsonKey(text);
  if (twice !== null) throw new LocalpropError(`${label} line ${twice.line}: the key "${brief(twice.key)}" appears twice in one object; keep one of them (JSON readers differ on which one counts)`);
  return value;
}

function tooDeep(label: string, where: string): LocalpropError {
  return new LocalpropError(`${label} nests arrays and objects more than ${INPUT_LIMITS.depth} levels deep (${where}); no localprop input needs that many, so check its brackets`);
}

/**
 * Refuses a parsed value nested deeper than {@link INPUT_LIMITS}.depth, or
 * holding itself (a YAML alias inside its own anchor): the code that reads
 * such values, and `JSON.stringify` in its messages, would recurse without
 * end. Values shared by aliases are walked each time, which the alias
 * budget bounds.
 */
export function checkNesting(value: unknown, label: string): void {
  const inside = new Set<object>();
  const walk = (v: unknown, depth: number): void => {
    if (typeof v !== 'object' || v === null) return;
    if (inside.has(v)) throw new LocalpropError(`${label} holds itself (an alias, *name, inside the collection its anchor &name marks); write the value out instead`);
    if (depth >= INPUT_LIMITS.depth) throw tooDeep(label, 'in its values');
    inside.add(v);
    for (const child of Array.isArray(v) ? v : Object.values(v)) walk(child, depth + 1);
    inside.delete(v);
  };
  walk(value, 0);
}

/** What the `yaml` package reports for input beyond the limits, by its message; null for any other error. */
export function yamlLimitProblem(error: Error, label: string): LocalpropError | null {
  if (/excessive alias count/i.test(error.message)) {
    return new LocalpropError(`${label} expands its aliases (*name) beyond the ${INPUT_LIMITS.yamlAliases} uses localprop allows (each use of an anchor counts the aliases inside it); write the values out, or use fewer aliases`);
  }
  if (error instanceof RangeError || /maximum call stack/i.test(error.message)) return tooDeep(label, 'more than the YAML reader can follow');
  return null;
}
