/**
 * The golden reproducibility pin: a short, fixed configuration of the experiment (the CNN and the
 * MLP, BatchNorm and BKN at normalization batches 2 and 32, seed 0, 24 steps on 768 digits) whose
 * per-step losses and final accuracies are committed in test/fixtures/golden-losses-js.json and
 * compared *bitwise* by test/experiment/golden.test.ts at 1 and 2 threads.
 *
 * The experiment's numbers (docs/experiment.md, README.md) hold for the code they ran on. A change
 * that moves them — a new summation order in a kernel, a different initialisation, a new noise
 * draw — moves these losses too, so it cannot pass CI silently: it must regenerate the pin *and*
 * re-run the experiment and update the docs in the same change.
 *
 *   npx tsx experiment/golden.ts            # compare the current code with the pin (exit 1 if it moved)
 *   npx tsx experiment/golden.ts --write    # regenerate the pin (refused unless 1 and 2 threads agree)
 *
 * The pin is per set of kernels: today tsgrad has one, the JavaScript kernels (`js`). Another
 * backend (e.g. WebAssembly) sums in another order and gets its own pin file
 * (`golden-losses-<kernels>.json`), generated with the same configuration.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './args.js';
import { buildGrid, type ExperimentOptions } from './config.js';
import { loadExperimentData } from './data.js';
import { codeVersion } from './provenance.js';
import { applyThreads } from './threads.js';
import { trainRun } from './train.js';

/** The kernels the numbers below come from. tsgrad has only its JavaScript kernels today. */
export const CURRENT_KERNELS = 'js';

/** The golden configuration, as `npm run experiment` flags (so it is a run anyone can repeat). */
export const GOLDEN_ARGV: readonly string[] = [
  '--model', 'cnn,mlp', '--norms', 'bn,bkn', '--norm-batch', '2,32', '--seeds', '1', '--seed', '0',
  '--steps', '24', '--train-size', '768', '--test-size', '64', '--curve-points', '1', '--progress', 'none',
];

/** One pinned run: exact per-step losses (float32 values, kept as exact JSON numbers) and accuracies. */
export interface GoldenRun {
  configId: string;
  seed: number;
  losses: number[];
  evalAccuracy: number;
  trainModeAccuracy: number;
}

/** The committed pin file. */
export interface GoldenPin {
  about: string;
  /** Which kernels produced these numbers (`js`: tsgrad's JavaScript kernels). */
  kernels: string;
  /** The command that regenerates the file. */
  regenerate: string;
  argv: string[];
  /** The commit the pin was generated from (its parent, when generated before committing). */
  generatedFrom: { commit: string | null; dirty: boolean; node: string; threadsChecked: number[] };
  runs: GoldenRun[];
}

/** Where the pin of a set of kernels lives. */
export function goldenPath(kernels: string = CURRENT_KERNELS): string {
  return fileURLToPath(new URL(`../test/fixtures/golden-losses-${kernels}.json`, import.meta.url));
}

function goldenOptions(): ExperimentOptions {
  const parsed = parseArgs(GOLDEN_ARGV);
  if (parsed.kind !== 'run') throw new Error('golden: GOLDEN_ARGV must describe a run');
  return parsed.options;
}

/**
 * Runs the golden configuration at `threads` worker threads and returns its runs. The loss values
 * are taken as `loss.item()` gives them (the experiment's JSON rounds them to 9 digits; the pin
 * does not).
 *
 * @example
 * ```ts
 * const runs = runGolden(2);
 * runs[0].losses.length; // 24
 * ```
 */
export function runGolden(threads: number): GoldenRun[] {
  const options = goldenOptions();
  applyThreads(threads);
  const dataset = loadExperimentData(options);
  const runs: GoldenRun[] = [];
  for (const config of buildGrid(options)) {
    const losses: number[] = [];
    const r = trainRun(config, options.seeds[0]!, dataset, { options, curveTestSize: dataset.test.count }, null, (loss) => losses.push(loss));
    runs.push({ configId: r.configId, seed: r.seed, losses, evalAccuracy: r.evalAccuracy, trainModeAccuracy: r.trainModeAccuracy });
  }
  return runs;
}

