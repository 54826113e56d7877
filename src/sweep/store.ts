import { existsSync, linkSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { decodeRunCheckpoint, encodeRunCheckpoint } from '../io/run-checkpoint.js';
import type { EpochEvent, RunEndEvent } from '../train/events.js';
import type { RunCheckpoint } from '../train/resume.js';
import { LocalpropError, check } from '../util/errors.js';
import type { OptionValues } from '../cli/options.js';
import { previousPath, readWithFallback, writeFlushed, writeJsonAtomic, writeKeepingPrevious } from '../cli/files.js';
import { makeFolder } from '../cli/output-paths.js';
import type { RunConfiguration } from './configuration.js';
import { eventsFromVersion1 } from '../train/epoch-convention.js';

export const RECORD_FORMAT = 'localprop-sweep-record';

/** One epoch of a record: the run's epoch event (imported records keep only what their source had). */
export type RecordEpoch = Pick<EpochEvent, 'epoch' | 'testAccuracy'> & Partial<EpochEvent>;

/** The record version this localprop writes: 2, its events after their epochs (see EPOCH_CONVENTION). */
export const RECORD_VERSION = 2;

/** What a finished run leaves: enough to report it and to never train it again. */
export interface SweepRecord {
  format: typeof RECORD_FORMAT;
  version: typeof RECORD_VERSION;
  id: string;
  label: string;
  schedule: string;
  seed: number;
  backend: string;
  /** The options it trained with, as `localprop train` holds them. */
  options: OptionValues;
  /** Everything that decides what it computes (what {@link runId} hashes). */
  configuration: RunConfiguration;
  /** The run's epoch events 0 to `final.epochs`: the network's metrics after that many epochs, as epoch events report them. */
  history: RecordEpoch[];
  /** The final model's metrics. */
  final: { epochs: number; trainLoss: number; trainAccuracy?: number; testLoss: number; testAccuracy: number; collapsed?: RunEndEvent['collapsed'] };
  /** The run's own training and evaluation seconds (its events' clock, summed over resumes). */
  seconds: number;
  /** Seconds from the last start of its process's work on it to its record, data loading included. */
  wallSeconds?: number;
  /** The epochs it resumed from, in order (empty when it never stopped). */
  resumedAt: number[];
  /** When it finished (unknown for imported records). */
  finishedAt?: string;
  /** Records converted from an older format: the file they came from and what they lack. */
  imported?: { from: string; note: string };
  /** Set when read from a version-1 file, converted on reading (the file stays as it is): what the conversion could not know. */
  converted?: string;
}

/**
 * The latest event of a history that probed its blocks, with its epoch: the
 * last event, except in records converted from version 1, which never
 * probed the final model (there the event after the epoch before the last).
 */
export function latestProbes(history: RecordEpoch[]): { epoch: number; blockAccuracy: number[] } | undefined {
  const event = [...history].reverse().find((e) => e.blockAccuracy !== undefined);
  return event && { epoch: event.epoch, blockAccuracy: event.blockAccuracy! };
}

/** A record as a file holds it: version 1 (files from before 2026-12-08) kept each epoch's scores from before its updates. */
export type StoredRecord = SweepRecord | (Omit<SweepRecord, 'version'> & { version: 1 });

/**
 * A stored record in this version's terms: a version-1 history shifted by
 * one event (see {@link eventsFromVersion1}), its last event the final
 * model's scores; ids, options and final numbers unchanged.
 */
export function currentRecord(stored: StoredRecord): SweepRecord {
  if (stored.version === RECORD_VERSION) return stored;
  check(stored.version === 1, `the sweep record of run ${stored.id} is of version ${String(stored.version)}, which this localprop does not read; use the localprop that wrote it`);
  const { events } = eventsFromVersion1(stored.history, stored.final);
  return {
    ...stored,
    version: RECORD_VERSION,
    history: events,
    converted: 'version 1, whose epoch events held the scores before each epoch: shifted one epoch back; the final event has the final scores but no block probes, which version 1 never measured for the final model',
  };
}

/** A run that failed: its message, kept so a rerun does not try it again unless asked. */
export interface FailureRecord {
  id: string;
  label: string;
  message: string;
  /** Epochs it finished before failing. */
  epoch: number;
  at: string;
}

/** A run being trained: who trains it and how far it is; stale once its process is gone. */
export interface ProgressRecord {
  id: string;
  pid: number;
  epoch: number;
  epochs: number;
  /** The epoch of its latest checkpoint, where it resumes if stopped now. */
  checkpointEpoch: number | null;
  resumedAt: number[];
  updatedAt: string;
  /** Wall seconds an epoch lately (the median of this process's last few), once it has trained one. */
  secondsPerEpoch?: number;
}

/**
 * The records folder of a sweep: `<id>.json` for each finished run,
 * `<id>.checkpoint.safetensors` for a run stopped mid-way,
 * `<id>.failed.json` for a failed one and `<id>.running.json` while one is
 * trained. Every file is written atomically, so processes sharing the
 * folder (one per job) never read half a file.
 */
export class RecordStore {
  constructor(readonly folder: string) {}

  private path(id: string, suffix: string): string {
    return join(this.folder, `${id}${suffix}`);
  }

  private readJson<T>(path: string): T | undefined {
    if (!existsSync(path)) return undefined;
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as T;
    } catch (e) {
      throw new LocalpropError(`${path} is not valid JSON (${(e as Error).message}); it is damaged: delete it to train that run again`);
    }
  }

  record(id: string): SweepRecord | undefined {
    const r = this.readJson<StoredRecord>(this.path(id, '.json'));
    check(r === undefined || (r.format === RECORD_FORMAT && r.id === id), () => `${this.path(id, '.json')} is not the sweep record of run ${id}; move it out of the records folder`);
    return r && currentRecord(r);
  }

  /** Every record in the folder (of this sweep or not), by id. */
  records(): SweepRecord[] {
    if (!existsSync(this.folder)) return [];
    return readdirSync(this.folder)
      .filter((f) => /^[0-9a-f]+\.json$/.test(f))
      .sort()
      .map((f) => this.record(f.slice(0, -'.json'.length))!);
  }

  writeRecord(record: StoredRecord): void {
    writeJsonAtomic(this.path(record.id, '.json'), record);
  }

  /**
   * Writes the record unless the folder holds one already, and says
   * whether it did: when two processes (two queue workers, one of them
   * thought lost) finish the same run, the first record stays. A hard link
   * is created or refused in one step, on any machine sharing the folder.
   */
  writeRecordOnce(record: StoredRecord): boolean {
    makeFolder(this.folder);
    const temp = this.path(record.id, `.json.${randomBytes(6).toString('hex')}.tmp`);
    writeFlushed(temp, JSON.stringify(record, null, 2) + '\n', this.path(record.id, '.json'));
    try {
      linkSync(temp, this.path(record.id, '.json'));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    } finally {
      rmSync(temp, { force: true });
    }
  }

  /** The checkpoint file's bytes, as they travel to another store. */
  checkpointBytes(id: string): Uint8Array | undefined {
    const path = this.checkpointPath(id);
    return existsSync(path) ? new Uint8Array(readFileSync(path)) : undefined;
  }

  /** Replaces the run's checkpoint, keeping the one before it until the next (see {@link readWithFallback}). */
  writeCheckpointBytes(id: string, bytes: Uint8Array): void {
    writeKeepingPrevious(this.checkpointPath(id), bytes);
  }

  /** The run's checkpoint; the one before it, with a line on stderr, when the latest is damaged or half-replaced. */
  checkpoint(id: string): RunCheckpoint | undefined {
    const read = readWithFallback(this.checkpointPath(id), decodeRunCheckpoint);
    if (read?.note) process.stderr.write(`localprop: ${read.note}\n`);
    return read?.value;
  }

  writeCheckpoint(id: string, checkpoint: RunCheckpoint): void {
    this.writeCheckpointBytes(id, encodeRunCheckpoint(checkpoint));
  }

  removeCheckpoint(id: string): void {
    rmSync(this.checkpointPath(id), { force: true });
    rmSync(previousPath(this.checkpointPath(id)), { force: true });
  }

  private checkpointPath(id: string): string {
    return this.path(id, '.checkpoint.safetensors');
  }

  /** The ids of every failed run in the folder. */
  failureIds(): string[] {
    if (!existsSync(this.folder)) return [];
    return readdirSync(this.folder)
      .filter((f) => /^[0-9a-f]+\.failed\.json$/.test(f))
      .sort()
      .map((f) => f.slice(0, -'.failed.json'.length));
  }

  failure(id: string): FailureRecord | undefined {
    return this.readJson<FailureRecord>(this.path(id, '.failed.json'));
  }

  writeFailure(failure: FailureRecord): void {
    writeJsonAtomic(this.path(failure.id, '.failed.json'), failure);
  }

  clearFailure(id: string): void {
    rmSync(this.path(id, '.failed.json'), { force: true });
  }

  progress(id: string): ProgressRecord | undefined {
    return this.readJson<ProgressRecord>(this.path(id, '.running.json'));
  }

  writeProgress(progress: ProgressRecord): void {
    writeJsonAtomic(this.path(progress.id, '.running.json'), progress);
  }

  clearProgress(id: string): void {
    rmSync(this.path(id, '.running.json'), { force: true });
  }
}
