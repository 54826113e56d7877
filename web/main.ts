import { pointsFromCsv, roundForLink, type Point } from '../src/playground/points.js';
import { queryFromState, stateFromQuery, USER_POINTS, type PlaygroundState } from '../src/playground/state.js';
import { fittedState, setupOf } from '../src/playground/setup.js';
import { ColumnView, comparisonCharts } from './columns.js';
import { guideIntro, ruleFacts, scheduleColor, scheduleFacts } from './schedules.js';
import { keepTrainableRules, ruleChoices, withColumnRule } from '../src/playground/column-rules.js';
import { Controls } from './controls.js';
import { h } from './dom.js';
import { toPlane } from './draw.js';
import type { ExperimentInfo } from './protocol.js';
import { Trainers } from './trainers.js';
import { runArchive } from '../src/playground/bundle.js';
import type { Frame } from '../src/playground/lockstep.js';

/*
 * The page: training controls on top, options on the left, one column per
 * schedule sized to the space left, the comparison charts under them, all
 * trained in lock-step by a pool of Web Workers. The URL always holds the
 * state, so a link reopens the same experiment.
 */

const read = stateFromQuery(location.search);
let state: PlaygroundState = fittedState(read.state);
/** Columns whose rule the state cannot train (sim with one step per epoch) go back to the decoder rule, each said in a line. */
function trainable(next: PlaygroundState): { state: PlaygroundState; changed: string[] } {
  const { rules, changed } = keepTrainableRules(next.rules, next.schedules, { step: next.step });
  return { state: changed.length > 0 ? { ...next, rules } : next, changed };
}
const first = trainable(state);
state = first.state;
let info: ExperimentInfo | null = null;
let backend = '';
let columns: ColumnView[] = [];
let playing = false;
/** Frames received but not yet drawn: at most two, as the next step is asked for only while fewer wait. */
const pending: { frame: Frame; done: boolean }[] = [];
let finished = false;
let lastCharts = 0;
const drawnAt: number[] = [];
let framesDrawn = 0;
const view = { showTest: false };
const stepTiming = { trainMs: 0, picturesMs: 0 };
/** What drawing costs the page (smoothed): a frame's pictures, and a redraw of the charts (at most every 300 ms). */
const page = { pictureMs: 0, chartMs: 0 };

const playButton = h('button', { type: 'button', id: 'play', 'aria-pressed': 'false', 'aria-keyshortcuts': 'Space' }, 'Play');
const stepButton = h('button', { type: 'button', id: 'step', 'aria-keyshortcuts': 'S' }, 'Step');
const resetButton = h('button', { type: 'button', id: 'reset', 'aria-keyshortcuts': 'R' }, 'Reset');
const downloadButton = h('button', { type: 'button', id: 'download' }, 'Download run');
const testToggle = h('input', { type: 'checkbox', id: 'show-test' });
const rate = h('span', { id: 'rate', 'aria-live': 'off' }, '');
const backendNote = h('span', { id: 'backend-note' }, 'starting…');
const messages = h('div', { id: 'messages', role: 'status', 'aria-live': 'polite' });
const board = h('div', { id: 'columns' });
const comparison = h('div', { id: 'comparison', role: 'img', 'aria-label': 'all schedules compared, each by the share of its run' });
const guideBody = h('div', { class: 'guide-body' });
// Open where there is room for it beside the columns; a click away elsewhere.
const guide = h('details', { id: 'guide', open: window.innerWidth >= 1200 }, h('summary', {}, 'What am I looking at?'), guideBody);

const controls = new Controls({
  change: (patch) => update(patch),
  problem: (message) => say(message, true),
  upload: (file) => void upload(file),
  clearPoints: () => update({ dataset: USER_POINTS, points: [] }),
});

