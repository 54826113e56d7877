import { loadavg } from 'node:os';
import type { Browser } from 'playwright-core';
import { launchChromium, serveFolders } from '../test/browser/chromium.js';
import { measureFrameRate, servePlayground, type FrameRate } from '../test/browser/playground-site.js';
import { machineLine, median, writeSection } from './sections.js';

/** Seconds of play per configuration: long enough for a stable median of one-second samples. */
const SECONDS = 15;
/** With a baseline: rounds of each page in turn, so both see the same load on a shared machine. */
const ROUNDS = 3;
const ROUND_SECONDS = 10;
const ALL_FOUR = '?epochs=1000';

/** Plays one page at `query` and measures its frame rate. */
async function measure(browser: Browser, url: string, query: string, seconds: number): Promise<FrameRate & { backend: string }> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  try {
    await page.goto(`${url}/index.html${query}`);
    await page.waitForFunction(() => document.body.dataset.phase === 'paused' && Number(document.body.dataset.frames) >= 1, null, { timeout: 60_000 });
    const rate = await measureFrameRate(page, seconds);
    return { ...rate, backend: (await page.evaluate(() => document.body.dataset.backend)) ?? '' };
  } finally {
    await page.close();
  }
}

const row = (label: string, rate: FrameRate & { backend: string }) =>
  `| ${label} | ${rate.median} | ${Math.min(...rate.samples)}–${Math.max(...rate.samples)} | ${rate.epochsPerSecond.toFixed(1)} | ${rate.trainMs.toFixed(0)} | ${rate.picturesMs.toFixed(0)} | ${rate.drawMs.toFixed(1)} | ${rate.chartMs.toFixed(0)} | ${rate.backend} |`;

/**
 * The playground's frame rate in headless Chromium: Mertens' network on
 * signed_xor with all four schedules training (the issue's case), and with
 * back-propagation alone for scale. With `PLAYGROUND_BASELINE` naming a
 * folder that holds another build of the page (`vite build --outDir DIR`
 * of an earlier commit), it also plays that build and this one in turns,
 * four columns each, and reports both side by side
 * (`PLAYGROUND_BASELINE_LABEL` names the baseline in the table).
 */
export async function benchPlayground(file: string): Promise<string> {
  const server = await servePlayground();
  const baselineDir = process.env.PLAYGROUND_BASELINE;
  const baseline = baselineDir ? await serveFolders({ '/': baselineDir }) : null;
  const browser = await launchChromium();
  const rows: string[] = [];
  const sideBySide: string[] = [];
  try {
    for (const [label, query] of [
      ['all four schedules', ALL_FOUR],
      ['backprop only', '?schedules=backprop&epochs=1000'],
    ] as const) {
      rows.push(row(label, await measure(browser, server.url, query, SECONDS)));
    }
    if (baseline) {
      const pages = [
        { label: process.env.PLAYGROUND_BASELINE_LABEL ?? `baseline (${baselineDir})`, url: baseline.url, samples: [] as number[], rounds: [] as number[], drawMs: [] as number[], chartMs: [] as number[] },
        { label: 'this page', url: server.url, samples: [] as number[], rounds: [] as number[], drawMs: [] as number[], chartMs: [] as number[] },
      ];
      const load = loadavg()[0].toFixed(1);
      for (let r = 0; r < ROUNDS; r++) {
        for (const p of pages) {
          const rate = await measure(browser, p.url, ALL_FOUR, ROUND_SECONDS);
          p.samples.push(...rate.samples);
          p.rounds.push(rate.median);
          p.drawMs.push(rate.drawMs);
          p.chartMs.push(rate.chartMs);
        }
      }
      sideBySide.push(
        '',
        `Side by side, all four schedules: the two builds played in turns, ${ROUNDS} rounds of ${ROUND_SECONDS} one-second samples each (load average ${load} when they began; the machine is shared).`,
        '',
        '| page | frames/s, median of all samples | range | medians of the rounds | page: ms drawing a frame (median of rounds) | page: ms redrawing the charts (median of rounds) |',
        '|---|---|---|---|---|---|',
        ...pages.map((p) => `| ${p.label} | ${median(p.samples)} | ${Math.min(...p.samples)}–${Math.max(...p.samples)} | ${p.rounds.join(', ')} | ${median(p.drawMs).toFixed(1)} | ${median(p.chartMs).toFixed(0)} |`),
      );
    }
  } finally {
    await browser.close();
    await server.close();
    await baseline?.close();
  }
  const body = [
    "## Playground frame rate (headless Chromium, Mertens' network on signed_xor)",
    '',
    machineLine(),
    `Chromium from Debian (\`--headless --disable-gpu\`), a 1600×1000 window, the page as \`npm run build:web\` builds it, 1 epoch per frame, ${SECONDS} one-second samples each. A frame is new pictures of every column (network at 48×48 lattice points and each hidden block) drawn after every column trained one more epoch; the workers (one per core, up to one per column) wait for the page to draw before the next step. The worker's milliseconds are the slowest worker's per frame (smoothed): training one epoch of its columns, and computing their pictures. The page's are its main thread's: painting a frame's pictures, and redrawing the SVG charts, which it does at most every 300 ms. The page draws while the workers compute the next step, so the slowest worker sets the pace.`,
    '',
    '| columns | frames/s, median | range | epochs/s per column | worker: ms training | worker: ms pictures | page: ms drawing a frame | page: ms redrawing the charts | backend |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    ...sideBySide,
  ].join('\n');
  writeSection(file, 'playground', body);
  return body;
}
