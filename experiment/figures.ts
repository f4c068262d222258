/**
 * The experiment's figures, each with the caption that goes under it in results.md (the pictures
 * carry no titles): per model, test accuracy against the normalization batch (eval mode and
 * train-mode statistics) and the test error against steps at the smallest and the largest
 * normalization batch.
 */
import { NORM_SHORT, usesBatchStatistics, type ModelName } from './config.js';
import { atChance, chanceThreshold, curveBand, summarize, type ConfigSummary, type ExperimentResults } from './results.js';
import { mean } from './stats.js';
import { normStyle } from './style.js';
import { plotChart, zoomRange, type PlotSeries } from './svg.js';

/** A chart and its caption (markdown). */
export interface Figure {
  file: string;
  /** Short alternative text for the image. */
  alt: string;
  caption: string;
  svg: string;
}

/** Accuracies in the charts and the table: percent with 2 decimals (0.01 % is one sample in 10 000). */
export function formatAccuracy(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : 'NaN';
}

/** The models of an experiment, in grid order. */
export function modelsOf(results: Pick<ExperimentResults, 'configurations'>): ModelName[] {
  return [...new Set(results.configurations.map((c) => c.model))];
}

/** The normalization batches a model ran with, ascending. */
export function normBatchesOf(results: Pick<ExperimentResults, 'configurations'>, model: ModelName): number[] {
  const nbs = results.configurations.filter((c) => c.model === model && c.normBatch !== null).map((c) => c.normBatch!);
  return [...new Set(nbs)].sort((a, b) => a - b);
}

function normLabel(summary: ConfigSummary): string {
  return usesBatchStatistics(summary.config.norm) ? NORM_SHORT[summary.config.norm] : `${NORM_SHORT[summary.config.norm]} (no nb)`;
}

/** `Lines: mean over 3 seeds; <spread>.` or, with one seed, that there is no spread to show. */
function linesText(results: ExperimentResults, spread: string): string {
  const k = results.settings.options.seeds.length;
  return k === 1 ? 'Lines: one seed (no spread to show).' : `Lines: mean over ${k} seeds; ${spread}.`;
}

/** How off-scale values are listed in a caption: `BatchNorm at nb 1: 11.35`. */
function listOffScale(items: readonly string[]): string {
  return items.length === 0 ? '' : ` Off the scale (arrows at the edge, with their value): ${items.join('; ')}.`;
}

/**
 * How far one accuracy measured on `testSize` samples moves by chance: the binomial standard error
 * at the typical accuracy shown, so a reader can tell a difference from test-set noise.
 */
/**
 * The y axes span at least this many binomial standard errors of one measurement: differences
 * within test-set noise stay small on the page.
 */
export const MIN_SPAN_IN_SE = 4;

/**
 * The binomial standard error (percentage points) of an accuracy (%) measured on `testSize` samples.
 *
 * @example
 * ```ts
 * binomialStandardError(90, 10000); // 0.3
 * ```
 */
export function binomialStandardError(accuracy: number, testSize: number): number {
  const p = accuracy / 100;
  return 100 * Math.sqrt((p * (1 - p)) / testSize);
}

function samplingErrorText(values: readonly number[], testSize: number): string {
  const typical = mean(values.filter((v) => Number.isFinite(v)));
  if (!Number.isFinite(typical) || testSize <= 0) return '';
  return `For scale: on ${testSize} test samples, an accuracy near ${typical.toFixed(0)} % has a binomial standard error of ${binomialStandardError(typical, testSize).toFixed(2)} points.`;
}

/** The caption's sentence on the norms without batch statistics (horizontal lines). */
function flatText(labels: readonly string[], bands: boolean): string {
  if (labels.length === 0) return '';
  const one = labels.length === 1;
  return `${labels.join(' and ')} ${one ? 'uses' : 'use'} no batch statistics: ${one ? 'a horizontal line' : 'horizontal lines'}${bands ? `, ${one ? 'its band' : 'their bands'} the min–max over seeds` : ''}.`;
}

/** The file of a model's accuracy-against-nb chart (eval mode or train-mode statistics). */
export function accuracyFile(model: ModelName, mode: 'eval' | 'train-mode'): string {
  return mode === 'eval' ? `accuracy-${model}.svg` : `accuracy-train-mode-${model}.svg`;
}

/**
 * Test accuracy against the normalization batch (log-2 axis) for one model: a line per norm, the
 * mean over seeds with min–max error bars; a norm without batch statistics is a horizontal line
 * with its min–max band. The y axis is zoomed to the runs that did not collapse; collapsed ones
 * (at chance) are arrows at the bottom edge with their values.
 */
