// More losses, each a composite of Tensor ops (so twice differentiable), with torch 1.13's CPU
// formulas: smoothL1Loss, huberLoss, binaryCrossEntropy (logs clamped at −100),
// binaryCrossEntropyWithLogits (the max-shifted stable form, posWeight), klDiv (xlogy, 'batchmean'),
// and the distances cosineSimilarity and pairwiseDistance.
import type { Tensor } from '../../autograd/tensor.js';
import { where } from '../../autograd/where.js';
import { checkOptions, type OptionNames } from '../../tensor/options.js';
import { broadcastShapes, normalizeDim, sameShape, shapeString } from '../../tensor/shape.js';
import { checkReduction, checkTensor, promoted, type Reduction } from './args.js';
import { pointwiseLoss } from './loss.js';

/** 'mean' | 'sum' | 'none' applied to elementwise loss values. */
function reduceValues(values: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return values;
  return reduction === 'sum' ? values.sum() : values.mean();
}

/** Throws unless `value` is a number satisfying `ok` (named in `rule`). */
function numberOption(value: unknown, name: string, fn: string, ok: (v: number) => boolean, rule: string): number {
  if (typeof value !== 'number' || Number.isNaN(value) || !ok(value)) throw new Error(`${fn}: ${name} must be ${rule}, got ${String(value)}`);
  return value;
}

/** Options of `F.smoothL1Loss`. */
export interface SmoothL1LossOptions {
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
  /** Where the quadratic part ends (default 1; ≥ 0, and 0 gives the L1 loss). */
  beta?: number;
}

export const SMOOTH_L1_LOSS_OPTIONS: OptionNames<SmoothL1LossOptions> = { reduction: true, beta: true };

/**
 * The smooth L1 loss, as `torch.nn.functional.smooth_l1_loss`: with d = |input − target|,
 * 0.5·d²/β where d < β, else d − 0.5·β; β = 0 is the L1 loss. Operands broadcast, with PyTorch's
 * warning when the target's shape is not the input's. The gradient is continuous (at d = β both sides give ±1).
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.smoothL1Loss(tensor([0, 0]), tensor([0.5, 3])).item(); // (0.125 + 2.5) / 2 = 1.3125
 * ```
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options: SmoothL1LossOptions = {}): Tensor {
  const fn = 'smoothL1Loss';
  checkOptions(options, SMOOTH_L1_LOSS_OPTIONS, fn);
  const beta = numberOption(options.beta ?? 1, 'beta', fn, (v) => v >= 0 && v < Infinity, 'a finite number ≥ 0');
  return pointwiseLoss(fn, input, target, options.reduction, (d) => {
    const z = d.abs();
    if (beta === 0) return z;
    return where(z.lt(beta), z.mul(z).mul(0.5).div(beta), z.sub(0.5 * beta));
  });
}

/** Options of `F.huberLoss`. */
export interface HuberLossOptions {
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
  /** Where the quadratic part ends (default 1; > 0). */
  delta?: number;
}

export const HUBER_LOSS_OPTIONS: OptionNames<HuberLossOptions> = { reduction: true, delta: true };

/**
 * The Huber loss, as `torch.nn.functional.huber_loss`: with d = |input − target|, 0.5·d² where
 * d < δ, else δ·(d − 0.5·δ) (smoothL1Loss with β = δ, times δ). Operands broadcast, with PyTorch's
 * warning when the target's shape is not the input's.
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.huberLoss(tensor([0, 0]), tensor([0.5, 3]), { delta: 2 }).item(); // (0.125 + 4) / 2 = 2.0625
 * ```
 */
export function huberLoss(input: Tensor, target: Tensor, options: HuberLossOptions = {}): Tensor {
  const fn = 'huberLoss';
  checkOptions(options, HUBER_LOSS_OPTIONS, fn);
  const delta = numberOption(options.delta ?? 1, 'delta', fn, (v) => v > 0 && v < Infinity, 'a finite number > 0');
  return pointwiseLoss(fn, input, target, options.reduction, (d) => {
    const z = d.abs();
    return where(z.lt(delta), z.mul(z).mul(0.5), z.sub(0.5 * delta).mul(delta));
  });
}

