import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as main from '../../src/index.js';
import * as internal from '../../src/internal.js';

describe('the public API', () => {
  it('the main entry exports at most 50 runtime names', () => {
    const names = Object.keys(main);
    expect(names.length).toBeLessThanOrEqual(50);
    // What a user reaches first.
    for (const name of ['fit', 'Model', 'Run', 'seededStart', 'parseModelSpec', 'registerDataset', 'registerSchedule', 'listSchedules', 'useBackend', 'encodeCheckpoint', 'renderReport']) expect(names).toContain(name);
  });

  it('localprop/internal holds everything the main entry does and the building blocks it left out', () => {
    for (const [name, value] of Object.entries(main)) expect((internal as Record<string, unknown>)[name], name).toBe(value);
    for (const name of ['BCE_LOG_FLOOR', 'KEPT_PER_UNIT', 'IDX_IMAGES_MAGIC', 'readCell', 'gunzipIfNeeded', 'dense', 'epochBatches', 'SEED_MODEL']) {
      expect(main, name).not.toHaveProperty(name);
      expect(internal, name).toHaveProperty(name);
    }
  });

  it('package.json exports both entries from the build', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { exports: Record<string, { types: string; default: string }> };
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(pkg.exports['./internal']).toEqual({ types: './dist/internal.d.ts', default: './dist/internal.js' });
  });
});
