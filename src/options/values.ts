import { check } from '../util/errors.js';

/*
 * How one option's value, from a command line (a string), a config file or
 * sweep spec (any JSON value) or a link (a string), becomes a checked value.
 * Every reader takes the label the message names the option by (its flag,
 * or where it stands in a file), so each surface gives the same one line.
 */

/** A name or a path: a non-empty string. */
export const text = (v: unknown, label: string): string => {
  check(v !== '' && v !== undefined && v !== null, `${label} needs a value`);
  check(typeof v === 'string', () => `${label} must be a name or a path (a string), got ${JSON.stringify(v)}`);
  return v;
};
/** Decimal numbers only: `Number()` also reads hex, octal, binary and blanks, which no one means as a rate. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** A finite decimal number, from a number or its text. */
export const number = (v: unknown, label: string): number => {
  if (typeof v === 'number') {
    check(Number.isFinite(v), `${label} must be a finite number, got ${v}`);
    return v === 0 ? 0 : v;
  }
  check(typeof v !== 'boolean' && !Array.isArray(v) && (typeof v !== 'object' || v === null), () => `${label} must be a number, got ${JSON.stringify(v)}`);
  const s = text(v, label).trim();
  check(!/^[+-]?(infinity|inf|nan)$/i.test(s), `${label} must be a finite number, got "${s}"`);
  check(!/^[+-]?0[xob]/i.test(s), `${label} must be a decimal number (like 16 or 1e-3), got "${s}"`);
  check(DECIMAL.test(s), `${label} must be a number, got "${String(v)}"`);
  const n = Number(s);
  check(Number.isFinite(n), `${label} must be a finite number, got "${s}" (it overflows)`);
  // "-0" is 0: written back (a link, config.json) it would come back as 0, another value.
  return n === 0 ? 0 : n;
};
/** A whole number ≥ 1. */
export const positiveInt = (v: unknown, label: string): number => {
  const n = number(v, label);
  check(Number.isInteger(n) && n >= 1, `${label} must be a whole number ≥ 1, got ${String(v)}`);
  check(Number.isSafeInteger(n), `${label} must be a whole number below 2^53, got ${String(v)}`);
  return n;
};
/** A number ≥ 0. */
export const nonNegative = (v: unknown, label: string): number => {
  const n = number(v, label);
  check(n >= 0, `${label} must be ≥ 0, got ${n}`);
  return n;
};
/** A number > 0 (a rate). */
export const positive = (v: unknown, label: string): number => {
  const n = number(v, label);
  check(n > 0, `${label} must be > 0 (a rate of 0 trains nothing), got ${n}`);
  return n;
};
/** Items of a comma-separated list (or a JSON array); an empty item is a stray comma, refused rather than dropped. */
export const items = (v: unknown, label: string): string[] => {
  if (Array.isArray(v)) {
    check(v.every((x) => typeof x === 'string' || typeof x === 'number'), () => `${label} must list names or numbers, got ${JSON.stringify(v)}`);
    return v.map((x) => String(x).trim());
  }
  const s = text(v, label);
  const parts = s.split(',').map((p) => p.trim());
  check(!parts.includes(''), `${label} "${s}" has an empty item (a stray comma); write the items separated by single commas, like 0,3,7`);
  return parts;
};
/** A non-empty list of names (comma-separated text or a JSON array). */
export const list = (v: unknown, label: string): string[] => {
  const trimmed = items(v, label);
  check(trimmed.length > 0 && !trimmed.includes(''), `${label} needs at least one name`);
  return trimmed;
};
/** Two numbers ≥ 0 separated by a comma, like 0.5,1.2. */
export const pair = (v: unknown, label: string): [number, number] => {
  const two = items(v, label);
  check(two.length === 2, `${label} takes two numbers separated by a comma, like 0.5,1.2`);
  return [nonNegative(two[0], label), nonNegative(two[1], label)];
};
/** The parsed form of --standardize, as results and configs record it. */
export const isMeanStd = (v: unknown): v is { mean: unknown; std: unknown } => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).sort().join() === 'mean,std';
/** Two numbers separated by a comma (or a JSON array of two). */
export const pairOfNumbers = (v: unknown, label: string): [number, number] => {
  const items = Array.isArray(v) ? v : text(v, label).split(',');
  check(items.length === 2, `${label} takes two numbers separated by a comma, like 0.1307,0.3081`);
  return [number(items[0], label), number(items[1], label)];
};
/** Points a side of a picture's grid, 2 to 2000. */
export const gridSide = (v: unknown, label: string): number => {
  const n = positiveInt(v, label);
  check(n >= 2 && n <= 2000, `${label} must be between 2 and 2000 points a side, got ${n}`);
  return n;
};
/** A switch: true or false (a flag given alone is true). */
export const flag = (v: unknown, label: string): boolean => {
  check(v === true || v === false || v === 'true' || v === 'false', () => `${label} is a switch: give true or false, got ${JSON.stringify(v)}`);
  return v === true || v === 'true';
};
/** A reader of one of `allowed` (the playground's table reads its own choices with it too). */
export const oneOf =
  <T extends string>(...allowed: readonly T[]) =>
  (v: unknown, label: string): T => {
    const s = text(v, label);
    check((allowed as readonly string[]).includes(s), `${label} must be one of ${allowed.join(', ')}, got "${s}"`);
    return s as T;
  };

/** A row's `choices` and the reader of one of them, from one list: `...chosen(['epoch', 'batch'] as const)`. */
export const chosen = <T extends string>(values: readonly T[]) => ({ choices: values, parse: oneOf(...values) });

/** --report on|off, --no-report (commander's false) or a config file's true/false, as on or off. */
export const reportSwitch = (v: unknown, label: string): 'on' | 'off' => (typeof v === 'boolean' ? (v ? 'on' : 'off') : oneOf('on', 'off')(v, label));

/** More seeds than anyone runs: `--seeds 1e11` is a typo, not a plan (and would not fit in an array). */
const MAX_SEEDS = 100_000;

/** `--seeds 5` means seeds 0-4; `--seeds 0,3,7` a list. */
export function parseSeeds(v: unknown, label = '--seeds'): number[] {
  if (typeof v === 'number' || (typeof v === 'string' && !v.includes(',')) || v === undefined || v === null) {
    const n = positiveInt(v, label);
    check(n <= MAX_SEEDS, `${label} ${n} asks for ${n} runs of every schedule; give at most ${MAX_SEEDS}, or list the seeds you want, like 0,3,7`);
    return Array.from({ length: n }, (_, i) => i);
  }
  const seeds = items(v, label).map((s) => number(s, label));
  check(seeds.length > 0, `${label} needs at least one seed`);
  check(seeds.every((s) => Number.isSafeInteger(s) && s >= 0), `${label}: seeds must be whole numbers ≥ 0 (below 2^53), got ${String(v)}`);
  check(new Set(seeds).size === seeds.length, `${label}: a seed is listed twice in ${String(v)}`);
  return seeds;
}