document.body.append(
  h(
    'header',
    { class: 'topbar' },
    h('div', { class: 'brand' }, h('h1', {}, 'localprop playground'), h('p', { class: 'tagline' }, 'Every block learns from its own linear decoder, side by side with back-propagation: same data, same initial weights.')),
    h(
      'div',
      { class: 'toolbar', role: 'toolbar', 'aria-label': 'training' },
      playButton,
      stepButton,
      resetButton,
      controls.toolbar,
      h('label', { for: 'show-test', class: 'toggle' }, testToggle, ' show test points'),
      downloadButton,
      h('span', { class: 'meters' }, rate, backendNote),
    ),
  ),
  messages,
  h('main', { class: 'layout' }, controls.element, h('div', { class: 'board' }, guide, board)),
);

function say(message: string, problem = false): void {
  const line = h('p', { class: problem ? 'problem' : 'info' }, message);
  messages.replaceChildren(line);
}

const trainers = new Trainers({
  backend: (name, note) => {
    backend = name;
    backendNote.textContent = `backend: ${note}`;
    document.body.dataset.backend = name;
  },
  ready: (next) => layOut(next),
  frame: (frame, done, timing) => {
    // Smoothed over about ten frames: what a step costs the slowest worker.
    stepTiming.trainMs += (timing.trainMs - stepTiming.trainMs) / 10;
    stepTiming.picturesMs += (timing.picturesMs - stepTiming.picturesMs) / 10;
    document.body.dataset.trainMs = stepTiming.trainMs.toFixed(1);
    document.body.dataset.picturesMs = stepTiming.picturesMs.toFixed(1);
    pending.push({ frame, done });
    // The workers compute the next step while the page draws this one, one step ahead at most.
    if (playing && !done && pending.length === 1) trainers.advance(state.speed);
    requestAnimationFrame(drawPending);
  },
  error: (message) => {
    playing = false;
    showPlaying();
    document.body.dataset.phase = 'error';
    say(message, true);
  },
});

function writeUrl(): boolean {
  const { query, pointsLeftOut } = queryFromState(state);
  history.replaceState(null, '', `${location.pathname}?${query}`);
  return pointsLeftOut;
}

/** Applies changed options: the URL, the controls, and a fresh experiment. */
function update(patch: Partial<PlaygroundState>): void {
  messages.replaceChildren();
  const next = trainable(fittedState({ ...state, ...patch }));
  state = next.state;
  if (next.changed.length > 0) say(next.changed.join(' '));
  const pointsLeftOut = writeUrl();
  controls.show(state, pointsLeftOut);
  // The speed applies from the next step on; everything else is a new experiment.
  if (Object.keys(patch).every((k) => k === 'speed')) return;
  restart();
}

let restartTimer: ReturnType<typeof setTimeout> | undefined;
/** Starts the experiment again; rapid changes (clicking points) are gathered into one restart. */
function restart(delay = 0): void {
  clearTimeout(restartTimer);
  restartTimer = setTimeout(() => {
    if (state.dataset === USER_POINTS && state.points.length < 2) {
      info = null;
      delete board.dataset.count;
      delete board.dataset.tallLast;
      board.replaceChildren(emptyBoard());
      comparison.replaceChildren();
      guideBody.replaceChildren(h('p', { class: 'intro' }, 'Click the plane to add points of the class chosen under Data, or upload a CSV of x,y,class rows; training starts once there are two.'));
      document.body.dataset.phase = 'waiting';
      return;
    }
    document.body.dataset.phase = 'starting';
    info = null;
    trainers.start(state);
  }, delay);
}

/** The board while the user's own data has fewer than two points: one big canvas to click on. */
function emptyBoard(): HTMLElement {
  const canvas = h('canvas', { class: 'network', width: 360, height: 360, role: 'img', 'aria-label': 'empty plane: click to add points' });
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#f4f4f4';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const area = { x: [-1, 1] as [number, number], y: [-1, 1] as [number, number] };
  canvas.addEventListener('click', (e) => clickPoint(e, canvas, area));
  for (const p of state.points) {
    const [x, y] = [((p[0] + 1) / 2) * canvas.width, ((1 - p[1]) / 2) * canvas.height];
    ctx.fillStyle = '#333';
    ctx.fillRect(x - 3, y - 3, 6, 6);
  }
  return h('section', { class: 'column empty' }, h('h2', {}, 'Your points'), h('p', {}, 'Click to add points of the chosen class (at least two), or upload a CSV of x,y,class rows.'), canvas);
}

