import type { OptionDef } from '../options/option.js';
import { chosen } from '../options/values.js';

/** How DFA's blocks start: PyTorch's initialisation, or every weight and bias at zero (Nøkland 2016). */
export type DfaInit = 'torch' | 'zero';

/** DFA's default start: the blocks as every other rule draws them, so the runs recorded before the option keep their numbers. */
export const DFA_DEFAULT_INIT: DfaInit = 'torch';

/** DFA's options (`--dfa-*`), declared by the rule: flags and config keys. */
export const DFA_OPTIONS = [
  {
    key: 'dfaInit',
    flag: '--dfa-init <torch|zero>',
    help: "rule dfa: the blocks' initial weights and biases, PyTorch's uniform (torch, default) or all zero (zero: Nøkland's, for tanh or sigmoid blocks; the feedback matrices stay random)",
    ...chosen(['torch', 'zero'] as const),
    default: DFA_DEFAULT_INIT,
    owner: { kind: 'rule', rule: 'dfa' },
  },
] as const satisfies readonly OptionDef[];
