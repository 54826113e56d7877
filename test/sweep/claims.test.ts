import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeJsonAtomic } from '../../src/cli/files.js';
import { claimOwner, claimRun } from '../../src/sweep/claim.js';
import { RecordStore } from '../../src/sweep/store.js';
import { tempDir } from '../cli/helpers.js';
import { SMALL_SWEEP, writeSpec } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('run claims', () => {
  it('lets one holder at a time claim a run, says who holds it, and frees it on release', async () => {
    const folder = join(tempDir('localprop-claim-'), 'records');
    const first = await claimRun(folder, 'aa');
    expect(first).not.toBeNull();
    expect(await claimRun(folder, 'aa')).toBeNull();
    expect(claimOwner(folder, 'aa')).toMatchObject({ host: hostname(), pid: process.pid });
    // Another run is not held.
    const other = await claimRun(folder, 'bb');
    expect(other).not.toBeNull();
    await first!.release();
    expect(claimOwner(folder, 'aa')).toBeNull();
    const again = await claimRun(folder, 'aa');
    expect(again).not.toBeNull();
    await again!.release();
    await other!.release();
  });

  it('takes over at once the claim of a process of this machine that is gone', async () => {
    const folder = join(tempDir('localprop-claim-'), 'records');
    // A process that has exited: its pid names nobody now.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(gone.stdout);
    mkdirSync(join(folder, 'cc.claim'), { recursive: true });
    writeJsonAtomic(join(folder, 'cc.claim.owner.json'), { host: hostname(), pid, startedAt: '2026-12-08T00:00:00.000Z' });
    const claim = await claimRun(folder, 'cc');
    expect(claim).not.toBeNull();
    expect(claimOwner(folder, 'cc')!.pid).toBe(process.pid);
    await claim!.release();
  });

  it('two sweep runners started together on one records folder train every run once', async () => {
    const dir = tempDir('localprop-claim-');
    const path = writeSpec(dir, SMALL_SWEEP);
    const runner = () =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'sweep', 'run', path, '--jobs', '1'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('exit', (code) => done({ code, stdout, stderr }));
      });
    const [a, b] = await Promise.all([runner(), runner()]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const text = a.stderr + a.stdout + b.stderr + b.stdout;
    // Four runs, each "done" once over both runners; the runs one skipped, the other trained.
    expect(text.match(/: done, test accuracy/g)).toHaveLength(4);
    const trained = [a, b].map((r) => Number(/(\d+) trained/.exec(r.stdout)![1]));
    expect(trained[0] + trained[1]).toBe(4);
    const store = new RecordStore(join(dir, 'records'));
    expect(store.records()).toHaveLength(4);
    // No claim is left behind.
    expect(readdirSync(store.folder).filter((f) => f.includes('.claim'))).toEqual([]);
  }, 120_000);
});
