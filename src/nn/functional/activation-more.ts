// More activations, each a composite of primitives (so twice differentiable): silu, softsign,
// prelu, glu, and the piecewise ones built on where/clamp/log1p: elu, selu, softplus, mish,
// hardtanh, relu6, hardswish, hardsigmoid, logSigmoid. Each follows torch 1.13's CPU formula
// (checked bitwise against it where the order of operations allows), and its kinks take the side
// PyTorch's backward takes unless a NOTE says otherwise.
import type { Tensor } from '../../autograd/tensor.js';
import { where } from '../../autograd/where.js';
import { checkOptions, type OptionNames } from '../../tensor/options.js';
import { normalizeDim, shapeString } from '../../tensor/shape.js';
import { checkTensor, promoted } from './args.js';

/**
 * SiLU (swish): x·σ(x), as `torch.nn.functional.silu`.
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.silu(tensor([0, 1])).toArray(); // [0, 0.7311]
 * ```
 */
export function silu(x: Tensor): Tensor {
  checkTensor(x, 'input', 'silu');
  return x.mul(x.sigmoid());
}

/**
 * Softsign: x / (1 + |x|), as `torch.nn.functional.softsign`.
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.softsign(tensor([-1, 3])).toArray(); // [-0.5, 0.75]
 * ```
 */
export function softsign(x: Tensor): Tensor {
  checkTensor(x, 'input', 'softsign');
  return x.div(x.abs().add(1));
}

/**
 * PReLU: x for x > 0, else a·x, with a learned slope `weight` (one value, or one per channel of
 * dim 1), as `torch.nn.functional.prelu`. Computed as relu(x) − a·relu(−x) (exact on both sides).
 * NOTE: at exactly x = 0 the gradient with respect to x is 0 (relu's subgradient); PyTorch uses a.
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.prelu(tensor([-2, 3]), tensor([0.25])).toArray(); // [-0.5, 3]
 * ```
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  const fn = 'prelu';
  checkTensor(x, 'input', fn);
  checkTensor(weight, 'weight', fn);
  const channels = x.ndim >= 2 ? x.shape[1]! : 1;
  if (weight.ndim > 1 || (weight.numel !== 1 && weight.numel !== channels)) {
    throw new Error(`${fn}: weight must hold 1 value or one per channel (${channels}) of the input of shape ${shapeString(x.shape)}, got shape ${shapeString(weight.shape)}`);
  }
  const [xp, wp] = promoted(x, weight);
  // One slope per channel broadcasts along dim 1: [C, 1, …, 1].
  const a = wp.numel === 1 ? wp.reshape([]) : wp.reshape([channels, ...new Array<number>(Math.max(0, x.ndim - 2)).fill(1)]);
  return xp!.relu().sub(a.mul(xp!.neg().relu()));
}

/**
 * Gated linear unit: the input halved along `dim` into a and b, a·σ(b), as
 * `torch.nn.functional.glu` (default dim −1).
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.glu(tensor([[1, 2, 0, 0]])).toArray(); // [0.5, 1]
 * ```
 */
export function glu(x: Tensor, dim = -1): Tensor {
  const fn = 'glu';
  checkTensor(x, 'input', fn);
  const d = normalizeDim(dim, x.ndim, fn);
  const size = x.shape[d]!;
  if (size % 2 !== 0) throw new Error(`${fn}: halving dim ${dim} needs an even size, got ${size} (shape ${shapeString(x.shape)})`);
  return x.narrow(d, 0, size / 2).mul(x.narrow(d, size / 2, size / 2).sigmoid());
}

