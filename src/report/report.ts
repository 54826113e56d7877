import { summarize, type SummaryRow } from '../experiment/summary.js';
import type { RunEndEvent } from '../train/events.js';
import { boundaryPanel, gridImage, panelSize } from './boundary.js';
import { blockChart, comparisonChart, groupRuns, localSchedule, scheduleFigure, timelineFigure, type Canvas, type LossScale, type RunGroup } from './figures.js';
import type { ReportRecorder } from './recorder.js';
import { escapeXml } from './svg.js';

/** What a report says about the experiment besides its runs. */
export interface ReportMeta {
  title: string;
  dataset: string;
  model: string;
  /** The run's configuration, shown as JSON (config.json's content). */
  config: Record<string, unknown>;
  lossScale?: LossScale;
}

/** One picture of the report, as SVG; a Node writer adds its PNG. */
export interface Figure {
  /** File name without extension. */
  name: string;
  caption: string;
  svg: string;
}

/** A drawn report: every figure (SVG) and the HTML page that holds them. */
export interface RenderedReport {
  figures: Figure[];
  /** report.html: self-contained, every picture inline. */
  html: string;
}

/**
 * Draws a recorded experiment: Mertens' panels per schedule, comparison
 * charts, per-block charts and boundary timelines, and an HTML page holding
 * them all. Pure string work over plain data: it runs in Node, a worker or
 * a browser alike.
 *
 * @example
 * ```ts
 * const config = { data: { dataset: 'spiral' }, spec: parseModelSpec('2-32-32-1'), schedules: ['local-parallel'], seeds: [0], decoders: ['learned' as const], training: { epochs: 50 } };
 * const recorder = new ReportRecorder({ gridSize: 100 });
 * // Each run is freed when the loop moves on to the next.
 * for (const run of experimentRuns(config)) {
 *   for await (const event of run) recorder.onEvent(event, run);
 * }
 * const { html } = renderReport(recorder, { title: 'spiral', dataset: 'spiral', model: '2-32-32-1', config: {} });
 * ```
 */
export function renderReport(recorder: ReportRecorder, meta: ReportMeta): RenderedReport {
  const lossScale = meta.lossScale ?? 'log';
  const groups = groupRuns(recorder.runs);
  const canvas: Canvas | null = recorder.points && recorder.area ? { area: recorder.area, points: recorder.points, classes: classCount(recorder) } : null;
  const figures: Figure[] = [];
  const drawn = canvas ? groups.filter((g) => g.drawn) : [];
  for (const g of drawn) {
    const blocks = localSchedule(g) ? " and each hidden block's decoder boundary" : '';
    figures.push({ name: g.slug, caption: `${g.label}: the network's boundary${blocks ? ', its loss curves' : ' and its loss curves'}${blocks} at the end of seed ${g.drawn!.seed}`, svg: scheduleFigure(g, canvas!, lossScale) });
  }
  figures.push({ name: 'test-loss', caption: 'Test loss per epoch, one line per schedule', svg: comparisonChart(groups, 'testLoss', lossScale) });
  figures.push({ name: 'train-loss', caption: 'Training loss per epoch, one line per schedule', svg: comparisonChart(groups, 'trainLoss', lossScale) });
  figures.push({ name: 'test-accuracy', caption: 'Test accuracy per epoch, one line per schedule', svg: comparisonChart(groups, 'testAccuracy', lossScale) });
  for (const g of groups) {
    const untrained = localSchedule(g) ? '' : ' (the hidden decoders are never trained here: random readouts)';
    figures.push({ name: `${g.slug}-block-accuracy`, caption: `${g.label}: each block's decoder accuracy on the test set${untrained}`, svg: blockChart(g, 'blockAccuracy') });
    if (g.runs[0].epochs.some((e) => e.gates)) {
      figures.push({ name: `${g.slug}-drift`, caption: `${g.label}: smoothed drift of each block's input`, svg: blockChart(g, 'drift') });
      figures.push({ name: `${g.slug}-gate`, caption: `${g.label}: mean gate of each block`, svg: blockChart(g, 'gate') });
    }
  }
  for (const g of drawn) figures.push({ name: `${g.slug}-timeline`, caption: `${g.label}: boundaries over training`, svg: timelineFigure(g, canvas!) });
  const results = recorder.runs.map((r) => r.end).filter((e): e is RunEndEvent => e !== undefined);
  return { figures, html: reportHtml(meta, groups, figures, summarize(results), canvas, drawn) };
}

