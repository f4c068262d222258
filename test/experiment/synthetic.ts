/**
 * A synthetic experiment for the report and chart tests, in the full sweep's shape (two models,
 * nb 1–32, five norms, three seeds) with made-up but plausible numbers: BatchNorm collapsing at
 * nb 1 and losing accuracy at nb 2, one BatchRenorm seed diverging, BKN and GroupNorm holding.
 * Not a measurement: never quote these numbers anywhere.
 *
 *   npx tsx test/experiment/synthetic.ts /tmp/synthetic   # writes results.json there (then render.ts)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGrid, type Configuration, type ExperimentOptions, type ModelName, type NormName } from '../../experiment/config.js';
import { jsonReport } from '../../experiment/report.js';
import type { ExperimentResults, RunResult } from '../../experiment/results.js';
import { makeRandom } from '../helpers/mulberry32.js';

/** The made-up final accuracy and speed (steps to get 63 % of the way) of a configuration. */
function profile(model: ModelName, norm: NormName, nb: number | null): { acc: number; trainMode: number; tau: number; collapsed: boolean } {
  const base = model === 'mlp' ? 87.6 : 91.2;
  const small = nb === null ? 0 : Math.max(0, 4 - Math.log2(nb)); // 4 at nb 1, 0 from nb 16
  switch (norm) {
    case 'bn':
      return { acc: base - 0.9 * small ** 2, trainMode: base - 1.5 * small, tau: 300 + 40 * small, collapsed: nb === 1 };
    case 'brn':
      return { acc: base - 0.35 * small ** 2, trainMode: base - 1.1 * small, tau: 320 + 30 * small, collapsed: false };
    case 'bkn':
      return { acc: base - 0.15 * small, trainMode: base - 0.4 * small, tau: 260 + 10 * small, collapsed: false };
    case 'bkn-paper':
      return { acc: base - 0.3 * small, trainMode: base - 0.6 * small, tau: 280 + 15 * small, collapsed: false };
    default:
      return { acc: base - 0.8, trainMode: base - 0.8, tau: 420, collapsed: false };
  }
}

const STEPS = 1500;
const CURVE_POINTS = 11;

function syntheticRun(config: Configuration, seed: number, classes: number): RunResult {
  const r = makeRandom(seed * 7919 + config.id.length * 104729 + [...config.id].reduce((h, ch) => h * 31 + ch.charCodeAt(0), 0));
  const noise = (scale: number): number => (r() - 0.5) * 2 * scale;
  const p = profile(config.model, config.norm, config.normBatch);
  const chanceError = 100 - 100 / classes;
  const acc = p.collapsed ? 100 / classes + noise(1) : p.acc + noise(0.3);
  const diverges = config.norm === 'brn' && config.normBatch === 1 && seed === 2;
  const curve = Array.from({ length: CURVE_POINTS }, (_, i) => {
    const step = Math.round((i * STEPS) / (CURVE_POINTS - 1));
    if (diverges && i >= 7) return { step, testError: NaN };
    if (i === 0) return { step, testError: chanceError + noise(0.5) };
    const finalError = 100 - acc;
    const e = p.collapsed ? chanceError + noise(1) : finalError + (chanceError - finalError) * Math.exp(-step / (0.4 * p.tau)) + noise(0.6);
    return { step, testError: Math.min(100, Math.max(0, e)) };
  });
  return {
    configId: config.id, seed, steps: STEPS,
    evalAccuracy: diverges ? 0 : acc,
    trainModeAccuracy: diverges ? 0 : p.trainMode + noise(0.4),
    finalTrainLoss: diverges ? NaN : 0.3 + noise(0.05),
    losses: [2.3, 1.1, 0.5, 0.35],
    curve,
    wallSeconds: 60 + noise(5),
    samplesPerSecond: 2000,
  };
}

/**
 * The synthetic results: mlp (nb 2–32) and vgg (nb 1–32) × bn, brn, gn, bkn, bkn-paper × 3 seeds.
 *
 * @example
 * ```ts
 * const results = syntheticResults();
 * results.runs.length; // 3 × (5 × 4 + 1 + 6 × 4 + 1)
 * ```
 */
export function syntheticResults(): ExperimentResults {
  const options: ExperimentOptions = {
    mode: 'full', models: ['mlp', 'vgg'], norms: ['bn', 'brn', 'gn', 'bkn', 'bkn-paper'], normBatches: [1, 2, 4, 8, 16, 32],
    seeds: [0, 1, 2], batch: 32, lr: 0.01, momentum: 0.9, epochs: 1, maxSteps: STEPS, schedule: 'cosine', dataset: 'fashion', threads: 2, outDir: 'results', dataDir: null,
    trainSize: null, testSize: null, curvePoints: CURVE_POINTS, progress: 'none', shard: null,
  };
  // The MLP has no nb 1 (one value per channel): the grid of each model is built on its own.
  const configurations = [
    ...buildGrid({ ...options, models: ['mlp'], normBatches: [2, 4, 8, 16, 32] }),
    ...buildGrid({ ...options, models: ['vgg'] }),
  ];
  const classes = 10;
  return {
    settings: {
      argv: ['--full'], options,
      dataset: { name: 'Synthetic Fashion-like data (test fixture)', trainSize: 60000, testSize: 10000, inputShape: [1, 28, 28], classes },
      curveTestSize: 1000, stepsPerEpoch: 1875, versions: { node: 'v20.0.0', tsgrad: '0.0.0-synthetic' },
      code: { commit: null, dirty: false }, backend: 'js', threads: 2, platform: 'synthetic', cpu: 'none (synthetic fixture)',
      startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T01:00:00.000Z', totalWallSeconds: 3600,
      runsPlanned: configurations.length * 3,
    },
    configurations,
    runs: options.seeds.flatMap((seed) => configurations.map((c) => syntheticRun(c, seed, classes))),
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = process.argv[2] ?? 'synthetic-results';
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), jsonReport(syntheticResults()));
  process.stdout.write(`${join(dir, 'results.json')}\n`);
}
