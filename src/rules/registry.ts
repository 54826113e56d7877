import { check } from '../util/errors.js';
import { decoderRule } from './decoder.js';
import { ffRule } from './ff.js';
import { dfaRule } from './dfa.js';
import { predRule } from './pred.js';
import { predsim } from './predsim.js';
import { simRule } from './sim.js';
import type { LocalRule } from './rule.js';

const rules = new Map<string, LocalRule>();

/** The rule a run uses when none is named. */
export const DEFAULT_RULE = decoderRule.name;

/** How tables, figures and memory lines name a run: its schedule, and its rule when that is not {@link DEFAULT_RULE}. */
export function scheduleWithRule(schedule: string, rule: string | undefined): string {
  return rule && rule !== DEFAULT_RULE ? `${schedule} · ${rule}` : schedule;
}

/**
 * Makes a rule available by name to runs, `--rule` and the playground. A
 * name is taken once: another rule under a registered name is refused (the
 * same rule again changes nothing, so a module may be loaded twice).
 */
export function registerRule(rule: LocalRule): void {
  check(/^[a-z][a-z0-9-]*$/.test(rule.name), `a rule's name must be lower-case letters, digits and dashes, like "my-rule"; got "${rule.name}"`);
  if (rules.get(rule.name) === rule) return;
  check(!rules.has(rule.name), `a rule named "${rule.name}" is already registered; give yours another name`);
  rules.set(rule.name, rule);
}

/** The rule named `name`, or an error listing the known names. */
export function getRule(name: string): LocalRule {
  const rule = rules.get(name);
  check(rule !== undefined, () => `unknown rule "${name}"; choose one of: ${listRules().map((r) => r.name).join(', ')}`);
  return rule;
}

/** Every registered rule, in registration order. */
export function listRules(): LocalRule[] {
  return [...rules.values()];
}

/** A rule given by name or as itself. */
export function resolveRule(rule: string | LocalRule | undefined): LocalRule {
  if (rule === undefined) return getRule(DEFAULT_RULE);
  return typeof rule === 'string' ? getRule(rule) : rule;
}

/**
 * A rule given by name or as itself, with its own options applied (see
 * {@link LocalRule.withOptions}); a rule without options ignores them.
 */
export function configuredRule(rule: string | LocalRule | undefined, options: Record<string, unknown> | undefined): LocalRule {
  const base = resolveRule(rule);
  return base.withOptions ? base.withOptions(options ?? {}) : base;
}

registerRule(decoderRule);
registerRule(ffRule);
registerRule(dfaRule);
registerRule(predRule);
registerRule(simRule);
registerRule(predsim);
