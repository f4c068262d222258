// Losses: nllLoss, crossEntropy and mseLoss, with PyTorch's semantics (reduction, ignoreIndex,
// class weights, label smoothing). The class lookups (w[y]·logp[y] of nllLoss, Σ_c w[c]·logp[c] of
// label smoothing) are one composite, `weightedClassSum`, that selects the terms it needs with
// `where` before multiplying by the class weights.
// NOTE: why not simply a product with a coefficient tensor that is 0 off the terms: a masked logit
// (−∞) gives logp = −∞ and −∞·0 = NaN, so F.crossEntropy([[0, −∞, 1]], [0]) was NaN where PyTorch
// (a gather) gives 1.3133. Selecting first is PyTorch's gather semantics exactly.
import { applyOp } from '../../autograd/apply.js';
import { Tensor } from '../../autograd/tensor.js';
import { NDArray } from '../../tensor/ndarray.js';
import { checkOptions, type OptionNames } from '../../tensor/options.js';
import { broadcastShapes, sameShape, shapeString } from '../../tensor/shape.js';
import { logSoftmax } from './activation.js';
import { checkReduction, checkTensor, describe, promoted, type Reduction } from './args.js';

/**
 * Integer class targets: a tensor of class indices (int32, as the data readers give; a float tensor
 * of integer values works too), or a plain array of them.
 */
export type Targets = Tensor | readonly number[] | number;

/** Options of `F.nllLoss` (PyTorch's keywords). */
export interface NllLossOptions {
  /** 'mean' (default): divided by the total weight of the non-ignored targets; 'sum'; 'none'. */
  reduction?: Reduction;
  /** Targets equal to this contribute nothing, not even to the mean's divisor (default −100). */
  ignoreIndex?: number;
  /** A weight per class, shape [C] (default: all 1). Treated as a constant. */
  weight?: Tensor | null;
}

/** Options of `F.crossEntropy`: those of `nllLoss` plus label smoothing. */
export interface CrossEntropyOptions extends NllLossOptions {
  /** ε in [0, 1]: mixes the one-hot target with the uniform distribution, as PyTorch (default 0). */
  labelSmoothing?: number;
}

export const NLL_LOSS_OPTIONS: OptionNames<NllLossOptions> = { reduction: true, ignoreIndex: true, weight: true };
export const CROSS_ENTROPY_OPTIONS: OptionNames<CrossEntropyOptions> = { ...NLL_LOSS_OPTIONS, labelSmoothing: true };

/** Checked targets and per-element class weights, derived from the input's shape [N, C, d…] or [C]. */
interface TargetInfo {
  /** The classes dim of the input (1, or 0 for an unbatched [C] input). */
  classDim: number;
  classes: number;
  /** Flat target classes, row-major over the target shape. */
  target: Int32Array;
  /** Per target: w[y], or 0 where y = ignoreIndex. */
  targetWeight: Float64Array;
  /** Per target: 1 where y = ignoreIndex. */
  ignored: Uint8Array;
  /** The class weights as plain numbers (all 1 without a weight). */
  classWeight: Float64Array;
}

function readTargets(fn: string, input: Tensor, targets: Targets, ignoreIndex: number, weight: Tensor | null | undefined): TargetInfo {
  checkTensor(input, 'input', fn);
  if (input.ndim === 0) {
    throw new Error(`${fn}: expected an input of shape [N, C] or [N, C, d1, …] (or unbatched [C]), got shape []`);
  }
  if (!Number.isInteger(ignoreIndex)) throw new Error(`${fn}: ignoreIndex must be an integer, got ${ignoreIndex}`);
  const classDim = input.ndim === 1 ? 0 : 1;
  const classes = input.shape[classDim]!;
  const targetShape = input.shape.filter((_, d) => d !== classDim);
  let values: ArrayLike<number>;
  let givenShape: readonly number[];
  if (targets instanceof Tensor) {
    if (targets.dtype === 'bool') throw new Error(`${fn}: targets must be class indices (int32, or integer-valued floats), got a bool tensor`);
    values = targets.toArray();
    givenShape = targets.shape;
  } else if (typeof targets === 'number') {
    values = [targets];
    givenShape = [];
  } else if (Array.isArray(targets)) {
    values = targets;
    givenShape = [targets.length];
  } else {
    throw new Error(`${fn}: targets must be a Tensor or an array of class indices, got ${describe(targets)}`);
  }
  if (!sameShape(givenShape, targetShape)) {
    const probabilities = fn === 'crossEntropy'
      ? sameShape(givenShape, input.shape)
        ? `; class-probability targets of the input's shape must be float32 or float64, got ${targets instanceof Tensor ? targets.dtype : 'an array'} (convert with .to('float32'))`
        : `, or class probabilities of the input's shape ${shapeString(input.shape)}`
      : '; class-probability targets are taken by crossEntropy, not nllLoss';
    throw new Error(`${fn}: expected targets of shape ${shapeString(targetShape)} (class indices) for an input of shape ${shapeString(input.shape)}, got ${shapeString(givenShape)}${probabilities}`);
  }
  let classWeight = new Float64Array(classes).fill(1);
  if (weight !== undefined && weight !== null) {
    checkClassWeight(fn, weight, classes, input);
    classWeight = Float64Array.from(weight.toArray());
  }
  const target = new Int32Array(values.length);
  const targetWeight = new Float64Array(values.length);
  const ignored = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const y = values[i]!;
    if (!Number.isInteger(y)) {
      throw new Error(`${fn}: target ${y} at flat index ${i} is not an integer class index`);
    }
    if (y === ignoreIndex) {
      ignored[i] = 1;
      continue;
    }
    if (y < 0 || y >= classes) {
      throw new Error(`${fn}: target ${y} at flat index ${i} is out of range for ${classes} classes (expected 0 … ${classes - 1}, or ignoreIndex ${ignoreIndex})`);
    }
    target[i] = y;
    targetWeight[i] = classWeight[y]!;
  }
  return { classDim, classes, target, targetWeight, ignored, classWeight };
}

