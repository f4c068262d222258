/**
 * `npm run experiment`: the micro-batch experiment of docs/experiment.md — BatchNorm against Batch Kalman
 * Normalization (and GroupNorm, BatchRenorm) when each normalization batch holds a few samples, on
 * Fashion-MNIST.
 *
 *   npm run experiment                   # the default run (about 2 minutes on 2 cores, docs/experiment.md)
 *   npm run experiment -- --quick        # a small run that still shows the effect (seconds)
 *   npm run experiment -- --full         # the sweep docs/experiment.md reports (138 runs)
 *   npm run experiment -- --help
 *
 * Order of work: parse and check every flag, load and check the data, then train — so a bad flag
 * or a corrupt file costs a second, not a run. Results go to --out (default results/) and are
 * rewritten after every run, so an interrupted run leaves what it finished.
 */
import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ArgumentError, USAGE, parseArgs } from './args.js';
import { buildGrid, inShard, type ExperimentOptions } from './config.js';
import { loadExperimentData } from './data.js';
import { getBackend } from '../src/index.js';
import { codeVersion } from './provenance.js';
import { ProgressReporter, progressStyle, type ProgressSink } from './progress.js';
import { markdownTable, writeResults } from './report.js';
import { summarize, type ExperimentResults } from './results.js';
import { formatDuration } from './stats.js';
import { applyThreads } from './threads.js';
import { trainRun, type ExperimentData } from './train.js';

/** Test samples for the error-vs-steps curves (the first ones of the test split). */
export const CURVE_TEST_SIZE = 1000;

function tsgradVersion(): string {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/** The first line of an error's message: the CLI prints one line. */
function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]!;
}

/** Creates the output directory and checks it is writable (before training). */
function prepareOut(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new ArgumentError(`--out ${dir}: cannot write there (${oneLine(err)})`);
  }
}

/** Where the experiment writes: the table to stdout, progress and errors to stderr. */
export interface ExperimentIO {
  stdout: { write(text: string): unknown };
  stderr: ProgressSink;
}

/**
 * Runs the experiment with the given command-line arguments; returns the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = runExperiment(['--quick', '--out', 'tmp-results']);
 * ```
 */
export function runExperiment(argv: readonly string[], io: ExperimentIO = process): number {
  let options: ExperimentOptions;
  let dataset: ExperimentData;
  try {
    const parsed = parseArgs(argv);
    if (parsed.kind === 'help') {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    options = parsed.options;
    dataset = loadExperimentData(options);
    for (const [split, n] of [['training', dataset.train.count], ['test', dataset.test.count]] as const) {
      if (n < options.batch) throw new ArgumentError(`the ${split} split has ${n} samples, fewer than one batch of ${options.batch}`);
    }
    prepareOut(options.outDir);
  } catch (err) {
    io.stderr.write(`experiment: error: ${oneLine(err)}\n`);
    return 2;
  }

  const threads = applyThreads(options.threads);
  const configurations = buildGrid(options);
  // Seed-major order: after the first seed every configuration has a number. A shard takes its share.
  const runList = options.seeds.flatMap((seed) => configurations.map((config) => ({ seed, config })))
    .filter((_, i) => inShard(i, options.shard));
  const planned = runList.length;
  const stepsPerEpoch = Math.floor(dataset.train.count / options.batch);
  const startedAt = new Date();
  const t0 = performance.now();
  const results: ExperimentResults = {
    settings: {
      argv: [...argv],
      options,
      dataset: { name: dataset.name, trainSize: dataset.train.count, testSize: dataset.test.count, inputShape: [...dataset.inputShape], classes: dataset.classes },
      curveTestSize: Math.min(CURVE_TEST_SIZE, dataset.test.count),
      stepsPerEpoch,
      versions: { node: process.version, tsgrad: tsgradVersion() },
      code: codeVersion(),
      backend: getBackend(),
      threads,
      platform: `${process.platform} ${process.arch}`,
      cpu: `${cpus()[0]?.model.trim() ?? 'unknown CPU'} × ${cpus().length}`,
      startedAt: startedAt.toISOString(),
      finishedAt: '',
      totalWallSeconds: 0,
      runsPlanned: planned,
    },
    configurations,
    runs: [],
  };

  const stderr = io.stderr;
  const progress = new ProgressReporter(stderr, progressStyle(options.progress, stderr), planned);
  if (options.progress !== 'none') {
    stderr.write(
      `experiment: ${dataset.name}, ${dataset.train.count} train / ${dataset.test.count} test; ${configurations.length} configuration${configurations.length === 1 ? '' : 's'} × ${options.seeds.length} seed${options.seeds.length === 1 ? '' : 's'}${options.shard === null ? ' =' : `, shard ${options.shard.index}/${options.shard.count}:`} ${planned} run${planned === 1 ? '' : 's'} of ${Math.min(options.epochs * stepsPerEpoch, options.maxSteps ?? Infinity)} steps; ${threads} thread${threads === 1 ? '' : 's'}; results in ${options.outDir}/\n`,
    );
  }
  for (const { seed, config } of runList) {
    results.runs.push(trainRun(config, seed, dataset, { options, curveTestSize: results.settings.curveTestSize }, progress));
    results.settings.totalWallSeconds = (performance.now() - t0) / 1000;
    results.settings.finishedAt = new Date().toISOString();
    writeResults(options.outDir, results);
  }
  const files = writeResults(options.outDir, results);
  io.stdout.write(`\n${markdownTable(summarize(results, dataset.classes))}\n\n`);
  io.stdout.write(`${planned} run${planned === 1 ? '' : 's'} in ${formatDuration(results.settings.totalWallSeconds)}; wrote ${files.join(', ')}\n`);
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = runExperiment(process.argv.slice(2));
}
