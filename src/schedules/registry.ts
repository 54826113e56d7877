import { check } from '../util/errors.js';
import type { Schedule } from './schedule.js';
import { backprop } from './backprop.js';
import { localParallel } from './local-parallel.js';
import { localSequential } from './local-sequential.js';
import { localGated } from './local-gated.js';

const schedules = new Map<string, Schedule>();

/**
 * Makes a schedule available by name to runs, `compare` and the CLI. A
 * name is taken once: another schedule under a registered name is refused
 * (the same schedule again changes nothing).
 */
export function registerSchedule(schedule: Schedule): void {
  if (schedules.get(schedule.name) === schedule) return;
  check(!schedules.has(schedule.name), `a schedule named "${schedule.name}" is already registered; give yours another name`);
  schedules.set(schedule.name, schedule);
}

export function getSchedule(name: string): Schedule {
  const s = schedules.get(name);
  check(s !== undefined, () => `unknown schedule "${name}"; choose one of: ${listSchedules().map((x) => x.name).join(', ')}`);
  return s;
}

export function listSchedules(): Schedule[] {
  return [...schedules.values()];
}

registerSchedule(backprop);
registerSchedule(localSequential);
registerSchedule(localParallel);
registerSchedule(localGated);
