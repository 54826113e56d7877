import { check } from '../../util/errors.js';

/** A layer's JSON object with only `allowed` keys, or an error naming the others. */
export function checkLayerKeys(value: unknown, allowed: string[], where: string): Record<string, unknown> {
  check(typeof value === 'object' && value !== null && !Array.isArray(value), `${where} must be an object like {"kind": "dense", "units": 100}; got ${JSON.stringify(value)}`);
  const o = value as Record<string, unknown>;
  const unknownKeys = Object.keys(o).filter((k) => !allowed.includes(k));
  check(unknownKeys.length === 0, `${where}: unknown key(s) ${unknownKeys.join(', ')} (allowed: ${allowed.join(', ')})`);
  return o;
}
