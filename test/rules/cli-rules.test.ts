import { describe, expect, it } from 'vitest';
import { cli } from '../cli/helpers.js';

describe('the Nøkland & Eidnes options on the command line', () => {
  it('refuse sim and batch norm under --step epoch, and bad values, with one line and status 2 before training', async () => {
    const sim = await cli('compare', '--rule', 'sim', '--schedules', 'local-parallel', '--step', 'epoch', '--seeds', '1', '--epochs', '1');
    expect(sim.code).toBe(2);
    expect(sim.stderr).toMatch(/^localprop: rule sim compares the examples of each mini-batch.*use --step batch$/m);
    const bn = await cli('compare', '--model', '2-8-1 hidden=relu,batchnorm', '--schedules', 'backprop', '--seeds', '1', '--epochs', '1');
    expect(bn.code).toBe(2);
    expect(bn.stderr).toMatch(/batch norm normalises each mini-batch .*--step epoch/);
    const std = await cli('compare', '--standardize', '0.1', '--seeds', '1');
    expect(std.code).toBe(2);
    expect(std.stderr).toMatch(/--standardize takes two numbers separated by a comma/);
    const beta = await cli('compare', '--rule', 'predsim', '--predsim-beta', '2', '--step', 'batch', '--schedules', 'local-parallel', '--seeds', '1');
    expect(beta.code).toBe(2);
    expect(beta.stderr).toMatch(/--predsim-beta is the similarity loss's share, in \[0, 1\]/);
    const jitter = await cli('compare', '--jitter', '1', '--step', 'batch', '--schedules', 'backprop', '--seeds', '1', '--epochs', '1');
    expect(jitter.code).toBe(2);
    expect(jitter.stderr).toMatch(/square grey images .* 2 inputs/);
    const init = await cli('compare', '--rule', 'dfa', '--dfa-init', 'zeros', '--schedules', 'local-parallel', '--seeds', '1', '--epochs', '1');
    expect(init.code).toBe(2);
    expect(init.stderr).toMatch(/^localprop: --dfa-init must be one of torch, zero, got "zeros"$/m);
    const relu = await cli('compare', '--rule', 'dfa', '--dfa-init', 'zero', '--model', '2-8-1 hidden=relu', '--schedules', 'local-parallel', '--seeds', '1', '--epochs', '1');
    expect(relu.code).toBe(2);
    expect(relu.stderr).toMatch(/^localprop: --dfa-init zero starts every block at 0, where relu passes no gradient.*use hidden=tanh/m);
  });

  it('train pred, sim and predsim with batch norm and after-loss dropout through compare, one row a rule', async () => {
    const r = await cli('compare', '--dataset', 'spiral', '--model', '2-16-16-1 hidden=leaky-relu,batchnorm', '--rule', 'pred,sim,predsim', '--schedules', 'local-parallel', '--seeds', '1', '--epochs', '3', '--step', 'batch', '--batch-size', '50', '--dropout', '0.1', '--dropout-placement', 'after-loss', '--json');
    expect(r.code).toBe(0);
    const rows = (JSON.parse(r.stdout) as { results: { rule?: string; testAccuracy: number }[] }).results;
    expect(rows.map((x) => x.rule)).toEqual(['pred', 'sim', 'predsim']);
    for (const x of rows) expect(x.testAccuracy).toBeGreaterThan(0.3);
  });
});
