import { tf } from '../engine/backend.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { GATED_STUDY, type GatedStudyPlan, type GatedStudyResult } from '../studies/gated-study.js';
import { chooseGate, gatedResult, gatedSweepRows, planGatedFinal, planGatedSweep, type GatedRun } from '../studies/gated-sweep.js';
import { renderGatedReport, renderResultsIndex } from '../studies/gated-report.js';
import { MNIST_STUDY } from '../studies/mnist-study.js';
import { importOldMnistRecords, MNIST_RECORDS, mnistRunViews, planMnistStudy } from '../studies/mnist-sweep.js';
import { runSweepLocally, type LocalRunSummary, type RunnerEvent } from '../sweep/local-runner.js';
import { RecordStore } from '../sweep/store.js';
import { InterruptedError, interruption } from './interrupt.js';
import { SomeRunsFailedError } from './sweep.js';
import { mnistCurves, renderMnistReport } from '../studies/mnist-report.js';
import { check } from '../util/errors.js';
import { writeFileAtomic, writeJsonAtomic } from './files.js';
import { RULES_STUDY } from '../studies/rules-study.js';
import { earlierRulesRecords, findRulesRecord, planRulesStudy, RULES_BACKENDS, RULES_RECORDS, rulesSweepSpec, rulesVariants } from '../studies/rules-sweep.js';
import { renderRulesReport } from '../studies/rules-report.js';
import { NOKLAND_ROWS, type NoklandDataset, type NoklandRecord } from '../studies/nokland-study.js';
import { adoptEarlierCheckpoint, importEarlierNoklandRecords, NOKLAND_BACKENDS, NOKLAND_QUICK, NOKLAND_RECORDS, noklandDone, noklandRecords, noklandSweepSpec, noklandVariants, planNoklandStudy } from '../studies/nokland-sweep.js';
import { noklandCurves, renderNoklandReport } from '../studies/nokland-report.js';
import { chooseConfigurations, IMAGES, interleaved, nameCandidate, optimizerOf, planPhase, summarize, TWO_D, type ParallelDataset, type StudyRun } from '../studies/parallel-study.js';
import { boundaryChart, GENERATED_MARKER, namedInProtocol, parallelCurves, renderParallelResults, resultsJson, type ParallelResults } from '../studies/parallel-report.js';
import { boundaryRow, noiselessSample } from '../studies/parallel-hypothesis.js';
import type { Dataset } from '../data/dataset.js';

/** A long study's line for a run's epoch, outcome or lost worker (its start line is the study's own). */
function sayRunLine(say: (m: string) => void, key: string, e: RunnerEvent): void {
  if (e.type === 'epoch') say(`${key}: epoch ${e.epoch}/${e.epochs}`);
  else if (e.type === 'outcome') say(`${key}: ${e.status}${e.status === 'done' ? `, test error ${(100 * (1 - e.testAccuracy!)).toFixed(2)}% (${e.seconds!.toFixed(0)} s)` : e.message ? `: ${e.message}` : ''}`);
  else if (e.type === 'worker-died') say(`${key}: its worker died (${e.reason})${e.retry ? '; continues from its checkpoint' : ''}`);
}

