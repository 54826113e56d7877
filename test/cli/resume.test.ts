import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkpointHooks } from '../../src/cli/run-experiment.js';
import { CHECKPOINT_FILE } from '../../src/cli/report.js';
import { LocalpropError } from '../../src/util/errors.js';
import { cli, listDir, readJson, tempDir } from './helpers.js';

/** A JSON value with every "seconds" field removed: the one thing a resumed run may differ in. */
function timeless(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(timeless);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== 'seconds' && k !== 'secondsMean' && k !== 'secondsStd')
        .map(([k, v]) => [k, timeless(v)]),
    );
  }
  return value;
}

/** Stops the command after its `count`-th checkpoint, as a crash would. */
function stopAfterCheckpoints(count: number): { stoppedAt: () => string } {
  let written = 0;
  let where = '';
  checkpointHooks.afterWrite = (run, epoch) => {
    written++;
    if (written === count) {
      where = `${run.schedule.name} seed ${run.options.seed} epoch ${epoch}`;
      throw new LocalpropError(`stopped by the test at ${where}`);
    }
  };
  return { stoppedAt: () => where };
}

afterEach(() => {
  delete checkpointHooks.afterWrite;
});

const historyFiles = (dir: string) => listDir(dir).filter((n) => n.endsWith('.history.json'));

describe('compare --checkpoint-every and --resume', () => {
  const base = ['compare', '--schedules', 'backprop,local-sequential,local-parallel', '--seeds', '0,1', '--epochs', '3', '--quiet', '--eval-thread', 'off', '--grid-size', '40', '--block-grid-size', '12'];

  it('a compare stopped mid-run and resumed writes the results of a run never stopped (epoch mode, Rprop)', async () => {
    const straight = tempDir();
    expect((await cli(...base, '--out', straight)).code).toBe(0);

    const dir = tempDir();
    // 3 checkpoints for backprop (epochs 1, 2; not the last), then local-sequential (12 epochs): stop at its epoch 5, mid-phase.
    const hook = stopAfterCheckpoints(2 + 5);
    const stopped = await cli(...base, '--out', dir, '--checkpoint-every', '1');
    expect(stopped.code).toBe(2);
    expect(hook.stoppedAt()).toBe('local-sequential seed 0 epoch 5');
    expect(stopped.stderr).toContain('stopped by the test');
    expect(historyFiles(dir)).toEqual(['backprop-seed0.history.json']);
    expect(existsSync(join(dir, CHECKPOINT_FILE))).toBe(true);
    expect(existsSync(join(dir, 'results.json'))).toBe(false);
    delete checkpointHooks.afterWrite;

    const resumed = await cli(...base, '--out', dir, '--checkpoint-every', '1', '--resume', dir);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(timeless(readJson(join(dir, 'results.json')))).toEqual(timeless(readJson(join(straight, 'results.json'))));
    expect(historyFiles(dir)).toEqual(historyFiles(straight));
    for (const name of historyFiles(dir)) expect(timeless(readJson(join(dir, name))), name).toEqual(timeless(readJson(join(straight, name))));
    // Done: no checkpoint is left, and the report was drawn.
    expect(existsSync(join(dir, CHECKPOINT_FILE))).toBe(false);
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
    expect(readJson(join(dir, 'config.json'))).toEqual(readJson(join(straight, 'config.json')));
  });

  it('batch mode with Adam, milestones and dropout, stopped in local-gated, resumed from the options in --config', async () => {
    const configDir = tempDir();
    const configFile = join(configDir, 'options.json');
    writeFileSync(configFile, JSON.stringify({ step: 'batch', 'batch-size': 128, optimizer: 'adam', lr: 0.003, 'lr-decay-at': [1], 'lr-decay': 0.5, dropout: 0.2, epochs: 3 }));
    const args = ['compare', '--config', configFile, '--schedules', 'local-parallel,local-gated', '--seeds', '1', '--quiet', '--report', 'off', '--json'];
    const straight = await cli(...args);
    expect(straight.code).toBe(0);

    const dir = tempDir();
    stopAfterCheckpoints(2 + 1);
    expect((await cli(...args, '--out', dir, '--checkpoint-every', '1')).code).toBe(2);
    delete checkpointHooks.afterWrite;
    const resumed = await cli(...args, '--resume', dir);
    expect(resumed.code).toBe(0);
    expect(timeless(JSON.parse(resumed.stdout))).toEqual(timeless(JSON.parse(straight.stdout)));
    expect(timeless(readJson(join(dir, 'results.json')))).toEqual(timeless(JSON.parse(straight.stdout)));
  });

  it('train --save after a resume writes the very bytes of a run never stopped', async () => {
    const dir = tempDir();
    const args = ['train', '--schedule', 'local-sequential', '--epochs', '2', '--step', 'batch', '--dropout', '0.1', '--quiet', '--json', '--eval-thread', 'off', '--report', 'off'];
    const straightSave = join(dir, 'straight.safetensors');
    expect((await cli(...args, '--save', straightSave)).code).toBe(0);

    const out = join(dir, 'run');
    const save = join(dir, 'resumed.safetensors');
    stopAfterCheckpoints(3);
    expect((await cli(...args, '--save', save, '--out', out, '--checkpoint-every', '1')).code).toBe(2);
    delete checkpointHooks.afterWrite;
    expect(existsSync(save)).toBe(false);
    expect((await cli(...args, '--save', save, '--resume', out)).code).toBe(0);
    expect(readFileSync(save).equals(readFileSync(straightSave))).toBe(true);
  });
});

