import { existsSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { writeJsonAtomic } from '../cli/files.js';
import { processAlive } from '../util/process.js';
import { makeFolder } from '../cli/output-paths.js';

/** Who trains a run: written beside its claim, so another runner can say who holds it. */
export interface ClaimOwner {
  host: string;
  pid: number;
  startedAt: string;
}

/** A claim this process holds on a run: release it when the run is recorded, stopped or failed. */
export interface RunClaim {
  release(): Promise<void>;
}

/**
 * A lock whose mtime its owner no longer refreshes for this long is stale
 * (the owner died, on this machine or another that shares the folder). The
 * owner refreshes it every UPDATE_MS from its event loop, which a run turns
 * between steps; a step or a checkpoint write far longer than this would
 * let another runner take the claim.
 */
const STALE_MS = 5 * 60_000;
const UPDATE_MS = 30_000;

const lockPath = (folder: string, id: string) => join(folder, `${id}.claim`);
const ownerPath = (folder: string, id: string) => join(folder, `${id}.claim.owner.json`);

/** The owner of run `id`'s claim as its file says, or null when there is none (or it is unreadable). */
export function claimOwner(folder: string, id: string): ClaimOwner | null {
  try {
    return JSON.parse(readFileSync(ownerPath(folder, id), 'utf8')) as ClaimOwner;
  } catch {
    return null;
  }
}

/**
 * Claims run `id` in the records folder `folder` before it trains, so that
 * two runners sharing the folder (two `sweep run`s, a `sweep run` and a
 * queue worker, two `experiment`s) never train it twice. Returns null when
 * another live process holds it. A claim whose owner died is taken over at
 * once when the owner ran on this machine (its pid is gone), else once its
 * lock has gone stale; the run then resumes from its checkpoint.
 */
export async function claimRun(folder: string, id: string): Promise<RunClaim | null> {
  makeFolder(folder);
  const path = lockPath(folder, id);
  const owner = claimOwner(folder, id);
  // A claim left by a process of this machine that is gone: nobody will refresh it, so no need to wait for it to go stale.
  if (existsSync(path) && owner && owner.host === hostname() && owner.pid !== process.pid && !processAlive(owner.pid)) rmSync(path, { recursive: true, force: true });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(folder, {
      lockfilePath: path,
      realpath: false,
      stale: STALE_MS,
      update: UPDATE_MS,
      // A lock found compromised (its folder removed or its mtime touched by another) means someone else may train it now: stop claiming, let the run finish.
      onCompromised: () => undefined,
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOCKED') return null;
    throw e;
  }
  writeJsonAtomic(ownerPath(folder, id), { host: hostname(), pid: process.pid, startedAt: new Date().toISOString() } satisfies ClaimOwner);
  return {
    async release() {
      rmSync(ownerPath(folder, id), { force: true });
      await release().catch(() => undefined);
    },
  };
}

/** "host H, process P, since T": who holds a claim, for the line that says a run was skipped. */
export function describeOwner(owner: ClaimOwner | null): string {
  return owner ? `host ${owner.host}, process ${owner.pid}, since ${owner.startedAt}` : 'another process';
}
