import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { commandOptions } from '../../options/table.js';
import { check } from '../../util/errors.js';
import { checkNesting } from '../../util/structured-input.js';
import { RECORDS_IN_REDIS, type SweepSpec } from '../spec.js';

/**
 * What a queued job may hold and name. Whoever can write to the queue can
 * hand workers a job; these checks keep a job to what `sweep submit` would
 * have sent (see docs/sweeps-redis.md, Security): a spec of bounded size,
 * whose files and records lie in its own folder or below it.
 */

/**
 * The most bytes of one job's JSON. Every run's job carries the whole spec,
 * so a sweep's jobs take runs × this in Redis; a spec is a few KiB.
 */
export const MAX_JOB_BYTES = 1024 * 1024;

const KIB = 1024;

/** Refuses job data nested past the input limits or over {@link MAX_JOB_BYTES} as JSON; `source` names it in messages. */
export function checkJobSize(data: unknown, source: string): void {
  // First: measuring it stringifies it, which recursion that deep would not survive.
  checkNesting(data, source);
  const bytes = new TextEncoder().encode(JSON.stringify(data) ?? '').length;
  check(
    bytes <= MAX_JOB_BYTES,
    () => `${source}: one run's job takes ${(bytes / KIB).toFixed(0)} KiB, more than the ${MAX_JOB_BYTES / KIB} KiB a queued job may hold (each job carries the whole spec); shorten the spec (fewer points, shorter values) or split it into several`,
  );
}

/** The options that name a file or folder: read beside the spec, as `localprop train` reads them beside a --config. */
function fileKeys(): string[] {
  return commandOptions('train')
    .filter((d) => d.file === true)
    .map((d) => d.key);
}

/** Whether `path` is `folder` or lies below it, as written: a link inside the folder is its owner's choice. */
function inside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!isAbsolute(rel) && rel.split(sep)[0] !== '..');
}

/**
 * Refuses a spec whose options (`train`, `test`, `init`, `data-dir`, a
 * `model` .json file, in its base, grid or points) or records folder lie
 * outside the folder of `specPath`, before anything is read from them.
 */
export function checkSpecFolder(spec: SweepSpec, specPath: string, source: string): void {
  const folder = dirname(specPath);
  const refuse = (where: string, path: string) => {
    check(
      inside(folder, path),
      `${source}: ${where} names ${path}, outside the spec's folder ${folder}; a queued spec may name only files in its own folder or below it (whoever can write to the queue could otherwise make workers read any file), so copy or link the file into ${folder}`,
    );
  };
  const keys = fileKeys();
  const named = (where: string, options: Record<string, unknown>) => {
    for (const key of keys) {
      const value = options[key];
      // A model given inline (spec text or JSON) is not a file, as resolveOptions has it.
      if (typeof value !== 'string' || (key === 'model' && !value.endsWith('.json'))) continue;
      refuse(`${where} "${key}"`, resolve(folder, value));
    }
  };
  named('base', spec.base);
  for (const [key, values] of Object.entries(spec.grid)) values.forEach((value, i) => named(`grid (value ${i + 1})`, { [key]: value }));
  spec.points.forEach((point, i) => named(`point ${i + 1}`, point));
  if (spec.records !== RECORDS_IN_REDIS) refuse('"records"', resolve(folder, spec.records));
}
