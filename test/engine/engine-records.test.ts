import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE } from '../../src/cli/report.js';
import { checkpointHooks } from '../../src/cli/run-experiment.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { cli, readJson, tempDir } from '../cli/helpers.js';

/** Where a run's files say which backend computed them (the helper pins --backend wasm). */
describe('the backend in the files the CLI writes', () => {
  afterEach(() => {
    checkpointHooks.afterWrite = undefined;
  });

  it('config.json, every history file and the checkpoint name the backend', async () => {
    const out = join(tempDir(), 'out');
    const engines: unknown[] = [];
    checkpointHooks.afterWrite = () => {
      const { metadata } = decodeSafetensors(new Uint8Array(readFileSync(join(out, CHECKPOINT_FILE))));
      engines.push(JSON.parse(metadata.engine ?? 'null'));
    };
    const r = await cli('train', '--schedule', 'backprop', '--epochs', '3', '--model', '2-4-1', '--report', 'off', '--eval-thread', 'off', '--quiet', '--checkpoint-every', '1', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(readJson(join(out, 'config.json')).backend).toBe('wasm');
    expect(readJson(join(out, 'backprop-seed0.history.json')).backend).toBe('wasm');
    // Epochs 1 and 2 checkpoint; the last epoch writes the history instead.
    expect(engines).toEqual([{ backend: 'wasm' }, { backend: 'wasm' }]);
  });
});