function classCount(recorder: ReportRecorder): number {
  const outputs = recorder.runs[0]?.finalGrid?.outputs ?? recorder.runs.find((r) => r.frames.length)?.frames[0].blocks.at(-1)?.outputs ?? 1;
  return outputs === 1 ? 2 : outputs;
}

function reportHtml(meta: ReportMeta, groups: RunGroup[], figures: Figure[], summary: SummaryRow[], canvas: Canvas | null, drawn: RunGroup[]): string {
  const byName = new Map(figures.map((f) => [f.name, f]));
  const figure = (name: string) => {
    const f = byName.get(name);
    return f ? `<figure id="fig-${escapeXml(name)}">${f.svg}<figcaption>${escapeXml(f.caption)} <a href="${escapeXml(name)}.png">PNG</a> · <a href="${escapeXml(name)}.svg">SVG</a></figcaption></figure>` : '';
  };
  const seeds = [...new Set(groups.flatMap((g) => g.runs.map((r) => r.seed)))];
  const sections: string[] = [];
  sections.push(`<h1>${escapeXml(meta.title)}</h1><p class="lead">Dataset <b>${escapeXml(meta.dataset)}</b>, model <code>${escapeXml(meta.model)}</code>, schedules ${groups.map((g) => escapeXml(g.label)).join(', ')}, seeds ${seeds.join(', ')}.</p>`);
  sections.push(`<h2>Results</h2>${summaryTable(summary)}`);
  if (drawn.length) {
    sections.push(`<h2>Decision boundaries</h2><p>Seed ${drawn[0].drawn!.seed}. Colour: ${canvas!.classes > 2 ? 'the predicted class, paler where the model is less sure' : 'the predicted probability of class 1 (plasma; the boundary is where it crosses 0.5)'}. Points: the training set${canvas!.classes > 2 ? ', one shape per class' : ' (white circles class 0, dark triangles class 1)'}. ★ marks the block the last epoch trained.</p><div class="boundaries">${drawn.map((g) => figure(g.slug)).join('')}</div>`);
  }
  sections.push(`<h2>Curves</h2><div class="row">${figure('test-loss')}${figure('train-loss')}${figure('test-accuracy')}</div>`);
  sections.push(`<h2>Per block</h2><p>A block's decoder accuracy tells how linearly separable its output already is.${groups.some((g) => !localSchedule(g)) ? ' Back-propagation never trains the hidden decoders, so its hidden-block accuracies are those of random decoders.' : ''}</p><div class="row">${groups.map((g) => figure(`${g.slug}-block-accuracy`) + figure(`${g.slug}-drift`) + figure(`${g.slug}-gate`)).join('')}</div>`);
  if (drawn.length) {
    sections.push(`<h2>Timeline</h2><p>Drag a slider to see every block's boundary after that many epochs. The same frames as small multiples: ${drawn.map((g) => `<a href="${escapeXml(g.slug)}-timeline.png">${escapeXml(g.label)}</a>`).join(', ')}.</p>${drawn.map((g) => timelineSlider(g, canvas!)).join('')}`);
  } else {
    sections.push('<p>The data is not 2-D, so the report shows curves and per-block accuracies without boundaries.</p>');
  }
  sections.push(`<h2>Configuration</h2><pre>${escapeXml(JSON.stringify(meta.config, null, 2))}</pre>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(meta.title)}</title>
<style>
body{font-family:"DejaVu Sans",Verdana,sans-serif;margin:24px auto;max-width:1500px;padding:0 16px;color:#222}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
.row{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
.boundaries{display:grid;grid-template-columns:repeat(auto-fill,minmax(600px,1fr));gap:16px}.boundaries svg{width:100%;height:auto}
figure{margin:0}figcaption{font-size:12px;color:#555;max-width:640px}
table{border-collapse:collapse;font-size:13px}td,th{padding:4px 10px;border-bottom:1px solid #e3e3e3;text-align:right}th:first-child,td:first-child{text-align:left}
pre{background:#f6f6f6;padding:10px;font-size:12px;overflow:auto}
.timeline{margin:10px 0 18px}.timeline label{font-size:13px;display:block;margin-bottom:4px}
.timeline input{width:420px;vertical-align:middle}
</style></head><body>
${sections.join('\n')}
<script>
for (const t of document.querySelectorAll('.timeline')) {
  const frames = JSON.parse(t.querySelector('script[type="application/json"]').textContent);
  const slider = t.querySelector('input');
  const label = t.querySelector('output');
  const images = t.querySelectorAll('image');
  const stars = t.querySelectorAll('.star');
  const show = (k) => {
    const f = frames[k];
    images.forEach((img, b) => img.setAttribute('href', f.images[b]));
    stars.forEach((s, b) => { s.style.visibility = f.trained === b ? 'visible' : 'hidden'; });
    label.textContent = 'after epoch ' + f.epoch + (f.trained === null ? '' : ' (training block ' + f.trained + ')');
  };
  slider.addEventListener('input', () => show(Number(slider.value)));
  show(Number(slider.value));
}
</script>
</body></html>
`;
}

function summaryTable(rows: SummaryRow[]): string {
  const head = '<tr><th>schedule</th><th>decoders</th><th>seeds</th><th>test accuracy (mean ± std)</th><th>min</th><th>max</th><th>test loss</th><th>seconds per run</th></tr>';
  const body = rows
    .map((r) => `<tr><td>${escapeXml(r.schedule)}</td><td>${r.decoders}</td><td>${r.seeds.length}</td><td>${r.testAccuracy.mean.toFixed(4)} ± ${r.testAccuracy.std.toFixed(4)}</td><td>${r.testAccuracy.min.toFixed(4)}</td><td>${r.testAccuracy.max.toFixed(4)}</td><td>${r.testLoss.mean.toFixed(4)}</td><td>${r.seconds.mean.toFixed(2)}</td></tr>`)
    .join('');
  return `<table>${head}${body}</table>`;
}

const SLIDER_SIDE = 150;

/** One schedule's frames behind a slider: the panels' images are swapped by the page's script. */
function timelineSlider(group: RunGroup, canvas: Canvas): string {
  const run = group.drawn!;
  const frames = run.frames.map((f) => ({ epoch: f.epoch, trained: f.trainedBlock, images: f.blocks.map((g) => gridImage(g)) }));
  const blocks = run.frames[0].blocks.length;
  const panel = panelSize(SLIDER_SIDE);
  const panels = Array.from({ length: blocks }, (_, b) => {
    const title = b === blocks - 1 ? 'network' : `block ${b}`;
    const svg = boundaryPanel({ image: frames[frames.length - 1].images[b], area: canvas.area, classes: canvas.classes, points: canvas.points, title, side: SLIDER_SIDE });
    const star = `<text class="star" x="6" y="14" font-size="13" fill="#c00">★</text>`;
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${panel.width}" height="${panel.height}" font-family="DejaVu Sans, Verdana, sans-serif">${svg}${star}</svg>`;
  }).join('');
  const id = `timeline-${group.slug}`;
  return `<div class="timeline" id="${escapeXml(id)}"><label>${escapeXml(group.label)}, seed ${run.seed}: <input type="range" min="0" max="${frames.length - 1}" value="${frames.length - 1}" aria-label="${escapeXml(group.label)} frame"> <output></output></label><div class="row">${panels}</div><script type="application/json">${JSON.stringify(frames).replace(/</g, '\\u003c')}</script></div>`;
}