/** Throws unless target has exactly input's shape (PyTorch's rule for the BCE losses). */
function checkSameShape(fn: string, input: Tensor, target: Tensor): void {
  checkTensor(input, 'input', fn);
  checkTensor(target, 'target', fn);
  if (!sameShape(input.shape, target.shape)) {
    throw new Error(`${fn}: target of shape ${shapeString(target.shape)} must have the input's shape ${shapeString(input.shape)}`);
  }
}

/** A weight tensor (a constant) that must broadcast to the input's shape without growing it. */
function checkWeight(fn: string, name: string, weight: Tensor, shape: readonly number[]): Tensor {
  checkTensor(weight, name, fn);
  const out = broadcastShapes(weight.shape, shape, `${fn} ${name}`);
  if (!sameShape(out, shape)) {
    throw new Error(`${fn}: ${name} of shape ${shapeString(weight.shape)} must broadcast to the input's shape ${shapeString(shape)}, it gives ${shapeString(out)}`);
  }
  return weight.detach();
}

/** The clamp of PyTorch's BCE: log values below −100 are −100 (log 0 = −∞ would give ∞·0). */
const LOG_FLOOR = -100;

/**
 * max(log(v), −100) for v ≥ 0, with v = 0 giving −100 and gradient 0 (not 0/0 = NaN: the log is
 * taken of 1 there, and the outer `where` discards it).
 */
function clampedLog(v: Tensor): Tensor {
  const positive = v.gt(0);
  return where(positive, where(positive, v, 1).log().clamp(LOG_FLOOR), LOG_FLOOR);
}

/** Options of `F.binaryCrossEntropy`. */
export interface BinaryCrossEntropyOptions {
  /** A weight per element, broadcast to the input's shape (a constant; default none). */
  weight?: Tensor | null;
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
}

const BINARY_CROSS_ENTROPY_OPTIONS: OptionNames<BinaryCrossEntropyOptions> = { weight: true, reduction: true };

/**
 * The binary cross-entropy of probabilities, as `torch.nn.functional.binary_cross_entropy`:
 * −w·(y·log(x) + (1 − y)·log(1 − x)), each log clamped below at −100 (torch 1.13 computes
 * log(1 − x), not log1p). The input must lie in [0, 1] (an error otherwise, NaN included, as
 * PyTorch); target must have the input's shape (as PyTorch; it is not range-checked, as PyTorch).
 * Gradients flow to input and target; `weight` is a constant.
 * NOTE: the gradient is the derivative of this clamped formula. PyTorch's backward instead uses
 * (x − y)/max(x·(1 − x), 1e-12): the two agree except where x·(1 − x) < 1e-12 or a clamp is
 * active (x = 0 or 1 exactly: tsgrad gives the finite derivative of the unclamped log, PyTorch
 * ±1e12-sized values; the target gradient there is ±100-based here, ±∞ in PyTorch).
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.binaryCrossEntropy(tensor([0.8, 0.1]), tensor([1, 0])).item(); // (0.2231 + 0.1054) / 2 = 0.1643
 * ```
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BinaryCrossEntropyOptions = {}): Tensor {
  const fn = 'binaryCrossEntropy';
  checkOptions(options, BINARY_CROSS_ENTROPY_OPTIONS, fn);
  checkSameShape(fn, input, target);
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, fn);
  const values = input.toArray();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v <= 1)) throw new Error(`${fn}: every element of the input must be a probability in [0, 1]; element ${i} (flat) is ${v}`);
  }
  const weight = options.weight === undefined || options.weight === null ? null : checkWeight(fn, 'weight', options.weight, input.shape);
  const [x, y, w] = promoted(input, target, weight);
  // (y − 1)·max(log(1 − x), −100) − y·max(log(x), −100), torch's order of operations.
  let loss = y!.sub(1).mul(clampedLog(x!.neg().add(1))).sub(y!.mul(clampedLog(x!)));
  if (w) loss = loss.mul(w);
  return reduceValues(loss, reduction);
}

/** Options of `F.binaryCrossEntropyWithLogits`. */
export interface BinaryCrossEntropyWithLogitsOptions extends BinaryCrossEntropyOptions {
  /** A weight of the positive term, broadcast against the target (e.g. one per class, shape [C]). */
  posWeight?: Tensor | null;
}

const BINARY_CROSS_ENTROPY_WITH_LOGITS_OPTIONS: OptionNames<BinaryCrossEntropyWithLogitsOptions> = { ...BINARY_CROSS_ENTROPY_OPTIONS, posWeight: true };

