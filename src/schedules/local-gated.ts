import { trainParallelEpoch } from './local-parallel.js';
import { GateTracker, resolveGateOptions } from '../modulators/gates.js';
import type { Schedule } from './schedule.js';
import type { PlainTensor } from '../model/parameters.js';
import { check } from '../util/errors.js';

/** Rows whose input drift batch mode follows (all of them when the training set is smaller). */
const PROBE_ROWS = 1024;

/**
 * Local, stability-gated: every block learns in every step, as in
 * local-parallel, but how much block i learns from each input axis is scaled
 * by a gate that closes while that axis is still moving (see
 * {@link GateOptions}). With `--gate off` it takes exactly local-parallel's
 * steps.
 *
 * Drift is measured on the same samples between consecutive steps: in epoch
 * mode on the whole training set at every step, from the input block i
 * learns from; in batch mode once per epoch on the first 1024 training rows.
 */
export const localGated: Schedule = {
  name: 'local-gated',
  description: 'local-parallel with per-axis gates that slow learning from inputs still moving (200 epochs)',
  note: 'local-parallel, each input axis gated by how much it still moves',
  trainsRule: true,
  pipelinable: false,
  optionGroups: ['gate'],
  resolveOptions: (options) => ({ gate: resolveGateOptions(options.gate) }),
  // Per tracked block: the last input on the tracked rows plus drift, magnitude and gate per axis; batch mode also keeps the probe rows.
  stateBytes(spec, step, trainRows, bytes) {
    const l = spec.layers;
    const tracked = step === 'batch' ? Math.min(PROBE_ROWS, trainRows) : trainRows;
    let numbers = step === 'batch' ? tracked * l[0] : 0;
    for (let i = 1; i < l.length - 1; i++) numbers += (tracked + 3) * l[i];
    return numbers * bytes;
  },
  defaultEpochs: 200,
  totalEpochs: (epochs) => epochs,
  *plan(session, epochs) {
    const n = session.blockCount;
    const options = resolveGateOptions(session.options.gate);
    // The first block's input is the data, which never moves: no tracker, gate 1.
    const trackers = Array.from({ length: n }, (_, i) => (i === 0 ? null : new GateTracker(options)));
    const probe = session.options.step === 'batch' ? session.trainX.slice([0, 0], [Math.min(PROBE_ROWS, session.train.count), -1]) : null;
    try {
      for (let e = 0; e < epochs; e++) {
        yield {
          block: null,
          train: () => {
            // A run resumed mid-epoch already observed this epoch's probe before it stopped (the trackers were saved after it).
            if (probe && session.startChunk === 0) {
              for (let i = 1; i < n; i++) {
                const input = session.network.encode(probe, i);
                trackers[i]!.observe(input);
                input.dispose();
              }
            }
            return trainParallelEpoch(session, (i, input) => {
              const tracker = trackers[i];
              if (!tracker) return undefined;
              // Epoch mode: the drift is measured on the input this step learns from (without its dropout mask:
              // a new mask every step is not drift).
              if (!probe) tracker.observe(input());
              return { scales: tracker.scales(), shrinkGates: tracker.shrinkGates() };
            });
          },
          gateMetrics: () => trackers.map((t) => (t ? t.metrics() : { drift: null, gate: 1, open: 1 })),
          saveState: () => {
            const state: Record<string, PlainTensor> = {};
            trackers.forEach((t, i) => {
              for (const [key, value] of Object.entries(t?.saveState() ?? {})) state[`trackers.${i}.${key}`] = value;
            });
            return state;
          },
          loadState: (state) => {
            const parts = trackers.map(() => ({}) as Record<string, PlainTensor>);
            for (const [name, value] of Object.entries(state)) {
              const match = /^trackers\.(\d+)\.(\w+)$/.exec(name);
              const i = match ? Number(match[1]) : -1;
              check(match !== null && trackers[i] !== undefined && trackers[i] !== null, `local-gated's saved state has "${name}", which no block's tracker holds; the checkpoint is for another model`);
              parts[i][match![2]] = value;
            }
            trackers.forEach((t, i) => t?.loadState(parts[i]));
          },
        };
      }
    } finally {
      trackers.forEach((t) => t?.dispose());
      probe?.dispose();
    }
  },
};
