import { flagName, selectOf, urlName, type Control, type OptionDef, type OptionOwner, type PageGroup } from '../options/option.js';
import { optionTable } from '../options/table.js';
import { chosen, oneOf } from '../options/values.js';
import { readColumnRules, writeColumnRules } from './column-rules.js';
import { decodePoints, encodePoints, type Point } from './points.js';
import { modelText, pageModel } from './model.js';
import type { PlaygroundState } from './state.js';

/*
 * The playground's rows of the option table: every row with a `page` part,
 * and the page's own (each column's rule, the browser's backends, the
 * animation's speed, the user's points), as the controls and the URL codec
 * read them.
 */

export const PLAYGROUND_BACKENDS = ['auto', 'wasm', 'webgl', 'webgpu', 'cpu'] as const;
export const SPEEDS = [1, 2, 5, 10, 20, 50] as const;

/** One option of the page, as the option table describes it: its URL name, its control and how its text is read. */
export interface StateOption {
  key: keyof PlaygroundState;
  /** The URL parameter and the CLI flag without its dashes. */
  name: string;
  label: string;
  group: PageGroup;
  help: string;
  /**
   * Where the page shows it: `common` options in their group, `advanced`
   * ones folded under their group's "advanced", `toolbar` beside Play.
   */
  tier: 'common' | 'advanced' | 'toolbar';
  control: Control;
  /** Read from the URL's text; throws a {@link LocalpropError} saying what is wrong. */
  read: (text: string) => unknown;
  /** Written to the URL; null leaves the parameter out. */
  write: (value: never) => string | null;
  /** Part of the configuration the CLI reads (`localprop compare --config`). */
  cli: boolean;
  /** The schedule (by option group) or rule that declares it: the page shows it while one of them runs. */
  owner?: OptionOwner;
  /** Its value in {@link DEFAULT_STATE}. */
  initial: unknown;
  /** The page always holds {@link StateOption.initial}: not in the link, only in the config. */
  fixed: boolean;
}

const nullable = (read: (text: string) => unknown) => (text: string) => (text === '' || text === 'default' ? null : read(text));
const plain = (value: unknown): string | null => (value === null ? null : String(value));

/**
 * The page's own rows, which no command line has: each column's rule (the
 * CLI compares rules as a list, `--rule a,b`), the browser's backends, the
 * speed of the animation and the user's points.
 */
const PAGE_ONLY: OptionDef[] = [
  {
    key: 'rules', help: "each column's learning rule, chosen in its head", parse: (v) => readColumnRules(String(v)),
    page: { name: 'rules', label: 'Rules', group: 'Training', tier: 'common', initial: {}, control: { kind: 'none' }, inConfig: false, read: readColumnRules, write: writeColumnRules },
  },
  {
    key: 'backend', help: 'TF.js backend; auto takes wasm, the fastest for networks this small, then webgl, then cpu', ...chosen(PLAYGROUND_BACKENDS),
    page: { name: 'backend', label: 'Backend', group: 'Run', tier: 'advanced', initial: 'auto', inConfig: false, control: selectOf(PLAYGROUND_BACKENDS) },
  },
  {
    key: 'speed', help: 'how many epochs every column trains between two pictures', parse: (v) => Number(oneOf(...SPEEDS.map(String))(String(v), 'speed')),
    page: { name: 'speed', label: 'Epochs per frame', group: 'Run', tier: 'toolbar', initial: 1, inConfig: false, control: { kind: 'select', choices: () => SPEEDS.map((s) => ({ value: String(s), label: String(s) })) }, read: (t) => Number(oneOf(...SPEEDS.map(String))(t, 'speed')) },
  },
  {
    key: 'points', help: 'your points as x,y,class;… (only while few enough for a link)', parse: (v) => decodePoints(String(v)),
    page: { name: 'points', label: 'Points', group: 'Data', tier: 'common', initial: [], inConfig: false, control: { kind: 'none' }, read: decodePoints, write: (v: Point[]) => encodePoints(v) },
  },
];

/**
 * Rows the page holds as data rather than as the CLI's text: the model is
 * its blocks and options (see src/playground/model.ts), written as text
 * only for the link.
 */
const PAGE_DATA: Record<string, Pick<StateOption, 'read' | 'write'> & { initial: (text: string) => unknown }> = {
  model: { read: pageModel, write: modelText as (value: never) => string, initial: pageModel },
};

/** A page row from a row of the option table: the table's reader (with the flag in messages) unless the page narrows it. */
function stateOption(def: OptionDef): StateOption {
  const data = PAGE_DATA[def.key];
  if (data) return { ...rowOf({ ...def, page: { ...def.page!, read: data.read, write: data.write } }), initial: data.initial(def.page!.initial as string) };
  return rowOf(def);
}

function rowOf(def: OptionDef): StateOption {
  const page = def.page!;
  const label = flagName(def);
  const base = page.read ?? ((text: string) => def.parse(text, label));
  const initial = typeof page.initial === 'function' ? (page.initial as () => unknown)() : page.initial;
  return {
    key: def.key as keyof PlaygroundState,
    name: urlName(def),
    label: page.label,
    group: page.group,
    help: page.help ?? def.help,
    tier: page.tier,
    control: page.control,
    read: page.nullable ? nullable(base) : base,
    write: page.write ?? plain,
    cli: page.inConfig ?? true,
    owner: def.owner,
    initial,
    fixed: page.fixed ?? false,
  };
}

/** The table: every option of the page, in the order the page shows them (the option table's, each column's rule after the schedules). */
export const STATE_OPTIONS: StateOption[] = (() => {
  const rows = optionTable().filter((d) => d.page !== undefined);
  const at = rows.findIndex((d) => d.key === 'schedules') + 1;
  return [...rows.slice(0, at), PAGE_ONLY[0], ...rows.slice(at), ...PAGE_ONLY.slice(1)].map(stateOption);
})();