/** A study's progress lines on stderr, each with the seconds since the study started; none with `--quiet`. */
function progressLines(quiet: boolean): (m: string) => void {
  const started = Date.now();
  return (m) => {
    if (!quiet) process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${m}\n`);
  };
}

export const EXPERIMENTS = ['gated', 'mnist', 'rules', 'nokland', 'parallel'];

/** A few seconds' version of the study, to check the pipeline end to end. */
const QUICK: GatedStudyPlan = { ...GATED_STUDY, datasets: ['signed_xor', 'spiral'], seeds: [0, 1], sweepSeeds: [100], sweep: GATED_STUDY.sweep.slice(0, 3), epochs: 4 };

/** `localprop experiment NAME`: runs the study and writes its page and the index of results pages. */
export async function runExperimentCommand(name: string, options: ExperimentCommandOptions): Promise<string> {
  check(EXPERIMENTS.includes(name), `unknown experiment "${name}"; choose one of: ${EXPERIMENTS.join(', ')}`);
  if (name === 'mnist') return runMnistCommand(options);
  if (name === 'rules') return runRulesCommand(options);
  if (name === 'nokland') return runNoklandCommand(options);
  if (name === 'parallel') return runParallelCommand(options);
  return runGatedCommand(options);
}

/**
 * `localprop experiment gated`: the study's sweep of gate options, then its
 * final comparison with the chosen gate, as sweeps (one spec per phase and
 * dataset) trained by the sweep runner (`--jobs N`) into `runs/gated-runs/`
 * (`--checkpoints DIR`): a rerun skips finished runs and resumes stopped
 * ones. Then `gated.json` from the records, `gated.md` (tables generated;
 * the discussion kept in `gated.discussion.md` beside them) and the index
 * `../results.md`. `--render-only` rebuilds the pages from `gated.json` as
 * it is (its runs predate the sweeps: no records of them exist).
 */
async function runGatedCommand(options: ExperimentCommandOptions): Promise<string> {
  const json = join(options.out, 'gated.json');
  const jobs = options.jobs ?? 1;
  check(Number.isInteger(jobs) && jobs >= 1, `--jobs must be a whole number ≥ 1, got ${options.jobs}`);
  check(options.evalThread === undefined || options.evalThread === 'on' || options.evalThread === 'off', `--eval-thread must be on or off, got "${options.evalThread}"`);
  let result: GatedStudyResult;
  if (options.renderOnly) {
    check(existsSync(json), `--render-only needs ${json} from an earlier run; run without --render-only first`);
    result = JSON.parse(readFileSync(json, 'utf8')) as GatedStudyResult;
  } else {
    const plan = options.quick ? QUICK : GATED_STUDY;
    const execution = { evalThread: options.evalThread as 'on' | 'off' | undefined };
    const records = options.checkpoints ?? join('runs', 'gated-runs');
    const store = new RecordStore(records);
    const say = progressLines(options.quiet);
    const train = async (runs: GatedRun[]) => {
      const name = new Map(runs.map((r) => [r.planned.id, `${r.dataset} ${r.phase === 'sweep' ? `sweep ${r.config.label}` : `${r.schedule} ${r.decoders}`} seed ${r.planned.configuration.run.seed}`]));
      const summary = await runSweepLocally(
        runs.map((r) => r.planned),
        store,
        {
          jobs,
          retryFailed: true,
          shouldStop: () => interruption.requested,
          onEvent: (e) => {
            if (e.type === 'outcome') say(`${name.get(e.run.id)}: ${e.status}${e.status === 'done' ? `, accuracy ${e.testAccuracy!.toFixed(3)}` : e.message ? `: ${e.message}` : ''}`);
          },
        },
      );
      if (summary.stopped.length > 0) throw new InterruptedError(`interrupted (Ctrl-C): ${summary.stopped.length} run(s) stopped at their checkpoints in ${records}; run the same command again to continue`);
      checkNoneClaimed(summary);
      const failed = runs.filter((r) => !store.record(r.planned.id));
      // Every run counts in the study's means: a missing one would change what is chosen and compared.
      if (failed.length > 0) throw new SomeRunsFailedError(`${failed.length} run(s) of the gated study failed (${failed.map((r) => `${name.get(r.planned.id)}: ${store.failure(r.planned.id)?.message ?? 'no record'}`).slice(0, 3).join('; ')}); fix the cause and rerun the command (failed runs are trained again)`);
    };
    const recordOf = (run: GatedRun) => store.record(run.planned.id)!;
    // Planned (and so checked) before anything trains.
    const sweepRuns = planGatedSweep(plan, records, execution);
    await train(sweepRuns);
    const sweep = gatedSweepRows(sweepRuns, recordOf);
    const chosen = chooseGate(plan, sweep);
    say(`chosen: ${chosen.label}`);
    const finals = planGatedFinal(plan, chosen, records, execution);
    await train(finals);
    result = gatedResult(plan, sweep, chosen, finals, recordOf);
    writeJsonAtomic(json, result);
  }
  const command = `npx localprop experiment gated${result.plan.epochs ? ' --quick' : ''} --out ${options.out}`;
  const discussionFile = join(options.out, 'gated.discussion.md');
  const discussion = existsSync(discussionFile) ? readFileSync(discussionFile, 'utf8') : '_No discussion written yet: add gated.discussion.md beside this page._';
  const page = join(options.out, 'gated.md');
  writeFileAtomic(page, renderGatedReport(result, command, discussion));
  writeResultsIndex(options.out);
  return page;
}

export interface ExperimentCommandOptions {
  out: string;
  quick: boolean;
  quiet: boolean;
  renderOnly: boolean;
  /** mnist: which runs (small: every schedule on 784-256-256-256-10; large: the 1024-wide model). */
  part?: string;
  /** mnist: restrict to these datasets. */
  datasets?: string[];
  /** mnist, nokland: the local rows on a pipeline of this many threads. */
  workers?: number;
  /** mnist, parallel, rules, nokland, gated: worker processes training runs side by side. */
  jobs?: number;
  /** mnist: `off` scores the test set on the training thread of each run. */
  evalThread?: string;
  /** rules: the rows to run (default the shared ones); nokland: the rows (backprop, pred, sim, predsim, decoder; default all). */
  rows?: string[];
  /** nokland: the seeds to run (default 0). */
  seeds?: number[];
  /** nokland: train this many epochs instead of the recipe's (a short measurement, recorded apart). */
  epochs?: number;
  /** nokland: train on the first this many training and test examples (a short measurement, recorded apart). */
  limit?: number;
  /** nokland: folder of the mid-run checkpoints from before the study ran as a sweep, continued (default runs/nokland-checkpoints); parallel, gated: folder of the sweep records. */
  checkpoints?: string;
  /** rules, nokland: write the study's sweep spec (the rows, datasets and seeds asked) into this file and train nothing. */
  specOut?: string;
}

/**
 * `localprop experiment rules`: the rows of the rules study (default: the
 * shared budget; `--rows all`, `published` or names) as one sweep spec,
 * trained by the sweep runner (`--jobs N`; each run checkpointed on the
 * way, a stopped one resumed) into `rules-runs/`, every row without a
 * record yet; then `rules.md` and the index. New runs train on the backend
 * the command started (native where a BLAS loads); a row recorded on
 * either backend, or in the one-file-a-run format from before sweeps, is
 * not trained again. `--quick` trains 1 epoch on 1000 images, into records
 * of their own; `--spec-out FILE` writes the spec and trains nothing.
 */
async function runRulesCommand(options: ExperimentCommandOptions): Promise<string> {
  const datasets = options.datasets ?? ['mnist', 'fashion-mnist'];
  datasets.forEach((d) => check(d === 'mnist' || d === 'fashion-mnist', `--datasets takes mnist and/or fashion-mnist, got "${d}"`));
  const wanted = options.rows ?? ['shared'];
  const known = ['all', 'shared', 'published', ...RULES_STUDY.map((r) => r.id)];
  wanted.forEach((w) => check(known.includes(w), `--rows takes all, shared, published or row names (${RULES_STUDY.map((r) => r.id).join(', ')}); got "${w}"`));
  const rows = RULES_STUDY.filter((r) => wanted.includes('all') || wanted.includes(r.part) || wanted.includes(r.id));
  const jobs = options.jobs ?? 1;
  check(Number.isInteger(jobs) && jobs >= 1, `--jobs must be a whole number ≥ 1, got ${options.jobs}`);
  check(options.evalThread === undefined || options.evalThread === 'on' || options.evalThread === 'off', `--eval-thread must be on or off, got "${options.evalThread}"`);
  const backend = tf.getBackend();
  check((RULES_BACKENDS as readonly string[]).includes(backend), `the rules study trains on native or wasm, not ${backend}`);
  const execution = { evalThread: options.evalThread as 'on' | 'off' | undefined };
  const folder = join(options.out, RULES_RECORDS);
  // Planned before anything is written or trained: a row the option table refuses stops the command here.
  const planned = planRulesStudy(options.out, rows, datasets, backend, options.quick, execution);
  if (options.specOut) {
    const spec = rulesSweepSpec(rows, datasets, backend, options.quick, execution, relative(dirname(resolve(options.specOut)), resolve(folder)) || '.');
    writeJsonAtomic(options.specOut, spec);
    return options.specOut;
  }
  const every = new Map([false, true].flatMap((quick) => [...rulesVariants(options.out, RULES_STUDY, ['mnist', 'fashion-mnist'], quick)]));
  const store = new RecordStore(folder);
  const earlier = earlierRulesRecords(folder);
  if (!options.renderOnly) {
    const todo = planned.filter((r) => !findRulesRecord(every.get(r.key)!, store, earlier));
    const keyOf = new Map(todo.map((r) => [r.planned.id, r.key]));
    const say = progressLines(options.quiet);
    const summary = await runSweepLocally(
      todo.map((r) => r.planned),
      store,
      {
        jobs,
        // Asking for a row is asking to train it, even after it failed once.
        retryFailed: true,
        shouldStop: () => interruption.requested,
        onEvent: (e) => {
          const key = `${keyOf.get(e.run.id)} (${backend})`;
          if (e.type === 'started') {
            // The progress file a stopped run left says where it continues, without reading its checkpoint (160 MB for ff-paper).
            const at = store.progress(e.run.id)?.checkpointEpoch;
            say(`${key}: ${at !== null && at !== undefined ? `continues from its checkpoint at epoch ${at}` : 'started'}`);
          } else sayRunLine(say, key, e);
        },
      },
    );
    if (summary.stopped.length > 0) throw new InterruptedError(`interrupted (Ctrl-C): ${summary.stopped.length} run(s) stopped at their checkpoints in ${folder}; run the same command again to continue`);
    checkNoneClaimed(summary);
  }
  const records = [...every.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([, variants]) => findRulesRecord(variants, store, earlier) ?? []);
  const discussionFile = join(options.out, 'rules.discussion.md');
  const discussion = existsSync(discussionFile) ? readFileSync(discussionFile, 'utf8') : null;
  const page = join(options.out, 'rules.md');
  writeFileAtomic(page, renderRulesReport(RULES_STUDY, records, ['mnist', 'fashion-mnist'], `npx localprop experiment rules --out ${options.out}`, discussion));
  writeResultsIndex(options.out);
  return page;
}

/**
 * `localprop experiment mnist`: the study's parts as sweep specs
 * (`mnist-small.sweep.json`, `mnist-large.sweep.json` in the results
 * folder, records in `mnist-runs/`), trained by the sweep runner (every run
 * without a record; stopped runs resume from their checkpoints), then
 * `mnist.md` and the index. Records of the format before sweeps are
 * imported first. `--quick` trains 2 epochs on 1000 examples, runs of
 * their own ids.
 */
async function runMnistCommand(options: ExperimentCommandOptions): Promise<string> {
  const part = options.part ?? 'all';
  check(['small', 'large', 'all'].includes(part), `--part must be small, large or all, got "${part}"`);
  const datasets = options.datasets ?? ['mnist', 'fashion-mnist'];
  datasets.forEach((d) => check(d === 'mnist' || d === 'fashion-mnist', `--datasets takes mnist and/or fashion-mnist, got "${d}"`));
  const workers = options.workers ?? 1;
  check(Number.isInteger(workers) && workers >= 1, `--workers must be a whole number ≥ 1, got ${options.workers}`);
  const jobs = options.jobs ?? 1;
  check(Number.isInteger(jobs) && jobs >= 1, `--jobs must be a whole number ≥ 1, got ${options.jobs}`);
  const folder = join(options.out, MNIST_RECORDS);
  const parts = (part === 'all' ? ['small', 'large'] : [part]) as ('small' | 'large')[];
  const every = [false, true].flatMap((quick) => planMnistStudy(options.out, ['small', 'large'], ['mnist', 'fashion-mnist'], quick)).flatMap((p) => p.runs);
  importOldMnistRecords(folder, every);
  check(options.evalThread === undefined || options.evalThread === 'on' || options.evalThread === 'off', `--eval-thread must be on or off, got "${options.evalThread}"`);
  const planned = planMnistStudy(options.out, parts, datasets, options.quick, { evalThread: options.evalThread as 'on' | 'off' | undefined, workers });
  // The specs beside the page, so `localprop sweep status|report` read the study too.
  for (const { part: which, spec } of planned) writeJsonAtomic(join(options.out, `mnist-${which}${options.quick ? '-quick' : ''}.sweep.json`), spec);
  if (!options.renderOnly) {
    const store = new RecordStore(folder);
    const say = progressLines(options.quiet);
    for (const { runs } of planned) {
      const summary = await runSweepLocally(runs, store, {
        jobs,
        shouldStop: () => interruption.requested,
        onEvent: (e) => {
          if (e.type === 'started') say(`${e.run.label}: started`);
          else if (e.type === 'epoch') say(`${e.run.label}: epoch ${e.epoch}/${e.epochs}`);
          else if (e.type === 'outcome') say(`${e.run.label}: ${e.status}${e.status === 'done' ? `, test error ${(100 * (1 - e.testAccuracy!)).toFixed(2)}% (${e.seconds!.toFixed(0)} s)` : e.message ? `: ${e.message}` : ''}`);
        },
      });
      if (summary.stopped.length > 0) throw new InterruptedError(`interrupted (Ctrl-C): ${summary.stopped.length} run(s) stopped at their checkpoints in ${folder}; run the same command again to continue`);
      checkNoneClaimed(summary);
    }
  }
  const records = mnistRunViews(folder);
  for (const dataset of ['mnist', 'fashion-mnist']) {
    const svg = mnistCurves(MNIST_STUDY, records, dataset);
    if (svg) writeFileAtomic(join(options.out, `mnist-${dataset}-curves.svg`), svg);
  }
  const page = join(options.out, 'mnist.md');
  const discussionFile = join(options.out, 'mnist.discussion.md');
  const discussion = existsSync(discussionFile) ? readFileSync(discussionFile, 'utf8') : null;
  writeFileAtomic(page, renderMnistReport(MNIST_STUDY, records, `npx localprop experiment mnist --out ${options.out}`) + (discussion ? `\n## Discussion\n\n${discussion.trim()}\n` : ''));
  writeResultsIndex(options.out);
  return page;
}

/**
 * `localprop experiment nokland`: Nøkland & Eidnes' MLP table (every row on
 * MNIST, then Fashion-MNIST) as one sweep spec, trained by the sweep runner
 * (`--jobs N`; every run checkpointed each epoch beside its record, a
 * stopped one resumed) into `nokland-runs/`, every run without a record
 * yet; then `nokland.md`, its curves and the index. New runs train on the
 * backend the command started (native where a BLAS loads); a run recorded
 * on either backend is not trained again. Records in the one-file-a-run
 * format from before sweeps are first converted into sweep records (so
 * `sweep status|run` of the study's spec count them too), and a mid-run
 * checkpoint of that format (`--checkpoints`, default
 * runs/nokland-checkpoints) is continued.
 * `--quick`: 2 epochs on 1000 examples, into records of their own;
 * `--spec-out FILE` writes the spec and trains nothing.
 */
async function runNoklandCommand(options: ExperimentCommandOptions): Promise<string> {
  const datasets = (options.datasets ?? ['mnist', 'fashion-mnist']) as NoklandDataset[];
  datasets.forEach((d) => check(d === 'mnist' || d === 'fashion-mnist', `--datasets takes mnist and/or fashion-mnist, got "${d}"`));
  const rowNames = NOKLAND_ROWS.map((r) => r.row);
  const rows = (options.rows ?? rowNames) as NoklandRecord['row'][];
  rows.forEach((r) => check((rowNames as string[]).includes(r), `--rows takes ${rowNames.join(', ')}; got "${r}"`));
  const seeds = options.seeds ?? [0];
  seeds.forEach((s) => check(Number.isInteger(s) && s >= 0, `--seeds takes whole numbers ≥ 0, like 0,1,2; got ${s}`));
  for (const [flag, v] of [['--epochs', options.epochs], ['--limit', options.limit]] as const) check(v === undefined || (Number.isInteger(v) && v >= 1), `${flag} takes a whole number ≥ 1, got ${v}`);
  const jobs = options.jobs ?? 1;
  check(Number.isInteger(jobs) && jobs >= 1, `--jobs must be a whole number ≥ 1, got ${options.jobs}`);
  const workers = options.workers ?? 1;
  check(Number.isInteger(workers) && workers >= 1 && workers <= 4, `--workers takes 1 to 4 (the model's four blocks), got ${options.workers}`);
  check(options.evalThread === undefined || options.evalThread === 'on' || options.evalThread === 'off', `--eval-thread must be on or off, got "${options.evalThread}"`);
  const backend = tf.getBackend();
  check((NOKLAND_BACKENDS as readonly string[]).includes(backend), `the nokland study trains on native or wasm, not ${backend}`);
  const measurement = { ...(options.quick ? NOKLAND_QUICK : {}), ...(options.epochs ? { epochs: options.epochs } : {}), ...(options.limit ? { limit: options.limit } : {}) };
  const execution = { evalThread: options.evalThread as 'on' | 'off' | undefined, ...(workers > 1 ? { workers } : {}) };
  const folder = join(options.out, NOKLAND_RECORDS);
  // Planned before anything is written or trained: an option the table refuses stops the command here.
  const planned = planNoklandStudy(options.out, datasets, rows, seeds, backend, measurement, execution);
  if (options.specOut) {
    const spec = noklandSweepSpec(datasets, rows, seeds, backend, measurement, execution, relative(dirname(resolve(options.specOut)), resolve(folder)) || '.');
    writeJsonAtomic(options.specOut, spec);
    return options.specOut;
  }
  importEarlierNoklandRecords(folder, options.out);
  const store = new RecordStore(folder);
  if (!options.renderOnly) {
    const variants = noklandVariants(options.out, datasets, rows, seeds, measurement);
    const todo = planned.filter((r) => !noklandDone(variants.get(r.key)!, store));
    const keyOf = new Map(todo.map((r) => [r.planned.id, `${r.key} (${backend})`]));
    const say = progressLines(options.quiet);
    const oldCheckpoints = options.checkpoints ?? join('runs', 'nokland-checkpoints');
    for (const run of todo) {
      const adopted = adoptEarlierCheckpoint(run, oldCheckpoints, store);
      if (adopted) say(`${keyOf.get(run.planned.id)}: ${adopted}`);
    }
    const summary = await runSweepLocally(
      todo.map((r) => r.planned),
      store,
      {
        jobs,
        // As the study always did: a stopped run loses at most one epoch.
        checkpointEvery: 1,
        // Asking for a run is asking to train it, even after it failed once.
        retryFailed: true,
        shouldStop: () => interruption.requested,
        onEvent: (e) => {
          const key = keyOf.get(e.run.id)!;
          if (e.type === 'started') {
            const at = store.progress(e.run.id)?.checkpointEpoch ?? (store.checkpointBytes(e.run.id) ? 'its checkpoint' : null);
            say(`${key}: ${at !== null && at !== undefined ? `continues from ${typeof at === 'number' ? `its checkpoint at epoch ${at}` : at}` : 'started'}`);
          } else sayRunLine(say, key, e);
        },
      },
    );
    if (summary.stopped.length > 0) throw new InterruptedError(`interrupted (Ctrl-C): ${summary.stopped.length} run(s) stopped at their checkpoints in ${folder}; run the same command again to continue`);
    checkNoneClaimed(summary);
    const failed = todo.filter((r) => !store.record(r.planned.id));
    if (failed.length > 0) throw new SomeRunsFailedError(`${failed.length} run(s) of the nokland study failed (${failed.map((r) => `${r.key}: ${store.failure(r.planned.id)?.message ?? 'no record'}`).slice(0, 3).join('; ')}); fix the cause and rerun the command (failed runs are trained again)`);
  }
  const records = noklandRecords(store);
  for (const dataset of ['mnist', 'fashion-mnist'] as const) {
    const svg = noklandCurves(records, dataset);
    if (svg) writeFileAtomic(join(options.out, `nokland-${dataset}-curves.svg`), svg);
  }
  const page = join(options.out, 'nokland.md');
  const discussionFile = join(options.out, 'nokland.discussion.md');
  const discussion = existsSync(discussionFile) ? readFileSync(discussionFile, 'utf8') : null;
  writeFileAtomic(page, renderNoklandReport(records, `npx localprop experiment nokland --out ${options.out}`) + (discussion ? `\n## Discussion\n\n${discussion.trim()}\n` : ''));
  writeResultsIndex(options.out);
  return page;
}

/**
 * `localprop experiment parallel` (issue 21, protocol in parallel.md): the
 * validation sweep of every family's grid, the final runs of each family's
 * chosen configuration once the protocol names the candidate, and the
 * boundary measurements on the 2-D sets; every run a sweep record in
 * `runs/parallel-runs/` (a rerun skips finished runs and resumes stopped
 * ones), then `parallel.json`, the figures and the page below the
 * protocol. `--part` runs one phase; `--datasets` defaults to the 2-D sets.
 */
async function runParallelCommand(options: ExperimentCommandOptions): Promise<string> {
  const datasets = (options.datasets ?? TWO_D) as ParallelDataset[];
  datasets.forEach((d) => check([...TWO_D, ...IMAGES].includes(d), `--datasets takes spiral, circles, mnist and fashion-mnist, got "${d}"`));
  const part = options.part ?? 'all';
  check(['validation', 'final', 'hypothesis', 'all'].includes(part), `--part must be validation, final, hypothesis or all, got "${part}"`);
  const jobs = options.jobs ?? 1;
  check(Number.isInteger(jobs) && jobs >= 1, `--jobs must be a whole number ≥ 1, got ${options.jobs}`);
  const suffix = options.quick ? '-quick' : '';
  const records = options.checkpoints ?? join('runs', `parallel-runs${suffix}`);
  const page = join(options.out, `parallel${suffix}.md`);
  const json = join(options.out, `parallel${suffix}.json`);
  const existing = existsSync(page) ? readFileSync(page, 'utf8') : '';
  const cut = existing.indexOf(GENERATED_MARKER);
  const protocol = cut >= 0 ? existing.slice(0, cut) : existing;
  check(options.quick || protocol.includes('## Protocol'), `${page} must hold the pre-registered protocol above the line ${GENERATED_MARKER}; restore it from git before running the study`);
  const results: ParallelResults = existsSync(json) ? (JSON.parse(readFileSync(json, 'utf8')) as ParallelResults) : { runs: [], boundary: [], ...(options.quick ? { quick: true } : {}) };
  const store = new RecordStore(records);
  const say = progressLines(options.quiet);
  const train = async (runs: StudyRun[]) => {
    const summary = await runSweepLocally(interleaved(runs).map((r) => r.planned), store, {
      jobs,
      shouldStop: () => interruption.requested,
      onEvent: (e) => {
        if (e.type === 'outcome') say(`${e.run.label}: ${e.status}${e.status === 'done' ? `, accuracy ${e.testAccuracy!.toFixed(4)} (${e.seconds!.toFixed(1)} s)` : e.message ? `: ${e.message}` : ''}`);
      },
    });
    if (summary.stopped.length > 0) throw new InterruptedError(`interrupted (Ctrl-C): ${summary.stopped.length} run(s) stopped at their checkpoints in ${records}; run the same command again to continue`);
    checkNoneClaimed(summary);
  };
  // The records are the truth: the summaries of the asked datasets are rebuilt from them, the others kept from parallel.json.
  const collect = (runs: StudyRun[]) => {
    const done = runs.flatMap((r) => {
      const record = store.record(r.planned.id);
      return record ? [summarize(r, record)] : [];
    });
    const failed = runs.flatMap((r) => {
      const failure = store.failure(r.planned.id);
      return failure && !store.record(r.planned.id) ? [{ phase: r.phase, dataset: r.dataset, family: r.config.family, config: r.config.label, seed: r.planned.configuration.run.seed, message: failure.message }] : [];
    });
    const key = (r: { phase: string; dataset: string; family: string; config: string; seed: number }) => `${r.phase}|${r.dataset}|${r.family}|${r.config}|${r.seed}`;
    const fresh = new Set([...done, ...failed].map(key));
    results.runs = [...results.runs.filter((r) => !fresh.has(key(r))), ...done];
    results.failures = [...(results.failures ?? []).filter((r) => !fresh.has(key(r))), ...failed];
  };
  // Another run of the study on other datasets (MNIST in the background) may have written meanwhile: its datasets are taken from the file as it is now.
  const save = () => {
    const latest: ParallelResults | null = existsSync(json) ? (JSON.parse(readFileSync(json, 'utf8')) as ParallelResults) : null;
    if (latest) {
      const theirs = <T extends { dataset: string }>(rows: T[] | undefined) => (rows ?? []).filter((r) => !datasets.includes(r.dataset as ParallelDataset));
      const ours = <T extends { dataset: string }>(rows: T[] | undefined) => (rows ?? []).filter((r) => datasets.includes(r.dataset as ParallelDataset));
      results.runs = [...theirs(latest.runs), ...ours(results.runs)];
      results.failures = [...theirs(latest.failures), ...ours(results.failures)];
      results.boundary = [...theirs(latest.boundary), ...ours(results.boundary)];
    }
    writeFileAtomic(json, resultsJson(results));
  };
  const named = (optimizer: 'rprop' | 'adam') => {
    if (!options.quick) return namedInProtocol(protocol, optimizer);
    const validation = results.runs.filter((r) => r.phase === 'validation');
    return nameCandidate(validation, chooseConfigurations(validation, datasets, true), optimizer, true).named;
  };
  if (!options.renderOnly) {
    const validation = planPhase('validation', datasets, records, {}, options.quick);
    if (part === 'validation' || part === 'all') await train(validation);
    collect(validation);
    const chosen = chooseConfigurations(results.runs.filter((r) => r.phase === 'validation'), datasets, options.quick);
    const ready = datasets.filter((d) => chosen[d] && named(optimizerOf(d)));
    if (part === 'final') check(ready.length === datasets.length, `the final runs need every dataset's validation done and the candidate named in the protocol (a line "Named candidate, Rprop: \`family\`" or "Named candidate, Adam: ..."); ready: ${ready.join(', ') || 'none'}`);
    const waiting = datasets.filter((d) => !ready.includes(d));
    if (waiting.length > 0 && part === 'all') say(`no final runs on ${waiting.join(', ')}: ${waiting.some((d) => !chosen[d]) ? 'validation not complete' : 'the protocol names no candidate yet (a line "Named candidate, Rprop: `family`")'}`);
    const finals = ready.length > 0 ? planPhase('final', ready, records, chosen, options.quick) : [];
    if (part === 'final' || part === 'all') await train(finals);
    collect(finals);
    if (part === 'hypothesis' || part === 'all') {
      for (const dataset of ready.filter((d) => TWO_D.includes(d))) {
        const families = ['sequential', 'parallel', named(optimizerOf(dataset))!];
        const wanted = finals.filter((r) => r.dataset === dataset && families.includes(r.config.family) && store.record(r.planned.id));
        let sample: Dataset[] | null = null;
        for (const run of wanted) {
          const seed = run.planned.configuration.run.seed;
          if (results.boundary.some((b) => b.dataset === dataset && b.family === run.config.family && b.seed === seed)) continue;
          sample ??= noiselessSample(dataset);
          results.boundary.push(await boundaryRow(run, sample));
          say(`boundary: ${dataset} ${run.config.family} seed ${seed}`);
          save();
        }
      }
    }
    save();
  }
  for (const dataset of [...TWO_D, ...IMAGES]) {
    const curves = parallelCurves(results.runs, dataset);
    if (curves) writeFileAtomic(join(options.out, `parallel${suffix}-${dataset}-curves.svg`), curves);
    const boundary = boundaryChart(results.boundary, dataset);
    if (boundary) writeFileAtomic(join(options.out, `parallel${suffix}-${dataset}-boundary.svg`), boundary);
  }
  const discussionFile = join(options.out, `parallel${suffix}.discussion.md`);
  const discussion = existsSync(discussionFile) ? readFileSync(discussionFile, 'utf8') : null;
  const command = `npx localprop experiment parallel${options.quick ? ' --quick' : ''} --out ${options.out}`;
  // The protocol as the page holds it now (not as it was when a long run started).
  const now = existsSync(page) ? readFileSync(page, 'utf8') : '';
  const current = now.includes(GENERATED_MARKER) ? now.slice(0, now.indexOf(GENERATED_MARKER)) : protocol;
  writeFileAtomic(page, current + renderParallelResults(results, current, command, discussion, records));
  writeResultsIndex(options.out);
  return page;
}

/** Rebuilds the index next to the results folder from the pages in it. */
function writeResultsIndex(folder: string): void {
  const pages = readdirSync(folder)
    .filter((f) => f.endsWith('.md') && !f.endsWith('.discussion.md'))
    .sort()
    .map((f) => {
      const text = readFileSync(join(folder, f), 'utf8');
      const title = /^# (.+)$/m.exec(text)?.[1] ?? f;
      const summary = /^Generated by `([^`]+)`/m.exec(text)?.[1] ?? '';
      return { file: `${folder.split('/').pop()}/${f}`, title, summary: summary ? `\`${summary}\`` : '' };
    });
  writeFileAtomic(join(folder, '..', 'results.md'), renderResultsIndex(pages));
}

/** Runs that another runner holds have no record yet: the page cannot be made from them, so say who trains them. */
function checkNoneClaimed(summary: LocalRunSummary): void {
  const claimed = summary.claimed;
  check(claimed.length === 0, () => `${claimed.length} run${claimed.length > 1 ? 's are' : ' is'} being trained by another runner sharing the records folder (${claimed[0].owner}${claimed.length > 1 ? ', and others' : ''}); run the same command again once ${claimed.length > 1 ? 'they have' : 'it has'} finished, to render the page`);
}
