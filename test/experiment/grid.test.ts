import { describe, expect, it } from 'vitest';
import { buildGrid, configLabel } from '../../experiment/config.js';
import { formatDuration, formatMeanStd, mean, std } from '../../experiment/stats.js';

describe('buildGrid', () => {
  it('crosses models × norms × normalization batches; gn and none run once per model', () => {
    const grid = buildGrid({ models: ['cnn', 'mlp'], norms: ['bn', 'gn', 'bkn', 'none'], normBatches: [2, 8, 32], batch: 32 });
    // per model: bn × 3 + gn + bkn × 3 + none = 8
    expect(grid).toHaveLength(16);
    expect(grid.map((c) => c.id).slice(0, 8)).toEqual([
      'cnn/bn/nb2', 'cnn/bn/nb8', 'cnn/bn/nb32', 'cnn/gn', 'cnn/bkn/nb2', 'cnn/bkn/nb8', 'cnn/bkn/nb32', 'cnn/none',
    ]);
    expect(new Set(grid.map((c) => c.id)).size).toBe(grid.length);
    const bn2 = grid.find((c) => c.id === 'mlp/bn/nb2')!;
    expect(bn2.groups).toBe(16);
    expect(grid.find((c) => c.id === 'cnn/bkn/nb32')!.groups).toBe(1);
    expect(grid.find((c) => c.id === 'cnn/gn')!.normBatch).toBeNull();
    expect(configLabel(bn2)).toBe('mlp bn nb 2');
    expect(configLabel(grid.find((c) => c.id === 'cnn/gn')!, false)).toBe('gn');
  });
});

describe('stats', () => {
  it('mean and sample standard deviation', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    // Σ(x − 2.5)² = 5, over n − 1 = 3
    expect(std([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(std([7])).toBe(0);
    expect(mean([])).toBeNaN();
    expect(mean([1, NaN])).toBeNaN();
  });
  it('formats mean ± std, one value without a spread, and durations', () => {
    expect(formatMeanStd([90, 92], 2)).toBe('91.00 ± 1.41');
    expect(formatMeanStd([95.5], 1)).toBe('95.5');
    expect(formatMeanStd([NaN, 1], 1)).toBe('n/a');
    expect(formatDuration(65)).toBe('1:05');
    expect(formatDuration(3725)).toBe('1:02:05');
  });
});