/** Throws unless `value` is a finite number (an option of `fn`). */
function finiteOption(value: unknown, name: string, fn: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${fn}: ${name} must be a finite number, got ${String(value)}`);
  return value;
}

/** Options of `F.elu`. */
export interface EluOptions {
  /** The scale of the negative side, α (default 1). */
  alpha?: number;
}

export const ELU_OPTIONS: OptionNames<EluOptions> = { alpha: true };

/**
 * α·(e^x − 1) where x ≤ 0, else x (the branch taken at 0 is the exponential one, as PyTorch's, so
 * the gradient there is α — as PyTorch's backward), for `elu(x, scale)` with scale on both sides.
 */
function scaledElu(x: Tensor, alpha: number, scale: number): Tensor {
  // torch 1.13's kernel: x ≤ 0 ? (exp(x) − 1)·(α·scale) : x·scale (exp − 1, not expm1). The
  // exponential side sees x only where x ≤ 0, else 0: on the discarded side e^x could overflow
  // (or be NaN at a NaN x), and its zero gradient times ∞ or NaN is NaN.
  // `x ≤ 0` picks the exponential side, as torch's kernel tests it: a NaN takes the linear side,
  // so its gradient is scale (torch's), not the NaN of the exponential side.
  const exponentialSide = x.le(0);
  const negative = where(exponentialSide, x, 0).exp().sub(1).mul(alpha * scale);
  return where(exponentialSide, negative, scale === 1 ? x : x.mul(scale));
}

/**
 * The exponential linear unit: x for x > 0, else α·(e^x − 1), as `torch.nn.functional.elu`
 * (default α = 1). Its gradient at 0 is α (PyTorch's backward takes the exponential side there).
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.elu(tensor([-1, 0, 2])).toArray();                 // [-0.6321, 0, 2]
 * F.elu(tensor([-1, 2]), { alpha: 0.5 }).toArray();    // [-0.3161, 2]
 * ```
 */
export function elu(x: Tensor, options: EluOptions = {}): Tensor {
  checkOptions(options, ELU_OPTIONS, 'elu');
  checkTensor(x, 'input', 'elu');
  return scaledElu(x, eluAlpha(options, 'elu'), 1);
}

/**
 * The checked α of ELU options (shared with nn.ELU, which checks at construction). The options
 * object is checked here too, as nn.ELU's constructor hands it over as given.
 */
export function eluAlpha(options: EluOptions, fn: string): number {
  checkOptions(options, ELU_OPTIONS, fn);
  return finiteOption(options.alpha ?? 1, 'alpha', fn);
}

/** SELU's α and scale (Klambauer et al. 2017), the constants of `torch.nn.functional.selu`. */
const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/**
 * The scaled exponential linear unit: scale·x for x > 0, else scale·α·(e^x − 1), with PyTorch's
 * constants α = 1.6733 and scale = 1.0507, as `torch.nn.functional.selu`. Gradient at 0: scale·α.
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.selu(tensor([-1, 0, 1])).toArray(); // [-1.1113, 0, 1.0507]
 * ```
 */
export function selu(x: Tensor): Tensor {
  checkTensor(x, 'input', 'selu');
  return scaledElu(x, SELU_ALPHA, SELU_SCALE);
}

/** Options of `F.softplus`. */
export interface SoftplusOptions {
  /** β of log(1 + e^(βx))/β (default 1; non-zero). */
  beta?: number;
  /** Above β·x > threshold the function is the identity (default 20). */
  threshold?: number;
}

export const SOFTPLUS_OPTIONS: OptionNames<SoftplusOptions> = { beta: true, threshold: true };

/**
 * Softplus: log(1 + e^(β·x))/β, and x itself where β·x > threshold (where the two agree to rounding),
 * as `torch.nn.functional.softplus` (β = 1, threshold = 20 by default).
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.softplus(tensor([0, 1, 30])).toArray();           // [0.6931, 1.3133, 30]
 * F.softplus(tensor([1]), { beta: 2 }).toArray();     // [1.0635]
 * ```
 */
export function softplus(x: Tensor, options: SoftplusOptions = {}): Tensor {
  checkOptions(options, SOFTPLUS_OPTIONS, 'softplus');
  checkTensor(x, 'input', 'softplus');
  const { beta, threshold } = softplusParams(options, 'softplus');
  const bx = x.mul(beta);
  // The clamp keeps exp finite on the branch `where` discards: e^(βx) = ∞ there would make its
  // (zero) gradient 0·∞ = NaN. Below the threshold it changes nothing.
  const smooth = bx.clamp(null, threshold).exp().log1p().div(beta);
  return where(bx.gt(threshold), x, smooth);
}

/**
 * The checked β and threshold of softplus options (shared with nn.Softplus, whose constructor
 * hands its options over as given: the object is checked here too).
 */
export function softplusParams(options: SoftplusOptions, fn: string): Required<SoftplusOptions> {
  checkOptions(options, SOFTPLUS_OPTIONS, fn);
  const beta = finiteOption(options.beta ?? 1, 'beta', fn);
  if (beta === 0) throw new Error(`${fn}: beta must not be 0 (log(1 + e^(βx))/β divides by it)`);
  const threshold = options.threshold ?? 20;
  if (typeof threshold !== 'number' || Number.isNaN(threshold)) throw new Error(`${fn}: threshold must be a number, got ${String(threshold)}`);
  return { beta, threshold };
}

/**
 * Mish: x·tanh(softplus(x)), as `torch.nn.functional.mish`. NOTE: softplus here uses the threshold
 * 20 (PyTorch's mish kernel has none); above 20, tanh of either is 1 to the last bit in float64 and
 * float32, so values and gradients agree, and e^x cannot overflow into a NaN gradient.
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.mish(tensor([-1, 0, 1])).toArray(); // [-0.3034, 0, 0.8651]
 * ```
 */
export function mish(x: Tensor): Tensor {
  checkTensor(x, 'input', 'mish');
  return x.mul(softplus(x).tanh());
}

/**
 * `y` (computed from `x`) with its gradient kept only where lo < x < hi: PyTorch's hardsigmoid
 * backward passes 0 at the clamp's edges themselves (where clamp's own gradient passes 1) and at NaN.
 * The value is unchanged (`where` picks y or its detached copy).
 */
function gradStrictlyInside(y: Tensor, x: Tensor, lo: number, hi: number): Tensor {
  return where(x.gt(lo).logicalAnd(x.lt(hi)), y, y.detach());
}

/** Options of `F.hardtanh`. */
export interface HardtanhOptions {
  /** The lower bound (default −1). */
  minVal?: number;
  /** The upper bound (default 1; not below minVal). */
  maxVal?: number;
}

export const HARDTANH_OPTIONS: OptionNames<HardtanhOptions> = { minVal: true, maxVal: true };

/**
 * x clamped to [minVal, maxVal] (default [−1, 1]), as `torch.nn.functional.hardtanh`. The gradient
 * is 1 strictly inside and 0 at and beyond the bounds, and 1 at a NaN (PyTorch's backward). NOTE: minVal > maxVal
 * is an error here (torch's F.hardtanh returns maxVal everywhere; its nn.Hardtanh asserts).
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.hardtanh(tensor([-2, 0.5, 3])).toArray();                         // [-1, 0.5, 1]
 * F.hardtanh(tensor([-2, 0.5, 3]), { minVal: 0, maxVal: 2 }).toArray(); // [0, 0.5, 2]
 * ```
 */
export function hardtanh(x: Tensor, options: HardtanhOptions = {}): Tensor {
  checkOptions(options, HARDTANH_OPTIONS, 'hardtanh');
  checkTensor(x, 'input', 'hardtanh');
  const { minVal, maxVal } = hardtanhBounds(options, 'hardtanh');
  // torch's backward: 0 where x ≤ minVal or x ≥ maxVal, else the gradient — so a NaN passes it
  // (x itself there, whose value clamp would also give), and the bounds pass 0.
  return where(x.le(minVal).logicalOr(x.ge(maxVal)), x.clamp(minVal, maxVal).detach(), x);
}

/**
 * The checked bounds of hardtanh options (shared with nn.Hardtanh, whose constructor hands its
 * options over as given: the object is checked here too).
 */
export function hardtanhBounds(options: HardtanhOptions, fn: string): Required<HardtanhOptions> {
  checkOptions(options, HARDTANH_OPTIONS, fn);
  const minVal = options.minVal ?? -1;
  const maxVal = options.maxVal ?? 1;
  for (const [name, v] of [['minVal', minVal], ['maxVal', maxVal]] as const) {
    if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`${fn}: ${name} must be a number, got ${String(v)}`);
  }
  if (minVal > maxVal) throw new Error(`${fn}: minVal (${minVal}) must not exceed maxVal (${maxVal})`);
  return { minVal, maxVal };
}

