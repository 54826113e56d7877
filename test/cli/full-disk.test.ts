import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { writeFileAtomic } from '../../src/cli/files.js';
import { CHECKPOINT_FILE } from '../../src/cli/report.js';
import { decodeRunCheckpoint } from '../../src/io/run-checkpoint.js';
import { planSweep } from '../../src/sweep/plan.js';
import { parseSweepSpec } from '../../src/sweep/spec.js';
import { RecordStore } from '../../src/sweep/store.js';
import { trainPlannedRun } from '../../src/sweep/train-one.js';
import { withoutTiming, writeSpec } from '../sweep/helpers.js';
import { cli, lines, listDir, stackLines, tempDir } from './helpers.js';

/*
 * A full disk, as the tests (run as root) cannot make one: Node's own
 * writeFileSync, wrapped. When `disk.fullAt` says so, a write puts half its
 * bytes on disk and fails with ENOSPC, as a write that runs out of space
 * midway does. Everything localprop writes goes through writeFileAtomic
 * (src/cli/files.ts), so this is the seam a real full disk meets.
 */
const disk = vi.hoisted(() => ({ fullAt: undefined as ((path: string) => boolean) | undefined }));

vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>();
  const writeFileSync = (path: Parameters<typeof fs.writeFileSync>[0], data: string | NodeJS.ArrayBufferView, ...rest: unknown[]) => {
    if (typeof path === 'string' && disk.fullAt?.(path)) {
      const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      fs.writeFileSync(path, bytes.subarray(0, bytes.length >> 1));
      throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    }
    return (fs.writeFileSync as (...a: unknown[]) => void)(path, data, ...rest);
  };
  return { ...fs, default: { ...fs, writeFileSync }, writeFileSync };
});

afterEach(() => {
  disk.fullAt = undefined;
});

/** The disk fills up at the `count`-th write of a file whose temporary name holds `name`. */
function fullAtWrite(name: string, count: number): void {
  let seen = 0;
  disk.fullAt = (path) => basename(path).includes(name) && ++seen === count;
}

const timeless = (results: { results: Record<string, unknown>[] }) => results.results.map(({ seconds: _s, ...rest }) => rest);

describe('a full disk', () => {
  const args = ['train', '--schedule', 'local-parallel', '--epochs', '6', '--quiet', '--json', '--eval-thread', 'off', '--report', 'off', '--checkpoint-every', '1'];

  it('train: one line saying the disk is full, the last checkpoint kept whole, and --resume ends where a run never stopped does', async () => {
    const straight = await cli(...args, '--out', tempDir());
    expect(straight.code, straight.stderr).toBe(0);

    const out = join(tempDir(), 'out');
    // Checkpoints of epochs 1 and 2 are written; the third fills the disk.
    fullAtWrite(CHECKPOINT_FILE, 3);
    const full = await cli(...args, '--out', out);
    expect(full.code).toBe(2);
    expect(lines(full.stderr)).toHaveLength(1);
    expect(stackLines(full.stderr)).toEqual([]);
    expect(full.stderr).toContain(`localprop: cannot write ${join(out, CHECKPOINT_FILE)}: the disk is full (ENOSPC); nothing was half-written and the files written before it are kept`);
    expect(full.stderr).toContain('--resume DIR continues');
    expect(full.stderr).not.toMatch(/permissions/);
    // No temporary file left, and the checkpoint on disk is the epoch-2 one, whole.
    expect(listDir(out).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const kept = decodeRunCheckpoint(new Uint8Array(readFileSync(join(out, CHECKPOINT_FILE))), CHECKPOINT_FILE);
    expect(kept.epoch).toBe(2);
    expect(existsSync(join(out, 'results.json'))).toBe(false);

    // Space is back.
    disk.fullAt = undefined;
    const resumed = await cli(...args, '--out', out, '--resume', out);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(timeless(JSON.parse(resumed.stdout))).toEqual(timeless(JSON.parse(straight.stdout)));
  });

  it('any other write error keeps its message about the path and its permissions', () => {
    // A folder where the file would go: the rename onto it fails (EISDIR).
    const folder = tempDir();
    mkdirSync(join(folder, 'results.json'));
    expect(() => writeFileAtomic(join(folder, 'results.json'), '{}')).toThrow(/^cannot write .*results\.json \(EISDIR.*\); check the path and its permissions$/);
    expect(listDir(folder)).toEqual(['results.json']);
  });

  it('sweep: the run fails with the same line, its checkpoint kept, and trained again it ends with the record of a run never stopped', async () => {
    const folder = tempDir();
    const spec = { base: { dataset: 'spiral', model: '2-8-8-1', schedule: 'local-parallel', epochs: 5, step: 'batch', batchSize: 100, optimizer: 'adam', lr: 0.01, evalThread: 'off' }, seeds: [0], records: 'records' };
    const path = writeSpec(folder, spec);
    const [run] = planSweep(parseSweepSpec(spec, path), path).runs;
    const reference = await trainPlannedRun(run, new RecordStore(join(tempDir(), 'records')), { checkpointEvery: 1 });
    expect(reference.status).toBe('done');

    const store = new RecordStore(join(folder, 'records'));
    fullAtWrite('.checkpoint.safetensors', 3);
    const failed = await trainPlannedRun(run, store, { checkpointEvery: 1 });
    expect(failed).toEqual({ status: 'failed', message: expect.stringContaining('the disk is full (ENOSPC)') });
    expect(store.failure(run.id)?.message).toContain('`sweep run --retry-failed`');
    expect(store.checkpoint(run.id)?.epoch).toBe(2);
    expect(listDir(store.folder).filter((n) => n.endsWith('.tmp'))).toEqual([]);

    // Space is back: as `sweep run --retry-failed` does, the failure is cleared and the run goes on from its checkpoint.
    disk.fullAt = undefined;
    store.clearFailure(run.id);
    const again = await trainPlannedRun(run, store, { checkpointEvery: 1 });
    expect(again.status).toBe('done');
    const record = store.record(run.id)!;
    expect(record.resumedAt).toEqual([2]);
    expect(withoutTiming(record)).toEqual(withoutTiming((reference as { record: typeof record }).record));
  });

  it('a record written once (two queue workers finishing one run) says the disk is full too, and leaves no file', () => {
    const folder = join(tempDir(), 'records');
    const store = new RecordStore(folder);
    const record = { format: 'localprop-sweep-record', version: 2, id: '00000000000000ab', seconds: 1 } as unknown as Parameters<RecordStore['writeRecordOnce']>[0];
    fullAtWrite('00000000000000ab', 1);
    expect(() => store.writeRecordOnce(record)).toThrow(/^cannot write .*00000000000000ab\.json: the disk is full \(ENOSPC\)/);
    expect(listDir(folder)).toEqual([]);
    disk.fullAt = undefined;
    expect(store.writeRecordOnce(record)).toBe(true);
  });
});
