import { afterEach, describe, expect, it } from 'vitest';
import { applyBlasThreads, blasThreads, computeThreadStarted, setThreadBudget } from '../../src/engine/threads.js';

describe('the compute thread policy', () => {
  afterEach(() => setThreadBudget(undefined));

  it("leaves one computing thread the BLAS's own count, or --threads", () => {
    const seen: (number | undefined)[] = [];
    applyBlasThreads((n) => seen.push(n));
    expect(blasThreads()).toBeUndefined();
    setThreadBudget(2);
    expect(blasThreads()).toBe(2);
    expect(seen).toEqual([undefined, 2]);
  });

  it('drops the BLAS to one thread per caller while a worker computes, and restores it when the last one ends', () => {
    const seen: (number | undefined)[] = [];
    applyBlasThreads((n) => seen.push(n));
    setThreadBudget(2);
    const endFirst = computeThreadStarted();
    const endSecond = computeThreadStarted();
    expect(blasThreads()).toBe(1);
    endFirst();
    // Ending twice counts once.
    endFirst();
    expect(blasThreads()).toBe(1);
    endSecond();
    expect(blasThreads()).toBe(2);
    expect(seen).toEqual([undefined, 2, 1, 1, 1, 2]);
  });
});
