import { list } from '../options/values.js';
import { DEFAULT_RULE, getRule, listRules } from '../rules/registry.js';
import { getSchedule, listSchedules } from '../schedules/registry.js';
import { check } from '../util/errors.js';

/**
 * Each column's learning rule, by schedule: only columns whose rule is not
 * the default decoder rule are listed. A link writes them as
 * `rules=local-parallel:ff,local-gated:dfa`, so a schedule unticked and
 * ticked again keeps its rule.
 */
export type ColumnRules = Record<string, string>;

/** The rule of `schedule`'s column. */
export function columnRule(rules: ColumnRules, schedule: string): string {
  return rules[schedule] ?? DEFAULT_RULE;
}

/** The rules with `schedule`'s column set to `rule` (the default rule leaves the column out). */
export function withColumnRule(rules: ColumnRules, schedule: string, rule: string): ColumnRules {
  const { [schedule]: _old, ...others } = rules;
  return rule === DEFAULT_RULE ? others : { ...others, [schedule]: rule };
}

/** Reads a link's `rules`: known schedules and rules, each schedule once; the default rule is left out. */
export function readColumnRules(text: string): ColumnRules {
  if (text.trim() === '') return {};
  const rules: ColumnRules = {};
  const schedules = listSchedules().map((s) => s.name);
  for (const item of list(text, 'rules')) {
    const [schedule, rule, ...rest] = item.split(':').map((p) => p.trim());
    check(rule !== undefined && rest.length === 0, `rules: "${item}" is not schedule:rule, like local-parallel:ff`);
    check(schedules.includes(schedule), `rules: unknown schedule "${schedule}"; choose from ${schedules.join(', ')}`);
    getRule(rule);
    check(getSchedule(schedule).trainsRule || rule === DEFAULT_RULE, `rules: ${schedule} trains no local rule (its blocks learn from the output's gradient); give rules to the other schedules`);
    check(!(schedule in rules), `rules: ${schedule} is given a rule twice`);
    if (rule !== DEFAULT_RULE) rules[schedule] = rule;
  }
  return rules;
}

/** A link's text of {@link ColumnRules}; null (no parameter) when every column has the default rule. */
export function writeColumnRules(rules: ColumnRules): string | null {
  const items = Object.entries(rules)
    .filter(([, rule]) => rule !== DEFAULT_RULE)
    .map(([schedule, rule]) => `${schedule}:${rule}`);
  return items.length > 0 ? items.join(',') : null;
}

/** What the page knows of the state when it offers rules to a column. */
export interface RuleContext {
  step: 'epoch' | 'batch';
}

/**
 * Why `rule` cannot train `schedule`'s column as the state stands (one
 * line, with what to do instead), or null: the rule's own refusal, then
 * what the page's state decides (the step). What only the model decides
 * (Forward-Forward's normalisation) the run refuses when it starts.
 */
export function ruleRefusal(schedule: string, rule: string, context: RuleContext): string | null {
  const r = getRule(rule);
  const refused = r.refuseSchedule?.(getSchedule(schedule)) ?? null;
  if (refused) return refused;
  if (r.needsBatches && context.step === 'epoch') return `rule ${rule} compares the examples of a mini-batch with one another: set Training → Step to batch`;
  return null;
}

/** Every registered rule a column of `schedule` may offer, with why it cannot train it now (null when it can). */
export function ruleChoices(schedule: string, context: RuleContext): { rule: string; description: string; refusal: string | null }[] {
  return listRules().map((r) => ({ rule: r.name, description: r.description, refusal: r.name === DEFAULT_RULE ? null : ruleRefusal(schedule, r.name, context) }));
}

/**
 * The rules with every column the state's step cannot train under its rule
 * set back to the default, and one line per column so changed (for the
 * page to say): switching to one step per epoch takes sim's columns back
 * to the decoder rule instead of refusing the whole experiment.
 */
export function keepTrainableRules(rules: ColumnRules, schedules: string[], context: RuleContext): { rules: ColumnRules; changed: string[] } {
  let kept = rules;
  const changed: string[] = [];
  for (const schedule of schedules) {
    const rule = columnRule(rules, schedule);
    const refusal = rule === DEFAULT_RULE ? null : ruleRefusal(schedule, rule, context);
    if (refusal === null) continue;
    kept = withColumnRule(kept, schedule, DEFAULT_RULE);
    changed.push(`${schedule} is back on rule ${DEFAULT_RULE}: ${refusal}`);
  }
  return { rules: kept, changed };
}
