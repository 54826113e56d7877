import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeRunCheckpoint } from '../io/run-checkpoint.js';
import type { EpochEvent, RunEndEvent, RunIdentity } from '../train/events.js';
import type { RunCheckpoint } from '../train/resume.js';
import { EPOCH_CONVENTION, eventsFromVersion1, type StoredEpoch } from '../train/epoch-convention.js';
import { canonicalJson, differingOptions, type ResolvedRunOptions, type Run } from '../train/run.js';
import { LocalpropError, check } from '../util/errors.js';
import { parseJson } from './setup.js';
import { readWithFallback } from './files.js';
import type { OutFolder } from './report.js';

/** A run that had finished before the interruption, read back from its history file. */
export interface FinishedRun {
  options: ResolvedRunOptions;
  epochs: EpochEvent[];
  end: RunEndEvent;
}

/**
 * An --out folder to continue (`--resume DIR`): the command line must give
 * the same experiment as DIR/config.json records. Runs whose history file
 * exists had finished and are read back, not trained again; the run that
 * was in progress continues from DIR's checkpoint (it belongs to the first
 * unfinished run); later runs start afresh.
 */
export class ResumeFolder {
  private readonly checkpoint: RunCheckpoint | null;

  private constructor(
    private readonly out: OutFolder,
    /** The folder's config.json (the one the report shows). */
    readonly configJson: Record<string, unknown>,
  ) {
    const read = readWithFallback(out.checkpointPath, decodeRunCheckpoint);
    if (read?.note) process.stderr.write(`localprop: ${read.note}\n`);
    this.checkpoint = read?.value ?? null;
  }

  /**
   * Checks that `out` holds an unfinished experiment started with the same
   * options (`extra`: config.json's facts beyond the experiment) and opens it.
   */
  static open(out: OutFolder, extra: Record<string, unknown>, runs: RunIdentity[]): ResumeFolder {
    const dir = out.dir;
    const configPath = join(dir, 'config.json');
    check(existsSync(configPath), `--resume ${dir}: there is no ${configPath}, so no localprop run to continue; give the folder that --out wrote`);
    const saved = parseJson(readFileSync(configPath, 'utf8'), configPath) as Record<string, unknown>;
    const differ = configDifferences(saved, out.configObject(extra));
    check(
      differ.length === 0,
      `--resume ${dir}: the options differ from those the run was started with (${differ.join('; ')}); repeat the original command with --resume added`,
    );
    check(!existsSync(join(dir, 'results.json')), `--resume ${dir}: every run there has finished (results.json is written); nothing to resume`);
    const folder = new ResumeFolder(out, saved);
    const anyFinished = runs.some((r) => existsSync(out.historyPath(r)));
    check(
      folder.checkpoint !== null || anyFinished,
      `--resume ${dir}: there is no checkpoint (${out.checkpointPath}) and no finished run to continue from; the run stopped before its first checkpoint or was started without --checkpoint-every K, so run the command again without --resume`,
    );
    return folder;
  }

  /** The run read back from its history file, when it had finished. */
  finished(run: Run): FinishedRun | null {
    const identity = { schedule: run.schedule.name, seed: run.options.seed, decoders: run.options.decoders, ...(run.options.rule ? { rule: run.options.rule } : {}) };
    const path = this.out.historyPath(identity);
    if (!existsSync(path)) return null;
    const history = parseJson(readFileSync(path, 'utf8'), path) as {
      version?: number;
      options: ResolvedRunOptions;
      epochs: Omit<EpochEvent, 'type' | 'schedule' | 'seed' | 'decoders' | 'epochs'>[];
      final: Omit<RunEndEvent, 'type' | 'schedule' | 'seed' | 'decoders' | 'epochs'>;
    };
    check(Array.isArray(history.epochs) && typeof history.final === 'object' && history.final !== null, `${path} is not a run history (no epochs or final); the file is damaged, so delete it to train that run again`);
    check(history.version === undefined || history.version === EPOCH_CONVENTION, `${path} is a run history of version ${history.version}, which this localprop does not read; delete it to train that run again`);
    const differ = differingOptions(history.options, run.options);
    check(differ.length === 0, `${path} was written with other options (${differ.join('; ')}); resume with the options the run was started with`);
    // A history without a version (from before 2026-12-08) holds each epoch's scores from before its updates: converted here, the file left as it is.
    const stored = history.epochs.map((e) => e as StoredEpoch);
    const epochList = history.version === undefined ? eventsFromVersion1(stored, history.final).events : stored;
    const epochs = epochList.length - 1;
    return {
      options: history.options,
      epochs: epochList.map((e) => ({ type: 'epoch', ...identity, ...e, epochs }) as EpochEvent),
      end: { type: 'end', ...identity, epochs, ...history.final },
    };
  }

  /** The checkpoint to continue `run` from, when the interrupted run was this one. */
  checkpointFor(run: Run): RunCheckpoint | null {
    const c = this.checkpoint;
    if (!c || c.schedule !== run.schedule.name || c.seed !== run.options.seed || c.decoders !== run.options.decoders || c.rule !== run.options.rule) return null;
    return c;
  }
}

/**
 * What differs between a saved config.json and the one the command line
 * gives, as `key: saved ≠ now` (training options one level deeper). Whether
 * the test set was scored on a second thread does not change any number.
 */
export function configDifferences(saved: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const ignored = new Set(['evalThread']);
  const out: string[] = [];
  const text = (v: unknown) => (v === undefined ? 'none' : canonicalJson(v));
  const compare = (a: Record<string, unknown>, b: Record<string, unknown>, prefix: string) => {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])]) {
      if (ignored.has(key)) continue;
      const [x, y] = [a[key], b[key]];
      const nested = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
      if (key === 'training' && nested(x) && nested(y)) compare(x as Record<string, unknown>, y as Record<string, unknown>, 'training.');
      else if (text(x) !== text(y)) out.push(`${prefix}${key}: ${text(x)} ≠ ${text(y)}`);
    }
  };
  if (typeof saved !== 'object' || saved === null) throw new LocalpropError('config.json does not hold an object; the folder is damaged');
  compare(saved, now, '');
  return out;
}
