import { describe, expect, it } from 'vitest';
import { formatLoss, lossAxis, lossTitle, phaseMarks, shareOfRun } from '../../src/playground/charts.js';
import { lineChart } from '../../src/report/chart.js';

describe('the playground charts', () => {
  it('writes an exact zero loss as 0, small ones in exponent notation, the rest to three digits', () => {
    expect(formatLoss(0)).toBe('0');
    expect(formatLoss(0.006378)).toBe('0.00638');
    expect(formatLoss(0.5)).toBe('0.5');
    expect(formatLoss(1.23456)).toBe('1.23');
    expect(formatLoss(0.000537)).toBe('5.37e-4');
    expect(formatLoss(Number.NaN)).toBe('NaN');
  });

  it('keeps a log axis while every loss is above zero, and goes linear once one reaches zero', () => {
    expect(lossAxis([0.7, 0.01, 1e-6])).toBe('log');
    expect(lossAxis([0.7, 0.01, 0])).toBe('linear');
    // Missing values (a block without a gate) do not count as zero.
    expect(lossAxis([0.7, Number.NaN])).toBe('log');
    expect(lossTitle('loss', 'linear')).toBe('loss (linear: a loss reached 0)');
    expect(lossTitle('loss', 'log')).toBe('loss (log)');
  });

  it('puts runs of different lengths on one axis of their share', () => {
    expect(shareOfRun(40, 40)).toBe(100);
    expect(shareOfRun(40, 160)).toBe(25);
    expect(shareOfRun(0, 0)).toBe(0);
  });

  it("marks where local-sequential moves to its next block, at the last epoch of each phase", () => {
    const events = [1, 2, 3, 4, 5, 6].map((epoch) => ({ epoch, block: Math.floor((epoch - 1) / 2) }));
    expect(phaseMarks(events)).toEqual([
      { x: 2, label: '★1' },
      { x: 4, label: '★2' },
    ]);
    expect(phaseMarks([{ epoch: 1, block: null }, { epoch: 2, block: null }])).toEqual([]);
  });

  it('draws a curve that reaches zero to the bottom of a linear chart, and a fixed x range as given', () => {
    const points: [number, number][] = [[1, 0.5], [2, 0.1], [3, 0]];
    const svg = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', yScale: lossAxis(points.map((p) => p[1])), xDomain: [0, 6], width: 300, height: 200, series: [{ name: 's', color: '#000', points }] });
    const path = /data-series="s"><path d="([^"]+)"/.exec(svg)![1];
    const coords = [...path.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    // All three points drawn; the zero one on the plot's bottom edge (200 + a 14 px legend row, less 40 + 14 below the plot), x = 3 halfway along [0, 6].
    expect(coords).toHaveLength(3);
    expect(coords[2][1]).toBeCloseTo(160, 1);
    const [left, right] = [54, 300 - 12];
    expect(coords[2][0]).toBeCloseTo((left + right) / 2, 1);
  });
});