function layOut(next: ExperimentInfo): void {
  info = next;
  pending.length = 0;
  columns = next.columns.map(
    (c) =>
      new ColumnView(c.schedule, next, c.rule, {
        current: c.rule,
        choices: ruleChoices(c.schedule, { step: state.step }),
        choose: (rule) => update({ rules: withColumnRule(state.rules, c.schedule, rule) }),
      }),
  );
  for (const column of columns) column.network.addEventListener('click', (e) => clickPoint(e, column.network, next.area));
  // The comparison sits in the columns' grid: beside a tall last column (local-gated's extra charts) it takes the space under the others.
  board.replaceChildren(...columns.map((c) => c.element), comparison);
  board.dataset.count = String(columns.length);
  board.dataset.tallLast = String(columns.length >= 3 && scheduleFacts(columns.at(-1)!.schedule).optionGroups.includes('gate'));
  showGuide(next);
  comparison.replaceChildren();
  fitAll();
  framesDrawn = 0;
  drawnAt.length = 0;
  finished = false;
  document.body.dataset.frames = '0';
  if (next.sharedTest) say('Fewer than 10 points: every point is used for training and for testing.');
  document.body.dataset.phase = playing ? 'playing' : 'paused';
}

/** "What am I looking at?": the pictures in general, then two sentences per column shown. */
function showGuide(next: ExperimentInfo): void {
  guideBody.replaceChildren(
    h('p', { class: 'intro' }, guideIntro(next.classes)),
    h(
      'div',
      { class: 'guide-columns' },
      ...next.columns.map((c) => {
        const rule = ruleFacts(c.rule);
        const ruleLine = rule.isDefault || !scheduleFacts(c.schedule).trainsDecoders ? '' : ` Its blocks learn by rule ${c.rule}: ${rule.description}.`;
        return h('p', { 'data-schedule': c.schedule, style: `--schedule-color:${scheduleColor(c.schedule)}` }, h('strong', {}, c.schedule), ' ', scheduleFacts(c.schedule).explanation + ruleLine);
      }),
    ),
  );
}

/** Redraws the charts now (not waiting for the next 300 ms turn). */
function drawChartsNow(): void {
  lastCharts = performance.now();
  columns.forEach((c) => c.drawCharts());
  comparison.innerHTML = comparisonCharts(columns, comparisonWidth);
}

/** The comparison's width on the screen, measured when the layout changes (not while drawing, which would force a layout). */
let comparisonWidth = 900;

/** Sizes every picture and chart to the space the layout gives it now. */
function fitAll(): void {
  for (const column of columns) column.fit();
  comparisonWidth = comparison.clientWidth || comparisonWidth;
}

let resizeTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    fitAll();
    if (info && columns.some((c) => c.history.length > 0)) drawChartsNow();
  }, 150);
});

function drawPending(): void {
  if (pending.length === 0) return;
  const drawStart = performance.now();
  const frames = pending.splice(0);
  for (const { frame } of frames) for (const c of frame.columns) columns.find((column) => column.schedule === c.schedule)?.draw(c, view);
  const done = frames[frames.length - 1].done;
  const now = performance.now();
  page.pictureMs += (now - drawStart - page.pictureMs) / 10;
  if (now - lastCharts > 300 || done || !playing) {
    drawChartsNow();
    page.chartMs += (performance.now() - now - page.chartMs) / 5;
  }
  document.body.dataset.drawMs = page.pictureMs.toFixed(1);
  document.body.dataset.chartMs = page.chartMs.toFixed(1);
  framesDrawn++;
  drawnAt.push(now);
  while (drawnAt.length && drawnAt[0] < now - 1000) drawnAt.shift();
  const epochs = Math.max(0, ...columns.map((c) => c.history.at(-1)?.epoch ?? 0));
  rate.textContent = `${drawnAt.length} frames/s · epoch ${epochs}`;
  document.body.dataset.frames = String(framesDrawn);
  document.body.dataset.fps = String(drawnAt.length);
  finished = done;
  if (done) {
    playing = false;
    showPlaying();
    document.body.dataset.phase = 'done';
  } else if (playing) trainers.advance(state.speed);
}

