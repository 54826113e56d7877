import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.js';

describe('experiment', () => {
  it('gated --quick trains on the sweep runner with 2 jobs, writes the JSON, the generated page and the results index, and a rerun trains nothing', async () => {
    const dir = tempDir();
    const out = join(dir, 'results');
    const records = join(dir, 'records');
    const r = await cli('experiment', 'gated', '--quick', '--quiet', '--jobs', '2', '--out', out, '--checkpoints', records);
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
    // One record a run: the sweep's 3 configurations × 1 seed and the finals' 8 cells × 2 seeds, on both datasets.
    expect(readdirSync(records).filter((f) => /^[0-9a-f]+\.json$/.test(f))).toHaveLength(2 * (3 + 16));
    const again = await cli('experiment', 'gated', '--quick', '--out', out, '--checkpoints', records);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('done');
    expect(JSON.parse(readFileSync(join(out, 'gated.json'), 'utf8'))).toEqual(json);
  }, 240_000);

  it('parallel --quick validates, names by the rule, runs the finals and the boundary measurements, and rebuilds its page from the records', async () => {
    const dir = tempDir();
    const out = join(dir, 'results');
    const records = join(dir, 'records');
    const r = await cli('experiment', 'parallel', '--quick', '--quiet', '--out', out, '--checkpoints', records);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'parallel-quick.json'), 'utf8'));
    // Validation: 5 families × 2 seeds × 2 datasets; final: the same; boundary: 3 families × 2 seeds × 2 datasets.
    expect(json.runs.filter((x: { phase: string }) => x.phase === 'validation')).toHaveLength(20);
    const finals = json.runs.filter((x: { phase: string }) => x.phase === 'final');
    expect(finals).toHaveLength(20);
    expect(finals[0].curve).toHaveLength(finals[0].epochs);
    expect(json.boundary).toHaveLength(12);
    const page = readFileSync(join(out, 'parallel-quick.md'), 'utf8');
    expect(page).toContain('### Final comparison (seeds 30-31, test set)');
    expect(page).toContain('## The note’s hypothesis');
    expect(page).not.toContain('| NO |');
    expect(existsSync(join(out, 'parallel-quick-spiral-curves.svg'))).toBe(true);
    // A rerun trains nothing (every run has its record) and writes the same summaries.
    const again = await cli('experiment', 'parallel', '--quick', '--quiet', '--out', out, '--checkpoints', records);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'parallel-quick.json'), 'utf8')).runs).toEqual(json.runs);
    const bad = await cli('experiment', 'parallel', '--part', 'finals', '--out', out);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--part must be validation, final, hypothesis or all, got "finals"');
  }, 240_000);

  it('parallel refuses its final runs before the protocol names the candidate', async () => {
    const out = join(tempDir(), 'results');
    const r = await cli('experiment', 'parallel', '--part', 'final', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('must hold the pre-registered protocol');
  });

  it('names the experiments when asked for an unknown one', async () => {
    const out = join(tempDir(), 'results');
    const r = await cli('experiment', 'gatd', '--quick', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown experiment "gatd"; choose one of: gated');
    expect(existsSync(join(out, 'gated.json'))).toBe(false);
  });
});
