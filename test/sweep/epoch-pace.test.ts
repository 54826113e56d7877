import { describe, expect, it } from 'vitest';
import { EpochPace, formatWait, paceText, usablePace } from '../../src/sweep/epoch-pace.js';
import { formatQueueStatus } from '../../src/sweep/queue/status.js';

describe("a run's pace", () => {
  it('is the median of the last five epochs, none before one ends, from the start on', () => {
    let t = 1000;
    const pace = new EpochPace(() => t);
    pace.epochEnded(); // before start: no epoch to time
    expect(pace.seconds()).toBeUndefined();
    pace.start();
    expect(pace.seconds()).toBeUndefined();
    const epochs = [90, 40, 50, 44, 46, 300, 48]; // seconds: a slow first one, a burst later
    const medians: number[] = [];
    for (const s of epochs) {
      t += s * 1000;
      pace.epochEnded();
      medians.push(pace.seconds()!);
    }
    // [90] → 90; [90,40] → 65; [90,40,50] → 50; [90,40,50,44] → 47; [90,40,50,44,46] → 46; [40,50,44,46,300] → 46; [50,44,46,300,48] → 48
    expect(medians).toEqual([90, 65, 50, 47, 46, 46, 48]);
  });

  it('reads as a person says it', () => {
    expect([formatWait(4.4), formatWait(59.4), formatWait(90), formatWait(99.4), formatWait(100), formatWait(3599), formatWait(8917)]).toEqual(['4 s', '59 s', '90 s', '99 s', '2 min', '1 h 0 min', '2 h 29 min']);
    expect(formatWait(3600 * 3 + 30)).toBe('3 h 1 min');
  });

  it("goes into a running run's status line, and is left out when missing, damaged or with nothing to go", () => {
    expect(paceText(48.2, 15, 200)).toBe(', 48 s an epoch lately: about 2 h 29 min to go');
    expect([paceText(undefined, 15, 200), paceText(48.2, 200, 200)]).toEqual(['', '']);
    expect([usablePace(48.2), usablePace('48'), usablePace(-1), usablePace(Number.NaN), usablePace(null)]).toEqual([48.2, undefined, undefined, undefined, undefined]);
    const queued = { runs: [{ id: 'abc', label: 'seed=0', status: { state: 'running' as const, worker: 'host pid 7', epoch: 3, epochs: 10, checkpointEpoch: 2, secondsPerEpoch: 90 } }], counts: { queued: 0, running: 1, done: 0, failed: 0 } };
    expect(formatQueueStatus(queued, 'q').split('\n')[1]).toBe('running  abc  seed=0  epoch 3/10, checkpoint at 2, 90 s an epoch lately: about 11 min to go  on host pid 7');
  });
});
