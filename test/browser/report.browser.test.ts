import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { launchChromium } from './chromium.js';

const OUTPUT = join(import.meta.dirname, '..', '..', 'test-output');

describe('report.html in a browser', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = join(mkdtempSync(join(tmpdir(), 'localprop-report-')), 'run');
    const status = await main(['compare', '--seeds', '2', '--epochs', '12', '--out', dir, '--quiet', '--eval-thread', 'off', '--grid-size', '120']);
    expect(status).toBe(0);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('loads every picture without a console error, and its timeline slider swaps the boundaries', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('requestfailed', (r) => errors.push(`failed to load ${r.url()}`));
    await page.goto(pathToFileURL(join(dir, 'report.html')).href);

    // Every raster inside the inline SVGs must decode; a broken data URL rejects.
    const images = await page.evaluate(async () => {
      const hrefs = [...document.querySelectorAll('image')].map((i) => i.getAttribute('href') ?? '');
      const sizes = await Promise.all(
        hrefs.map(async (href) => {
          const img = new Image();
          img.src = href;
          await img.decode();
          return img.naturalWidth;
        }),
      );
      return { count: hrefs.length, sizes };
    });
    const schedules = ['backprop', 'local-sequential', 'local-parallel', 'local-gated'];
    // Per schedule: the network, its three hidden blocks (local schedules only) and one slider panel per block.
    expect(images.count).toBe(4 * 1 + 3 * 3 + 4 * 4);
    expect(images.sizes.every((w) => w === 120 || w === 60)).toBe(true);

    const figures = await page.$$eval('figure svg', (svgs) => svgs.map((s) => s.querySelectorAll('.series').length));
    expect(figures.length).toBeGreaterThanOrEqual(3 + schedules.length * 2);
    const lossSeries = await page.$$eval('#fig-test-loss .series', (gs) => gs.map((g) => g.getAttribute('data-series')));
    // Two seeds: each schedule's mean plus one faint line per seed.
    expect(lossSeries.filter((n) => schedules.includes(n!))).toEqual(schedules);

    const timeline = page.locator('#timeline-local-sequential');
    const before = await timeline.locator('image').first().getAttribute('href');
    await timeline.locator('input').fill('0');
    expect(await timeline.locator('output').textContent()).toBe('after epoch 0');
    expect(await timeline.locator('image').first().getAttribute('href')).not.toBe(before);

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'report.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('wrote an SVG and a PNG for every figure', () => {
    const files = readdirSync(dir);
    const svgs = files.filter((f) => f.endsWith('.svg')).map((f) => f.slice(0, -4));
    const pngs = files.filter((f) => f.endsWith('.png')).map((f) => f.slice(0, -4));
    expect(svgs.sort()).toEqual(pngs.sort());
    expect(svgs).toContain('local-parallel-timeline');
  });
});
