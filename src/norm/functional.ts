// The functional normalizations (F.batchNorm, F.layerNorm, F.groupNorm, F.instanceNorm), on the
// fused kernels: one pass for the statistics, one for the output, and a backward made of the
// per-channel reductions Σg·γ, Σg·γ·x̂ (plus Σg, Σg·x̂ for γ and β). Their composite twins, from
// autograd primitives, are in composite.ts; the tests hold the two equal.
import { applyOp } from '../autograd/apply.js';
import { ones, zeros } from '../autograd/creation.js';
import type { Tensor } from '../autograd/tensor.js';
import { checkFlag, checkOptions, type OptionNames } from '../tensor/options.js';
import { invStd, normMoments, type NormLayout } from '../tensor/kernels/norm.js';
import {
  batchLayout, checkBatchCount, checkInstanceCount, float64Values, groupLayout, instanceLayout, layerLayout, updateRunningStats,
} from './layout.js';

/** Options of `batchNorm` (PyTorch's `F.batch_norm` keywords, plus `groups`). */
export interface BatchNormFnOptions {
  /** γ, shape [C] (null: 1). */
  weight?: Tensor | null;
  /** β, shape [C] (null: 0). */
  bias?: Tensor | null;
  /** Batch statistics (true) or the running statistics (false, the default, as in PyTorch). */
  training?: boolean;
  /** Weight of the new batch in the running-statistics update (default 0.1). */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /**
   * Split the batch into this many contiguous chunks, each normalized with its own statistics
   * (what `groups` devices with N/groups samples each would do). Default 1.
   */
  groups?: number;
}

