import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from '../../util/process.js';

/** The name a queue worker's training folder starts with; the run's id and a random suffix follow. */
const PREFIX = 'localprop-queue-';
const NAME = new RegExp(`^${PREFIX}([0-9a-f]+)-[A-Za-z0-9]+$`);

/**
 * How long a folder without a progress file is left alone: its worker may be
 * between creating it and handing it to a training process, or past the
 * run's end and about to remove it.
 */
export const UNSTARTED_GRACE_SECONDS = 3600;

/** A fresh folder in `dir` where a queue worker's training process keeps run `id`'s checkpoints and progress before they go to the spec's store. */
export function makeQueueFolder(id: string, dir = tmpdir()): string {
  return mkdtempSync(join(dir, `${PREFIX}${id}-`));
}

/**
 * Removes the training folders in `dir` that workers killed past their
 * cleanup (SIGKILL, a crash, a lost machine) left behind, each holding
 * checkpoints of tens of megabytes: those whose progress file names a
 * training process that is gone, and those without one older than
 * {@link UNSTARTED_GRACE_SECONDS}. A folder of a live training process, of
 * any worker on this machine, stays. Returns the paths it removed.
 */
export function removeStaleQueueFolders(dir = tmpdir(), now = Date.now()): string[] {
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const id = NAME.exec(name)?.[1];
    if (!id) continue;
    const folder = join(dir, name);
    // Another worker starting at the same moment may have removed it already.
    const stat = statSync(folder, { throwIfNoEntry: false });
    if (!stat?.isDirectory()) continue;
    const pid = progressPid(join(folder, `${id}.running.json`));
    const stale = pid === null ? now - stat.mtimeMs > UNSTARTED_GRACE_SECONDS * 1000 : !processAlive(pid);
    if (!stale) continue;
    rmSync(folder, { recursive: true, force: true });
    removed.push(folder);
  }
  return removed;
}

/** The training process a progress file names; null when there is none yet, or it cannot be read. */
function progressPid(file: string): number | null {
  if (!existsSync(file)) return null;
  try {
    const pid = (JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }).pid;
    return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
