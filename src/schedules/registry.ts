import { check } from '../util/errors.js';
import type { Schedule } from './schedule.js';
import { backprop } from './backprop.js';
import { localParallel } from './local-parallel.js';
import { localSequential } from './local-sequential.js';
import { localGated } from './local-gated.js';
import { localDrift } from './local-drift.js';

const schedules = new Map<string, Schedule>();
/** Names of schedules that run only when named: never among the defaults of `compare` or the playground. */
const namedOnly = new Set<string>();

/**
 * Makes a schedule available by name to runs, `compare` and the CLI. A
 * name is taken once: another schedule under a registered name is refused
 * (the same schedule again changes nothing).
 *
 * @example
 * ```ts
 * // Back-propagation under another name and a shorter default: every chunk
 * // (mini-batch, or the whole set with one step per epoch) steps the whole network.
 * registerSchedule({
 *   name: 'backprop-short',
 *   description: 'back-propagation, 20 epochs by default',
 *   note: 'one gradient from the output through every block',
 *   trainsRule: false,
 *   pipelinable: false,
 *   defaultEpochs: 20,
 *   totalEpochs: (epochs) => epochs,
 *   *plan(session, epochs) {
 *     const last = session.blockCount - 1;
 *     for (let e = 0; e < epochs; e++) {
 *       yield {
 *         block: null,
 *         // One step a chunk; the run may stop (Ctrl-C) and checkpoint between them.
 *         *train() {
 *           for (const chunk of session.chunks()) {
 *             session.recordLoss(last, session.stepNetwork(chunk));
 *             yield;
 *           }
 *         },
 *       };
 *     }
 *   },
 * });
 * ```
 */
export function registerSchedule(schedule: Schedule, options: { namedOnly?: boolean } = {}): void {
  if (schedules.get(schedule.name) === schedule) return;
  check(!schedules.has(schedule.name), `a schedule named "${schedule.name}" is already registered; give yours another name`);
  schedules.set(schedule.name, schedule);
  if (options.namedOnly) namedOnly.add(schedule.name);
}

/** The schedule named `name`, or an error listing the known names. */
export function getSchedule(name: string): Schedule {
  const s = schedules.get(name);
  check(s !== undefined, () => `unknown schedule "${name}"; choose one of: ${listSchedules({ all: true }).map((x) => x.name).join(', ')}`);
  return s;
}

/**
 * The registered schedules, in registration order: those a command runs
 * when none is named, or with `all` also those registered to run only when
 * named (the research candidates of `local-drift`).
 */
export function listSchedules(options: { all?: boolean } = {}): Schedule[] {
  return [...schedules.values()].filter((s) => options.all || !namedOnly.has(s.name));
}

registerSchedule(backprop);
registerSchedule(localSequential);
registerSchedule(localParallel);
registerSchedule(localGated);
// A research candidate (docs/parallel.md): run when named, not by default.
registerSchedule(localDrift, { namedOnly: true });
