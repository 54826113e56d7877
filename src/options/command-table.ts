import type { OptionDef } from './option.js';
import { flag, gridSide, list, oneOf, positiveInt, reportSwitch, text } from './values.js';

const PICTURES = 'a sweep draws no per-run pictures';

/**
 * The options of a command rather than of a run: which schedule `train`
 * runs, threads and backend, what is written where, the report's pictures.
 * Sweep specs refuse most of them, each with what to do instead.
 */
export const COMMAND_OPTIONS = [
  { key: 'schedule', flag: '--schedule <name>', help: 'the schedule to run (required; every schedule is listed below and by `localprop schedules`)', parse: text, commands: ['train'] },
  { key: 'workers', flag: '--workers <n>', help: 'train local-parallel, local-gated or local-drift on a pipeline of n threads, one group of blocks each (--step batch; the same results as one thread, see docs/schedules.md)', parse: positiveInt, default: 1 },
  { key: 'evalThread', flag: '--eval-thread <on|off>', help: 'score the test set on a second thread while this one measures the training loss, after every epoch (same numbers; default on)', choices: ['on', 'off'], parse: oneOf('on', 'off'), default: 'on' },
  { key: 'backend', flag: '--backend <name>', help: 'auto (default: native where a BLAS loads, else wasm), native (TF.js wasm with matrix products on the system BLAS: apt-get install libopenblas0-pthread), wasm or cpu', parse: text, default: 'auto' },
  { key: 'threads', flag: '--threads <n>', help: "threads of the BLAS while one thread trains (native backend; default: the library's own, all cores); with --workers or the evaluation thread each thread runs one", parse: positiveInt },
  { key: 'init', flag: '--init <file.safetensors>', help: 'start from these parameters (shapes checked against the model)', parse: text, file: true },
  { key: 'save', flag: '--save <file.safetensors>', help: 'save the trained parameters', parse: text, commands: ['train'], notInSweep: 'a sweep keeps records, not parameters' },
  { key: 'logEvery', flag: '--log-every <n>', help: 'print every n-th epoch (default: about 20 lines)', parse: positiveInt, commands: ['train'], notInSweep: 'not an option of a run' },
  { key: 'json', flag: '--json', help: 'print one JSON object on stdout instead of tables', parse: flag, notInSweep: 'not an option of a run' },
  { key: 'out', flag: '--out <dir>', help: 'write config.json, results.json, one history file per run and the report into this folder; {time} in the name becomes the date and time', parse: text, notInSweep: 'the spec\'s "records" folder holds what a sweep writes' },
  { key: 'checkpointEvery', flag: '--checkpoint-every <k>', help: 'with --out: every k epochs, save the state of the run in progress into the folder, so --resume can continue it', parse: positiveInt, notInSweep: 'give `localprop sweep run --checkpoint-every K` instead' },
  { key: 'resume', flag: '--resume <dir>', help: 'continue the stopped command whose --out folder is dir: give the same options; finished runs are read back, the stopped one continues from its checkpoint', parse: text, notInSweep: 'a rerun of `localprop sweep run` resumes every unfinished run by itself' },
  {
    key: 'report', flag: '--report <on|off>', help: 'with --out: draw SVG and PNG pictures and report.html (default on)', parse: reportSwitch, default: 'on', notInSweep: PICTURES,
    alias: { flag: '--no-report', help: 'with --out: no pictures, no report.html (the same as --report off)' },
  },
  { key: 'gridSize', flag: '--grid-size <n>', help: "report: points a side of the network's final boundary (default 500, as Mertens draws it)", parse: gridSide, default: 500, notInSweep: PICTURES },
  { key: 'blockGridSize', flag: '--block-grid-size <n>', help: "report: points a side of each block's boundary in the timeline (default 60, as Mertens draws it)", parse: gridSide, default: 60, notInSweep: PICTURES },
  { key: 'snapshotEvery', flag: '--snapshot-every <k>', help: 'report: take the boundaries every k epochs (default: about 20 frames a run)', parse: positiveInt, notInSweep: PICTURES },
  { key: 'lossScale', flag: '--loss-scale <log|linear>', help: 'report: y axis of the loss charts (default log)', choices: ['log', 'linear'], parse: oneOf('log', 'linear'), default: 'log', notInSweep: PICTURES },
  { key: 'quiet', flag: '--quiet', help: 'no progress bar', parse: flag, notInSweep: 'give `localprop sweep run --quiet` instead' },
  {
    key: 'import', flag: '--import <files>', help: 'load these JavaScript modules first (comma list): each registers your own rules, schedules or datasets through the public API', parse: list,
    notInConfig: '"import" loads code, which only the command line may do; pass --import on the command line',
    notInSweep: "a sweep's worker processes do not load user modules yet (and a run's id would not cover the module's code); train runs of your own rule, schedule or dataset with `localprop compare --import` for now",
  },
  { key: 'config', flag: '--config <file.json>', help: 'read any of these options from a JSON file; flags on the command line win', parse: text, notInSweep: 'put the options in "base" instead' },
] as const satisfies readonly OptionDef[];
