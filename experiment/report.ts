/**
 * The experiment's outputs: `results.md` (the table, steps to a target accuracy, the figures with
 * their captions), `results.json` (every number and the exact settings) and the SVG charts of
 * figures.ts, per model: `accuracy-<model>.svg` and `accuracy-train-mode-<model>.svg` (accuracy
 * against the normalization batch) and `error-vs-steps-<model>-nb<k>.svg` (test error against
 * steps at the smallest and the largest normalization batch).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NORM_LABELS, configLabel, usesBatchStatistics, type ModelName } from './config.js';
import { allFigures, formatAccuracy, modelsOf, normBatchesOf } from './figures.js';
import { chanceThreshold, chooseTargetAccuracy, convergence, summarize, TARGET_SHARE, type ConfigSummary, type ConvergenceCell, type ExperimentResults } from './results.js';
import { formatDuration, formatMeanStd, mean, std } from './stats.js';

/** Options of the report that are not part of the run (they can change when re-rendering). */
export interface ReportOptions {
  /** Target test accuracy (%) for the steps-to-accuracy tables; default: chosen per model (see chooseTargetAccuracy). */
  targetAccuracy?: number | null;
}

/** The line saying that the results were joined from parallel parts (experiment/merge.ts). */
function partsLine(parts: NonNullable<ExperimentResults['settings']['parts']>): string {
  const each = parts.map((p) => `${p.shard === null ? 'all' : `${p.shard.index}/${p.shard.count}`}: ${p.runs} runs, ${formatDuration(p.wallSeconds)}, ${p.threads} thread${p.threads === 1 ? '' : 's'}`);
  return `Ran as ${parts.length} processes side by side (\`--shard K/${parts.length}\`, joined by experiment/merge.ts; the time above is the longest part's): ${each.join('; ')}.`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The markdown table: one row per configuration. */
export function markdownTable(summaries: readonly ConfigSummary[], testSize?: number): string {
  // The test-set size in the accuracy headings, so the table says what each number is measured on.
  const on = testSize === undefined ? '' : `, ${testSize} test samples`;
  const head = [
    'model', 'norm', 'norm batch', 'seeds', `test acc, eval mode (%${on})`, 'eval acc per seed (%)', `test acc, train-mode stats (%${on})`,
    'final train loss', 'wall time (s)', 'runs at chance (eval / train-mode)',
  ];
  const rows = summaries.map((c) => [
    c.config.model,
    NORM_LABELS[c.config.norm],
    c.config.normBatch === null ? 'n/a (no batch statistics)' : String(c.config.normBatch),
    String(c.runs.length),
    formatMeanStd(c.evalAccuracy, 2),
    c.evalAccuracy.map(formatAccuracy).join(', '),
    formatMeanStd(c.trainModeAccuracy, 2),
    formatMeanStd(c.finalTrainLoss, 4),
    formatMeanStd(c.wallSeconds, 1),
    `${c.evalAtChance} / ${c.trainModeAtChance} of ${c.runs.length}`,
  ]);
  const line = (cells: readonly string[]): string => `| ${cells.map(escapeCell).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Which test samples each number uses (the main table's and the charts' sizes line). */
export function sizesLine(results: Pick<ExperimentResults, 'settings'>): string {
  const s = results.settings;
  return `Test-set sizes: the accuracies (eval mode and train-mode statistics) use the whole test split, ${s.dataset.testSize} samples; the test-error curves and the steps to a target accuracy use its first ${s.curveTestSize} samples.`;
}

/** The target accuracy of a model's steps-to-accuracy table: the given one, or one chosen from its runs. */
export function targetAccuracyFor(results: ExperimentResults, model: ModelName, options: ReportOptions = {}): { target: number; chosen: boolean } {
  const given = options.targetAccuracy ?? results.settings.options.targetAccuracy ?? null;
  if (given !== null) return { target: given, chosen: false };
  const ids = new Set(results.configurations.filter((c) => c.model === model).map((c) => c.id));
  return { target: chooseTargetAccuracy(results.runs.filter((r) => ids.has(r.configId))), chosen: true };
}

/** A steps-to-accuracy cell: `1 234 (3/3)`, `not reached (0/3)`. */
export function formatConvergence(c: ConvergenceCell): string {
  if (c.seeds === 0) return '—';
  if (c.reached === 0) return `not reached (0/${c.seeds})`;
  return `${Math.round(c.meanSteps)} (${c.reached}/${c.seeds})`;
}

/**
 * The steps-to-accuracy table of one model: a row per norm, a column per normalization batch (and
 * one for the norms without batch statistics).
 */
export function convergenceTable(results: ExperimentResults, model: ModelName, target: number): string {
  const summaries = summarize(results, results.settings.dataset.classes).filter((c) => c.config.model === model);
  const nbs = normBatchesOf(results, model);
  const flat = summaries.some((c) => c.config.normBatch === null);
  const head = ['norm', ...nbs.map((nb) => `nb ${nb}`), ...(flat ? ['no batch statistics'] : [])];
  const norms = [...new Set(summaries.map((c) => c.config.norm))];
  const rows = norms.map((norm) => {
    const cell = (nb: number | null): string => {
      const c = summaries.find((x) => x.config.norm === norm && x.config.normBatch === nb);
      return c === undefined ? '' : formatConvergence(convergence(c.runs, target));
    };
    return [NORM_LABELS[norm], ...nbs.map((nb) => (usesBatchStatistics(norm) ? cell(nb) : '')), ...(flat ? [usesBatchStatistics(norm) ? '' : cell(null)] : [])];
  });
  const line = (cells: readonly string[]): string => `| ${cells.map(escapeCell).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** How often the curves were evaluated: their resolution in steps (from the first run's curve). */
function evaluationsText(results: ExperimentResults): string {
  const curve = results.runs[0]?.curve ?? [];
  if (curve.length < 2) return `${curve.length} evaluation${curve.length === 1 ? '' : 's'} per run`;
  const gaps = curve.slice(1).map((p, i) => p.step - curve[i]!.step);
  const lo = Math.min(...gaps);
  const hi = Math.max(...gaps);
  return `${curve.length} evaluations per run, every ${lo === hi ? lo : `${lo}–${hi}`} steps: differences smaller than that are interpolation, not measurement`;
}

/** `results.md`: what was run, the table, the steps-to-accuracy tables, and the figures with their captions. */
export function markdownReport(results: ExperimentResults, options: ReportOptions = {}): string {
  const s = results.settings;
  const o = s.options;
  const summaries = summarize(results, s.dataset.classes);
  const lines = [
    '# Micro-batch experiment: results',
    '',
    ...(results.runs.length < s.runsPlanned ? [`**Partial: ${results.runs.length} of ${s.runsPlanned} runs finished.**`, ''] : []),
    `Dataset: ${s.dataset.name} — ${s.dataset.trainSize} training and ${s.dataset.testSize} test samples, input ${s.dataset.inputShape.join('×')}, ${s.dataset.classes} classes.`,
    `Training: SGD lr ${o.lr}${o.schedule === 'cosine' ? ' annealed to 0 along a cosine over the run' : ' (constant)'}, momentum ${o.momentum}, batch ${o.batch}, ${o.maxSteps === null ? `${o.epochs} epoch${o.epochs === 1 ? '' : 's'}` : `${o.maxSteps} steps`} (${s.stepsPerEpoch} steps per epoch); seeds ${o.seeds.join(', ')}.`,
    `Normalization batch (nb): samples per normalization chunk, made with the \`groups\` option inside each optimizer batch.`,
    `Run: ${s.startedAt}, ${formatDuration(s.totalWallSeconds)} in all; tsgrad ${s.versions.tsgrad}, Node ${s.versions.node}, ${s.threads} thread${s.threads === 1 ? '' : 's'}, ${s.backend ?? 'js'} kernels, ${s.cpu} (${s.platform}).`,
    `Command: \`${['npm run experiment --', ...s.argv].join(' ')}\``,
    ...(s.parts === undefined ? [] : [partsLine(s.parts)]),
    `Code: ${s.code.commit === null ? 'not a git checkout' : `commit ${s.code.commit}${s.code.dirty ? ' with uncommitted changes' : ''}`}.`,
    '',
    `Test accuracy is measured on the whole test split after the last step, in eval mode (running statistics, what inference uses) and with train-mode statistics (each test batch of the optimizer batch size normalized in chunks of nb, as in training; running statistics untouched). Mean ± sample standard deviation over seeds. A run counts as at chance when its accuracy is below chance + 5 points (${chanceThreshold(s.dataset.classes)}%); such runs are counted, and stay in the mean. Final train loss: the mean training loss over the last tenth of the steps.`,
    '',
    sizesLine(results),
    '',
    markdownTable(summaries, s.dataset.testSize),
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
  lines.push(
    '## Convergence speed',
    '',
    `Steps to a target test accuracy, from each run's test-error curve (eval mode, the first ${s.curveTestSize} test samples, ${evaluationsText(results)}): the step is interpolated linearly between the last evaluation below the target and the first at or above it (the first evaluation's step when there is none before it, or it is not a number). Each cell: the mean over the seeds that reached the target, and how many of the seeds did (a mean over fewer seeds favours the fast ones); "not reached": no seed did.`,
    '',
  );
  for (const model of modelsOf(results)) {
    const { target, chosen } = targetAccuracyFor(results, model, options);
    lines.push(`### ${model}: optimizer steps to ${formatAccuracy(target)} % test accuracy`, '');
    if (chosen) lines.push(`Target chosen from the runs: the highest multiple of 0.5 % that ${Math.round(TARGET_SHARE * 100)} % of this model's runs reach on their curve (\`--target-accuracy\` sets it).`, '');
    lines.push(convergenceTable(results, model, target), '');
  }
  lines.push('## Figures', '');
  allFigures(results).forEach((f, i) => {
    lines.push(`![${f.alt}](${f.file})`, '', `*Figure ${i + 1}.* ${f.caption}`, '');
  });
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
export function writeResults(dir: string, results: ExperimentResults, options: ReportOptions = {}): string[] {
  mkdirSync(dir, { recursive: true });
  const files: [string, string][] = [
    ['results.md', markdownReport(results, options)],
    ['results.json', jsonReport(results)],
  ];
  for (const f of allFigures(results)) files.push([f.file, f.svg]);
  return files.map(([name, text]) => {
    const path = join(dir, name);
    writeAtomic(path, text);
    return path;
  });
}