/** Options of `groupNorm` and `layerNorm`. */
export interface GroupNormFnOptions {
  /** γ, one value per channel (groupNorm) or of the normalized shape (layerNorm); default none. */
  weight?: Tensor | null;
  /** β, shaped as `weight`; default none. */
  bias?: Tensor | null;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

/** Options of `layerNorm`: the same as `groupNorm`'s (`weight`, `bias`, `eps`). */
export type LayerNormFnOptions = GroupNormFnOptions;

/** Options of `instanceNorm` (PyTorch's `F.instance_norm` keywords). */
export interface InstanceNormFnOptions {
  /** Running means per channel [C], updated in place in training when given (default none). */
  runningMean?: Tensor | null;
  /** Running (unbiased) variances per channel [C], updated in place in training when given. */
  runningVar?: Tensor | null;
  /** γ per channel [C] (default none). */
  weight?: Tensor | null;
  /** β per channel [C] (default none). */
  bias?: Tensor | null;
  /** Normalize with each instance's statistics (default true); false uses the running ones. */
  useInputStats?: boolean;
  /** Weight of the new batch in the running-statistics update (default 0.1). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

// The names each function's options may hold (also checked by the composite twins).
export const BATCH_NORM_FN_OPTIONS: OptionNames<BatchNormFnOptions> = { weight: true, bias: true, training: 'flag', momentum: true, eps: true, groups: true };
/** `groupNorm`'s and `layerNorm`'s (the same type). */
export const GROUP_NORM_FN_OPTIONS: OptionNames<GroupNormFnOptions> = { weight: true, bias: true, eps: true };
export const INSTANCE_NORM_FN_OPTIONS: OptionNames<InstanceNormFnOptions> = {
  runningMean: true, runningVar: true, weight: true, bias: true, useInputStats: 'flag', momentum: true, eps: true,
};

/** [x] or [x, γ, β] with a missing γ or β replaced by a constant 1 or 0. */
function normInputs(x: Tensor, layout: NormLayout, weight: Tensor | null, bias: Tensor | null): Tensor[] {
  if (weight === null && bias === null) return [x];
  const n = layout.channels * layout.affineSpan;
  return [x, weight ?? ones([n], { dtype: x.dtype }), bias ?? zeros([n], { dtype: x.dtype })];
}

/**
 * The observation of a normalization, fused: a tensor of shape [2, chunks, channels] holding the
 * mean and the biased variance of every (chunk, channel) of x viewed through `layout`
 * (differentiable).
 *
 * @example
 * ```ts
 * import { randn } from 'tsgrad';
 * const stats = normMomentsFused(randn([4, 3]), { chunks: 2, samples: 2, channels: 3, positions: 1, affineSpan: 1 });
 * stats.shape; // [2, 2, 3]: mean and variance of each chunk of 2 samples
 * ```
 */
export function normMomentsFused(x: Tensor, layout: NormLayout): { mean: Tensor; variance: Tensor } {
  const stats = applyOp('normMoments', [x], { layout });
  return { mean: stats.narrow(0, 0, 1).reshape([layout.chunks, layout.channels]), variance: stats.narrow(0, 1, 1).reshape([layout.chunks, layout.channels]) };
}

/**
 * y = γ·(x − m)/sqrt(v + eps) + β, fused, with m and v tensors of one value per (chunk, channel)
 * through which gradients flow (Batch Kalman Normalization's corrected estimate).
 *
 * @example
 * ```ts
 * import { randn, zeros, ones } from 'tsgrad';
 * const x = randn([4, 3]);
 * const layout = { chunks: 1, samples: 4, channels: 3, positions: 1, affineSpan: 1 };
 * const y = normalizeWithFused(x, zeros([1, 3]), ones([1, 3]), layout, 1e-5);
 * ```
 */
export function normalizeWithFused(
  x: Tensor, mean: Tensor, variance: Tensor, layout: NormLayout, eps: number,
  weight: Tensor | null = null, bias: Tensor | null = null,
): Tensor {
  const rest = normInputs(x, layout, weight, bias).slice(1);
  return applyOp('normalizeWith', [x, mean, variance, ...rest], { layout, eps });
}

/** Normalizes x with its own statistics over `layout` (fused forward and backward). */
function normalizeBatch(x: Tensor, layout: NormLayout, eps: number, weight: Tensor | null, bias: Tensor | null): { y: Tensor; mean: Float64Array; variance: Float64Array } {
  const xc = x.array.contiguous();
  const { mean, variance } = normMoments(xc.data, xc.offset, layout);
  const y = applyOp('normalize', normInputs(x, layout, weight, bias), { layout, mean, invstd: invStd(variance, eps), batchStats: true, eps });
  return { y, mean, variance };
}

/** Normalizes x with constant per-channel statistics (running statistics). */
function normalizeFixed(x: Tensor, runningMean: Tensor, runningVar: Tensor, eps: number, weight: Tensor | null, bias: Tensor | null, where: string): Tensor {
  const layout = batchLayout(x.shape, 1, where);
  if (runningMean.numel !== layout.channels || runningVar.numel !== layout.channels) {
    throw new Error(`${where}: running_mean (${runningMean.numel} elements) and running_var (${runningVar.numel}) must have one value per channel (${layout.channels})`);
  }
  const mean = float64Values(runningMean);
  const invstd = invStd(float64Values(runningVar), eps);
  return applyOp('normalize', normInputs(x, layout, weight, bias), { layout, mean, invstd, batchStats: false, eps });
}

/**
 * Batch Normalization (Ioffe & Szegedy 2015, arXiv 1502.03167), PyTorch's `F.batch_norm`:
 * y = γ·(x − E[x])/sqrt(Var[x] + eps) + β over the batch and spatial dims, per channel.
 * - `training: true`: the batch's statistics, with the **biased** variance; when running
 *   statistics are given they are updated in place, running ← (1 − momentum)·running +
 *   momentum·batch, with the **unbiased** variance for `runningVar` (as PyTorch).
 * - `training: false` (the default): the running statistics, which must be given.
 * NOTE: in training, each channel needs more than one value (N·H·W > 1 per chunk), else the
 * error is PyTorch's "Expected more than 1 value per channel when training".
 *
 * @example
 * ```ts
 * import { randn, zeros, ones, F } from 'tsgrad';
 * const x = randn([8, 3, 4, 4]);
 * const runningMean = zeros([3]);
 * const runningVar = ones([3]);
 * const y = F.batchNorm(x, runningMean, runningVar, { training: true, momentum: 0.1 });
 * // runningMean now holds 0.1 · the batch mean of each channel
 * ```
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, options: BatchNormFnOptions = {}): Tensor {
  checkOptions(options, BATCH_NORM_FN_OPTIONS, 'batchNorm');
  const { weight = null, bias = null, training = false, momentum = 0.1, eps = 1e-5, groups = 1 } = options;
  checkFlag(training, 'training', 'batchNorm');
  const where = 'batchNorm';
  if (training) {
    const layout = batchLayout(x.shape, groups, where);
    checkBatchCount(x.shape, layout, where);
    const { y, mean, variance } = normalizeBatch(x, layout, eps, weight, bias);
    updateRunningStats(runningMean, runningVar, mean, variance, layout, momentum, true, where);
    return y;
  }
  if (runningMean === null || runningVar === null) {
    throw new Error(`${where}: running_mean and running_var must be given when training is false`);
  }
  return normalizeFixed(x, runningMean, runningVar, eps, weight, bias, where);
}

/**
 * Group Normalization (Wu & He 2018), PyTorch's `F.group_norm`: the channels of each sample are
 * split into `numGroups` groups, each normalized over its channels and spatial positions; γ and β
 * are per channel. No batch statistics, so it behaves the same for any batch size.
 *
 * @example
 * ```ts
 * import { randn, F } from 'tsgrad';
 * const y = F.groupNorm(randn([2, 6, 4, 4]), 3);
 * ```
 */
export function groupNorm(x: Tensor, numGroups: number, options: GroupNormFnOptions = {}): Tensor {
  checkOptions(options, GROUP_NORM_FN_OPTIONS, 'groupNorm');
  const { weight = null, bias = null, eps = 1e-5 } = options;
  return normalizeBatch(x, groupLayout(x.shape, numGroups, 'groupNorm'), eps, weight, bias).y;
}

/**
 * Layer Normalization (Ba et al. 2016), PyTorch's `F.layer_norm`: normalizes over the trailing
 * dims `normalizedShape`; γ and β (if given) have that shape.
 *
 * @example
 * ```ts
 * import { randn, F } from 'tsgrad';
 * const y = F.layerNorm(randn([2, 5, 8]), [8]);
 * ```
 */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], options: LayerNormFnOptions = {}): Tensor {
  checkOptions(options, GROUP_NORM_FN_OPTIONS, 'layerNorm');
  const { weight = null, bias = null, eps = 1e-5 } = options;
  return normalizeBatch(x, layerLayout(x.shape, normalizedShape, 'layerNorm'), eps, weight, bias).y;
}

