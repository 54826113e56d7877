import { describe, expect, it } from 'vitest';
import { EpochPace, formatWait } from '../../src/sweep/epoch-pace.js';

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
    expect([formatWait(4.4), formatWait(59.4), formatWait(61), formatWait(3599), formatWait(8917)]).toEqual(['4 s', '59 s', '1 min', '1 h 0 min', '2 h 29 min']);
    expect(formatWait(3600 * 3 + 30)).toBe('3 h 1 min');
  });
});