export function accuracyFigure(results: ExperimentResults, model: ModelName, mode: 'eval' | 'train-mode'): Figure {
  const s = results.settings;
  const classes = s.dataset.classes;
  const summaries = summarize(results, classes).filter((c) => c.config.model === model && c.runs.length > 0);
  const accOf = (c: ConfigSummary): number[] => (mode === 'eval' ? c.evalAccuracy : c.trainModeAccuracy);
  const norms = [...new Set(summaries.map((c) => c.config.norm))];
  const series: PlotSeries[] = norms.map((norm) => {
    const rows = summaries.filter((c) => c.config.norm === norm);
    const points = rows.map((c) => {
      const a = accOf(c);
      const spread = a.length > 1 && a.every((v) => Number.isFinite(v)) ? { lo: Math.min(...a), hi: Math.max(...a) } : {};
      return { x: c.config.normBatch ?? 1, y: mean(a), ...spread };
    });
    points.sort((p, q) => p.x - q.x);
    return {
      id: `${model}/${norm}`, label: normLabel(rows[0]!), style: normStyle(norm), points, spread: 'bars',
      ...(usesBatchStatistics(norm) ? {} : { horizontal: true }),
    };
  });
  // Zoom to the configurations whose seeds all learned: a collapsed seed (or a mean it drags down)
  // would squash every difference; such points are drawn as arrows with their values instead.
  const values = series.flatMap((ser) => ser.points.flatMap((p) => [p.y, p.lo ?? NaN, p.hi ?? NaN]));
  const learned = summaries.filter((c) => accOf(c).every((v) => !atChance(v, classes))).flatMap((c) => {
    const a = accOf(c);
    return [mean(a), Math.min(...a), Math.max(...a)];
  });
  const shown = learned.length > 0 ? learned : values;
  const range = zoomRange(shown, { min: 0, max: 100, minSpan: MIN_SPAN_IN_SE * binomialStandardError(mean(shown.filter(Number.isFinite)), s.dataset.testSize) });
  // Every point not drawn on the scale is named in the caption: off the range, or not a number.
  const offScale = series.flatMap((ser) =>
    ser.points.filter((p) => !Number.isFinite(p.y) || p.y < range.min || p.y > range.max)
      .map((p) => `${ser.label}${ser.horizontal === true ? '' : ` at nb ${p.x}`}: ${Number.isFinite(p.y) ? `${formatAccuracy(p.y)} %` : 'not a number (not drawn)'}`));
  const nbs = normBatchesOf(results, model);
  const modeText = mode === 'eval'
    ? 'eval mode: the running statistics normalize'
    : `train-mode statistics: each test batch of ${s.options.batch} normalized in chunks of nb, as in training`;
  const svg = plotChart({
    title: `Test accuracy (${mode === 'eval' ? 'eval mode' : 'train-mode statistics'}) against the normalization batch — ${model} on ${s.dataset.name}`,
    xLabel: 'normalization batch nb (samples per chunk)',
    yLabel: `test accuracy (%, ${mode === 'eval' ? 'eval mode' : 'train-mode stats'})`,
    xScale: 'log2',
    ...(nbs.length > 0 ? { xTicks: nbs } : {}),
    yMin: range.min,
    yMax: range.max,
    yTicks: range.ticks,
    series,
    markOffScale: 'all',
    formatValue: formatAccuracy,
    dodge: 5,
  });
  const caption = [
    `**Test accuracy against the normalization batch, ${model} on ${s.dataset.name}** (${modeText}; the whole test split, ${s.dataset.testSize} samples).`,
    linesText(results, 'error bars: min–max over the seeds (moved a few pixels sideways so they do not overlap)'),
    `The x axis is log-2; each optimizer step holds ${s.options.batch} samples.`,
    flatText(series.filter((ser) => ser.horizontal === true).map((ser) => ser.label.replace(' (no nb)', '')), results.settings.options.seeds.length > 1),
    `The y axis shows ${range.min}–${range.max} % (at least ${MIN_SPAN_IN_SE} binomial standard errors of one accuracy).`,
    listOffScale(offScale).trim(),
    samplingErrorText(learned, s.dataset.testSize),
  ].filter((t) => t !== '').join(' ');
  return { file: accuracyFile(model, mode), alt: `Test accuracy (${mode}) against normalization batch, ${model}`, caption, svg };
}

/** The file of a model's error-against-steps chart at one normalization batch (null: a model without any). */
export function errorFile(model: ModelName, nb: number | null): string {
  return nb === null ? `error-vs-steps-${model}.svg` : `error-vs-steps-${model}-nb${nb}.svg`;
}

/**
 * Test error against optimizer steps for one model at one normalization batch (the norms without
 * batch statistics join every such chart): a line per norm, the mean over seeds with a min–max band.
 * Step 0 (chance level) is left out; the y axis is zoomed to the later part of training, where the
 * lines differ, and a run that ends off the scale gets an arrow with its final value.
 */