describe('--resume refuses', () => {
  const base = ['compare', '--schedules', 'local-parallel', '--seeds', '1', '--epochs', '3', '--quiet', '--eval-thread', 'off', '--report', 'off'];

  async function stoppedFolder(): Promise<string> {
    const dir = tempDir();
    stopAfterCheckpoints(1);
    expect((await cli(...base, '--out', dir, '--checkpoint-every', '1')).code).toBe(2);
    delete checkpointHooks.afterWrite;
    return dir;
  }

  it('a folder without config.json', async () => {
    const dir = tempDir();
    const r = await cli(...base, '--resume', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--resume ${dir}: there is no ${join(dir, 'config.json')}`);
  });

  it('other options than the stopped run’s, naming each', async () => {
    const dir = await stoppedFolder();
    const r = await cli(...base.map((a) => (a === '3' ? '4' : a)), '--lr', '0.02', '--resume', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the options differ from those the run was started with');
    expect(r.stderr).toContain('training.epochs: 3 ≠ 4');
    expect(r.stderr).toContain('training.optimizer: none ≠ {"lr":0.02,"name":"rprop"}');
  });

  it('a folder with neither a checkpoint nor a finished run', async () => {
    // What a command stopped before its first checkpoint leaves: config.json alone.
    const finished = tempDir();
    expect((await cli(...base, '--out', finished)).code).toBe(0);
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), readFileSync(join(finished, 'config.json')));
    const r = await cli(...base, '--resume', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('there is no checkpoint');
    expect(r.stderr).toContain('--checkpoint-every K');
  });

  it('a folder whose runs all finished', async () => {
    const dir = tempDir();
    expect((await cli(...base, '--out', dir)).code).toBe(0);
    const r = await cli(...base, '--resume', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nothing to resume');
  });

  it('--checkpoint-every without a folder, and --out naming another folder than --resume', async () => {
    const r = await cli(...base, '--checkpoint-every', '2');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--checkpoint-every K needs --out DIR');
    const dir = await stoppedFolder();
    const other = await cli(...base, '--out', tempDir(), '--resume', dir);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('drop --out or give the same folder');
  });

  it('a damaged checkpoint file', async () => {
    const dir = await stoppedFolder();
    writeFileSync(join(dir, CHECKPOINT_FILE), 'not a checkpoint');
    const r = await cli(...base, '--resume', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(CHECKPOINT_FILE);
    expect(r.stderr).toContain('not a safetensors file');
  });
});
