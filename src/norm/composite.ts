// The composite normalizations: every formula written with autograd primitives (reshape, sum,
// mul, add, pow), so their gradients come for free. They are the teaching version — read these
// first — and the oracle the fused kernels (src/norm/functional.ts) are tested against. Same
// signatures as the fused functions.
import { noGrad } from '../autograd/grad-mode.js';
import type { Tensor } from '../autograd/tensor.js';
import {
  batchLayout, checkBatchCount, checkInstanceCount, float64Values, groupLayout, instanceLayout, layerLayout, updateRunningStats, type NormLayout,
} from './layout.js';
import { momentsComposite, normalizeWithComposite } from '../autograd/ops/norm-composite.js';
import {
  BATCH_NORM_FN_OPTIONS, GROUP_NORM_FN_OPTIONS, INSTANCE_NORM_FN_OPTIONS,
  type BatchNormFnOptions, type GroupNormFnOptions, type InstanceNormFnOptions, type LayerNormFnOptions,
} from './functional.js';
import { checkFlag, checkOptions } from '../tensor/options.js';

/** Batch statistics of x as constants (for the running-statistics update). */
export { momentsComposite, normalizeWithComposite };

function detachedMoments(x: Tensor, layout: NormLayout): { mean: Float64Array; variance: Float64Array } {
  return noGrad(() => {
    const m = momentsComposite(x.detach(), layout);
    return { mean: float64Values(m.mean), variance: float64Values(m.variance) };
  });
}

/** Running statistics as [1, channels] tensors of x's dtype (constants). */
function runningAsStats(runningMean: Tensor, runningVar: Tensor, x: Tensor): [Tensor, Tensor] {
  return [runningMean.detach().to(x.dtype).reshape([1, -1]), runningVar.detach().to(x.dtype).reshape([1, -1])];
}

/**
 * BatchNorm as a composite (see `batchNorm` in functional.ts for the semantics).
 *
 * @example
 * ```ts
 * import { randn } from 'tsgrad';
 * const y = batchNormComposite(randn([8, 3]), null, null, { training: true });
 * ```
 */
export function batchNormComposite(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, options: BatchNormFnOptions = {}): Tensor {
  checkOptions(options, BATCH_NORM_FN_OPTIONS, 'batchNorm');
  const { weight = null, bias = null, training = false, momentum = 0.1, eps = 1e-5, groups = 1 } = options;
  checkFlag(training, 'training', 'batchNorm');
  const where = 'batchNorm';
  if (training) {
    const layout = batchLayout(x.shape, groups, where);
    checkBatchCount(x.shape, layout, where);
    const { mean, variance } = momentsComposite(x, layout);
    if (runningMean !== null || runningVar !== null) {
      const stats = detachedMoments(x, layout);
      updateRunningStats(runningMean, runningVar, stats.mean, stats.variance, layout, momentum, true, where);
    }
    return normalizeWithComposite(x, mean, variance, layout, eps, weight, bias);
  }
  if (runningMean === null || runningVar === null) {
    throw new Error(`${where}: running_mean and running_var must be given when training is false`);
  }
  const layout = batchLayout(x.shape, 1, where);
  const [m, v] = runningAsStats(runningMean, runningVar, x);
  return normalizeWithComposite(x, m, v, layout, eps, weight, bias);
}

/**
 * GroupNorm as a composite.
 *
 * @example
 * ```ts
 * import { randn } from 'tsgrad';
 * const y = groupNormComposite(randn([2, 6, 3, 3]), 3);
 * ```
 */
export function groupNormComposite(x: Tensor, numGroups: number, options: GroupNormFnOptions = {}): Tensor {
  checkOptions(options, GROUP_NORM_FN_OPTIONS, 'groupNorm');
  const { weight = null, bias = null, eps = 1e-5 } = options;
  const layout = groupLayout(x.shape, numGroups, 'groupNorm');
  const { mean, variance } = momentsComposite(x, layout);
  return normalizeWithComposite(x, mean, variance, layout, eps, weight, bias);
}

/**
 * LayerNorm as a composite.
 *
 * @example
 * ```ts
 * import { randn } from 'tsgrad';
 * const y = layerNormComposite(randn([2, 5, 4]), [4]);
 * ```
 */
export function layerNormComposite(x: Tensor, normalizedShape: readonly number[], options: LayerNormFnOptions = {}): Tensor {
  checkOptions(options, GROUP_NORM_FN_OPTIONS, 'layerNorm');
  const { weight = null, bias = null, eps = 1e-5 } = options;
  const layout = layerLayout(x.shape, normalizedShape, 'layerNorm');
  const { mean, variance } = momentsComposite(x, layout);
  return normalizeWithComposite(x, mean, variance, layout, eps, weight, bias);
}

/**
 * InstanceNorm as a composite.
 *
 * @example
 * ```ts
 * import { randn } from 'tsgrad';
 * const y = instanceNormComposite(randn([2, 3, 4, 4]));
 * ```
 */
export function instanceNormComposite(x: Tensor, options: InstanceNormFnOptions = {}): Tensor {
  checkOptions(options, INSTANCE_NORM_FN_OPTIONS, 'instanceNorm');
  const {
    runningMean = null, runningVar = null, weight = null, bias = null, useInputStats = true, momentum = 0.1, eps = 1e-5,
  } = options;
  const where = 'instanceNorm';
  if (useInputStats) {
    const layout = instanceLayout(x.shape, where);
    checkInstanceCount(x.shape, layout);
    const { mean, variance } = momentsComposite(x, layout);
    if (runningMean !== null || runningVar !== null) {
      const stats = detachedMoments(x, layout);
      updateRunningStats(runningMean, runningVar, stats.mean, stats.variance, layout, momentum, true, where);
    }
    return normalizeWithComposite(x, mean, variance, layout, eps, weight, bias);
  }
  if (runningMean === null || runningVar === null) {
    throw new Error(`${where}: Expected running_mean and running_var to be defined when use_input_stats is false`);
  }
  const layout = batchLayout(x.shape, 1, where);
  const [m, v] = runningAsStats(runningMean, runningVar, x);
  return normalizeWithComposite(x, m, v, layout, eps, weight, bias);
}