/**
 * The binary cross-entropy of logits, as `torch.nn.functional.binary_cross_entropy_with_logits`:
 * the loss of σ(x) without computing σ, in torch 1.13's stable form with m = max(−x, 0):
 * (1 − y)·x + l·(log(e^(−m) + e^(−x−m)) + m), where l = 1 + (posWeight − 1)·y (l = 1 without
 * posWeight); times `weight`. No exp can overflow, so it is finite for any logits. Target must
 * have the input's shape; `weight` and `posWeight` are constants.
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.binaryCrossEntropyWithLogits(tensor([2, -1]), tensor([1, 0])).item(); // 0.2201
 * F.binaryCrossEntropyWithLogits(tensor([[2, -1]]), tensor([[1, 1]]), { posWeight: tensor([1, 3]) });
 * ```
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: BinaryCrossEntropyWithLogitsOptions = {}): Tensor {
  const fn = 'binaryCrossEntropyWithLogits';
  checkOptions(options, BINARY_CROSS_ENTROPY_WITH_LOGITS_OPTIONS, fn);
  checkSameShape(fn, input, target);
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, fn);
  const weight = options.weight === undefined || options.weight === null ? null : checkWeight(fn, 'weight', options.weight, input.shape);
  const posWeight = options.posWeight === undefined || options.posWeight === null ? null : checkWeight(fn, 'posWeight', options.posWeight, input.shape);
  const [x, y, w, pw] = promoted(input, target, weight, posWeight);
  const m = x!.neg().clamp(0);
  // log(1 + e^(−x)) = log(e^(−m) + e^(−x−m)) + m: both exponents are ≤ 0.
  const softplusNeg = m.neg().exp().add(x!.neg().sub(m).exp()).log();
  const linear = y!.neg().add(1).mul(x!);
  let loss = pw
    ? linear.add(pw.sub(1).mul(y!).add(1).mul(softplusNeg.add(m)))
    : linear.add(m).add(softplusNeg);
  if (w) loss = loss.mul(w);
  return reduceValues(loss, reduction);
}

/** Options of `F.klDiv`. */
export interface KlDivOptions {
  /** 'mean' (default, as PyTorch: over every element), 'batchmean' (the sum / batch size: the true KL), 'sum', 'none'. */
  reduction?: Reduction | 'batchmean';
  /** The target is given as log-probabilities (default false). */
  logTarget?: boolean;
}

export const KL_DIV_OPTIONS: OptionNames<KlDivOptions> = { reduction: true, logTarget: 'flag' };

/**
 * The Kullback–Leibler divergence loss, as `torch.nn.functional.kl_div`, with `input` holding
 * log-probabilities: pointwise target·(log(target) − input), computed as xlogy(t, t) − t·input
 * (0·log 0 = 0); with `logTarget`, e^t·(t − input). 'batchmean' divides the sum by the batch size
 * (input.shape[0]), the mathematical KL divergence; 'mean' divides by the element count, as
 * PyTorch's (which warns about it). Operands broadcast.
 * NOTE: the gradient with respect to a target of exactly 0 is 0 here; torch 1.13 gives NaN (0/0
 * inside xlogy's backward).
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * const logq = F.logSoftmax(tensor([[0, 1, 2]]), 1);
 * F.klDiv(logq, tensor([[0.2, 0.3, 0.5]]), { reduction: 'batchmean' }).item(); // 0.0780
 * ```
 */
export function klDiv(input: Tensor, target: Tensor, options: KlDivOptions = {}): Tensor {
  const fn = 'klDiv';
  checkOptions(options, KL_DIV_OPTIONS, fn);
  checkTensor(input, 'input', fn);
  checkTensor(target, 'target', fn);
  const reduction = options.reduction ?? 'mean';
  if (reduction !== 'batchmean') checkReduction(reduction, fn);
  broadcastShapes(input.shape, target.shape, fn);
  const [x, t] = promoted(input, target);
  let values: Tensor;
  if (options.logTarget ?? false) {
    values = t.exp().mul(t.sub(x));
  } else {
    // xlogy(t, t): 0 where t = 0 (log taken of 1 there, so no 0·−∞ reaches the gradient).
    const zero = t.eq(0);
    values = where(zero, 0, t.mul(where(zero, 1, t).log())).sub(t.mul(x));
  }
  if (reduction !== 'batchmean') return reduceValues(values, reduction);
  const sum = values.sum();
  return x.ndim === 0 ? sum : sum.div(x.shape[0]!);
}

