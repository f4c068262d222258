/**
 * The experiment's outputs: `results.md` (the table), `results.json` (every number and the exact
 * settings) and the SVG charts, per model: `error-vs-steps-<model>.svg` (test error against steps,
 * one line per configuration) and `accuracy-<model>.svg` (accuracy by norm × normalization batch).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NORM_LABELS, NORM_SHORT, configLabel, type Configuration, type ModelName, type NormName } from './config.js';
import { chanceThreshold, meanCurve, summarize, type ConfigSummary, type ExperimentResults } from './results.js';
import { formatDuration, formatMeanStd, mean, std } from './stats.js';
import { groupedBarChart, lineChart, type Bar, type BarGroup, type LineSeries } from './svg.js';

/** One colour per norm, the same in every chart (colour-blind-safe Tableau-like palette). */
export const NORM_COLORS: Record<NormName, string> = {
  bn: '#1f77b4',
  bkn: '#d62728',
  'bkn-paper': '#ff7f0e',
  gn: '#2ca02c',
  brn: '#9467bd',
  none: '#7f7f7f',
  'bkn-sampled': '#8c564b',
  'bkn-analytic': '#e377c2',
};

/** Line styles by position in the sorted list of normalization batches: the smallest is solid. */
const DASHES = [undefined, '8 4', '2 3', '10 3 2 3'];

function dashFor(config: Configuration, normBatches: readonly number[]): string | undefined {
  if (config.normBatch === null) return '1 0';
  return DASHES[Math.min(DASHES.length - 1, normBatches.indexOf(config.normBatch))];
}

function modelsOf(results: ExperimentResults): ModelName[] {
  return [...new Set(results.configurations.map((c) => c.model))];
}

export function errorChartFile(model: ModelName): string {
  return `error-vs-steps-${model}.svg`;
}

export function accuracyChartFile(model: ModelName): string {
  return `accuracy-${model}.svg`;
}

/** The error-vs-steps chart of one model: a line per configuration (mean over seeds). */
export function errorChart(results: ExperimentResults, model: ModelName): string {
  const s = results.settings;
  const series: LineSeries[] = summarize(results, s.dataset.classes)
    .filter((c) => c.config.model === model)
    .map((c) => {
      const dash = dashFor(c.config, s.options.normBatches);
      const nb = c.config.normBatch === null ? '' : `, nb ${c.config.normBatch}`;
      return {
        id: c.config.id,
        label: `${NORM_SHORT[c.config.norm]}${nb}`,
        color: NORM_COLORS[c.config.norm],
        ...(dash === undefined ? {} : { dash }),
        points: meanCurve(c.runs).map((p) => [p.step, p.testError] as const),
        // With several seeds, each seed's own curve is drawn faintly behind the mean: a mean of a
        // collapsed seed and two good ones looks like neither.
        ...(c.runs.length > 1 ? { faint: c.runs.map((r) => r.curve.map((p) => [p.step, p.testError] as const)) } : {}),
      };
    });
  return lineChart({
    title: `Test error while training — ${model} on ${s.dataset.name}`,
    subtitle: `eval mode (running statistics), ${s.curveTestSize} test samples; ${s.options.seeds.length === 1 ? '1 seed' : `mean of ${s.options.seeds.length} seeds (faint: single seeds)`}; nb = samples per normalization batch`,
    xLabel: `optimizer steps (${s.options.batch} samples each, lr ${s.options.lr}, momentum ${s.options.momentum})`,
    yLabel: 'test error (%, log scale)',
    yScale: 'log',
    yMax: 100,
    series,
    referenceLines: [{ value: 100 - 100 / s.dataset.classes, label: `chance (${(100 - 100 / s.dataset.classes).toFixed(0)}% error)` }],
  });
}

