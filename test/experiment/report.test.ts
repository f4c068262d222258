import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildGrid, type ExperimentOptions } from '../../experiment/config.js';
import { accuracyFigure, allFigures, binomialStandardError, errorFigure } from '../../experiment/figures.js';
import { convergenceTable, formatConvergence, jsonReport, markdownReport, parseResultsJson, sizesLine, writeResults } from '../../experiment/report.js';
import { parseRenderArgs, render } from '../../experiment/render.js';
import {
  atChance, chooseTargetAccuracy, convergence, curveBand, finalLoss, meanCurve, stepsToAccuracy, type CurvePoint, type ExperimentResults, type RunResult,
} from '../../experiment/results.js';
import { syntheticResults } from './synthetic.js';
import { findAll, parseXml, type XmlElement } from './xml.js';

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
  const rows = md.split('\n').filter((l) => /^\| (cnn|mlp) \|/.test(l));

  it('states the learning-rate schedule (cosine here; constant for results from before the option)', () => {
    expect(md).toContain('Training: SGD lr 0.01 annealed to 0 along a cosine over the run, momentum 0.9, batch 32');
    const old = { ...results, settings: { ...results.settings, options: { ...options, schedule: undefined as unknown as 'cosine' } } };
    expect(markdownReport(old)).toContain('Training: SGD lr 0.01 (constant), momentum 0.9');
  });

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
    expect(md).toContain('SGD lr 0.01 annealed to 0 along a cosine over the run, momentum 0.9, batch 32, 1 epoch (250 steps per epoch); seeds 0, 1.');
    expect(md).toContain('tsgrad 0.1.0, Node v20.0.0, 2 threads');
    expect(md).toContain('`npm run experiment -- --norms bn,gn`');
    expect(md).toContain('](error-vs-steps-cnn-nb2.svg)');
    expect(md).toContain('](error-vs-steps-mlp-nb32.svg)');
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

describe('steps to a target accuracy', () => {
  const c = (...errors: number[]): CurvePoint[] => errors.map((testError, i) => ({ step: i * 100, testError }));

  it('interpolates linearly between the last evaluation below the target and the first at or above it', () => {
    // accuracy 10 → 80 → 90: 85 % is half-way between steps 100 and 200
    expect(stepsToAccuracy(c(90, 20, 10), 85)).toBe(150);
    expect(stepsToAccuracy(c(90, 20, 10), 82)).toBeCloseTo(120, 9);
    // exactly on an evaluation: that step
    expect(stepsToAccuracy(c(90, 20, 10), 80)).toBe(100);
  });
  it('the first evaluation already at the target counts at its own step', () => {
    expect(stepsToAccuracy([{ step: 50, testError: 4 }, { step: 100, testError: 3 }], 95)).toBe(50);
  });
  it('never reached is null, and so is a curve that is NaN throughout', () => {
    expect(stepsToAccuracy(c(90, 30, 20), 85)).toBeNull();
    expect(stepsToAccuracy(c(NaN, NaN), 50)).toBeNull();
  });
  it('a diverged run: reached before the NaN counts; after a NaN, no interpolation across it', () => {
    // accuracy 10 at step 0, 90 at step 100: 85 % at 100 × 75/80
    expect(stepsToAccuracy(c(90, 10, NaN, NaN), 85)).toBe(93.75);
    expect(stepsToAccuracy(c(90, NaN, 10), 85)).toBe(200);
    expect(stepsToAccuracy(c(90, 50, NaN), 85)).toBeNull();
  });
  it('over seeds: the mean of the seeds that reached it, and how many did', () => {
    const runs = [c(90, 20, 10), c(90, 10, 5), c(90, 30, 20)].map((curve, seed) => ({ ...RUN_TEMPLATE, seed, curve }));
    const cell = convergence(runs, 85);
    expect(cell).toEqual({ meanSteps: (150 + 100 * (75 / 80)) / 2, reached: 2, seeds: 3 });
    expect(formatConvergence(cell)).toBe('122 (2/3)');
    expect(formatConvergence(convergence(runs, 99))).toBe('not reached (0/3)');
  });
  it('the automatic target is the highest 0.5-point level that 75 % of the runs reach', () => {
    // best accuracies 97.3, 96.9, 95.2, 12 → the 3rd best of 4 (ceil(0.75 × 4) = 3) is 95.2 → 95
    const runs = [2.7, 3.1, 4.8, 88].map((e, seed) => ({ ...RUN_TEMPLATE, seed, curve: c(90, e + 1, e) }));
    expect(chooseTargetAccuracy(runs)).toBe(95);
    expect(chooseTargetAccuracy([])).toBeNaN();
  });
});

