import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { LocalpropError } from '../util/errors.js';
import { makeFolder } from './output-paths.js';

/**
 * Writes `data` to `path` through a temporary file in the same folder and a
 * rename, so a reader never sees half a file and a crash leaves the old one.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  makeFolder(dir);
  const temp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, data);
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw new LocalpropError(cannotWrite(path, e as NodeJS.ErrnoException));
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
