import { HIDDEN_ACTIVATIONS, hiddenLayout, modelText, STATE_OPTIONS, unfoldedGroups, USER_POINTS, withHiddenControls, type PlaygroundState, type StateOption } from '../src/playground/state.js';
import type { ModelSpec } from '../src/model/spec.js';
import { PAGE_GROUPS, type OptionOwner } from '../src/options/option.js';
import { columnRule } from '../src/playground/column-rules.js';
import { MAX_CLASSES } from '../src/playground/points.js';
import { categoryColor } from '../src/report/colors.js';
import { h } from './dom.js';
import { scheduleFacts } from './schedules.js';
import { listSchedules } from '../src/schedules/registry.js';

/** What the controls ask the page to do. */
export interface ControlEvents {
  /** Options changed (already checked by the table's readers). */
  change(patch: Partial<PlaygroundState>): void;
  /** A problem with what was typed, to show instead of applying it. */
  problem(message: string): void;
  upload(file: File): void;
  clearPoints(): void;
}

/** The registered schedules that read a group of options. */
function readers(optionGroup: string): string[] {
  return listSchedules()
    .map((s) => s.name)
    .filter((name) => scheduleFacts(name).optionGroups.includes(optionGroup));
}

/** Whether the state runs the schedule or rule that declares an option: the page shows such options only then. */
function ownerRuns(state: PlaygroundState, owner: OptionOwner): boolean {
  if (owner.kind === 'schedule') return state.schedules.some((name) => readers(owner.group).includes(name));
  return state.schedules.some((name) => scheduleFacts(name).trainsDecoders && columnRule(state.rules, name) === owner.rule);
}

/** The one schedule option group a page group holds (Gates: `gate`), for the note that says who reads it. */
function scheduleGroupOf(group: StateOption['group']): string | undefined {
  const owners = STATE_OPTIONS.filter((o) => o.group === group).map((o) => o.owner);
  const first = owners[0];
  return first?.kind === 'schedule' && owners.every((o) => o?.kind === 'schedule' && o.group === first.group) ? first.group : undefined;
}

/**
 * The options panel, built from the state table: one labelled control per
 * option, grouped, each reading its text through the table's own reader
 * (the CLI's parsers), so a bad value is refused with the CLI's message.
 * The common options show; the expert ones fold under each group's
 * "advanced", which a link with such an option set opens.
 */
export class Controls {
  readonly element: HTMLElement;
  /** The options placed beside Play (the speed), for the page to put in its toolbar. */
  readonly toolbar: HTMLElement;
  private readonly refreshers: ((state: PlaygroundState) => void)[] = [];
  private readonly folds = new Map<StateOption['group'], HTMLDetailsElement>();
  /** The class a click on the picture adds. */
  pointClass = 0;
  private readonly classPicker: HTMLElement;
  private readonly pointsNote: HTMLElement;

  constructor(private readonly events: ControlEvents) {
    this.classPicker = h('div', { class: 'classes', role: 'radiogroup', 'aria-label': 'class of the points you click' });
    this.pointsNote = h('p', { class: 'points-note', 'aria-live': 'polite' });
    this.element = h('form', { class: 'controls', 'aria-label': 'options' });
    this.toolbar = h('div', { class: 'toolbar-options' });
    this.element.addEventListener('submit', (e) => e.preventDefault());
    for (const group of PAGE_GROUPS) {
      const fieldset = h('fieldset', { 'data-group': group }, h('legend', {}, group));
      const optionGroup = scheduleGroupOf(group);
      if (optionGroup) fieldset.append(h('p', { class: 'group-note' }, `for ${readers(optionGroup).join(', ')} only`));
      // A group of declared options only (Gates, Rules) shows while one of their owners runs; each row likewise.
      const rows = STATE_OPTIONS.filter((o) => o.group === group && o.control.kind !== 'none');
      if (rows.length > 0 && rows.every((o) => o.owner)) this.refreshers.push((state) => (fieldset.hidden = !rows.some((o) => ownerRuns(state, o.owner!))));
      const fold = h('details', { class: 'advanced', 'data-group': group }, h('summary', {}, 'advanced'));
      for (const option of STATE_OPTIONS.filter((o) => o.group === group)) {
        if (option.key === 'model') {
          const [common, advanced] = this.modelControls(option);
          fieldset.append(common);
          fold.append(advanced);
          continue;
        }
        const row = this.build(option);
        if (!row) continue;
        const owner = option.owner;
        if (owner) this.refreshers.push((state) => (row.hidden = !ownerRuns(state, owner)));
        if (option.tier === 'toolbar') this.toolbar.append(row);
        else (option.tier === 'advanced' ? fold : fieldset).append(row);
      }
      if (group === 'Data') fieldset.append(this.pointsTools());
      if (fold.children.length > 1) {
        fieldset.append(fold);
        this.folds.set(group, fold);
      }
      if (fieldset.querySelector('.row, .model, .points-tools')) this.element.append(fieldset);
    }
  }

  /** Opens the "advanced" folds of the groups where `state` sets an advanced option (a link's), leaving the others as they are. */
  unfold(state: PlaygroundState): void {
    for (const group of unfoldedGroups(state)) {
      const fold = this.folds.get(group);
      if (fold) fold.open = true;
    }
  }

  /** Shows a state's values in every control. */
  show(state: PlaygroundState, pointsLeftOut: boolean): void {
    for (const refresh of this.refreshers) refresh(state);
    this.showPointTools(state, pointsLeftOut);
  }