function showPlaying(): void {
  playButton.textContent = playing ? 'Pause' : 'Play';
  playButton.setAttribute('aria-pressed', String(playing));
  if (document.body.dataset.phase !== 'done' && document.body.dataset.phase !== 'error' && info) document.body.dataset.phase = playing ? 'playing' : 'paused';
}

function togglePlay(): void {
  if (!info || (finished && !playing)) return;
  playing = !playing;
  showPlaying();
  // A step still out continues the play when it is drawn.
  if (playing) trainers.advance(state.speed);
}

function clickPoint(event: MouseEvent, canvas: HTMLCanvasElement, area: ExperimentInfo['area']): void {
  const box = canvas.getBoundingClientRect();
  const scale = canvas.width / box.width;
  const [x, y] = toPlane(area, canvas, (event.clientX - box.left) * scale, (event.clientY - box.top) * scale);
  const mine = state.dataset === USER_POINTS ? state.points : [];
  let points: Point[];
  if (event.shiftKey) {
    // The nearest point, if one is close: a twentieth of the view.
    const reach = (area.x[1] - area.x[0]) / 20;
    const nearest = mine.map((p, i) => [Math.hypot(p[0] - x, p[1] - y), i]).sort((a, b) => a[0] - b[0])[0];
    if (!nearest || nearest[0] > reach) return;
    points = mine.filter((_, i) => i !== nearest[1]);
  } else points = [...mine, [roundForLink(x), roundForLink(y), controls.pointClass]];
  state = fittedState({ ...state, dataset: USER_POINTS, points });
  controls.show(state, writeUrl());
  restart(250);
}

async function upload(file: File): Promise<void> {
  try {
    const points = pointsFromCsv(await file.text(), file.name);
    update({ dataset: USER_POINTS, points });
    say(`${file.name}: ${points.length} points.`);
  } catch (e) {
    say((e as Error).message, true);
  }
}

function save(bytes: Uint8Array): void {
  const name = `localprop-${state.dataset === USER_POINTS ? 'points' : state.dataset}-seed${state.seed}.zip`;
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/zip' }));
  const link = h('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

playButton.addEventListener('click', togglePlay);
stepButton.addEventListener('click', () => {
  playing = false;
  showPlaying();
  if (info && !finished) trainers.advance(state.speed);
});
resetButton.addEventListener('click', () => restart());
downloadButton.addEventListener('click', () => {
  if (!info) return;
  void trainers.records().then((records) => save(runArchive(setupOf(state), backend, records)));
});
testToggle.addEventListener('change', () => {
  view.showTest = testToggle.checked;
  for (const column of columns) column.drawNetwork(view);
});
document.addEventListener('keydown', (e) => {
  const target = e.target as HTMLElement;
  if (e.ctrlKey || e.metaKey || e.altKey || ['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON'].includes(target.tagName)) return;
  if (e.key === ' ') {
    e.preventDefault();
    togglePlay();
  } else if (e.key === 's') stepButton.click();
  else if (e.key === 'r') resetButton.click();
});

if (read.problems.length || first.changed.length) say([...(read.problems.length ? [`The link had problems; defaults were kept for them: ${read.problems.join('; ')}`] : []), ...first.changed].join(' '), read.problems.length > 0);
controls.show(state, writeUrl());
controls.unfold(state);
restart();
