import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { planSweep, type PlannedRun } from '../sweep/plan.js';
import { parseSweepSpec } from '../sweep/spec.js';
import { RECORD_FORMAT, RecordStore, type StoredRecord, type SweepRecord } from '../sweep/store.js';
import { getSchedule } from '../schedules/registry.js';
import { check } from '../util/errors.js';
import { MNIST_STUDY, MNIST_TRAINING, runKey, type MnistCell, type MnistRunRecord } from './mnist-study.js';
import { blockCount } from '../model/shapes.js';
import { modelSpecFrom } from '../model/spec.js';

/** The folder of the study's records, inside the results folder (the page links it by this name). */
export const MNIST_RECORDS = 'mnist-runs';

/** How the study's runs are computed, not what: `--eval-thread`, and `--workers` (local-parallel on a pipeline of that many threads). */
export interface MnistExecution {
  evalThread?: 'on' | 'off';
  workers?: number;
}

/** What `--quick` changes: 2 epochs on 1000 examples, runs of their own ids. */
const QUICK = { limit: 1000, epochs: 2 };

/**
 * One part of the study (small or large) as a sweep spec, in the JSON a
 * spec file holds: the study's training as the base, datasets × schedules
 * as the grid, the part's seeds. Its records folder is {@link MNIST_RECORDS}
 * beside the spec.
 */
export function mnistSweepSpec(part: MnistCell['part'], datasets: string[], quick = false, execution: MnistExecution = {}): Record<string, unknown> {
  const cells = MNIST_STUDY.filter((c) => c.part === part && datasets.includes(c.dataset));
  check(cells.length > 0, `the MNIST study has no ${part} part on ${datasets.join(', ')}`);
  const t = MNIST_TRAINING;
  return {
    base: {
      model: cells[0].model,
      epochs: t.epochs,
      step: t.step,
      'batch-size': t.batchSize,
      optimizer: t.optimizer.name,
      lr: t.optimizer.lr,
      'lr-decay-at': [...t.lrDecayAt],
      'lr-decay': t.lrDecay,
      'hidden-loss': t.hiddenLoss,
      ...(quick ? QUICK : {}),
      // Where the work is done, not what it computes: the runs' ids are the same either way.
      ...(execution.evalThread ? { 'eval-thread': execution.evalThread } : {}),
      ...(execution.workers && execution.workers > 1 ? { workers: execution.workers } : {}),
    },
    grid: { dataset: cells.map((c) => c.dataset), schedule: cells[0].schedules },
    seeds: cells[0].seeds,
    records: MNIST_RECORDS,
  };
}

/** The runs of the study's parts (both datasets unless told), planned as `sweep run` plans them from specs in `specFolder` (their records beside them). */
export function planMnistStudy(specFolder: string, parts: MnistCell['part'][] = ['small', 'large'], datasets = ['mnist', 'fashion-mnist'], quick = false, execution: MnistExecution = {}): { part: MnistCell['part']; spec: Record<string, unknown>; runs: PlannedRun[] }[] {
  return parts.map((part) => {
    const spec = mnistSweepSpec(part, datasets, quick, execution);
    const path = join(specFolder, `mnist-${part}${quick ? '-quick' : ''}.sweep.json`);
    return { part, spec, runs: planSweep(parseSweepSpec(spec, path), path).runs };
  });
}

/** The view of a sweep record that the study's page reads (test error per epoch, then the final model's). */
export function mnistRunView(record: SweepRecord): MnistRunRecord {
  const o = record.options;
  const limit = o.limit as number | undefined;
  return {
    dataset: o.dataset as string,
    model: o.model as string,
    schedule: record.schedule,
    seed: record.seed,
    epochs: record.final.epochs,
    testError: 1 - record.final.testAccuracy,
    testLoss: record.final.testLoss,
    trainLoss: record.final.trainLoss,
    testErrorPerEpoch: record.history.map((e) => 1 - e.testAccuracy),
    seconds: record.seconds,
    ...(limit ? { limit } : {}),
  };
}

/** The study's records in a results folder, as the page reads them, in the order of their old file names (so sums over seeds add in the same order). */
export function mnistRunViews(folder: string): MnistRunRecord[] {
  const views = new RecordStore(folder).records().map(mnistRunView);
  const key = (r: MnistRunRecord) => runKey(r as Pick<MnistCell, 'dataset' | 'model'>, r.schedule, r.seed, r.limit);
  return views.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * A record the study wrote before it ran as a sweep (one file per run,
 * named by {@link runKey}), as a sweep record of the run `planned`, which
 * the study's spec expands to. It keeps every number the old file had;
 * what the old format lacked (per-epoch losses, the final training accuracy)
 * stays absent, as `imported.note` says.
 */
export function importMnistRecord(old: MnistRunRecord, planned: PlannedRun, from: string): StoredRecord {
  const c = planned.configuration.run;
  const epochs = getSchedule(c.schedule).totalEpochs(c.epochs, blockCount(modelSpecFrom(planned.configuration.model)));
  check(
    old.schedule === c.schedule && old.seed === c.seed && old.epochs === epochs && old.testErrorPerEpoch.length === epochs + 1,
    `${from} does not hold run ${planned.label} of the MNIST study (${old.epochs} epochs, ${old.testErrorPerEpoch.length} test errors)`,
  );
  return {
    format: RECORD_FORMAT,
    version: 1,
    id: planned.id,
    label: planned.label,
    schedule: old.schedule,
    seed: old.seed,
    backend: planned.configuration.backend,
    options: planned.options,
    configuration: planned.configuration,
    history: old.testErrorPerEpoch.slice(0, -1).map((error, k) => ({ epoch: k + 1, testAccuracy: 1 - error })),
    final: { epochs: old.epochs, trainLoss: old.trainLoss, testLoss: old.testLoss, testAccuracy: 1 - old.testError },
    seconds: old.seconds,
    resumedAt: [],
    imported: { from, note: 'trained by `experiment mnist` before it ran as a sweep: its file kept test error per epoch, the final losses and seconds, not the per-epoch losses or the final training accuracy' },
  };
}

/**
 * Converts the old-format records in `folder` (named `mnist-256-backprop-seed0.json`
 * and so on) into sweep records of the planned runs, removing each old file
 * once its new one is written. Returns how many it converted.
 */
export function importOldMnistRecords(folder: string, runs: PlannedRun[]): number {
  if (!existsSync(folder)) return 0;
  const store = new RecordStore(folder);
  const byKey = new Map(runs.map((r) => [runKey({ dataset: r.options.dataset as MnistCell['dataset'], model: r.options.model as string }, r.configuration.run.schedule, r.configuration.run.seed, r.options.limit as number | undefined), r]));
  let converted = 0;
  for (const file of readdirSync(folder).filter((f) => /^(fashion-)?mnist-.*\.json$/.test(f))) {
    const planned = byKey.get(file.slice(0, -'.json'.length));
    if (!planned) continue;
    const path = join(folder, file);
    store.writeRecord(importMnistRecord(JSON.parse(readFileSync(path, 'utf8')) as MnistRunRecord, planned, `${MNIST_RECORDS}/${file}`));
    rmSync(path);
    converted++;
  }
  return converted;
}