/** The accuracy-by-norm chart of one model: per norm, a filled (eval mode) and an outlined (train-mode) bar per normalization batch. */
export function accuracyChart(results: ExperimentResults, model: ModelName): string {
  const s = results.settings;
  const summaries = summarize(results, s.dataset.classes).filter((c) => c.config.model === model);
  const norms = [...new Set(summaries.map((c) => c.config.norm))];
  const groups: BarGroup[] = norms.map((norm) => {
    const bars: Bar[] = [];
    for (const c of summaries.filter((x) => x.config.norm === norm)) {
      const nb = c.config.normBatch === null ? 'any nb' : `nb ${c.config.normBatch}`;
      const color = NORM_COLORS[norm];
      const chance = (k: number): { note?: string } => (k > 0 ? { note: `${k}/${c.runs.length} at chance` } : {});
      bars.push({
        id: `${c.config.id}/eval`, label: nb, value: mean(c.evalAccuracy), error: std(c.evalAccuracy),
        points: c.evalAccuracy, color, style: 'filled', ...chance(c.evalAtChance),
      });
      bars.push({
        id: `${c.config.id}/train-mode`, label: nb, value: mean(c.trainModeAccuracy), error: std(c.trainModeAccuracy),
        points: c.trainModeAccuracy, color, style: 'outline', ...chance(c.trainModeAtChance),
      });
    }
    return { label: NORM_SHORT[norm], bars };
  });
  return groupedBarChart({
    title: `Test accuracy by normalization — ${model} on ${s.dataset.name}`,
    subtitle: `${s.options.seeds.length === 1 ? '1 seed' : `mean of ${s.options.seeds.length} seeds ± std (dots: single seeds)`}; batch ${s.options.batch}, nb = samples per normalization batch`,
    yLabel: 'test accuracy (%)',
    yMin: 0,
    yMax: 100,
    groups,
    referenceLines: [{ value: 100 / s.dataset.classes, label: `chance (${(100 / s.dataset.classes).toFixed(0)}%)` }],
    legend: [
      { label: 'eval mode (running statistics)', color: '#555555', style: 'filled' },
      { label: 'train-mode statistics', color: '#555555', style: 'outline' },
      { label: 'one seed', color: '#222222', style: 'dot' },
    ],
  });
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The markdown table: one row per configuration. */
export function markdownTable(summaries: readonly ConfigSummary[]): string {
  const head = [
    'model', 'norm', 'norm batch', 'seeds', 'test acc, eval mode (%)', 'eval acc per seed', 'test acc, train-mode stats (%)',
    'final train loss', 'wall time (s)', 'runs at chance (eval / train-mode)',
  ];
  const rows = summaries.map((c) => [
    c.config.model,
    NORM_LABELS[c.config.norm],
    c.config.normBatch === null ? 'n/a (no batch statistics)' : String(c.config.normBatch),
    String(c.runs.length),
    formatMeanStd(c.evalAccuracy, 2),
    c.evalAccuracy.map((a) => (Number.isFinite(a) ? a.toFixed(2) : 'NaN')).join(', '),
    formatMeanStd(c.trainModeAccuracy, 2),
    formatMeanStd(c.finalTrainLoss, 4),
    formatMeanStd(c.wallSeconds, 1),
    `${c.evalAtChance} / ${c.trainModeAtChance} of ${c.runs.length}`,
  ]);
  const line = (cells: readonly string[]): string => `| ${cells.map(escapeCell).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** `results.md`: what was run, the table, and the charts. */
export function markdownReport(results: ExperimentResults): string {
  const s = results.settings;
  const o = s.options;
  const summaries = summarize(results, s.dataset.classes);
  const lines = [
    '# Micro-batch experiment: results',
    '',
    ...(results.runs.length < s.runsPlanned ? [`**Partial: ${results.runs.length} of ${s.runsPlanned} runs finished.**`, ''] : []),
    `Dataset: ${s.dataset.name} — ${s.dataset.trainSize} training and ${s.dataset.testSize} test samples, input ${s.dataset.inputShape.join('×')}, ${s.dataset.classes} classes.`,
    `Training: SGD lr ${o.lr}, momentum ${o.momentum}, batch ${o.batch}, ${o.maxSteps === null ? `${o.epochs} epoch${o.epochs === 1 ? '' : 's'}` : `${o.maxSteps} steps`} (${s.stepsPerEpoch} steps per epoch); seeds ${o.seeds.join(', ')}.`,
    `Normalization batch (nb): samples per normalization chunk, made with the \`groups\` option inside each optimizer batch.`,
    `Run: ${s.startedAt}, ${formatDuration(s.totalWallSeconds)} in all; tsgrad ${s.versions.tsgrad}, Node ${s.versions.node}, ${s.threads} thread${s.threads === 1 ? '' : 's'}, ${s.backend ?? 'js'} kernels, ${s.cpu} (${s.platform}).`,
    `Command: \`${['npm run experiment --', ...s.argv].join(' ')}\``,
    `Code: ${s.code.commit === null ? 'not a git checkout' : `commit ${s.code.commit}${s.code.dirty ? ' with uncommitted changes' : ''}`}.`,
    '',
    `Test accuracy is measured on the whole test split after the last step, in eval mode (running statistics, what inference uses) and with train-mode statistics (each test batch of the optimizer batch size normalized in chunks of nb, as in training; running statistics untouched). Mean ± sample standard deviation over seeds. A run counts as at chance when its accuracy is below chance + 5 points (${chanceThreshold(s.dataset.classes)}%); such runs are counted, and stay in the mean. Final train loss: the mean training loss over the last tenth of the steps.`,
    '',
    markdownTable(summaries),
    '',
  ];
  const guarded = summaries.filter((c) => c.runs.some((r) => r.bknGuard !== undefined));
  if (guarded.length > 0) {
    lines.push('BKN guard: the share of training steps on which the prediction was fused with the observation (all layers with a predecessor, all seeds).', '');
    for (const c of guarded) {
      const entries = c.runs.flatMap((r) => r.bknGuard ?? []);
      const used = entries.reduce((k, e) => k + e.used, 0);
      const steps = entries.reduce((k, e) => k + e.steps, 0);
      lines.push(`- ${c.config.id}: ${steps === 0 ? 'n/a' : `${((100 * used) / steps).toFixed(1)}%`} (${used} of ${steps} layer-steps)`);
    }
    lines.push('');
  }
  for (const model of modelsOf(results)) {
    lines.push(`![Test error against steps, ${model}](${errorChartFile(model)})`, '');
    lines.push(`![Test accuracy by norm and normalization batch, ${model}](${accuracyChartFile(model)})`, '');
  }
  return lines.join('\n');
}

