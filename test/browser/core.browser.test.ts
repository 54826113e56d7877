import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as lib from '../../src/index.js';
import { launchChromium, serveFolders } from './chromium.js';
import { shortReport, shortRuns } from './short-runs.js';

const require = createRequire(import.meta.url);
const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');

describe('the core in a browser', () => {
  let browser: Browser;
  let server: { url: string; close: () => Promise<void> };
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    const site = mkdtempSync(join(tmpdir(), 'localprop-browser-'));
    // platform 'browser' makes the bundle fail on any Node built-in reaching the core.
    await build({ entryPoints: [join(import.meta.dirname, 'core-entry.ts')], bundle: true, format: 'esm', platform: 'browser', outfile: join(site, 'core.js'), logLevel: 'silent' });
    writeFileSync(join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><title>localprop core</title><link rel="icon" href="data:,"><script type="module" src="/core.js"></script>');
    server = await serveFolders({ '/wasm/': wasmDir, '/': site });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it.each(['wasm', 'cpu'])('trains every schedule on %s and gives the numbers Node gives', async (backend) => {
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(server.url);
    await page.waitForFunction(() => typeof window.localpropRuns === 'function');
    const inBrowser = await page.evaluate((b) => window.localpropRuns(b), backend);
    await page.close();

    await lib.useBackend(backend);
    const inNode = await shortRuns(lib);
    // Events 0 (the untrained network) to the last epoch.
    expect(inBrowser.map((r) => r.length)).toEqual([5, 17, 5]);
    // Same code, same kernels, same seed: the browser reproduces Node's run to float32 rounding.
    inBrowser.flat().forEach((e, k) => {
      const n = inNode.flat()[k];
      expect([e.schedule, e.epoch, e.block]).toEqual([n.schedule, n.epoch, n.block]);
      expect(e.trainLoss).toBeCloseTo(n.trainLoss, 5);
      expect(e.testLoss).toBeCloseTo(n.testLoss, 5);
      expect(e.testAccuracy).toBeCloseTo(n.testAccuracy, 6);
    });
    expect(consoleErrors).toEqual([]);
  });

  it('computes boundary grids and renders a report in the page as Node does', async () => {
    const page = await browser.newPage();
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(server.url);
    await page.waitForFunction(() => typeof window.localpropReport === 'function');
    const inBrowser = await page.evaluate(() => window.localpropReport('cpu'));
    await page.close();
    await lib.useBackend('cpu');
    const inNode = await shortReport(lib);
    expect(inBrowser.figures).toEqual(inNode.figures);
    expect(inBrowser.figures).toContain('local-parallel-timeline');
    expect(inBrowser.grid.length).toBe(16 * 16 * 3);
    inBrowser.grid.forEach((v, k) => expect(v).toBeCloseTo(inNode.grid[k], 5));
    expect(inBrowser.htmlBytes).toBeGreaterThan(10_000);
    expect(consoleErrors).toEqual([]);
  });
});
