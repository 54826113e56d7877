import { afterEach, describe, expect, it } from 'vitest';
import { applyBlasThreads, blasThreads, computeThreadStarted, evaluationYields, setEvaluationYield, setThreadBudget, trainingThreads } from '../../src/engine/threads.js';

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

describe('when the evaluation thread yields', () => {
  afterEach(() => setEvaluationYield(true));

  it('yields only while the threads that train are at least the cores', () => {
    // The run's own thread trains when no pipeline does.
    expect(trainingThreads()).toBe(1);
    expect(evaluationYields(2)).toBe(false);
    expect(evaluationYields(1)).toBe(true);
    // The evaluation thread itself does not count as training.
    const endEvaluation = computeThreadStarted('evaluation');
    expect(evaluationYields(2)).toBe(false);
    const endFirst = computeThreadStarted('training');
    expect(trainingThreads()).toBe(1);
    expect(evaluationYields(2)).toBe(false);
    const endSecond = computeThreadStarted('training');
    expect(trainingThreads()).toBe(2);
    expect(evaluationYields(2)).toBe(true);
    expect(evaluationYields(4)).toBe(false);
    setEvaluationYield(false);
    expect(evaluationYields(2)).toBe(false);
    setEvaluationYield(true);
    endSecond();
    expect(evaluationYields(2)).toBe(false);
    endFirst();
    endEvaluation();
    expect(trainingThreads()).toBe(1);
  });
});