/**
 * Instance Normalization (Ulyanov et al. 2016), PyTorch's `F.instance_norm`: each (sample,
 * channel) normalized over its spatial positions. With `useInputStats` and running statistics
 * given, they are updated with the mean over the batch of the instance statistics (unbiased
 * variance), as PyTorch does.
 *
 * @example
 * ```ts
 * import { randn, F } from 'tsgrad';
 * const y = F.instanceNorm(randn([2, 3, 4, 4]));
 * ```
 */
export function instanceNorm(x: Tensor, options: InstanceNormFnOptions = {}): Tensor {
  checkOptions(options, INSTANCE_NORM_FN_OPTIONS, 'instanceNorm');
  const {
    runningMean = null, runningVar = null, weight = null, bias = null, useInputStats = true, momentum = 0.1, eps = 1e-5,
  } = options;
  const where = 'instanceNorm';
  if (useInputStats) {
    const layout = instanceLayout(x.shape, where);
    checkInstanceCount(x.shape, layout);
    const { y, mean, variance } = normalizeBatch(x, layout, eps, weight, bias);
    updateRunningStats(runningMean, runningVar, mean, variance, layout, momentum, true, where);
    return y;
  }
  if (runningMean === null || runningVar === null) {
    throw new Error(`${where}: Expected running_mean and running_var to be defined when use_input_stats is false`);
  }
  return normalizeFixed(x, runningMean, runningVar, eps, weight, bias, where);
}
