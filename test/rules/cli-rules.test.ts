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

  it("name a rule's defaults the user left in the run's header, as a dataset's are named", async () => {
    const ff = await cli('compare', '--rule', 'ff', '--ff-embed', 'append', '--ff-threshold', '3', '--dataset', 'spiral', '--model', '4-8-8-1 hidden=relu,normalize', '--schedules', 'local-parallel', '--seeds', '1', '--epochs', '1', '--step', 'batch');
    expect(ff.code).toBe(0);
    expect(ff.stderr).toMatch(/^ {2}note {6}defaults of rule ff: --ff-goodness sum --ff-predict goodness --ff-readout on --ff-goodness-blocks after-first; an option you give replaces its default$/m);
    const predsim = await cli('train', '--schedule', 'local-parallel', '--rule', 'predsim', '--dataset', 'spiral', '--epochs', '1', '--step', 'batch');
    expect(predsim.code).toBe(0);
    expect(predsim.stderr).toMatch(/^localprop train: defaults of rule predsim: --predsim-beta 0\.99; an option you give replaces its default$/m);
    // A rule without options of its own, or with all of them given, adds no line.
    const given = await cli('train', '--schedule', 'local-parallel', '--rule', 'predsim', '--predsim-beta', '0.5', '--dataset', 'spiral', '--epochs', '1', '--step', 'batch');
    expect(given.stderr).not.toMatch(/defaults of rule/);
    const dfa = await cli('train', '--schedule', 'local-parallel', '--rule', 'dfa', '--dataset', 'spiral', '--epochs', '1', '--step', 'batch');
    expect(dfa.stderr).not.toMatch(/defaults of rule/);
  });

  it('train pred, sim and predsim with batch norm and after-loss dropout through compare, one row a rule', async () => {
    const r = await cli('compare', '--dataset', 'spiral', '--model', '2-16-16-1 hidden=leaky-relu,batchnorm', '--rule', 'pred,sim,predsim', '--schedules', 'local-parallel', '--seeds', '1', '--epochs', '3', '--step', 'batch', '--batch-size', '50', '--dropout', '0.1', '--dropout-placement', 'after-loss', '--json');
    expect(r.code).toBe(0);
    const rows = (JSON.parse(r.stdout) as { results: { rule?: string; testAccuracy: number }[] }).results;
    expect(rows.map((x) => x.rule)).toEqual(['pred', 'sim', 'predsim']);
    for (const x of rows) expect(x.testAccuracy).toBeGreaterThan(0.3);
  });
});
