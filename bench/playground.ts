import { launchChromium } from '../test/browser/chromium.js';
import { measureFrameRate, servePlayground } from '../test/browser/playground-site.js';
import { machineLine, writeSection } from './sections.js';

/** Seconds of play per configuration: long enough for a stable median of one-second samples. */
const SECONDS = 15;

/**
 * The playground's frame rate in headless Chromium: the seed's network on
 * signed_xor with all four schedules training (the case), and with
 * back-propagation alone for scale.
 */
export async function benchPlayground(file: string): Promise<string> {
  const server = await servePlayground();
  const browser = await launchChromium();
  const rows: string[] = [];
  try {
    for (const [label, query] of [
      ['all four schedules', '?epochs=1000'],
      ['backprop only', '?schedules=backprop&epochs=1000'],
    ] as const) {
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      await page.goto(`${server.url}/index.html${query}`);
      await page.waitForFunction(() => document.body.dataset.phase === 'paused' && Number(document.body.dataset.frames) >= 1, null, { timeout: 60_000 });
      const rate = await measureFrameRate(page, SECONDS);
      const backend = await page.evaluate(() => document.body.dataset.backend);
      rows.push(`| ${label} | ${rate.median} | ${Math.min(...rate.samples)}–${Math.max(...rate.samples)} | ${rate.epochsPerSecond.toFixed(1)} | ${rate.trainMs.toFixed(0)} | ${rate.picturesMs.toFixed(0)} | ${rate.drawMs.toFixed(1)} | ${rate.chartMs.toFixed(0)} | ${backend} |`);
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const body = [
    '## Playground frame rate (headless Chromium, seed network on signed_xor)',
    '',
    machineLine(),
    `Chromium from Debian (\`--headless --disable-gpu\`), the page as \`npm run build:web\` builds it, 1 epoch per frame, ${SECONDS} one-second samples each. A frame is new pictures of every column (network at 64×64 and each hidden block) drawn after every column trained one more epoch; the workers (one per core, up to one per column) wait for the page to draw before the next step. The worker's milliseconds are the slowest worker's per frame (smoothed): training one epoch of its columns, and computing their pictures. The page's are its main thread's: painting a frame's pictures, and redrawing the SVG charts, which it does at most every 300 ms. The page draws while the workers compute the next step, so the slowest worker sets the pace.`,
    '',
    '| columns | frames/s, median | range | epochs/s per column | worker: ms training | worker: ms pictures | page: ms drawing a frame | page: ms redrawing the charts | backend |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  writeSection(file, 'playground', body);
  return body;
}
