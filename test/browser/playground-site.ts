import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { serveFolders } from './chromium.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** Builds the playground as `npm run build:web` does (into a temporary folder) and serves it on a loopback port. */
export async function servePlayground(): Promise<{ url: string; close: () => Promise<void> }> {
  const site = mkdtempSync(join(tmpdir(), 'localprop-playground-'));
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'silent', build: { outDir: site, emptyOutDir: true } });
  return serveFolders({ '/': site });
}

/** Frames the page drew per second while playing, sampled once a second, and the epochs the columns advanced meanwhile. */
export interface FrameRate {
  samples: number[];
  median: number;
  epochsPerSecond: number;
  /** The slowest worker's milliseconds per frame, training and computing the pictures (smoothed, at the end). */
  trainMs: number;
  picturesMs: number;
  /** The page's milliseconds drawing a frame's pictures, and redrawing the charts (at most every 300 ms), smoothed. */
  drawMs: number;
  chartMs: number;
}

/**
 * Plays the open page for `seconds` and samples its frame rate (frames with
 * new pictures drawn in the last second, as the page counts them).
 */
export async function measureFrameRate(page: Page, seconds: number): Promise<FrameRate> {
  const epoch = () => page.$$eval('#columns .status', (s) => Math.max(...s.map((e) => Number((e as HTMLElement).dataset.epoch))));
  await page.click('#play');
  await page.waitForFunction(() => Number(document.body.dataset.frames) >= 5);
  const startEpoch = await epoch();
  const started = Date.now();
  const samples: number[] = [];
  for (let s = 0; s < seconds; s++) {
    await page.waitForTimeout(1000);
    samples.push(Number(await page.evaluate(() => document.body.dataset.fps)));
  }
  const epochsPerSecond = ((await epoch()) - startEpoch) / ((Date.now() - started) / 1000);
  const [trainMs, picturesMs, drawMs, chartMs] = await page.evaluate(() => ['trainMs', 'picturesMs', 'drawMs', 'chartMs'].map((k) => Number(document.body.dataset[k])));
  await page.click('#play');
  const sorted = [...samples].sort((a, b) => a - b);
  const m = sorted.length >> 1;
  return { samples, median: sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2, epochsPerSecond, trainMs, picturesMs, drawMs, chartMs };
}
