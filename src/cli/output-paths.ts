import { mkdirSync, readdirSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LocalpropError, check } from '../util/errors.js';

/*
 * Output paths are checked before the first epoch, and checking them leaves
 * nothing behind: a probe folder or file is made where the output would go
 * and removed at once. Folders are created one level at a time because
 * Node's `mkdirSync(path, { recursive: true })` never returns for some paths
 * (`/proc/foo` on Linux: it retries the ENOENT forever).
 */

/** The path's nearest ancestor (or itself) that exists, and the first missing level below it (null when the path exists). */
function nearestExisting(path: string): { existing: string; firstMissing: string | null } {
  let current = resolve(path);
  let below: string | null = null;
  for (;;) {
    try {
      statSync(current);
      return { existing: current, firstMissing: below };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTDIR: a file stands where a folder of the path should be; it is found as the nearest existing level.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new LocalpropError(`cannot use ${path}: ${current} cannot be read (${code ?? (e as Error).message}); choose another path`);
    }
    const parent = dirname(current);
    // The root always exists; this only guards against a filesystem that says otherwise.
    if (parent === current) return { existing: current, firstMissing: below };
    below = current;
    current = parent;
  }
}

function why(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/** Checks that a folder can be made at `missing` (whose parent exists) by making and removing it. */
function probeFolder(missing: string, option: string, path: string): void {
  try {
    mkdirSync(missing);
  } catch (e) {
    throw new LocalpropError(`${option} ${path}: cannot create folder ${missing} (${why(e)}); choose another path`);
  }
  rmdirSync(missing);
}

/** Checks that files can be written into the existing folder `dir` by writing and removing one. */
function probeWritable(dir: string, option: string, path: string): void {
  const probe = join(dir, `.localprop-probe-${process.pid}`);
  try {
    writeFileSync(probe, '');
  } catch (e) {
    throw new LocalpropError(`${option} ${path}: cannot write into ${dir} (${why(e)}); check the path and its permissions`);
  } finally {
    rmSync(probe, { force: true });
  }
}

/** Checks, leaving nothing behind, that `dir` can hold the output folder of `option`. */
function checkFolderPath(dir: string, option: string): void {
  const { existing, firstMissing } = nearestExisting(dir);
  check(statSync(existing).isDirectory(), `${option} ${dir}: cannot create folder ${dir}, because ${existing} is a file; choose another path`);
  if (firstMissing === null) probeWritable(existing, option, dir);
  else probeFolder(firstMissing, option, dir);
}

/**
 * Checks before training that the folder `--out` names can be written, and
 * (unless the command resumes in it) that it is new or empty: a second run
 * into the same folder would mix its files with the first's.
 */
export function checkOutFolder(dir: string, resume: boolean): void {
  checkFolderPath(dir, resume ? '--resume' : '--out');
  if (resume) return;
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    // Absent: it is made when the inputs are checked.
  }
  check(
    entries.length === 0,
    () => `--out ${dir} already holds ${entries.length === 1 ? 'a file' : `${entries.length} files`} (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}); a new run there would mix with them, so give a new folder (or put {time} in its name), delete this one, or continue a stopped command with --resume ${dir}`,
  );
}

/** Checks before training that `path` can be written as a file: not a folder, and its folder can be made or written. */
export function checkOutputFile(path: string, option: string): void {
  const { existing, firstMissing } = nearestExisting(path);
  if (firstMissing === null) {
    check(!statSync(existing).isDirectory(), `${option} ${path} is a folder; give a file name, like ${join(path, 'model.safetensors')}`);
    checkFolderPath(dirname(existing), option);
    return;
  }
  check(statSync(existing).isDirectory(), `${option} ${path}: cannot create folder ${dirname(path)}, because ${existing} is a file; choose another path`);
  if (firstMissing === resolve(path)) probeWritable(existing, option, path);
  else probeFolder(firstMissing, option, path);
}

/**
 * Creates `dir` and its missing parents, one level at a time (see above);
 * `option` names the flag that gave it in errors.
 */
export function makeFolder(dir: string, option = 'output'): void {
  const { existing, firstMissing } = nearestExisting(dir);
  if (firstMissing === null) {
    check(statSync(existing).isDirectory(), `cannot create folder ${dir}: ${existing} is a file (${option}); choose another path`);
    return;
  }
  const levels: string[] = [];
  for (let p = resolve(dir); p !== existing; p = dirname(p)) levels.unshift(p);
  for (const level of levels) {
    try {
      mkdirSync(level);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(level).isDirectory()) continue;
      throw new LocalpropError(`cannot create folder ${dir} (${why(e)} at ${level}); choose another path`);
    }
  }
}