/**
 * The first difference between `actual` and the pinned runs, compared bitwise (`Object.is`: −0 and
 * 0 differ, NaN equals NaN), or null when they are identical.
 */
export function firstDifference(actual: readonly GoldenRun[], pinned: readonly GoldenRun[]): string | null {
  if (actual.length !== pinned.length) return `${actual.length} runs against ${pinned.length} pinned`;
  for (let i = 0; i < pinned.length; i++) {
    const a = actual[i]!;
    const p = pinned[i]!;
    if (a.configId !== p.configId || a.seed !== p.seed) return `run ${i} is ${a.configId} seed ${a.seed}, pinned ${p.configId} seed ${p.seed}`;
    if (a.losses.length !== p.losses.length) return `${a.configId}: ${a.losses.length} steps against ${p.losses.length} pinned`;
    for (let s = 0; s < p.losses.length; s++) {
      if (!Object.is(a.losses[s], p.losses[s])) return `${a.configId} seed ${a.seed}, step ${s + 1}: loss ${a.losses[s]} against ${p.losses[s]} pinned`;
    }
    for (const key of ['evalAccuracy', 'trainModeAccuracy'] as const) {
      if (!Object.is(a[key], p[key])) return `${a.configId} seed ${a.seed}: ${key} ${a[key]} against ${p[key]} pinned`;
    }
  }
  return null;
}

/** Reads the committed pin of a set of kernels. */
export function readGolden(kernels: string = CURRENT_KERNELS): GoldenPin {
  return JSON.parse(readFileSync(goldenPath(kernels), 'utf8')) as GoldenPin;
}

/** What a failing comparison tells the person whose change moved the numbers. */
export function movedMessage(where: string, difference: string): string {
  return [
    `The golden losses moved (${where}): ${difference}.`,
    'Same code must give the same numbers bit for bit, at any thread count. If the change is meant to move them',
    '(a new summation order, initialisation or noise draw), regenerate the pin with `npx tsx experiment/golden.ts --write`,',
    're-run `npm run experiment` (and `-- --full`) and update the numbers in docs/experiment.md and README.md in the same',
    'change. If it is not meant to, the change broke reproducibility (or thread-count independence).',
  ].join('\n');
}

function main(argv: readonly string[]): number {
  const write = argv.includes('--write');
  const unknown = argv.filter((a) => a !== '--write');
  if (unknown.length > 0) {
    process.stderr.write(`golden: error: unexpected argument '${unknown[0]}' (the only option is --write)\n`);
    return 2;
  }
  const one = runGolden(1);
  const two = runGolden(2);
  const threadDifference = firstDifference(two, one);
  if (threadDifference !== null) {
    process.stderr.write(`golden: 2 threads differ from 1 thread: ${threadDifference}\n`);
    return 1;
  }
  if (write) {
    const pin: GoldenPin = {
      about: 'Per-step training losses and final accuracies of a fixed short run, compared bitwise by test/experiment/golden.test.ts. See experiment/golden.ts.',
      kernels: CURRENT_KERNELS,
      regenerate: 'npx tsx experiment/golden.ts --write',
      argv: [...GOLDEN_ARGV],
      generatedFrom: { ...codeVersion(), node: process.version, threadsChecked: [1, 2] },
      runs: one,
    };
    writeFileSync(goldenPath(), `${JSON.stringify(pin, null, 1)}\n`);
    process.stdout.write(`golden: wrote ${goldenPath()} (${one.length} runs; 1 and 2 threads agree bit for bit)\n`);
    return 0;
  }
  const difference = firstDifference(one, readGolden().runs);
  if (difference !== null) {
    process.stderr.write(`${movedMessage('1 and 2 threads', difference)}\n`);
    return 1;
  }
  process.stdout.write(`golden: ${one.length} runs equal the pin bit for bit at 1 and 2 threads\n`);
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2));
}
