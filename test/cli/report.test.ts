import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { outFolder } from '../../src/cli/report-settings.js';
import { cli, tempDir } from './helpers.js';

const QUICK = ['--epochs', '3', '--eval-thread', 'off', '--quiet', '--grid-size', '20', '--block-grid-size', '8'];

describe('reports from the CLI', () => {
  it('compare --out draws every schedule into SVG, PNG and report.html after results.json', async () => {
    const dir = join(tempDir(), 'run');
    const r = await cli('compare', ...QUICK, '--seeds', '1', '--schedules', 'backprop,local-parallel', '--out', dir);
    expect(r.code).toBe(0);
    const files = readdirSync(dir);
    for (const name of ['backprop', 'local-parallel', 'test-loss', 'local-parallel-timeline']) {
      expect(files).toContain(`${name}.svg`);
      const png = readFileSync(join(dir, `${name}.png`));
      expect(Array.from(png.subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]); // "PNG"
    }
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('local-parallel');
    // Self-contained: nothing fetched from a network.
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(files.some((f) => f.startsWith('.'))).toBe(false);
  });

  it('train --out draws its one run; --report off draws nothing', async () => {
    const dir = join(tempDir(), 'one');
    expect((await cli('train', '--schedule', 'local-sequential', ...QUICK, '--out', dir)).code).toBe(0);
    expect(existsSync(join(dir, 'local-sequential.png'))).toBe(true);
    const plain = join(tempDir(), 'plain');
    expect((await cli('train', '--schedule', 'local-sequential', ...QUICK, '--out', plain, '--report', 'off')).code).toBe(0);
    expect(readdirSync(plain).sort()).toEqual(['config.json', 'local-sequential-seed0.history.json', 'results.json']);
  });

  it('puts the date and time where --out says {time}', () => {
    expect(outFolder({ out: 'runs/{time}' }, new Date(2026, 10, 27, 9, 5, 7))).toBe('runs/2026-11-27T09-05-07');
    expect(outFolder({ out: 'plain' })).toBe('plain');
    expect(outFolder({})).toBeUndefined();
  });

  it('rejects grid sizes it cannot draw', async () => {
    const r = await cli('compare', '--grid-size', '1', '--out', tempDir());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--grid-size must be between 2 and 2000/);
  });
});
