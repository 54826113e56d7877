import { closeSync, existsSync, fsyncSync, linkSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { LocalpropError } from '../util/errors.js';
import { processAlive } from '../util/process.js';
import { makeFolder } from './output-paths.js';

/**
 * Writes `data` to `path` through a temporary file in the same folder,
 * flushed to the disk, and a rename (its folder flushed too), so a reader
 * never sees half a file and a crash, even of the machine, leaves the old
 * one or the new one whole.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  makeFolder(dir);
  const temp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  writeFlushed(temp, data, path);
  try {
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw new LocalpropError(cannotWrite(path, e as NodeJS.ErrnoException));
  }
  // The rename lives in the folder's entries: flushed, it survives a power cut. Some file systems refuse a folder's fsync; the file is whole either way.
  try {
    flush(dir, 'r');
  } catch {
    // As above.
  }
}

/**
 * Writes `data` to the new file `temp` and flushes it to the disk; on any
 * failure (a full disk among them) removes it and says, in one line, that
 * `path` could not be written. The first half of an atomic write, for
 * writers that finish it their own way (a hard link that refuses to replace).
 */
export function writeFlushed(temp: string, data: string | Uint8Array, path = temp): void {
  try {
    writeFileSync(temp, data);
    flush(temp, 'r+');
  } catch (e) {
    rmSync(temp, { force: true });
    throw new LocalpropError(cannotWrite(path, e as NodeJS.ErrnoException));
  }
}

function flush(path: string, mode: 'r' | 'r+'): void {
  const fd = openSync(path, mode);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Removes the temporary files of {@link writeFileAtomic} in `dir` whose
 * writer is gone (killed before its rename): they are named
 * `.<file>.<pid>.tmp`, and a live process's are left alone.
 */
export function removeStaleTemporaries(dir: string): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const pid = /^\..+\.(\d+)\.tmp$/.exec(name)?.[1];
    if (pid !== undefined && Number(pid) !== process.pid && !processAlive(Number(pid))) rmSync(join(dir, name), { force: true });
  }
}

/** Where {@link writeKeepingPrevious} keeps the file it replaced. */
export function previousPath(path: string): string {
  return `${path}.previous`;
}

/**
 * {@link writeFileAtomic}, keeping the file it replaces as
 * {@link previousPath}: for checkpoints, so that one found damaged later
 * (see {@link readWithFallback}) leaves the one before it.
 */
export function writeKeepingPrevious(path: string, data: Uint8Array): void {
  if (existsSync(path)) {
    const previous = previousPath(path);
    rmSync(previous, { force: true });
    try {
      // A second name for the same bytes: no copy, and the current file stays in place.
      linkSync(path, previous);
    } catch {
      writeFileAtomic(previous, readFileSync(path));
    }
  }
  writeFileAtomic(path, data);
}

/**
 * Reads `path` with `decode`, and when it is missing or fails to decode
 * (truncated, its checksum wrong) while {@link previousPath} holds one that
 * decodes, that one, with a line saying so for the user; undefined when
 * neither exists. A damaged file with no previous one throws its error.
 */
export function readWithFallback<T>(path: string, decode: (bytes: Uint8Array, source: string) => T): { value: T; note?: string } | undefined {
  const previous = previousPath(path);
  if (!existsSync(path)) return existsSync(previous) ? { value: decode(new Uint8Array(readFileSync(previous)), previous), note: `${path} is missing (the process stopped while replacing it): continuing from the one before it, ${previous}` } : undefined;
  try {
    return { value: decode(new Uint8Array(readFileSync(path)), path) };
  } catch (e) {
    if (!(e instanceof LocalpropError) || !existsSync(previous)) throw e;
    return { value: decode(new Uint8Array(readFileSync(previous)), previous), note: `${e.message.replace(/; the file is damaged.*$/, '')}: continuing from the one before it, ${previous}` };
  }
}

/** Why a write failed, and what to do. A full disk is no matter of paths or permissions. */
function cannotWrite(path: string, e: NodeJS.ErrnoException): string {
  if (e.code === 'ENOSPC' || e.code === 'EDQUOT') {
    const full = e.code === 'ENOSPC' ? 'the disk is full' : 'the disk quota is used up';
    return `cannot write ${path}: ${full} (${e.code}); nothing was half-written and the files written before it are kept, so free some space and run the command again (--resume DIR continues a train or compare --out DIR from its last checkpoint, \`sweep run --retry-failed\` a sweep's run from its own)`;
  }
  return `cannot write ${path} (${e.message}); check the path and its permissions`;
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/** Reads a file the user named, with an error that says which option named it. */
export function readUserFile(path: string, option: string): Buffer {
  try {
    // A device or a pipe (/dev/zero, /dev/stdin) would be read until memory runs out, or forever.
    const stat = statSync(path);
    if (!stat.isFile() && !stat.isDirectory()) throw new LocalpropError(`${option} ${path}: cannot read it (it is not a regular file); give a file`);
    return readFileSync(path);
  } catch (e) {
    if (e instanceof LocalpropError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message;
    throw new LocalpropError(`${option} ${path}: cannot read it (${why}); check the path`);
  }
}
