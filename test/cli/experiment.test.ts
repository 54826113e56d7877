import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.js';

describe('experiment', () => {
  it('gated --quick writes the JSON, the generated page and the results index', async () => {
    const out = join(tempDir(), 'results');
    const r = await cli('experiment', 'gated', '--quick', '--quiet', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'gated.json'), 'utf8'));
    expect(json.plan.datasets).toEqual(['signed_xor', 'spiral']);
    // Sweep: every configuration on every dataset; final: 4 schedules × 2 decoder modes per dataset.
    expect(json.sweep).toHaveLength(3 * 2);
    expect(json.final).toHaveLength(2 * 4 * 2);
    expect(json.chosen.gate.mode).not.toBe('off');
    const gated = json.final.find((f: { schedule: string }) => f.schedule === 'local-gated');
    expect(gated.gates.openEpochs).toHaveLength(4);
    expect(gated.gates.openEpochs[0]).toBe(1);
    const page = readFileSync(join(out, 'gated.md'), 'utf8');
    expect(page).toMatch(/^# The stability-gated schedule/);
    expect(page).toContain('(chosen)');
    expect(page).toContain('## spiral: test accuracy, 2 seeds');
    expect(readFileSync(join(out, '..', 'results.md'), 'utf8')).toContain('[The stability-gated schedule](results/gated.md)');
  });

  it('names the experiments when asked for an unknown one', async () => {
    const out = join(tempDir(), 'results');
    const r = await cli('experiment', 'gatd', '--quick', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown experiment "gatd"; choose one of: gated');
    expect(existsSync(join(out, 'gated.json'))).toBe(false);
  });
});