/** `results.json`: everything, with non-finite numbers written as the strings "NaN", "Infinity", "-Infinity" (JSON has no such numbers). */
export function jsonReport(results: ExperimentResults): string {
  const summaries = summarize(results, results.settings.dataset.classes).map((c) => ({
    configId: c.config.id,
    label: configLabel(c.config),
    seeds: c.runs.map((r) => r.seed),
    evalAccuracy: { mean: mean(c.evalAccuracy), std: std(c.evalAccuracy) },
    trainModeAccuracy: { mean: mean(c.trainModeAccuracy), std: std(c.trainModeAccuracy) },
    finalTrainLoss: { mean: mean(c.finalTrainLoss), std: std(c.finalTrainLoss) },
    wallSeconds: { mean: mean(c.wallSeconds), std: std(c.wallSeconds) },
    evalAtChance: c.evalAtChance,
    trainModeAtChance: c.trainModeAtChance,
  }));
  const replacer = (_key: string, value: unknown): unknown => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value);
  // Arrays of numbers (the per-step losses) go on one line each: the file stays readable and small.
  const text = JSON.stringify({ ...results, summaries }, replacer, 1).replace(NUMBER_ARRAY, (m) => m.replace(/\s+/g, ''));
  return `${text}\n`;
}

const JSON_NUMBER = String.raw`(?:-?\d[\d.eE+-]*|"NaN"|"Infinity"|"-Infinity")`;
const NUMBER_ARRAY = new RegExp(String.raw`\[\s*${JSON_NUMBER}(?:,\s*${JSON_NUMBER})*\s*\]`, 'g');

/** Reads a `results.json` back (the strings "NaN", "Infinity", "-Infinity" become numbers again). */
export function parseResultsJson(text: string): ExperimentResults {
  const special: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
  const parsed = JSON.parse(text, (_key, value: unknown) => (typeof value === 'string' && value in special ? special[value] : value)) as ExperimentResults & { summaries?: unknown };
  delete parsed.summaries;
  return parsed;
}

/** Writes a file atomically (temp file + rename): an interrupted run never leaves half a file. */
function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Writes results.md, results.json and the charts to `dir`; returns the paths written. */
export function writeResults(dir: string, results: ExperimentResults): string[] {
  mkdirSync(dir, { recursive: true });
  const files: [string, string][] = [
    ['results.md', markdownReport(results)],
    ['results.json', jsonReport(results)],
  ];
  for (const model of modelsOf(results)) {
    files.push([errorChartFile(model), errorChart(results, model)]);
    files.push([accuracyChartFile(model), accuracyChart(results, model)]);
  }
  return files.map(([name, text]) => {
    const path = join(dir, name);
    writeAtomic(path, text);
    return path;
  });
}
