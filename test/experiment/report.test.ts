import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildGrid, type ExperimentOptions } from '../../experiment/config.js';
import { accuracyChart, errorChart, jsonReport, markdownReport, parseResultsJson, writeResults } from '../../experiment/report.js';
import { render } from '../../experiment/render.js';
import { atChance, finalLoss, meanCurve, type ExperimentResults, type RunResult } from '../../experiment/results.js';
import { findAll, parseXml } from './xml.js';

const tmp = mkdtempSync(join(tmpdir(), 'tsgrad-report-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const options: ExperimentOptions = {
  mode: 'default', models: ['cnn', 'mlp'], norms: ['bn', 'gn'], normBatches: [2, 32], seeds: [0, 1], batch: 32, lr: 0.01,
  momentum: 0.9, epochs: 1, maxSteps: null, threads: 2, outDir: tmp, dataDir: null, dataset: 'mnist', trainSize: null, testSize: null,
  curvePoints: 3, progress: 'none', shard: null, schedule: 'cosine',
};

/** Hand-chosen numbers: mlp/bn/nb2 has one seed at chance (11%) and one NaN loss. */
const ACC: Record<string, [number, number]> = {
  'cnn/bn/nb2': [95, 96], 'cnn/bn/nb32': [96, 97], 'cnn/gn': [94, 95],
  'mlp/bn/nb2': [70, 11], 'mlp/bn/nb32': [93, 93], 'mlp/gn': [92, 94],
};

function run(configId: string, seed: number): RunResult {
  const acc = ACC[configId]![seed]!;
  return {
    configId, seed, steps: 250, evalAccuracy: acc, trainModeAccuracy: acc - 1,
    finalTrainLoss: configId === 'mlp/bn/nb2' && seed === 1 ? NaN : 0.25 + seed / 10,
    losses: [2.3, 1, 0.5], curve: [{ step: 0, testError: 90 }, { step: 125, testError: 20 + seed }, { step: 250, testError: 100 - acc }],
    wallSeconds: 10 + seed, samplesPerSecond: 1000,
  };
}

const configurations = buildGrid(options);
const results: ExperimentResults = {
  settings: {
    argv: ['--norms', 'bn,gn'], options,
    dataset: { name: 'MNIST (test)', trainSize: 8000, testSize: 2000, inputShape: [1, 28, 28], classes: 10 },
    curveTestSize: 1000, stepsPerEpoch: 250, versions: { node: 'v20.0.0', tsgrad: '0.1.0' }, code: { commit: '0123456789abcdef0123456789abcdef01234567', dirty: false }, backend: 'js', threads: 2,
    platform: 'linux x64', cpu: 'test cpu', startedAt: '2025-01-01T00:00:00.000Z', finishedAt: '2025-01-01T00:01:00.000Z',
    totalWallSeconds: 60, runsPlanned: 12,
  },
  configurations,
  runs: configurations.flatMap((c) => [run(c.id, 0), run(c.id, 1)]),
};

describe('results helpers', () => {
  it('chance means below chance + 5 points, or not a number', () => {
    expect(atChance(14.9, 10)).toBe(true);
    expect(atChance(15, 10)).toBe(false);
    expect(atChance(NaN, 10)).toBe(true);
    expect(atChance(54, 2)).toBe(true);
    expect(atChance(56, 2)).toBe(false);
  });
  it('final loss is the mean of the last tenth of the steps', () => {
    expect(finalLoss([9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 1, 3])).toBe(2);
    expect(finalLoss([4])).toBe(4);
  });
  it('the mean curve averages the seeds step by step', () => {
    const c = meanCurve(results.runs.filter((r) => r.configId === 'cnn/bn/nb2'));
    expect(c).toEqual([{ step: 0, testError: 90 }, { step: 125, testError: 20.5 }, { step: 250, testError: 4.5 }]);
  });
});

describe('markdown report', () => {
  const md = markdownReport(results);
  const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| model') && !l.startsWith('| ---'));

  it('has one row per configuration, in grid order', () => {
    expect(rows).toHaveLength(6);
    expect(rows.map((r) => r.split(' | ').slice(0, 3).join(' / '))).toEqual([
      '| cnn / BatchNorm / 2', '| cnn / BatchNorm / 32', '| cnn / GroupNorm / n/a (no batch statistics)',
      '| mlp / BatchNorm / 2', '| mlp / BatchNorm / 32', '| mlp / GroupNorm / n/a (no batch statistics)',
    ]);
  });

  it('reports mean ± std over seeds, the seeds themselves, and counts runs at chance', () => {
    const cells = (id: number): string[] => rows[id]!.split(' | ');
    // cnn/bn/nb2: accuracies 95, 96 → 95.50 ± 0.71; train-mode 94, 95; losses 0.25, 0.35; wall 10, 11
    expect(cells(0).slice(3)).toEqual(['2', '95.50 ± 0.71', '95.00, 96.00', '94.50 ± 0.71', '0.3000 ± 0.0707', '10.5 ± 0.7', '0 / 0 of 2 |']);
    // mlp/bn/nb2: 70 and 11 — the collapsed seed is counted and stays in the mean; the NaN loss shows
    expect(cells(3).slice(3)).toEqual(['2', '40.50 ± 41.72', '70.00, 11.00', '39.50 ± 41.72', 'n/a', '10.5 ± 0.7', '1 / 1 of 2 |']);
  });

  it('states the settings and links the charts', () => {
    expect(md).toContain('SGD lr 0.01, momentum 0.9, batch 32, 1 epoch (250 steps per epoch); seeds 0, 1.');
    expect(md).toContain('tsgrad 0.1.0, Node v20.0.0, 2 threads');
    expect(md).toContain('`npm run experiment -- --norms bn,gn`');
    expect(md).toContain('](error-vs-steps-cnn.svg)');
    expect(md).toContain('](accuracy-mlp.svg)');
  });
});

describe('JSON report', () => {
  it('holds every run and the settings; non-finite numbers become strings', () => {
    const j = JSON.parse(jsonReport(results)) as {
      runs: { configId: string; seed: number; finalTrainLoss: number | string; losses: number[] }[];
      settings: { options: { seeds: number[] }; versions: { tsgrad: string }; threads: number; argv: string[] };
      summaries: { configId: string; evalAtChance: number; evalAccuracy: { mean: number } }[];
    };
    expect(j.runs).toHaveLength(12);
    expect(j.runs.find((r) => r.configId === 'mlp/bn/nb2' && r.seed === 1)!.finalTrainLoss).toBe('NaN');
    expect(j.runs[0]!.losses).toEqual([2.3, 1, 0.5]);
    expect(j.settings.options.seeds).toEqual([0, 1]);
    expect(j.settings.versions.tsgrad).toBe('0.1.0');
    expect(j.settings.threads).toBe(2);
    expect(j.settings.argv).toEqual(['--norms', 'bn,gn']);
    const s = j.summaries.find((x) => x.configId === 'mlp/bn/nb2')!;
    expect(s.evalAtChance).toBe(1);
    expect(s.evalAccuracy.mean).toBe(40.5);
  });
});

describe('JSON round trip', () => {
  it('parseResultsJson restores the results exactly, NaN included; number arrays sit on one line', () => {
    const text = jsonReport(results);
    expect(text).toContain('"losses": [2.3,1,0.5]');
    const back = parseResultsJson(text);
    expect(back).toEqual(results);
    expect(back.runs.find((r) => r.configId === 'mlp/bn/nb2' && r.seed === 1)!.finalTrainLoss).toBeNaN();
  });

  it('render rewrites the same table, JSON and charts from results.json', () => {
    const dir = join(tmp, 'first');
    writeResults(dir, results);
    const again = join(tmp, 'rendered');
    const files = render(dir, again).map((p) => basename(p)).sort();
    for (const f of files) expect(readFileSync(join(again, f), 'utf8'), f).toBe(readFileSync(join(dir, f), 'utf8'));
  });
});

describe('charts', () => {
  it('the error chart of a model holds a line per configuration of that model only', () => {
    const doc = parseXml(errorChart(results, 'mlp'));
    const series = findAll(doc, 'g', { class: 'series' });
    expect(series.map((g) => g.attrs['data-series'])).toEqual(['mlp/bn/nb2', 'mlp/bn/nb32', 'mlp/gn']);
    // two seeds: a faint line per seed behind the mean
    for (const g of series) expect(findAll(g, 'path', { class: 'faint' })).toHaveLength(2);
    const legend = findAll(doc, 'text').filter((t) => t.attrs['data-legend'] !== undefined).map((t) => t.text);
    expect(legend).toEqual(['BatchNorm, nb 2', 'BatchNorm, nb 32', 'GroupNorm']);
    expect(findAll(findAll(doc, 'g', { class: 'reference' })[0]!, 'text')[0]!.text).toBe('chance (90% error)');
  });

  it('the accuracy chart has an eval-mode and a train-mode bar per configuration, with the means', () => {
    const doc = parseXml(accuracyChart(results, 'mlp'));
    const bars = findAll(doc, 'g', { class: 'bar' });
    expect(bars.map((b) => b.attrs['data-bar'])).toEqual([
      'mlp/bn/nb2/eval', 'mlp/bn/nb2/train-mode', 'mlp/bn/nb32/eval', 'mlp/bn/nb32/train-mode', 'mlp/gn/eval', 'mlp/gn/train-mode',
    ]);
    expect(bars.map((b) => Number(b.attrs['data-value']))).toEqual([40.5, 39.5, 93, 92, 93, 92]);
    expect(findAll(doc, 'text', { class: 'note' }).map((t) => t.text)).toEqual(['1/2 at chance', '1/2 at chance']);
  });

  it('writeResults writes the table, the JSON and two charts per model', () => {
    const dir = join(tmp, 'out');
    const files = writeResults(dir, results).map((p) => basename(p)).sort();
    expect(files).toEqual(['accuracy-cnn.svg', 'accuracy-mlp.svg', 'error-vs-steps-cnn.svg', 'error-vs-steps-mlp.svg', 'results.json', 'results.md']);
    for (const f of files.filter((x) => x.endsWith('.svg'))) parseXml(readFileSync(join(dir, f), 'utf8'));
    expect(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).runs).toHaveLength(12);
  });
});
