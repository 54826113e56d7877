import { decodeRunCheckpoint, encodeRunCheckpoint } from '../../src/io/run-checkpoint.js';
import type { RunCheckpoint } from '../../src/train/resume.js';
import type { CheckpointStore } from '../../src/studies/checkpointed-run.js';

/**
 * A study's checkpoints in memory, through the same encoding as the files;
 * `stopAfter` makes the first checkpoint of that epoch stop the study, as a
 * kill would.
 */
export function memoryCheckpoints(stopAfter?: number): CheckpointStore & { files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  let stopped = false;
  return {
    files,
    checkpoint: (key) => (files.has(key) ? decodeRunCheckpoint(files.get(key)!, key) : null),
    saveCheckpoint: (key, state: RunCheckpoint) => {
      files.set(key, encodeRunCheckpoint(state));
      if (stopAfter !== undefined && state.epoch === stopAfter && !stopped) {
        stopped = true;
        throw new Error('stopped');
      }
    },
    dropCheckpoint: (key) => files.delete(key),
  };
}