  private build(option: StateOption): HTMLElement | null {
    const id = `option-${option.name}`;
    const label = (text = option.label) => h('label', { for: id, title: option.help }, text);
    const read = (text: string) => {
      try {
        this.events.change({ [option.key]: option.read(text) } as Partial<PlaygroundState>);
      } catch (e) {
        this.events.problem(`${option.label}: ${(e as Error).message}`);
      }
    };
    const control = option.control;
    if (control.kind === 'none') return null;
    if (control.kind === 'checklist') {
      const box = h('div', { class: 'checklist', role: 'group', 'aria-label': option.label, title: option.help });
      const inputs = control.choices().map((c) => {
        const input = h('input', { type: 'checkbox', id: `${id}-${c.value}`, value: c.value, name: option.name });
        box.append(h('label', { for: input.id }, input, ` ${c.label}`));
        return input;
      });
      box.addEventListener('change', () => read(inputs.filter((i) => i.checked).map((i) => i.value).join(',')));
      this.refreshers.push((s) => inputs.forEach((i) => (i.checked = (s[option.key] as string[]).includes(i.value))));
      return h('div', { class: 'row' }, h('span', { class: 'label' }, option.label), box);
    }
    if (control.kind === 'select') {
      const select = h('select', { id, name: option.name, title: option.help }, ...control.choices().map((c) => h('option', { value: c.value }, c.label)));
      select.addEventListener('change', () => read(select.value));
      this.refreshers.push((s) => (select.value = String(s[option.key])));
      return h('div', { class: 'row' }, label(), select);
    }
    const input =
      control.kind === 'number'
        ? h('input', { id, name: option.name, type: 'number', min: control.min, max: control.max, step: control.step, placeholder: control.placeholder, title: option.help })
        : h('input', { id, name: option.name, type: 'text', title: option.help });
    input.addEventListener('change', () => read(input.value.trim()));
    this.refreshers.push((s) => {
      const value = s[option.key];
      input.value = value === null ? '' : String(value);
    });
    return h('div', { class: 'row' }, label(), input);
  }

  /** The model as hidden widths and activation (common), normalize and the CLI's spec they rewrite (advanced). */
  private modelControls(option: StateOption): [HTMLElement, HTMLElement] {
    const widths = h('input', { id: 'option-widths', type: 'text', title: 'hidden widths, one number per hidden block, like 100-100-10', 'aria-describedby': 'model-spec' });
    const activation = h('select', { id: 'option-activation' }, ...HIDDEN_ACTIVATIONS.map((a) => h('option', { value: a }, a)));
    const normalize = h('input', { id: 'option-normalize', type: 'checkbox' });
    const spec = h('output', { id: 'model-spec', class: 'spec', for: 'option-widths option-activation option-normalize' });
    let current: ModelSpec | null = null;
    const apply = () => {
      try {
        this.events.change({ model: withHiddenControls(current!, { widths: widths.value, activation: activation.value, normalize: normalize.checked }) });
      } catch (e) {
        this.events.problem(`${option.label}: ${(e as Error).message}`);
      }
    };
    [widths, activation, normalize].forEach((c) => c.addEventListener('change', apply));
    this.refreshers.push((s) => {
      current = s.model;
      const layout = hiddenLayout(s.model);
      widths.value = layout.widths.join('-');
      activation.value = layout.activation;
      normalize.checked = layout.normalize !== false;
      spec.textContent = `--model "${modelText(s.model)}"`;
    });
    return [
      h(
        'div',
        { class: 'model' },
        h('div', { class: 'row' }, h('label', { for: widths.id, title: widths.title }, 'Hidden widths'), widths),
        h('div', { class: 'row' }, h('label', { for: activation.id }, 'Activation'), activation),
      ),
      h('div', { class: 'model' }, h('div', { class: 'row' }, h('label', { for: normalize.id, title: 'divide each hidden output by its L2 norm' }, 'Normalize'), normalize), spec),
    ];
  }

  private pointsTools(): HTMLElement {
    const upload = h('input', { id: 'upload-csv', type: 'file', accept: '.csv,text/csv', class: 'visually-hidden' });
    upload.addEventListener('change', () => {
      const file = upload.files?.[0];
      if (file) this.events.upload(file);
      upload.value = '';
    });
    const choose = h('button', { type: 'button', id: 'choose-csv' }, 'Upload CSV (x,y,class)');
    choose.addEventListener('click', () => upload.click());
    const clear = h('button', { type: 'button', id: 'clear-points' }, 'Clear points');
    clear.addEventListener('click', () => this.events.clearPoints());
    return h(
      'div',
      { class: 'points-tools' },
      h('span', { class: 'label' }, 'Your points: click a picture to add one of class'),
      this.classPicker,
      h('div', { class: 'buttons' }, choose, upload, clear),
      this.pointsNote,
    );
  }

  private showPointTools(state: PlaygroundState, pointsLeftOut: boolean): void {
    const classes = Math.min(MAX_CLASSES, Math.max(2, ...state.points.map((p) => p[2] + 2)));
    this.pointClass = Math.min(this.pointClass, classes - 1);
    this.classPicker.replaceChildren(
      ...Array.from({ length: classes }, (_, k) => {
        const input = h('input', { type: 'radio', name: 'point-class', id: `point-class-${k}`, value: k, checked: k === this.pointClass });
        input.addEventListener('change', () => (this.pointClass = k));
        return h('label', { for: input.id, style: `border-color:${categoryColor(k)}` }, input, ` ${k}`);
      }),
    );
    const mine = state.dataset === USER_POINTS;
    const notes: string[] = [];
    if (mine) notes.push(`${state.points.length} point(s) of ${new Set(state.points.map((p) => p[2])).size} class(es).`);
    if (mine && pointsLeftOut) notes.push('Too many (or too precise) points for a link: download the run to keep them.');
    this.pointsNote.textContent = notes.join(' ');
  }
}