/** A run whose numbers do not matter to the test using it (only its curve does). */
const RUN_TEMPLATE: RunResult = {
  configId: 'x', seed: 0, steps: 200, evalAccuracy: 90, trainModeAccuracy: 90, finalTrainLoss: 0.3, losses: [], curve: [], wallSeconds: 1, samplesPerSecond: 1,
};

describe('the seed band of a curve', () => {
  it('holds the mean between min and max at every step; a NaN seed makes the point NaN', () => {
    const runs = [[90, 20, 10], [88, 30, 12], [91, 25, NaN]].map((e, seed) => ({ ...RUN_TEMPLATE, seed, curve: e.map((testError, i) => ({ step: i, testError })) }));
    const band = curveBand(runs);
    expect(band.slice(0, 2)).toEqual([{ step: 0, mean: 89.66666666666667, min: 88, max: 91 }, { step: 1, mean: 25, min: 20, max: 30 }]);
    expect(band[2]!.mean).toBeNaN();
    expect(band[2]!.min).toBeNaN();
  });
});

describe('tables of the synthetic full sweep', () => {
  const syn = syntheticResults();
  const md = markdownReport(syn);

  it('the sizes line says which test samples each number uses', () => {
    expect(sizesLine(syn)).toBe('Test-set sizes: the accuracies (eval mode and train-mode statistics) use the whole test split, 10000 samples; the test-error curves and the steps to a target accuracy use its first 1000 samples.');
    expect(md).toContain(sizesLine(syn));
    // and the main table's accuracy headings name the test-set size
    expect(md).toContain('| model | norm | norm batch | seeds | test acc, eval mode (%, 10000 test samples) | eval acc per seed (%) | test acc, train-mode stats (%, 10000 test samples) |');
  });

  it('a steps-to-accuracy table per model, its target in the heading, a column per nb and one for GroupNorm', () => {
    expect(md).toMatch(/### mlp: optimizer steps to \d+\.\d0 % test accuracy/);
    const table = convergenceTable(syn, 'vgg', 85).split('\n');
    expect(table[0]).toBe('| norm | nb 1 | nb 2 | nb 4 | nb 8 | nb 16 | nb 32 | no batch statistics |');
    const row = (label: string): string[] => table.find((l) => l.startsWith(`| ${label} |`))!.split(' | ');
    // BatchNorm collapsed at nb 1 in every seed (fixture): not reached; GroupNorm only in its column
    expect(row('BatchNorm')[1]).toBe('not reached (0/3)');
    expect(row('BatchNorm')[6]).toMatch(/^\d+ \(3\/3\)$/);
    expect(row('GroupNorm').slice(1, 7).every((x) => x === '')).toBe(true);
    expect(row('GroupNorm')[7]).toMatch(/^\d+ \(3\/3\) \|$/);
    // BatchRenorm at nb 1 has a seed whose curve turns NaN (fixture): a seed counts when any
    // evaluation before reached 85 %, the NaN ones never count
    const brn = syn.runs.filter((r) => r.configId === 'vgg/brn/nb1');
    expect(brn.some((r) => r.curve.some((p) => Number.isNaN(p.testError)))).toBe(true);
    const reached = brn.filter((r) => r.curve.some((p) => 100 - p.testError >= 85)).length;
    expect(row('BatchRenorm')[1]).toMatch(new RegExp(`\\(${reached}/3\\)$`));
  });

  it('--target-accuracy (in the options or when rendering) replaces the chosen target', () => {
    expect(markdownReport(syn, { targetAccuracy: 80 })).toContain('### vgg: optimizer steps to 80.00 % test accuracy');
    const withOption = { ...syn, settings: { ...syn.settings, options: { ...syn.settings.options, targetAccuracy: 70 } } };
    expect(markdownReport(withOption)).toContain('### mlp: optimizer steps to 70.00 % test accuracy');
    expect(parseRenderArgs(['in', '--target-accuracy', '88.5'])).toEqual({ from: 'in', to: 'in', options: { targetAccuracy: 88.5 } });
    expect(parseRenderArgs(['in', 'out', '--target-accuracy=90'])).toEqual({ from: 'in', to: 'out', options: { targetAccuracy: 90 } });
    expect(() => parseRenderArgs(['in', '--target-accuracy', '100'])).toThrow(/between 0 and 100/);
    expect(() => parseRenderArgs(['in', '--target'])).toThrow(/unknown option/);
    expect(() => parseRenderArgs([])).toThrow(/usage/);
  });

  it('every figure is in the markdown with a numbered caption under it', () => {
    const figures = allFigures(syn);
    expect(figures.map((f) => f.file)).toEqual([
      'accuracy-mlp.svg', 'accuracy-train-mode-mlp.svg', 'error-vs-steps-mlp-nb2.svg', 'error-vs-steps-mlp-nb32.svg',
      'accuracy-vgg.svg', 'accuracy-train-mode-vgg.svg', 'error-vs-steps-vgg-nb1.svg', 'error-vs-steps-vgg-nb32.svg',
    ]);
    figures.forEach((f, i) => expect(md).toContain(`](${f.file})\n\n*Figure ${i + 1}.* ${f.caption}`));
  });
});

describe('figures of the synthetic full sweep', () => {
  const syn = syntheticResults();
  const series = (doc: XmlElement): string[] => findAll(doc, 'g', { class: 'series' }).map((g) => g.attrs['data-series']!);

  it('accuracy against nb: a line per norm over the nbs, GroupNorm flat, collapsed points as arrows with the table\'s rounding', () => {
    const fig = accuracyFigure(syn, 'vgg', 'eval');
    const doc = parseXml(fig.svg);
    expect(series(doc)).toEqual(['vgg/bn', 'vgg/brn', 'vgg/gn', 'vgg/bkn', 'vgg/bkn-paper']);
    const bn = findAll(doc, 'g', { class: 'series', 'data-series': 'vgg/bn' })[0]!;
    // nb 1 collapsed (at chance): not a marker but an arrow with its value, 2 decimals as in the table
    expect(findAll(bn, 'path', { class: 'marker' }).map((m) => m.attrs['data-x'])).toEqual(['2', '4', '8', '16', '32']);
    const bnAcc = syn.runs.filter((r) => r.configId === 'vgg/bn/nb1').map((r) => r.evalAccuracy);
    const value = (bnAcc[0]! + bnAcc[1]! + bnAcc[2]!) / 3;
    const mark = findAll(doc, 'g', { class: 'off-scale-mark', 'data-series': 'vgg/bn' })[0]!;
    expect(findAll(mark, 'text')[0]!.text).toBe(value.toFixed(2));
    expect(fig.caption).toContain(`BatchNorm at nb 1: ${value.toFixed(2)} %`);
    expect(md(syn)).toContain(`| vgg | BatchNorm | 1 | 3 | ${value.toFixed(2)} ±`);
    // zoomed: the y axis starts far above chance, where the learning runs differ
    const yTicks = findAll(findAll(doc, 'g', { class: 'y-ticks' })[0]!, 'text').map((t) => Number(t.text));
    expect(yTicks[0]!).toBeGreaterThan(60);
    expect(findAll(findAll(doc, 'g', { class: 'series', 'data-series': 'vgg/gn' })[0]!, 'rect', { class: 'band' })).toHaveLength(1);
    expect(fig.caption).toContain('error bars: min–max over the seeds');
    expect(fig.caption).toContain('10000 samples');
  });

  it('error against steps at the smallest nb: step 0 left out, the collapsed run marked at its end, the diverged line explained', () => {
    const fig = errorFigure(syn, 'vgg', 1);
    const doc = parseXml(fig.svg);
    expect(series(doc)).toEqual(['vgg/bn/nb1', 'vgg/brn/nb1', 'vgg/gn', 'vgg/bkn/nb1', 'vgg/bkn-paper/nb1']);
    const bkn = findAll(doc, 'g', { class: 'series', 'data-series': 'vgg/bkn/nb1' })[0]!;
    const xs = findAll(bkn, 'path', { class: 'marker' }).map((m) => Number(m.attrs['data-x']));
    expect(xs).not.toContain(0);
    expect(fig.caption).toContain('Step 0 (the untrained network, about 90 % error) is left out.');
    expect(findAll(doc, 'g', { class: 'off-scale-mark' }).map((m) => m.attrs['data-series'])).toEqual(['vgg/bn/nb1']);
    expect(fig.caption).toMatch(/BatchNorm: \d+\.\d\d % at the end/);
    expect(fig.caption).toContain("BatchRenorm's line stops after step");
    const brn = findAll(doc, 'g', { class: 'series', 'data-series': 'vgg/brn/nb1' })[0]!;
    expect(findAll(brn, 'text', { class: 'end-note' }).map((t) => t.text)).toEqual(['diverged']);
    expect(findAll(doc, 'text', { class: 'end-note' })).toHaveLength(1);
    expect(fig.caption).toContain('the first 1000 test samples');
  });

  it('the binomial standard error of the caption: √(p(1−p)/n)', () => {
    expect(binomialStandardError(90, 10000)).toBeCloseTo(0.3, 12);
    expect(binomialStandardError(50, 100)).toBeCloseTo(5, 12);
  });
});

function md(results: ExperimentResults): string {
  return markdownReport(results);
}

describe('charts of the small fixture', () => {
  it('writeResults writes the table, the JSON, and per model two accuracy charts and error charts at the smallest and largest nb', () => {
    const dir = join(tmp, 'out');
    const files = writeResults(dir, results).map((p) => basename(p)).sort();
    expect(files).toEqual([
      'accuracy-cnn.svg', 'accuracy-mlp.svg', 'accuracy-train-mode-cnn.svg', 'accuracy-train-mode-mlp.svg',
      'error-vs-steps-cnn-nb2.svg', 'error-vs-steps-cnn-nb32.svg', 'error-vs-steps-mlp-nb2.svg', 'error-vs-steps-mlp-nb32.svg',
      'results.json', 'results.md',
    ]);
    for (const f of files.filter((x) => x.endsWith('.svg'))) parseXml(readFileSync(join(dir, f), 'utf8'));
    expect(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).runs).toHaveLength(12);
  });

  it('an accuracy that is not a number is named in the caption, not silently left out', () => {
    const broken = { ...results, runs: results.runs.map((r) => (r.configId === 'mlp/bn/nb32' ? { ...r, evalAccuracy: NaN } : r)) };
    const fig = accuracyFigure(broken, 'mlp', 'eval');
    expect(fig.caption).toContain('BatchNorm at nb 32: not a number (not drawn)');
    const bn = findAll(parseXml(fig.svg), 'g', { class: 'series', 'data-series': 'mlp/bn' })[0]!;
    // nb 2 (70 and 11: a seed at chance) is off the zoomed scale: an arrow with its mean, in the caption too
    expect(findAll(bn, 'path', { class: 'marker' })).toHaveLength(0);
    expect(fig.caption).toContain('BatchNorm at nb 2: 40.50 %');
  });

  it('a partial result draws the models that have runs', () => {
    const syn = syntheticResults();
    const firstModel = syn.configurations[0]!.model;
    const files = allFigures({ ...syn, runs: syn.runs.slice(0, 2) }).map((f) => f.file);
    expect(files.length).toBe(4);
    for (const f of files) expect(f).toContain(firstModel);
  });

  it('the train-mode accuracy chart plots the train-mode numbers', () => {
    const doc = parseXml(accuracyFigure(results, 'cnn', 'train-mode').svg);
    const bn = findAll(doc, 'g', { class: 'series', 'data-series': 'cnn/bn' })[0]!;
    // cnn/bn: eval 95, 96 (nb 2) and 96, 97 (nb 32); train-mode is one less
    expect(findAll(bn, 'path', { class: 'marker' }).map((m) => Number(m.attrs['data-y']))).toEqual([94.5, 95.5]);
  });
});
