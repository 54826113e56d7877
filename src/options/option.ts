/** The commands of the CLI that take run options. */
export type CommandName = 'compare' | 'train';

/** Parsed option values by camelCase key; absent keys were not given anywhere. */
export type OptionValues = Record<string, unknown>;

/** A control the playground builds for an option. */
export type Control =
  | {
      kind: 'select';
      /** The values it offers and their labels, read when the page is built. */
      choices: () => { value: string; label: string }[];
    }
  | {
      kind: 'checklist';
      /** The values it offers and their labels, read when the page is built. */
      choices: () => { value: string; label: string }[];
    }
  | { kind: 'number'; min: number; max?: number; step: number; placeholder?: string }
  | { kind: 'text'; placeholder?: string }
  | { kind: 'none' };

/** A group of the playground's options panel. */
export type PageGroup = 'Data' | 'Model' | 'Training' | 'Rules' | 'Gates' | 'Run';

/** The playground's groups of options, in the order the page shows them. */
export const PAGE_GROUPS: readonly PageGroup[] = ['Data', 'Model', 'Training', 'Rules', 'Gates', 'Run'];

/**
 * How the playground shows an option: its URL parameter, its control, and
 * where it sits. Its value in the page's state is read from the URL's text
 * through the option's own reader, so a bad value is refused with the CLI's
 * message.
 */
export interface PageOption {
  /** The URL parameter; by default the flag without its dashes. */
  name?: string;
  label: string;
  group: PageGroup;
  /** `common` options show in their group, `advanced` ones fold under its "advanced", `toolbar` sits beside Play. */
  tier: 'common' | 'advanced' | 'toolbar';
  control: Control;
  /** The page's shorter help, when the CLI's would be too long beside a control. */
  help?: string;
  /** The page's initial value (null keeps the run's own default: an empty field), or a function giving it when the registry decides (every schedule). */
  initial: unknown;
  /** Empty text or `default` reads as null (the run's own default). */
  nullable?: boolean;
  /** A reader of the URL's text instead of the option's (the page narrows a few: 2-D datasets, browser backends). */
  read?: (text: string) => unknown;
  /** The URL's text of a value; null leaves the parameter out. Default `String(value)`. */
  write?: (value: never) => string | null;
  /** Whether a downloaded config.json carries it (`localprop compare --config`); default true. */
  inConfig?: boolean;
  /** The page always holds `initial` (it suits the page's 2-D points): no control, no URL parameter, only the config. */
  fixed?: boolean;
}

/**
 * Who declares an option beyond the common ones: a schedule (by the option
 * group it lists in `optionGroups`, as local-gated lists `gate`) or a rule
 * (by name). Pages show such options only while one of them runs.
 */
export type OptionOwner = { kind: 'schedule'; group: string } | { kind: 'rule'; rule: string };

/**
 * One option, everywhere it appears: its key (camelCase: the config file's
 * and sweep spec's key, the resolved options' field), its command-line flag
 * and help, how any value becomes a checked one, its default, and which
 * surfaces show it. The CLI's flags and `--config`, sweep specs, the
 * playground's URL and its controls are all read from rows of this kind.
 */
export interface OptionDef {
  key: string;
  /** Commander's flag syntax, like `--batch-size <n>`; absent for an option only the playground has. */
  flag?: string;
  /** A second flag for the same key (`--no-report` beside `--report <on|off>`), with its help. */
  alias?: { flag: string; help: string };
  help: string;
  /** Reads a value from any surface; `label` names the option in the message. */
  parse: (value: unknown, label: string) => unknown;
  /** Its choices, when it takes one of a few names (the reader and the page's select are made from them). */
  choices?: readonly string[];
  /** What a run takes when the option is not given, when that is one value (absent: it depends, as epochs on the schedule). */
  default?: unknown;
  /** The commands that take it; absent: both. */
  commands?: readonly CommandName[];
  /** Why a `--config` file cannot give it (it loads code, or it is the config itself); absent: it can. */
  notInConfig?: string;
  /** Why a sweep spec cannot set it; absent: it can. */
  notInSweep?: string;
  /** Whether it names a file to read (in a config file, relative to the file's folder). */
  file?: boolean;
  /** The schedule or rule that declares it, for options beyond the common ones. */
  owner?: OptionOwner;
  /** How the playground shows it; absent: not on the page. */
  page?: PageOption;
}

/** The flag's name with its dashes, like `--batch-size`, or the key for an option without a flag. */
export function flagName(def: OptionDef): string {
  return def.flag ? def.flag.split(' ')[0] : def.key;
}

/** The option's URL parameter in the playground: the page's name, or the flag without its dashes. */
export function urlName(def: OptionDef): string {
  return def.page?.name ?? (def.flag ? flagName(def).replace(/^--/, '') : def.key);
}

/** A select control offering `values`, each labelled as itself. */
export function selectOf(values: readonly string[]): Control {
  return { kind: 'select', choices: () => values.map((v) => ({ value: v, label: v })) };
}
