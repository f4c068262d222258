/**
 * The golden reproducibility pin: a short, fixed configuration of the experiment (the CNN and the
 * MLP, BatchNorm and BKN at normalization batches 2 and 32, seed 0, 24 steps on 768 MNIST digits) whose
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
 * The pin is per kernel backend (`getBackend()`: 'js' or 'wasm'): the backends sum float32 products in
 * different orders, so each has its own pin file, `golden-losses-<backend>.json`, generated with the
 * same configuration. `--write` writes the pin of the backend the process runs (`TSGRAD_BACKEND=js`
 * or `wasm` picks it); the test checks every committed pin.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getBackend } from '../src/index.js';
import { parseArgs } from './args.js';
import { buildGrid, type ExperimentOptions } from './config.js';
import { loadExperimentData } from './data.js';
import { codeVersion } from './provenance.js';
import { applyThreads } from './threads.js';
import { trainRun } from './train.js';

/** The golden configuration, as `npm run experiment` flags (so it is a run anyone can repeat). */
export const GOLDEN_ARGV: readonly string[] = [
  '--model', 'cnn,mlp', '--norms', 'bn,bkn', '--norm-batch', '2,32', '--seeds', '1', '--seed', '0',
  '--steps', '24', '--schedule', 'constant', '--train-size', '768', '--test-size', '64', '--curve-points', '1', '--progress', 'none',
  '--dataset', 'mnist', // the pinned data (explicit since the default became fashion)
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
  /** Which kernel backend produced these numbers (`getBackend()`: 'js' or 'wasm'). */
  kernels: string;
  /** The command that regenerates the file. */
  regenerate: string;
  argv: string[];
  /** The commit the pin was generated from (its parent, when generated before committing). */
  generatedFrom: { commit: string | null; dirty: boolean; node: string; threadsChecked: number[] };
  runs: GoldenRun[];
}

const FIXTURES = fileURLToPath(new URL('../test/fixtures/', import.meta.url));

/** Where the pin of a kernel backend lives. */
export function goldenPath(kernels: string): string {
  return `${FIXTURES}golden-losses-${kernels}.json`;
}

/** The backends that have a committed pin. */
export function pinnedBackends(): string[] {
  return readdirSync(FIXTURES).map((f) => /^golden-losses-(\w+)\.json$/.exec(f)?.[1]).filter((k): k is string => k !== undefined).sort();
}

function goldenOptions(): ExperimentOptions {
  const parsed = parseArgs(GOLDEN_ARGV);
  if (parsed.kind !== 'run') throw new Error('golden: GOLDEN_ARGV must describe a run');
  return parsed.options;
}

/**
 * Runs the golden configuration at `threads` worker threads, on the current kernel backend, and
 * returns its runs. The loss values
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

/** Reads the committed pin of a kernel backend. */
export function readGolden(kernels: string): GoldenPin {
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
      kernels: getBackend(),
      regenerate: 'npx tsx experiment/golden.ts --write',
      argv: [...GOLDEN_ARGV],
      generatedFrom: { ...codeVersion(), node: process.version, threadsChecked: [1, 2] },
      runs: one,
    };
    writeFileSync(goldenPath(pin.kernels), `${JSON.stringify(pin, null, 1)}\n`);
    process.stdout.write(`golden: wrote ${goldenPath(pin.kernels)} (${one.length} runs; 1 and 2 threads agree bit for bit)\n`);
    return 0;
  }
  const backend = getBackend();
  if (!existsSync(goldenPath(backend))) {
    process.stderr.write(`golden: no pin for the '${backend}' kernels (pins: ${pinnedBackends().join(', ')}); TSGRAD_BACKEND picks the backend, --write makes its pin\n`);
    return 1;
  }
  const difference = firstDifference(one, readGolden(backend).runs);
  if (difference !== null) {
    process.stderr.write(`${movedMessage(`'${backend}' kernels, 1 and 2 threads`, difference)}\n`);
    return 1;
  }
  process.stdout.write(`golden: ${one.length} runs equal the '${backend}' pin bit for bit at 1 and 2 threads\n`);
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2));
}
