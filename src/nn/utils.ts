/**
 * Gradient clipping, as `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`: call between
 * `loss.backward()` and `optimizer.step()`. Both rewrite the parameters' `.grad` tensors in place
 * (bumping their versions) and skip parameters whose grad is null.
 */
import { Tensor } from '../autograd/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { NDArray, copyInto } from '../tensor/ndarray.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';

/** Options of `clipGradNorm_`. */
export interface ClipGradNormOptions {
  /** Throw when the total norm is NaN or ±Infinity instead of scaling by it (default false, as PyTorch 1.13). */
  errorIfNonfinite?: boolean;
}

const CLIP_GRAD_NORM_OPTIONS: OptionNames<ClipGradNormOptions> = { errorIfNonfinite: 'flag' };

/**
 * Scales all gradients together so that their joint norm — the p-norm of every gradient element
 * of every parameter, as if concatenated into one vector — is at most `maxNorm`, exactly as
 * `torch.nn.utils.clip_grad_norm_` in PyTorch 1.13:
 *
 * ```text
 * total = ‖(‖g₁‖_p, ‖g₂‖_p, …)‖_p          (p = Infinity: the largest |element|)
 * c = min(maxNorm / (total + 1e-6), 1)      (1e-6 is PyTorch's)
 * gᵢ ← c·gᵢ                                 (every grad, even when c = 1, as PyTorch)
 * ```
 * Returns the total norm before clipping, as a 0-d tensor (float64 if any gradient is float64,
 * else float32; with no gradients at all, a float32 zero). Like PyTorch, a NaN or infinite total
 * scales the gradients by NaN or 0 unless `errorIfNonfinite` is set; tsgrad additionally rejects
 * a negative or NaN maxNorm (which would flip or poison the gradients) and norm types other than
 * a positive number or Infinity (PyTorch would compute a meaningless 0-, negative- or
 * −Infinity-"norm"). A gradient with no elements has norm 0 (PyTorch's Infinity norm fails on it).
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * const w = tensor([3, 4], { requiresGrad: true });
 * w.mul(w).sum().backward();          // grad [6, 8], norm 10
 * const total = nn.utils.clipGradNorm_([w], 5);
 * total.item();                       // 10
 * w.grad!.toArray();                  // ≈ [3, 4]
 * ```
 */
export function clipGradNorm_(params: Tensor | Iterable<Tensor>, maxNorm: number, normType = 2, options: ClipGradNormOptions = {}): Tensor {
  const where = 'clipGradNorm_';
  checkOptions(options, CLIP_GRAD_NORM_OPTIONS, where);
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) throw new Error(`${where}: maxNorm must be a number >= 0, got ${String(maxNorm)}`);
  if (typeof normType !== 'number' || !(normType > 0)) {
    throw new Error(`${where}: normType must be a number > 0 or Infinity, got ${String(normType)}`);
  }
  const grads = gradsOf(params, where);
  if (grads.length === 0) return new Tensor(NDArray.scalar(0, 'float32'));
  const dtype: DType = grads.some((g) => g.dtype === 'float64') ? 'float64' : 'float32';
  const round = roundTo(dtype);
  // Each gradient's norm (rounded to its own dtype, as PyTorch computes it there), then the norm of those.
  const norms = grads.map((g) => roundTo(g.dtype)(pNorm(g.array.flat(), normType)));
  const total = round(pNorm(norms, normType));
  if (options.errorIfNonfinite === true && !Number.isFinite(total)) {
    throw new Error(`${where}: the total norm of order ${normType} of the gradients is ${total}, so it cannot be clipped; pass { errorIfNonfinite: false } to scale the gradients by it anyway`);
  }
  // PyTorch's `max_norm / (total + 1e-6)` on a tensor is reciprocal(total + 1e-6)·max_norm, in the total's dtype.
  const coef = Math.min(round(round(1 / round(total + round(1e-6))) * round(maxNorm)), 1);
  for (const g of grads) rewrite(g, (x) => x * coef);
  return new Tensor(NDArray.scalar(total, dtype));
}

/**
 * Clamps every gradient element to [−clipValue, clipValue] in place, exactly as
 * `torch.nn.utils.clip_grad_value_` (NaN stays NaN). tsgrad rejects a negative or NaN clipValue
 * (PyTorch would clamp everything to −|clipValue|).
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * const w = tensor([1, -2, 3], { requiresGrad: true });
 * w.mul(w).sum().backward();          // grad [2, -4, 6]
 * nn.utils.clipGradValue_([w], 3);
 * w.grad!.toArray();                  // [2, -3, 3]
 * ```
 */
export function clipGradValue_(params: Tensor | Iterable<Tensor>, clipValue: number): void {
  const where = 'clipGradValue_';
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) throw new Error(`${where}: clipValue must be a number >= 0, got ${String(clipValue)}`);
  // NOTE: written so that NaN compares false both ways and passes through, as torch.clamp does.
  for (const g of gradsOf(params, where)) rewrite(g, (x) => (x > clipValue ? clipValue : x < -clipValue ? -clipValue : x));
}

/** The non-null gradients of `params` (a tensor or an iterable of them), checked. */
function gradsOf(params: Tensor | Iterable<Tensor>, where: string): Tensor[] {
  if (params instanceof Tensor) return params.grad === null ? [] : [params.grad];
  if (typeof params !== 'object' || params === null || !(Symbol.iterator in params)) {
    throw new Error(`${where}: params must be a Tensor or an iterable of Tensors (e.g. model.parameters()), got ${params === null ? 'null' : typeof params}`);
  }
  const grads: Tensor[] = [];
  let i = 0;
  for (const p of params) {
    if (!(p instanceof Tensor)) throw new Error(`${where}: params[${i}] is not a Tensor (${typeof p})`);
    if (p.grad !== null) grads.push(p.grad);
    i++;
  }
  return grads;
}

/** ‖x‖_p of a flat list: (Σ|xᵢ|^p)^(1/p), or max|xᵢ| for p = Infinity (NaN if any element is NaN). */
function pNorm(x: ArrayLike<number>, p: number): number {
  if (p === Infinity) {
    let m = 0;
    for (let i = 0; i < x.length; i++) {
      const a = Math.abs(x[i]!);
      if (a > m || Number.isNaN(a)) m = a;
      if (Number.isNaN(m)) return NaN;
    }
    return m;
  }
  let s = 0;
  if (p === 2) {
    for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
    return Math.sqrt(s);
  }
  if (p === 1) {
    for (let i = 0; i < x.length; i++) s += Math.abs(x[i]!);
    return s;
  }
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i]!) ** p;
  return s ** (1 / p);
}

/** Rounds a double to `dtype` (float32 arithmetic is a double result rounded once). */
function roundTo(dtype: DType): (x: number) => number {
  return dtype === 'float32' ? Math.fround : (x) => x;
}

/** g ← f(g) elementwise, written into g's own storage (views see it), with g's version bumped. */
function rewrite(g: Tensor, f: (x: number) => number): void {
  const values = g.array.flat().map(f);
  copyInto(g.array, new NDArray(values, [...g.shape]));
  g.markModified();
}