/** Throws unless `weight` is a Tensor of shape [classes] (one weight per class of `input`). */
function checkClassWeight(fn: string, weight: unknown, classes: number, input: Tensor): asserts weight is Tensor {
  checkTensor(weight, 'weight', fn);
  if (weight.ndim !== 1 || weight.shape[0] !== classes) {
    throw new Error(`${fn}: weight must have shape [${classes}] (one per class of the input ${shapeString(input.shape)}), got ${shapeString(weight.shape)}`);
  }
}

/**
 * Which terms of each target's class sum `weightedClassSum` takes: 'target' is w[y_t]·x[t, y_t]
 * alone (nllLoss); 'allClasses' is Σ_c w[c]·x[t, c] (label smoothing). Ignored targets give 0.
 */
type ClassTerms = 'target' | 'allClasses';

/**
 * out[t] = Σ over the chosen terms of coef·x[t, c], shaped like the targets: a gather written as a
 * composite, x selected by `where` (x at the terms, 0 elsewhere), times a constant coefficient
 * tensor, summed over the classes. Its gradient is g[t]·coef at exactly those terms and 0
 * elsewhere, so a −∞ logit that is not a term contributes neither a value nor a NaN, and the
 * composite stays differentiable twice (createGraph).
 * NOTE: a term whose coefficient is 0 (a class weight of 0) is still multiplied, so 0·(−∞) = NaN
 * there, as in PyTorch (nll_loss multiplies −input[t]·w[t]; label smoothing multiplies input by
 * weight): only the terms PyTorch never touches are dropped.
 */
function weightedClassSum(input: Tensor, info: TargetInfo, terms: ClassTerms): Tensor {
  // The input is [outer, C, inner] around its classes dim; target t = n·inner + s.
  const inner = input.shape.slice(info.classDim + 1).reduce((p, d) => p * d, 1);
  const classes = info.classes;
  const coef = NDArray.zeros(input.shape, input.dtype);
  const taken = NDArray.zeros(input.shape, 'bool');
  for (let t = 0; t < info.target.length; t++) {
    if (info.ignored[t]) continue;
    const n = Math.floor(t / inner);
    const s = t - n * inner;
    const first = terms === 'target' ? info.target[t]! : 0;
    const last = terms === 'target' ? info.target[t]! : classes - 1;
    for (let c = first; c <= last; c++) {
      const at = (n * classes + c) * inner + s;
      coef.data[at] = terms === 'target' ? info.targetWeight[t]! : info.classWeight[c]!;
      taken.data[at] = 1;
    }
  }
  const zero = new Tensor(NDArray.scalar(0, input.dtype));
  const picked = applyOp('where', [new Tensor(taken), input, zero], undefined);
  return picked.mul(new Tensor(coef)).sum(info.classDim);
}

/** Sum of the weights of non-ignored targets: the divisor of 'mean' (0/0 = NaN if all are ignored, as PyTorch). */
function totalWeight(info: TargetInfo): number {
  let s = 0;
  for (const w of info.targetWeight) s += w;
  return s;
}

function reduce(loss: Tensor, reduction: Reduction, divisor: number): Tensor {
  if (reduction === 'none') return loss;
  const sum = loss.sum();
  return reduction === 'sum' ? sum : sum.div(divisor);
}