export function errorFigure(results: ExperimentResults, model: ModelName, nb: number | null): Figure {
  const s = results.settings;
  const classes = s.dataset.classes;
  const summaries = summarize(results, classes).filter((c) => c.config.model === model && c.runs.length > 0 && (c.config.normBatch === nb || c.config.normBatch === null));
  const chanceError = 100 - chanceThreshold(classes);
  let droppedStepZero = false;
  const series: PlotSeries[] = summaries.map((c) => {
    let band = curveBand(c.runs);
    if (band.length > 1 && band[0]!.step === 0) {
      band = band.slice(1);
      droppedStepZero = true;
    }
    const spread = c.runs.length > 1;
    return {
      id: c.config.id, label: normLabel(c), style: normStyle(c.config.norm), spread: 'band',
      points: band.map((p) => ({ x: p.step, y: p.mean, ...(spread ? { lo: p.min, hi: p.max } : {}) })),
    };
  });
  const lastStep = Math.max(0, ...series.flatMap((ser) => ser.points.map((p) => p.x)));
  // Zoom: the later 80 % of training, runs that did not end at chance, values not at chance.
  const learning = series.filter((ser) => {
    const last = ser.points[ser.points.length - 1];
    return last !== undefined && Number.isFinite(last.y) && last.y <= chanceError;
  });
  const values = learning.flatMap((ser) => ser.points.filter((p) => p.x >= 0.2 * lastStep).flatMap((p) => [p.y, p.lo ?? NaN, p.hi ?? NaN]))
    .filter((v) => Number.isFinite(v) && v <= chanceError);
  const all = series.flatMap((ser) => ser.points.map((p) => p.y)).filter((v) => Number.isFinite(v));
  const zoomed = values.length > 0 ? values : all;
  const range = zoomRange(zoomed, { min: 0, max: 100, minSpan: MIN_SPAN_IN_SE * binomialStandardError(mean(zoomed), s.curveTestSize) });
  const cutTop = all.some((v) => v > range.max);
  const endsOff = series.filter((ser) => {
    const last = ser.points.filter((p) => Number.isFinite(p.y)).pop();
    return last !== undefined && (last.y > range.max || last.y < range.min);
  }).map((ser) => `${ser.label}: ${formatAccuracy(ser.points.filter((p) => Number.isFinite(p.y)).pop()!.y)} % at the end`);
  // A mean curve that stops early: a seed's test error became NaN (it diverged). Said at the line's end and in the caption.
  const stops = series.flatMap((ser) => {
    const firstNaN = ser.points.findIndex((p) => !Number.isFinite(p.y));
    if (firstNaN <= 0 || ser.points.slice(firstNaN).some((p) => Number.isFinite(p.y))) return [];
    ser.endNote = 'diverged';
    return [`${ser.label}'s line stops after step ${ser.points[firstNaN - 1]!.x}: a seed diverged (its test error is not a number from then on)`];
  });
  const svg = plotChart({
    title: `Test error against steps${nb === null ? '' : ` at normalization batch ${nb}`} — ${model} on ${s.dataset.name}`,
    xLabel: `optimizer step (${s.options.batch} samples each)`,
    yLabel: 'test error (%, eval mode)',
    xScale: 'linear',
    yMin: range.min,
    yMax: range.max,
    yTicks: range.ticks,
    series,
    markOffScale: 'last',
    formatValue: formatAccuracy,
  });
  const caption = [
    `**Test error during training, ${model} on ${s.dataset.name}${nb === null ? '' : `, normalization batch ${nb}`}** (eval mode, running statistics; the first ${s.curveTestSize} test samples).`,
    linesText(results, 'shaded: min–max over the seeds'),
    summaries.some((c) => c.config.normBatch === null) ? `${summaries.filter((c) => c.config.normBatch === null).map((c) => NORM_SHORT[c.config.norm]).join(' and ')} (no batch statistics) is the same run in every normalization batch's chart.` : '',
    droppedStepZero ? `Step 0 (the untrained network, about ${(100 - 100 / classes).toFixed(0)} % error) is left out.` : '',
    `The y axis shows ${range.min}–${range.max} %${cutTop ? ': earlier, higher errors run off the top' : ''}.`,
    listOffScale(endsOff).trim(),
    stops.length > 0 ? `${stops.join('; ')}.` : '',
  ].filter((t) => t !== '').join(' ');
  return { file: errorFile(model, nb), alt: `Test error against steps, ${model}${nb === null ? '' : `, nb ${nb}`}`, caption, svg };
}

/** Every figure of an experiment, per model: accuracy (eval, train-mode), then error at the smallest and largest nb. */
export function allFigures(results: ExperimentResults): Figure[] {
  const out: Figure[] = [];
  // A model without runs yet (a partial result) has nothing to draw.
  const ran = new Set(results.runs.map((r) => r.configId));
  for (const model of modelsOf(results).filter((m) => results.configurations.some((c) => c.model === m && ran.has(c.id)))) {
    out.push(accuracyFigure(results, model, 'eval'), accuracyFigure(results, model, 'train-mode'));
    const nbs = normBatchesOf(results, model);
    const chosen = nbs.length === 0 ? [null] : [...new Set([nbs[0]!, nbs[nbs.length - 1]!])];
    for (const nb of chosen) out.push(errorFigure(results, model, nb));
  }
  return out;
}