/** Options of `F.cosineSimilarity`. */
export interface CosineSimilarityOptions {
  /** The dim of the vectors (default 1), of the broadcast shape. */
  dim?: number;
  /** The smallest norm divided by (default 1e-8). */
  eps?: number;
}

const COSINE_SIMILARITY_OPTIONS: OptionNames<CosineSimilarityOptions> = { dim: true, eps: true };

/**
 * The cosine of the angle between x1 and x2 along `dim`, as `torch.nn.functional.cosine_similarity`
 * in torch 1.13: Σ (x1/max(‖x1‖, ε))·(x2/max(‖x2‖, ε)) (each vector normalized first; operands
 * broadcast). The result drops `dim`.
 * NOTE: this is torch 1.13's formula (checked on it): each norm is clamped at ε, not the product
 * w1·w2 at ε² (later PyTorch versions' formula); they differ only for vectors shorter than ε.
 * There, torch 1.13's gradient is not the derivative of its own forward (it clamps the norm in
 * place, so the norm's backward sees max(‖x‖, ε)); tsgrad's is the derivative (the clamped norm is
 * the constant ε). Above ε the two agree.
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.cosineSimilarity(tensor([[1, 0], [1, 1]]), tensor([[1, 1], [2, 2]])).toArray(); // [0.7071, 1]
 * ```
 */
export function cosineSimilarity(x1: Tensor, x2: Tensor, options: CosineSimilarityOptions = {}): Tensor {
  const fn = 'cosineSimilarity';
  checkOptions(options, COSINE_SIMILARITY_OPTIONS, fn);
  checkTensor(x1, 'x1', fn);
  checkTensor(x2, 'x2', fn);
  const eps = numberOption(options.eps ?? 1e-8, 'eps', fn, (v) => v >= 0 && v < Infinity, 'a finite number ≥ 0');
  const shape = broadcastShapes(x1.shape, x2.shape, fn);
  const dim = normalizeDim(options.dim ?? 1, shape.length, fn);
  const [a, b] = promoted(x1.expand(shape), x2.expand(shape));
  const unit = (v: Tensor): Tensor => v.div(v.norm(2, dim, true).clamp(eps));
  return unit(a).mul(unit(b)).sum(dim);
}

/** Options of `F.pairwiseDistance`. */
export interface PairwiseDistanceOptions {
  /** The norm's order (default 2; any number ≥ 0 or Infinity). */
  p?: number;
  /** Added to the difference before the norm (default 1e-6), as PyTorch. */
  eps?: number;
  /** Keep the last dim as size 1 (default false). */
  keepdim?: boolean;
}

const PAIRWISE_DISTANCE_OPTIONS: OptionNames<PairwiseDistanceOptions> = { p: true, eps: true, keepdim: 'flag' };

/**
 * The p-norm of x1 − x2 + ε over the last dim, as `torch.nn.functional.pairwise_distance`
 * (operands broadcast; ε keeps the gradient of the 2-norm finite when x1 = x2).
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.pairwiseDistance(tensor([[0, 0], [1, 1]]), tensor([[3, 4], [1, 1]]), { eps: 0 }).toArray(); // [5, 0]
 * ```
 */
export function pairwiseDistance(x1: Tensor, x2: Tensor, options: PairwiseDistanceOptions = {}): Tensor {
  const fn = 'pairwiseDistance';
  checkOptions(options, PAIRWISE_DISTANCE_OPTIONS, fn);
  checkTensor(x1, 'x1', fn);
  checkTensor(x2, 'x2', fn);
  const p = numberOption(options.p ?? 2, 'p', fn, (v) => v >= 0, 'a number ≥ 0 or Infinity');
  const eps = numberOption(options.eps ?? 1e-6, 'eps', fn, Number.isFinite, 'a finite number');
  broadcastShapes(x1.shape, x2.shape, fn);
  const [a, b] = promoted(x1, x2);
  const d = a.sub(b).add(eps);
  // Two 0-d operands: the norm of the one number (PyTorch reduces its dim −1, which wraps to it).
  if (d.ndim === 0) return d.norm(p);
  return d.norm(p, -1, options.keepdim ?? false);
}
