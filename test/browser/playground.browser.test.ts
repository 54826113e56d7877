import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliJson } from '../cli/helpers.js';
import { launchChromium } from './chromium.js';
import { measureFrameRate, servePlayground } from './playground-site.js';

const ROOT = join(import.meta.dirname, '..', '..');
const OUTPUT = join(ROOT, 'test-output');

interface PageRun {
  schedule: string;
  events: { epoch: number; block: number | null; trainLoss: number; testLoss: number; testAccuracy: number; blockLosses: (number | null)[] }[];
  end: { testLoss: number; testAccuracy: number; trainLoss: number } | null;
}

/** End-to-end: the page `npm run build:web` writes, served as static files, driven in Debian's Chromium. */
describe('the playground', () => {
  let browser: Browser;
  let server: { url: string; close: () => Promise<void> };
  const errors: string[] = [];

  beforeAll(async () => {
    server = await servePlayground();
    browser = await launchChromium();
    mkdirSync(OUTPUT, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Opens the page at `query` and waits for its first frame. */
  async function open(query = '', viewport = { width: 1600, height: 1000 }): Promise<Page> {
    const page = await browser.newPage({ viewport, acceptDownloads: true });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/index.html${query}`);
    await waitForPhase(page, ['paused', 'waiting']);
    return page;
  }

  async function waitForPhase(page: Page, phases: string[], timeout = 60_000): Promise<void> {
    // A phase with columns counts once their first frame is drawn.
    await page.waitForFunction(
      (p) => p.includes(document.body.dataset.phase ?? '') && document.querySelectorAll('#columns canvas').length > 0 && (document.body.dataset.phase === 'waiting' || Number(document.body.dataset.frames) >= 1),
      phases,
      { timeout },
    );
  }

  /** Every column's network and block pictures, as PNG data URLs. */
  async function pictures(page: Page): Promise<string[][]> {
    return page.$$eval('#columns .column', (columns) => columns.map((c) => [...c.querySelectorAll('canvas')].map((canvas) => (canvas as HTMLCanvasElement).toDataURL())));
  }

  /** Types into a field and leaves it, as a user does: the page reads a field on change. */
  async function enter(page: Page, selector: string, value: string): Promise<void> {
    await page.fill(selector, value);
    await page.dispatchEvent(selector, 'change');
  }

  /** Opens every group's "advanced" fold, as a user reaching for an expert option does. */
  async function unfoldAll(page: Page): Promise<void> {
    // Groups a running schedule or rule does not read (Gates, Rules) are hidden, their folds with them.
    for (const fold of await page.$$('details.advanced:not([open]) > summary')) if (await fold.isVisible()) await fold.click();
  }

  /** The groups whose "advanced" fold is open. */
  async function openFolds(page: Page): Promise<string[]> {
    return page.$$eval('details.advanced[open]', (d) => d.map((e) => (e as HTMLElement).dataset.group!));
  }

  /**
   * Where each line of a chart ends, and the plot's box: read from the SVG,
   * in the chart's own units.
   */
  async function chartLines(page: Page, selector: string): Promise<{ box: { left: number; right: number; top: number; bottom: number }; title: string; ends: Record<string, [number, number]> }> {
    return page.$eval(selector, (chart) => {
      const rect = chart.querySelector('svg .axes rect')!;
      const [x, y, w, hgt] = ['x', 'y', 'width', 'height'].map((a) => Number(rect.getAttribute(a)));
      const ends: Record<string, [number, number]> = {};
      for (const g of chart.querySelectorAll('svg g.series')) {
        const moves = [...(g.querySelector('path')!.getAttribute('d') ?? '').matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)];
        const last = moves.at(-1)!;
        ends[(g as HTMLElement).dataset.series!] = [Number(last[1]), Number(last[2])];
      }
      return { box: { left: x, right: x + w, top: y, bottom: y + hgt }, title: chart.querySelector('svg > text')!.textContent ?? '', ends };
    });
  }

  async function epochs(page: Page): Promise<number[]> {
    return page.$$eval('#columns .column .status', (s) => s.map((e) => Number((e as HTMLElement).dataset.epoch)));
  }

  /** Clicks "Download run" and reads the archive's files. */
  async function download(page: Page): Promise<Record<string, Uint8Array>> {
    const [file] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(file.suggestedFilename()).toMatch(/^localprop-.*\.zip$/);
    return unzipSync(readFileSync((await file.path())!));
  }

  function saveFiles(files: Record<string, Uint8Array>): string {
    const dir = mkdtempSync(join(tmpdir(), 'localprop-download-'));
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
    return dir;
  }

  it('trains every schedule side by side: the pictures change between frames and the loss falls', async () => {
    const page = await open('?epochs=40&speed=2');
    expect(await page.$$eval('#columns .column', (c) => c.map((e) => (e as HTMLElement).dataset.schedule))).toEqual(['backprop', 'local-sequential', 'local-parallel', 'local-gated']);
    expect(await page.textContent('#backend-note')).toMatch(/auto chose wasm/);
    const before = await pictures(page);
    // Back-propagation trains no decoders: a note says so instead of block pictures.
    expect(before.map((c) => c.length)).toEqual([1, 4, 4, 4]);
    expect(await page.textContent('.column[data-schedule="backprop"] .no-decoders')).toMatch(/backprop trains no decoders/);
    expect(await page.$$eval('.column[data-schedule="local-parallel"] .no-decoders', (n) => n.length)).toBe(0);
    await page.click('#step');
    await page.waitForFunction(() => [...document.querySelectorAll('.status')].every((s) => (s as HTMLElement).dataset.epoch === '2'));
    const after = await pictures(page);
    // Each column's network picture and every block picture moved with one frame's training.
    after.forEach((column, k) => column.forEach((picture, p) => expect(picture, `column ${k} picture ${p}`).not.toBe(before[k][p])));
    await page.screenshot({ path: join(OUTPUT, 'playground-start.png') });

    // Space plays from anywhere but a control (on a focused button it presses that button).
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('Space');
    await waitForPhase(page, ['done'], 120_000);
    expect(await epochs(page)).toEqual([40, 160, 40, 40]);
    expect(await page.getAttribute('#play', 'aria-pressed')).toBe('false');
    await page.screenshot({ path: join(OUTPUT, 'playground-done.png'), fullPage: true });

    // Each column's loss chart spans its own run; the comparison spans each run's share, so every finished line ends at the right edge.
    expect(await page.$$eval('#columns .chart.loss', (c) => c.map((e) => Number((e as HTMLElement).dataset.xEnd)))).toEqual([40, 160, 40, 40]);
    for (const k of [0, 1]) {
      const loss = await chartLines(page, `.column:nth-child(${k + 1}) .chart.loss`);
      expect(loss.ends.train[0], `column ${k}`).toBeCloseTo(loss.box.right, 0);
    }
    const compared = await chartLines(page, '#comparison [data-chart="test-loss"]');
    expect(Object.keys(compared.ends)).toEqual(['backprop', 'local-sequential', 'local-parallel', 'local-gated']);
    for (const [name, [x]] of Object.entries(compared.ends)) expect(x, name).toBeCloseTo(compared.box.right, 0);
    expect(await page.$eval('#comparison [data-chart="test-loss"] svg', (svg) => svg.textContent)).toMatch(/share of each run \(%\)/);

    const history = JSON.parse(new TextDecoder().decode((await download(page))['history.json'])) as { runs: PageRun[] };
    for (const run of history.runs) {
      // Event k: the network after k epochs (event 0 untrained, its block losses null).
      const first = run.events[0];
      if (run.schedule === 'local-sequential') {
        // Its output loss moves only in the last phase; within the first phase block 0's own loss falls.
        expect(run.events[40].blockLosses[0]!, run.schedule).toBeLessThan(run.events[1].blockLosses[0]!);
        expect(run.events[160].blockLosses[3]!).toBeLessThan(run.events[121].blockLosses[3]!);
      } else {
        expect(run.end!.testLoss, run.schedule).toBeLessThan(0.6 * first.testLoss);
        expect(run.end!.testAccuracy, run.schedule).toBeGreaterThan(0.9);
      }
    }
    // The page shows the final numbers the history holds.
    const shown = await page.$$eval('.status', (s) => s.map((e) => Number((e as HTMLElement).dataset.testLoss)));
    shown.forEach((v, k) => expect(v).toBeCloseTo(history.runs[k].end!.testLoss, 6));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('measures how many frames a second it draws while all four schedules train (reported, not a threshold)', async () => {
    const page = await open('');
    const rate = await measureFrameRate(page, 10);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    writeFileSync(join(OUTPUT, 'playground-fps.json'), JSON.stringify({ ...rate, cores, backend: await page.evaluate(() => document.body.dataset.backend), date: new Date().toISOString() }, null, 2));
    console.log(`playground: ${rate.median} frames/s (median of one-second samples ${rate.samples.join(', ')}), ${rate.epochsPerSecond.toFixed(1)} epochs/s, slowest worker ${rate.trainMs.toFixed(0)} ms training + ${rate.picturesMs.toFixed(0)} ms pictures per frame, all four schedules on signed_xor`);
    expect(rate.median).toBeGreaterThan(0);
    await page.close();
  });

  it('fills the screen at 1280 and 1920 pixels (and 1024), with chart text at a readable size', async () => {
    for (const viewport of [{ width: 1280, height: 800 }, { width: 1920, height: 1080 }, { width: 1024, height: 768 }]) {
      const page = await open('?epochs=40&speed=5', viewport);
      await page.click('#play');
      await waitForPhase(page, ['done'], 120_000);
      if (viewport.width !== 1024) {
        await page.screenshot({ path: join(OUTPUT, `playground-${viewport.width}.png`) });
        await page.screenshot({ path: join(OUTPUT, `playground-${viewport.width}-full.png`), fullPage: true });
      }
      const layout = await page.evaluate(() => {
        const boxes = [...document.querySelectorAll('#columns .column')].map((c) => c.getBoundingClientRect());
        // How big a chart's smallest text (its 10-unit tick labels) shows on the screen.
        const tickPixels = [...document.querySelectorAll('.chart svg')].map((svg) => (10 * svg.getBoundingClientRect().width) / (svg as SVGSVGElement).viewBox.baseVal.width);
        return { scrollWidth: document.documentElement.scrollWidth, tops: boxes.map((b) => Math.round(b.top)), left: boxes[0].left, right: boxes[boxes.length - 1].right, tickPixels };
      });
      const at = `at ${viewport.width} px`;
      expect(layout.scrollWidth, at).toBeLessThanOrEqual(viewport.width);
      // Four columns in one row, from beside the options to the right edge (less the page's margin).
      expect(new Set(layout.tops).size, at).toBe(1);
      expect(layout.right, at).toBeGreaterThan(viewport.width - 30);
      expect(layout.right - layout.left, at).toBeGreaterThan(0.7 * viewport.width);
      expect(layout.tickPixels.length, at).toBe(8);
      // At 1280 and up every chart's smallest text shows at 12 px (10 units × 1.2); at 1024, usable but tighter.
      if (viewport.width >= 1280) expect(Math.min(...layout.tickPixels), at).toBeGreaterThanOrEqual(11.9);
      await page.close();
    }
    expect(errors).toEqual([]);
  });

  it('draws a loss of exactly zero honestly: "0" in the numbers, a linear axis, the curve at its bottom', async () => {
    // Two points far apart: Rprop drives the output's logit so far that the loss rounds to exactly 0 in float32 (epoch 29 here).
    const page = await open('?dataset=points&points=-0.5,0.5,0;0.5,-0.5,1&schedules=backprop,local-parallel&epochs=60&speed=10');
    await page.click('#play');
    await waitForPhase(page, ['done']);
    const losses = await page.$$eval('.status', (s) => s.map((e) => Number((e as HTMLElement).dataset.trainLoss)));
    expect(losses).toEqual([0, 0]);
    const shown = await page.$$eval('.status', (s) => s.map((e) => e.textContent ?? ''));
    for (const text of shown) {
      expect(text).toMatch(/train loss 0(?![.\d])/);
      expect(text).not.toMatch(/e\+0/);
    }
    expect(await page.$$eval('#columns .chart.loss', (c) => c.map((e) => (e as HTMLElement).dataset.axis))).toEqual(['linear', 'linear']);
    const loss = await chartLines(page, '.column[data-schedule="backprop"] .chart.loss');
    expect(loss.title).toBe('loss (linear: a loss reached 0)');
    expect(loss.ends.train[1]).toBeCloseTo(loss.box.bottom, 0);
    expect(await page.getAttribute('#comparison [data-chart="test-loss"]', 'data-axis')).toBe('linear');
    // Without local-gated, its options (the Gates group) are not shown.
    expect(await page.isVisible('fieldset[data-group="Gates"]')).toBe(false);
    // A run whose losses stay above zero keeps the log axis.
    const other = await open('?schedules=backprop&epochs=3');
    await other.click('#step');
    await other.waitForFunction(() => (document.querySelector('#columns .status') as HTMLElement).dataset.epoch === '1');
    expect(await other.getAttribute('#columns .chart.loss', 'data-axis')).toBe('log');
    expect(errors).toEqual([]);
    await Promise.all([page.close(), other.close()]);
  });

  it('keeps every option in the URL, and a link reopens the same experiment', async () => {
    const page = await open('');
    // The expert options start folded away; a user opens a group's "advanced" to reach them.
    expect(await openFolds(page)).toEqual([]);
    expect(await page.isVisible('#option-gate-tau')).toBe(false);
    expect(await page.isVisible('#option-lr')).toBe(true);
    await unfoldAll(page);
    expect(await page.isVisible('#option-gate-tau')).toBe(true);
    await page.selectOption('#option-dataset', 'spiral');
    await enter(page, '#option-noise', '0.05');
    await page.uncheck('#option-schedules-local-sequential');
    await page.selectOption('#option-optimizer', 'adam');
    await enter(page, '#option-lr', '0.01');
    await page.selectOption('#option-step', 'batch');
    await page.selectOption('#option-gate', 'soft');
    await enter(page, '#option-widths', '20-20');
    await page.selectOption('#option-activation', 'tanh');
    await page.uncheck('#option-normalize');
    await enter(page, '#option-seed', '3');
    await page.selectOption('#option-speed', '5');
    await page.selectOption('#option-backend', 'cpu');
    await waitForPhase(page, ['paused']);
    const url = new URL(page.url());
    const params = Object.fromEntries(url.searchParams);
    expect(params).toMatchObject({
      dataset: 'spiral',
      noise: '0.05',
      schedules: 'backprop,local-parallel,local-gated',
      optimizer: 'adam',
      lr: '0.01',
      step: 'batch',
      gate: 'soft',
      model: '2-20-20-1 hidden=tanh',
      seed: '3',
      speed: '5',
      backend: 'cpu',
    });
    await page.waitForFunction(() => document.body.dataset.backend === 'cpu');

    const again = await open(url.search);
    const values = await again.evaluate(() =>
      Object.fromEntries(['dataset', 'noise', 'optimizer', 'lr', 'step', 'gate', 'seed', 'speed', 'backend', 'widths', 'activation'].map((n) => [n, (document.getElementById(`option-${n}`) as HTMLInputElement).value])),
    );
    expect(values).toEqual({ dataset: 'spiral', noise: '0.05', optimizer: 'adam', lr: '0.01', step: 'batch', gate: 'soft', seed: '3', speed: '5', backend: 'cpu', widths: '20-20', activation: 'tanh' });
    expect(await again.isChecked('#option-schedules-local-sequential')).toBe(false);
    expect(await again.isChecked('#option-normalize')).toBe(false);
    expect(await again.$$eval('#columns .column', (c) => c.map((e) => (e as HTMLElement).dataset.schedule))).toEqual(['backprop', 'local-parallel', 'local-gated']);
    expect(new URL(again.url()).search).toBe(url.search);
    await again.waitForFunction(() => document.body.dataset.backend === 'cpu');
    // The link sets advanced options of Model (normalize off), Training (step) and Run (backend): those folds open, Data's and Gates' stay shut.
    expect((await openFolds(again)).sort()).toEqual(['Model', 'Run', 'Training']);
    expect(await again.isVisible('#option-step')).toBe(true);

    // A link with one expert gate option opens that group's fold and shows its value.
    const tau = await open('?gate-tau=0.25&schedules=local-gated');
    expect(await openFolds(tau)).toEqual(['Gates']);
    expect(await tau.isVisible('#option-gate-tau')).toBe(true);
    expect(await tau.inputValue('#option-gate-tau')).toBe('0.25');
    await tau.close();

    // A bad value in a link is named, and its default kept.
    const bad = await open('?seed=-1&optimizer=adamw');
    expect(await bad.textContent('#messages')).toMatch(/--optimizer must be one of rprop, adam, rmsprop, sgd, got "adamw"/);
    expect(await bad.inputValue('#option-optimizer')).toBe('rprop');
    errors.length = 0;
    await Promise.all([page.close(), again.close(), bad.close()]);
  });

  it('trains on an uploaded CSV of three classes, and on clicked points', async () => {
    const page = await open('?schedules=backprop,local-parallel&epochs=60&speed=10');
    const rows = ['x,y,class'];
    for (let i = 0; i < 90; i++) {
      const c = i % 3;
      const angle = (2 * Math.PI * c) / 3 + ((i * 0.37) % 1) * 0.8 - 0.4;
      const r = 0.3 + ((i * 0.61) % 1) * 0.6;
      rows.push(`${(r * Math.cos(angle)).toFixed(3)},${(r * Math.sin(angle)).toFixed(3)},${c}`);
    }
    await page.setInputFiles('#upload-csv', { name: 'three.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n')) });
    await page.waitForFunction(() => (document.getElementById('option-dataset') as HTMLSelectElement).value === 'points');
    await waitForPhase(page, ['paused']);
    expect(await page.textContent('#messages')).toMatch(/three.csv: 90 points/);
    expect(new URL(page.url()).searchParams.get('points')?.split(';')).toHaveLength(90);
    expect(await page.textContent('#model-spec')).toContain('2-100-100-10-3');
    await page.click('#play');
    await waitForPhase(page, ['done'], 120_000);
    const accuracy = await page.$$eval('.status', (s) => s.map((e) => Number((e as HTMLElement).dataset.testAccuracy)));
    // Three well-separated wedges: both schedules learn them.
    accuracy.forEach((a) => expect(a).toBeGreaterThan(0.8));
    await page.screenshot({ path: join(OUTPUT, 'playground-csv.png') });

    // A file that is not x,y,class says why and changes nothing.
    await page.setInputFiles('#upload-csv', { name: 'wide.csv', mimeType: 'text/csv', buffer: Buffer.from('1,2,3,0\n4,5,6,1\n') });
    await page.waitForFunction(() => /wide.csv has 3 feature columns/.test(document.getElementById('messages')!.textContent ?? ''));
    expect(new URL(page.url()).searchParams.get('points')?.split(';')).toHaveLength(90);

    // Clicks: from an empty plane, two points of two classes start a run.
    await page.click('#clear-points');
    await page.waitForFunction(() => document.body.dataset.phase === 'waiting');
    const plane = page.locator('#columns canvas.network');
    await plane.click({ position: { x: 90, y: 90 } });
    await page.check('#point-class-1');
    await plane.click({ position: { x: 270, y: 270 } });
    await waitForPhase(page, ['paused']);
    const points = new URL(page.url()).searchParams.get('points')!.split(';').map((p) => p.split(',').map(Number));
    expect(points.map((p) => p[2])).toEqual([0, 1]);
    expect(points[0][0]).toBeLessThan(0);
    expect(points[0][1]).toBeGreaterThan(0);
    expect(points[1][0]).toBeGreaterThan(0);
    expect(points[1][1]).toBeLessThan(0);
    expect(await page.textContent('#messages')).toMatch(/Fewer than 10 points/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("gives each column a rule of its own, in the link, with the rule's note; FF and DFA columns train and download", async () => {
    const page = await open('?schedules=backprop,local-sequential,local-parallel,local-gated&rules=local-parallel:ff,local-gated:dfa&epochs=6&step=batch&optimizer=adam&batch-size=50&seed=2&backend=wasm');
    const columns = () => page.$$eval('#columns .column', (c) => c.map((e) => [(e as HTMLElement).dataset.schedule, (e as HTMLElement).dataset.rule]));
    expect(await columns()).toEqual([
      ['backprop', 'decoder'],
      ['local-sequential', 'decoder'],
      ['local-parallel', 'ff'],
      ['local-gated', 'dfa'],
    ]);
    // Back-propagation ignores rules: no choice in its head. The others offer every rule, those they cannot train disabled.
    expect(await page.$$eval('.column[data-schedule="backprop"] select.rule', (s) => s.length)).toBe(0);
    expect(await page.inputValue('.column[data-schedule="local-parallel"] select.rule')).toBe('ff');
    expect(await page.$$eval('.column[data-schedule="local-sequential"] select.rule option', (o) => o.map((e) => [(e as HTMLOptionElement).value, (e as HTMLOptionElement).disabled]))).toEqual([
      ['decoder', false],
      ['ff', false],
      ['dfa', true],
      ['pred', false],
      ['sim', false],
      ['predsim', false],
    ]);
    expect(await page.getAttribute('.column[data-schedule="local-sequential"] select.rule option[value="dfa"]', 'title')).toMatch(/rule dfa trains every block from the same forward pass/);
    expect(await page.textContent('.column[data-schedule="local-parallel"] .rule-note')).toMatch(/^rule ff: Forward-Forward: each block's goodness high on positive/);
    expect(await page.textContent('.column[data-schedule="local-gated"] .rule-note')).toMatch(/^rule dfa: direct feedback alignment/);
    // Their blocks have no read-out of their own: a note instead of block pictures; the decoder columns keep theirs.
    expect((await pictures(page)).map((c) => c.length)).toEqual([1, 4, 1, 1]);
    expect(await page.textContent('.column[data-schedule="local-parallel"] .no-decoders')).toMatch(/rule ff gives the hidden blocks no read-out of their own/);
    expect(await page.textContent('#guide')).toMatch(/Its blocks learn by rule dfa: direct feedback alignment/);
    // The Rules group shows Forward-Forward's options while a column trains with ff, and only those.
    expect(await page.isVisible('fieldset[data-group="Rules"]')).toBe(true);
    await unfoldAll(page);
    expect(await page.isVisible('#option-ff-threshold')).toBe(true);
    expect(await page.isVisible('#option-predsim-beta')).toBe(false);

    // Choosing a rule in a column's head restarts with it and writes it into the link.
    await page.selectOption('.column[data-schedule="local-sequential"] select.rule', 'pred');
    await page.waitForFunction(() => document.querySelector('.column[data-schedule="local-sequential"]')?.getAttribute('data-rule') === 'pred');
    await waitForPhase(page, ['paused']);
    expect(new URL(page.url()).searchParams.get('rules')).toBe('local-parallel:ff,local-gated:dfa,local-sequential:pred');

    await page.click('#play');
    await waitForPhase(page, ['done'], 120_000);
    expect(await epochs(page)).toEqual([6, 24, 6, 6]);
    await page.screenshot({ path: join(OUTPUT, 'playground-rules.png') });
    const files = await download(page);
    expect(Object.keys(files).filter((f) => f.endsWith('.json')).sort()).toEqual(['config-dfa.json', 'config-ff.json', 'config-pred.json', 'config.json', 'history.json']);
    const dir = saveFiles(files);
    const history = JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8')) as { runs: (PageRun & { rule: string })[] };
    expect(history.runs.map((r) => [r.schedule, r.rule])).toEqual([
      ['backprop', 'decoder'],
      ['local-sequential', 'pred'],
      ['local-parallel', 'ff'],
      ['local-gated', 'dfa'],
    ]);
    // Each rule's config trains its column again in Node to the page's numbers.
    for (const [file, k] of [['config-ff.json', 2], ['config-dfa.json', 3]] as const) {
      const again = await cliJson('compare', '--config', join(dir, file), '--json', '--quiet');
      expect(again.results.map((r) => r.schedule), file).toEqual([history.runs[k].schedule]);
      expect(again.results[0].testLoss, file).toBeCloseTo(history.runs[k].end!.testLoss, 5);
      expect(again.results[0].testAccuracy, file).toBeCloseTo(history.runs[k].end!.testAccuracy, 5);
    }
    expect(errors).toEqual([]);

    // Without a column of ff or predsim the Rules group is not shown.
    const plain = await open('?schedules=local-parallel&epochs=2');
    expect(await plain.isVisible('fieldset[data-group="Rules"]')).toBe(false);
    await Promise.all([page.close(), plain.close()]);
  });

  it('downloads a run that the CLI trains again to the same numbers and continues from its weights', async () => {
    const page = await open('?schedules=backprop,local-gated&epochs=6&seed=4&backend=wasm');
    await page.click('#play');
    await waitForPhase(page, ['done']);
    const files = await download(page);
    expect(Object.keys(files).sort()).toEqual(['README.md', 'backprop.safetensors', 'config.json', 'history.json', 'initial.safetensors', 'local-gated.safetensors']);
    const dir = saveFiles(files);
    const history = JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8')) as { runs: PageRun[]; link: string };
    expect(history.link).toContain('seed=4');

    const again = await cliJson('compare', '--config', join(dir, 'config.json'), '--json', '--quiet');
    expect(again.results.map((r) => r.schedule)).toEqual(['backprop', 'local-gated']);
    // Same code, kernels and seed: the browser's wasm and Node's agree to float32 rounding.
    again.results.forEach((r, k) => {
      expect(r.testLoss).toBeCloseTo(history.runs[k].end!.testLoss, 5);
      expect(r.testAccuracy).toBeCloseTo(history.runs[k].end!.testAccuracy, 5);
    });

    const out = join(dir, 'continued');
    const r = await cli('compare', '--config', join(dir, 'config.json'), '--schedules', 'backprop', '--init', join(dir, 'backprop.safetensors'), '--epochs', '1', '--out', out, '--report', 'off', '--quiet');
    expect(r.code, r.stderr).toBe(0);
    const first = (JSON.parse(readFileSync(join(out, 'backprop-seed4.history.json'), 'utf8')) as { epochs: { testLoss: number }[] }).epochs[0];
    // The CLI's first epoch scores the downloaded weights: the page's final model.
    expect(first.testLoss).toBeCloseTo(history.runs[0].end!.testLoss, 5);
    expect(errors).toEqual([]);
    await page.close();
  });
});
