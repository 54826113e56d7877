import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeQueueFolder, removeStaleQueueFolders, UNSTARTED_GRACE_SECONDS } from '../../src/sweep/queue/scratch-folders.js';
import { tempDir } from '../cli/helpers.js';

/** The id of a process that has exited (a killed worker's training process). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  expect(child.status).toBe(0);
  return child.pid;
}

function folderOf(dir: string, id: string, pid?: number, ageSeconds = 0): string {
  const folder = makeQueueFolder(id, dir);
  writeFileSync(join(folder, `${id}.checkpoint.safetensors`), new Uint8Array(64));
  if (pid !== undefined) writeFileSync(join(folder, `${id}.running.json`), JSON.stringify({ id, pid, epoch: 3, epochs: 10, checkpointEpoch: 3, resumedAt: [], updatedAt: '' }));
  const t = (Date.now() - ageSeconds * 1000) / 1000;
  utimesSync(folder, t, t);
  return folder;
}

describe("a queue worker's training folders", () => {
  it('are removed once their training process is gone, or, never started, after the grace period; a live one and other files stay', () => {
    const dir = tempDir('localprop-scratch-');
    const dead = folderOf(dir, 'aaaa000011112222', deadPid());
    const live = folderOf(dir, 'bbbb000011112222', process.pid, 10 * UNSTARTED_GRACE_SECONDS);
    const fresh = folderOf(dir, 'cccc000011112222', undefined, UNSTARTED_GRACE_SECONDS - 60);
    const old = folderOf(dir, 'dddd000011112222', undefined, UNSTARTED_GRACE_SECONDS + 60);
    const damaged = folderOf(dir, 'eeee000011112222', undefined, UNSTARTED_GRACE_SECONDS + 60);
    writeFileSync(join(damaged, 'eeee000011112222.running.json'), '{"id": "eeee0000');
    utimesSync(damaged, (Date.now() - (UNSTARTED_GRACE_SECONDS + 60) * 1000) / 1000, (Date.now() - (UNSTARTED_GRACE_SECONDS + 60) * 1000) / 1000);
    // Not a worker's: another program's folder of a similar name, and a plain file.
    const other = join(dir, 'localprop-queue-notes');
    mkdirSync(other);
    const file = join(dir, 'localprop-queue-ffff000011112222-Ab12cd');
    writeFileSync(file, 'a file');
    utimesSync(file, 0, 0);

    expect(removeStaleQueueFolders(dir).sort()).toEqual([dead, old, damaged].sort());
    expect([dead, old, damaged].map(existsSync)).toEqual([false, false, false]);
    expect([live, fresh, other, file].map(existsSync)).toEqual([true, true, true, true]);
    expect(readdirSync(live)).toEqual(['bbbb000011112222.checkpoint.safetensors', 'bbbb000011112222.running.json']);
    expect(removeStaleQueueFolders(dir)).toEqual([]);
  });

  it('is nothing to remove in a folder that does not exist', () => {
    expect(removeStaleQueueFolders(join(tempDir('localprop-scratch-'), 'absent'))).toEqual([]);
  });
});