/**
 * The negative log-likelihood loss on log-probabilities, as `torch.nn.functional.nll_loss`:
 * loss_i = −w[y_i]·logProbs[i, y_i] (0 where y_i = ignoreIndex). Input [N, C] or [N, C, d1, …] (or
 * [C]); targets [N] or [N, d1, …] (or a single class): class indices, as a tensor or an array.
 * 'mean' divides the sum by Σ w[y_i] over the non-ignored targets.
 *
 * @example
 * ```ts
 * import { F, randn } from 'tsgrad';
 * const logp = F.logSoftmax(randn([4, 10]), 1);
 * const loss = F.nllLoss(logp, [3, 1, 0, 9]);
 * ```
 */
export function nllLoss(logProbs: Tensor, targets: Targets, options: NllLossOptions = {}): Tensor {
  const fn = 'nllLoss';
  checkOptions(options, NLL_LOSS_OPTIONS, fn);
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, fn);
  const info = readTargets(fn, logProbs, targets, options.ignoreIndex ?? -100, options.weight);
  return nllFromInfo(logProbs, info, reduction);
}

function nllFromInfo(logProbs: Tensor, info: TargetInfo, reduction: Reduction): Tensor {
  const loss = weightedClassSum(logProbs, info, 'target').neg();
  return reduce(loss, reduction, totalWeight(info));
}

/**
 * Cross-entropy between logits and class-index targets, as `torch.nn.functional.cross_entropy`:
 * nllLoss(logSoftmax(logits, classDim), targets). With label smoothing ε it returns
 * (1 − ε)·nll + ε/C · smooth, where smooth_i = −Σ_c w[c]·logp[i, c] (0 for ignored targets), reduced
 * the same way ('mean' divides by Σ w[y_i] over non-ignored targets, or by their count without
 * weights) — exactly PyTorch's formula.
 *
 * Probability targets: a float tensor of the logits' own shape holds a distribution t over the
 * classes for each sample, as PyTorch ≥ 1.10: loss_i = −Σ_c w[c]·t'[i, c]·logp[i, c] with
 * t' = (1 − ε)·t + ε/C under label smoothing ε; 'mean' divides the sum by the number of samples
 * (N·d1·…, not by the weights), 'none' keeps one loss per sample. `ignoreIndex` is an error there
 * (as PyTorch). NOTE: the targets are not checked to be non-negative or to sum to 1 — PyTorch does
 * not check either, and tsgrad computes the same formula for any values (so t = 2·onehot gives
 * twice the loss). A −∞ logit gives NaN here even where its target is 0 (−∞·0), as in PyTorch.
 *
 * @example
 * ```ts
 * import { F, randn } from 'tsgrad';
 * const logits = randn([4, 10], { requiresGrad: true });
 * const loss = F.crossEntropy(logits, [3, 1, 0, 9], { labelSmoothing: 0.1 });
 * loss.backward();
 * // Soft targets: one distribution over the 10 classes per sample.
 * const soft = F.crossEntropy(logits, F.softmax(randn([4, 10]), 1));
 * ```
 */
export function crossEntropy(logits: Tensor, targets: Targets, options: CrossEntropyOptions = {}): Tensor {
  const fn = 'crossEntropy';
  checkOptions(options, CROSS_ENTROPY_OPTIONS, fn);
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, fn);
  const eps = options.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new Error(`${fn}: labelSmoothing must be in [0, 1], got ${eps}`);
  if (isProbabilityTarget(logits, targets)) return crossEntropyProbabilities(logits, targets, options, reduction, eps);
  const info = readTargets(fn, logits, targets, options.ignoreIndex ?? -100, options.weight);
  const logp = logSoftmax(logits, info.classDim);
  const nll = nllFromInfo(logp, info, reduction);
  if (eps === 0) return nll;
  // smooth_i = −Σ_c w[c]·logp[i, c], zeroed for ignored targets.
  const smooth = weightedClassSum(logp, info, 'allClasses').neg();
  let count = 0;
  for (const flag of info.ignored) count += 1 - flag;
  const divisor = options.weight !== undefined && options.weight !== null ? totalWeight(info) : count;
  return nll.mul(1 - eps).add(reduce(smooth, reduction, divisor).mul(eps / info.classes));
}

/** True for class-probability targets: a float tensor of the logits' shape (PyTorch's test). */
function isProbabilityTarget(logits: Tensor, targets: Targets): targets is Tensor {
  return logits instanceof Tensor && targets instanceof Tensor && (targets.dtype === 'float32' || targets.dtype === 'float64') &&
    logits.ndim > 0 && sameShape(targets.shape, logits.shape);
}

/**
 * crossEntropy with class-probability targets, PyTorch's `cross_entropy_loss_prob_target`:
 * −Σ_c w[c]·t'[·, c]·logp[·, c] summed over the classes dim, then reduced; 'mean' divides by
 * numel / C. Differentiable in the targets too (∂/∂t = −w·(1 − ε)·logp, as PyTorch); the class
 * weights are constants, as in the class-index path.
 */
