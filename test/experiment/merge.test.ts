import { describe, expect, it } from 'vitest';
import { buildGrid, inShard, type ExperimentOptions } from '../../experiment/config.js';
import { mergeResults } from '../../experiment/merge.js';
import { markdownReport } from '../../experiment/report.js';
import type { ExperimentResults, RunResult } from '../../experiment/results.js';

const options: ExperimentOptions = {
  mode: 'default', models: ['mlp', 'vgg'], norms: ['bn', 'gn'], normBatches: [1, 2], seeds: [0, 1], batch: 4, lr: 0.01,
  momentum: 0.9, epochs: 1, maxSteps: null, threads: 1, outDir: 'x', dataDir: null, dataset: 'fashion', trainSize: null, testSize: null,
  curvePoints: 3, progress: 'none', shard: null, schedule: 'cosine',
};
const grid = buildGrid(options);
const allRuns = options.seeds.flatMap((seed) => grid.map((c) => ({ seed, configId: c.id })));

function run(configId: string, seed: number): RunResult {
  return {
    configId, seed, steps: 10, evalAccuracy: 50 + seed, trainModeAccuracy: 40, finalTrainLoss: 1, losses: [2, 1],
    curve: [{ step: 0, testError: 90 }], wallSeconds: 1, samplesPerSecond: 100,
  };
}

/** What shard `index` of `count` would have written (the run list filtered as main.ts does). */
function part(index: number, count: number, changes: Partial<ExperimentOptions> = {}): ExperimentResults {
  const shard = { index, count };
  const runs = allRuns.filter((_, i) => inShard(i, shard)).map((r) => run(r.configId, r.seed));
  return {
    settings: {
      argv: ['--full', '--shard', `${index}/${count}`, '--out', `part${index}`, '--threads=1'], options: { ...options, shard, outDir: `part${index}`, threads: index, ...changes },
      dataset: { name: 'test', trainSize: 100, testSize: 20, inputShape: [1, 28, 28], classes: 10 },
      curveTestSize: 20, stepsPerEpoch: 25, versions: { node: 'v20', tsgrad: '0.1.0' }, code: { commit: 'abc', dirty: false },
      backend: 'wasm', threads: index, platform: 'linux x64', cpu: 'cpu', startedAt: `2026-01-01T00:0${index}:00Z`,
      finishedAt: `2026-01-01T01:0${index}:00Z`, totalWallSeconds: 100 * index, runsPlanned: runs.length,
    },
    configurations: grid,
    runs,
  };
}

describe('experiment shards and merge', () => {
  it('the grid leaves nb 1 out for the mlp; shards split the run list into disjoint covering parts', () => {
    expect(grid.map((c) => c.id)).toEqual(['mlp/bn/nb2', 'mlp/gn', 'vgg/bn/nb1', 'vgg/bn/nb2', 'vgg/gn']);
    const shares = [1, 2, 3].map((k) => allRuns.filter((_, i) => inShard(i, { index: k, count: 3 })).length);
    expect(shares).toEqual([4, 3, 3]);
  });

  it('merging the parts gives every run once, in the single-process order, with each part recorded', () => {
    const merged = mergeResults([{ dir: 'b', results: part(2, 2) }, { dir: 'a', results: part(1, 2) }]);
    expect(merged.runs.map((r) => `${r.configId}@${r.seed}`)).toEqual(allRuns.map((r) => `${r.configId}@${r.seed}`));
    expect(merged.settings.options.shard).toBeNull();
    expect(merged.settings.runsPlanned).toBe(10);
    expect(merged.settings.totalWallSeconds).toBe(200);
    expect(merged.settings.startedAt).toBe('2026-01-01T00:01:00Z');
    expect(merged.settings.finishedAt).toBe('2026-01-01T01:02:00Z');
    expect(merged.settings.parts?.map((p) => p.runs)).toEqual([5, 5]);
    // The command without the per-part flags; the report says how it ran.
    expect(merged.settings.argv).toEqual(['--full']);
    expect(markdownReport(merged)).toContain('Ran as 2 processes side by side (`--shard K/2`, joined by experiment/merge.ts; the time above is the longest part\'s): 2/2: 5 runs, 3:20, 2 threads; 1/2: 5 runs, 1:40, 1 thread.');
  });

  it('refuses parts that overlap, leave runs out, or differ in what they ran', () => {
    expect(() => mergeResults([{ dir: 'a', results: part(1, 2) }, { dir: 'a2', results: part(1, 2) }])).toThrow('mlp/bn/nb2 seed 0 is in both a and a2');
    expect(() => mergeResults([{ dir: 'a', results: part(1, 2) }])).toThrow('5 run(s) missing');
    expect(() => mergeResults([{ dir: 'a', results: part(1, 2) }, { dir: 'b', results: part(2, 2, { lr: 0.1 }) }])).toThrow('b differs from a in options');
    const otherCode = part(2, 2);
    otherCode.settings.code = { commit: 'def', dirty: false };
    expect(() => mergeResults([{ dir: 'a', results: part(1, 2) }, { dir: 'b', results: otherCode }])).toThrow('b differs from a in code');
    expect(() => mergeResults([])).toThrow('no parts');
  });
});
