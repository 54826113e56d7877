import { CATEGORY_COLORS } from '../src/report/colors.js';
import { DEFAULT_RULE, getRule } from '../src/rules/registry.js';
import { listSchedules } from '../src/schedules/registry.js';

/*
 * What the page says about each schedule, all read from the schedule
 * itself: whether it trains decoders, its one-line note and the two
 * sentences of "What am I looking at?" (its description for a schedule
 * without them, a user's own).
 */

/** What the page needs to know about a schedule to draw and explain its column. */
export interface ScheduleFacts {
  /** Whether the schedule trains a decoder per hidden block (back-propagation trains none). */
  trainsDecoders: boolean;
  /** One line under the schedule's name. */
  note: string;
  /** Two sentences for "What am I looking at?". */
  explanation: string;
  /** Groups of options it reads beyond the common ones (local-gated's `gate`). */
  optionGroups: readonly string[];
}

/** The facts of a registered schedule. */
export function scheduleFacts(name: string): ScheduleFacts {
  const schedule = listSchedules().find((s) => s.name === name);
  return {
    trainsDecoders: schedule?.trainsRule ?? true,
    note: schedule?.note ?? '',
    explanation: schedule?.explanation ?? `${schedule?.description ?? name}.`,
    optionGroups: schedule?.optionGroups ?? [],
  };
}

/** What the page says about a column's learning rule, read from the rule itself. */
export interface RuleFacts {
  /** One line: what the rule is, and where it comes from. */
  description: string;
  /** Whether each hidden block has a read-out of its own to draw (rules that fit probes when scoring have none). */
  hasReadout: boolean;
  /** Whether it is the default decoder rule, which the page need not name. */
  isDefault: boolean;
}

/** The facts of a registered rule. */
export function ruleFacts(name: string): RuleFacts {
  const rule = getRule(name);
  return { description: rule.description, hasReadout: !rule.fitsProbes, isDefault: rule.name === DEFAULT_RULE };
}

/**
 * A schedule's colour, the same in its column and in every comparison
 * chart: fixed by its place in the registry, so unticking one schedule does
 * not recolour the others (Okabe and Ito's colour-blind-safe palette).
 */
export function scheduleColor(name: string): string {
  const k = listSchedules().findIndex((s) => s.name === name);
  return CATEGORY_COLORS[(k < 0 ? 7 : k) % CATEGORY_COLORS.length];
}

/** The first lines of "What am I looking at?": what every column's pictures are, for this many classes. */
export function guideIntro(classes: number): string {
  const colours = classes <= 2 ? 'dark blue: class 0, yellow: class 1, orange between: unsure; ○ and ▲ are the two classes’ training points' : 'each class its colour, paler where unsure; the points in their class’s colour and shape';
  return `Every column trains the same network from the same data and initial weights, the same epochs per step. Large picture: the whole network’s answer over the plane (${colours}). Small pictures: each hidden block’s own answer through its linear decoder, which only local learning has.`;
}