function crossEntropyProbabilities(logits: Tensor, targets: Tensor, options: CrossEntropyOptions, reduction: Reduction, eps: number): Tensor {
  const fn = 'crossEntropy';
  if (options.ignoreIndex !== undefined && options.ignoreIndex >= 0) {
    throw new Error(`${fn}: ignoreIndex (${options.ignoreIndex}) is not supported for class-probability targets (as PyTorch)`);
  }
  const classDim = logits.ndim === 1 ? 0 : 1;
  const classes = logits.shape[classDim]!;
  const [x, t] = promoted(logits, targets);
  let target = t!;
  if (eps > 0) target = target.mul(1 - eps).add(eps / classes);
  let terms = logSoftmax(x!, classDim).mul(target);
  const weight = options.weight;
  if (weight !== undefined && weight !== null) {
    checkClassWeight(fn, weight, classes, logits);
    const along = logits.shape.map((d, k) => (k === classDim ? d : 1));
    terms = terms.mul(weight.detach().to(terms.dtype).reshape(along));
  }
  const loss = terms.sum(classDim).neg();
  return reduce(loss, reduction, logits.numel / classes);
}

/** Options of `F.mseLoss`. */
export interface MseLossOptions {
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
}

export const MSE_LOSS_OPTIONS: OptionNames<MseLossOptions> = { reduction: true };

/**
 * The mean squared error (input − target)², reduced as PyTorch's `mse_loss` (the operands
 * broadcast, as in PyTorch, with its warning when the target's shape is not the input's).
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.mseLoss(tensor([1, 2, 3]), tensor([1, 2, 5])).item(); // 4/3
 * ```
 */
export function mseLoss(input: Tensor, target: Tensor, options: MseLossOptions = {}): Tensor {
  checkOptions(options, MSE_LOSS_OPTIONS, 'mseLoss');
  return pointwiseLoss('mseLoss', input, target, options.reduction, (d) => d.mul(d));
}

/** The function and shape pairs warned about: PyTorch warns once per call site, not every step. */
const warnedTargetShapes = new Set<string>();

/**
 * PyTorch's warning, as a Node process warning, when the target's shape is not the input's: the
 * loss broadcasts them (what PyTorch computes), but an input [N, 1] against a target [N] gives N×N
 * differences — a loss that trains without complaint and is wrong. Once per function and pair of
 * shapes.
 */
function warnIfTargetShapeDiffers(fn: string, input: Tensor, target: Tensor): void {
  if (sameShape(input.shape, target.shape)) return;
  const key = `${fn} ${shapeString(input.shape)} ${shapeString(target.shape)}`;
  if (warnedTargetShapes.has(key)) return;
  warnedTargetShapes.add(key);
  process.emitWarning(
    `${fn}: a target of shape ${shapeString(target.shape)} is not the input's shape ${shapeString(input.shape)}; `
      + 'they broadcast (as in PyTorch, which warns too), which will likely give a wrong loss. Give the target the input\'s shape.',
    { code: 'TSGRAD_TARGET_SHAPE' },
  );
}

/**
 * A loss of the difference input − target, elementwise, then reduced. The operands broadcast, as
 * in PyTorch, with its warning when their shapes differ.
 */
export function pointwiseLoss(fn: string, input: Tensor, target: Tensor, reductionOption: Reduction | undefined, perElement: (d: Tensor) => Tensor): Tensor {
  checkTensor(input, 'input', fn);
  checkTensor(target, 'target', fn);
  const reduction = reductionOption ?? 'mean';
  checkReduction(reduction, fn);
  broadcastShapes(input.shape, target.shape, fn);
  warnIfTargetShapeDiffers(fn, input, target);
  const [a, b] = promoted(input, target);
  const values = perElement(a.sub(b));
  if (reduction === 'none') return values;
  return reduction === 'sum' ? values.sum() : values.mean();
}

/** Options of `F.l1Loss`. */
export interface L1LossOptions {
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
}

export const L1_LOSS_OPTIONS: OptionNames<L1LossOptions> = { reduction: true };

/**
 * The mean absolute error |input − target|, reduced as PyTorch's `l1_loss` (operands broadcast,
 * with PyTorch's warning when the target's shape is not the input's).
 * NOTE: the gradient at input = target is 0 (abs's subgradient), as PyTorch.
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.l1Loss(tensor([1, 2, 3]), tensor([1, 4, 2])).item(); // 1
 * ```
 */
export function l1Loss(input: Tensor, target: Tensor, options: L1LossOptions = {}): Tensor {
  checkOptions(options, L1_LOSS_OPTIONS, 'l1Loss');
  return pointwiseLoss('l1Loss', input, target, options.reduction, (d) => d.abs());
}