/**
 * min(max(x, 0), 6), as `torch.nn.functional.relu6` (hardtanh on [0, 6]: gradient 0 at 0 and 6).
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.relu6(tensor([-1, 3, 8])).toArray(); // [0, 3, 6]
 * ```
 */
export function relu6(x: Tensor): Tensor {
  checkTensor(x, 'input', 'relu6');
  return hardtanh(x, { minVal: 0, maxVal: 6 });
}

/**
 * Hard swish: x·min(max(x + 3, 0), 6)/6, as `torch.nn.functional.hardswish`. At x = ±3 the gradient
 * is x/3 + 1/2 (−0.5 and 1.5), as PyTorch's backward (clamp's gradient includes its bounds).
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.hardswish(tensor([-4, 0, 1, 4])).toArray(); // [0, 0, 0.6667, 4]
 * ```
 */
export function hardswish(x: Tensor): Tensor {
  checkTensor(x, 'input', 'hardswish');
  // NOTE: at a NaN x the gradient here is NaN, torch's passes g; masking the NaN out costs three
  // more passes over x (measured 129 → 263 ms for fwd+bwd of [32, 64, 32, 32]), not done.
  return x.mul(x.add(3).clamp(0, 6)).div(6);
}

/**
 * Hard sigmoid: min(max(x + 3, 0), 6)/6, as `torch.nn.functional.hardsigmoid`; the gradient is 1/6
 * strictly inside (−3, 3) and 0 elsewhere, as PyTorch's backward. NOTE: torch 1.13's backward
 * multiplies by the float32 constant 1/6 even in float64 (0.16666667163…); tsgrad's is 1/6 in the
 * tensor's dtype.
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.hardsigmoid(tensor([-4, 0, 1.5, 4])).toArray(); // [0, 0.5, 0.75, 1]
 * ```
 */
export function hardsigmoid(x: Tensor): Tensor {
  checkTensor(x, 'input', 'hardsigmoid');
  return gradStrictlyInside(x.add(3).clamp(0, 6).div(6), x, -3, 3);
}

/**
 * log(σ(x)) computed stably as min(x, 0) − log1p(e^(−|x|)) (torch 1.13's CPU formula, the same
 * values): finite for any x, as `torch.nn.functional.logsigmoid`. min and |x| are taken on one
 * side of 0 (where, not minimum/abs, whose subgradients at 0 would lose the curvature there), so
 * the first and second derivatives at 0 are σ(0) = 1/2 and −1/4, those of the smooth function.
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.logSigmoid(tensor([-200, 0, 5])).toArray(); // [-200, -0.6931, -0.0067]
 * ```
 */
export function logSigmoid(x: Tensor): Tensor {
  checkTensor(x, 'input', 'logSigmoid');
  const negative = x.lt(0);
  const minWithZero = where(negative, x, 0);
  const magnitude = where(negative, x.neg(), x);
  return minWithZero.sub(magnitude.neg().exp().log1p());
}
