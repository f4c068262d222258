// Activations and softmax. relu, sigmoid and tanh are Tensor primitives; gelu and leakyRelu are
// primitives of their own (ops/activation.ts); softmax and logSoftmax are composites.
import { applyOp } from '../../autograd/apply.js';
import type { Tensor } from '../../autograd/tensor.js';
import { checkOptions, type OptionNames } from '../../tensor/options.js';
import { normalizeDim } from '../../tensor/shape.js';
import { checkTensor } from './args.js';

/**
 * max(x, 0) elementwise. NOTE: the gradient at exactly 0 is 0, as in PyTorch.
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.relu(tensor([-1, 0, 2])).toArray(); // [0, 0, 2]
 * ```
 */
export function relu(x: Tensor): Tensor {
  checkTensor(x, 'input', 'relu');
  return x.relu();
}

/**
 * x for x > 0, else negativeSlope·x (default slope 0.01, as PyTorch). NOTE: the gradient at exactly
 * 0 is the slope, as PyTorch's backward.
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.leakyRelu(tensor([-2, 3]), 0.1).toArray(); // [-0.2, 3]
 * ```
 */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  checkTensor(x, 'input', 'leakyRelu');
  if (!Number.isFinite(negativeSlope)) throw new Error(`leakyRelu: negativeSlope must be a finite number, got ${negativeSlope}`);
  return applyOp('leakyRelu', [x], { negativeSlope });
}

/** Options of `F.gelu`. */
export interface GeluOptions {
  /** 'none' (default): x·Φ(x) with the exact normal CDF; 'tanh': PyTorch's tanh approximation. */
  approximate?: 'none' | 'tanh';
}

export const GELU_OPTIONS: OptionNames<GeluOptions> = { approximate: true };

/**
 * The Gaussian error linear unit, as `torch.nn.functional.gelu`: x·Φ(x) = x/2·(1 + erf(x/√2)), or
 * with `approximate: 'tanh'`, x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.gelu(tensor([-1, 0, 1], { dtype: 'float64' })).toArray(); // [-0.15865…, 0, 0.84134…]
 * F.gelu(tensor([1]), { approximate: 'tanh' });
 * ```
 */
export function gelu(x: Tensor, options: GeluOptions = {}): Tensor {
  checkOptions(options, GELU_OPTIONS, 'gelu');
  checkTensor(x, 'input', 'gelu');
  const approximate = options.approximate ?? 'none';
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new Error(`gelu: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
  }
  return applyOp('gelu', [x], { approximate });
}

/**
 * 1 / (1 + e^(−x)) elementwise.
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.sigmoid(tensor([0])).item(); // 0.5
 * ```
 */
export function sigmoid(x: Tensor): Tensor {
  checkTensor(x, 'input', 'sigmoid');
  return x.sigmoid();
}

/**
 * The hyperbolic tangent elementwise.
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.tanh(tensor([0])).item(); // 0
 * ```
 */
export function tanh(x: Tensor): Tensor {
  checkTensor(x, 'input', 'tanh');
  return x.tanh();
}

/**
 * x − max(x) along `dim`, with the max detached.
 * NOTE: why the detach is right. softmax and logSoftmax are invariant to subtracting any constant
 * along `dim`, so the gradient that flows through the subtracted max is exactly zero in exact
 * arithmetic (−1 from the shift, +1 back through the normalizer). Detaching drops that path instead
 * of computing a rounding-error-sized term; and the max's own gradient (split among ties) would be
 * meaningless here. The subtraction itself is what keeps exp from overflowing on large logits.
 */
function shiftedByMax(x: Tensor, dim: number): Tensor {
  // An empty dim has no max (and nothing to shift): the result is empty, as PyTorch's.
  if (x.shape[dim] === 0) return x;
  return x.sub(x.max(dim, true).detach());
}

/**
 * e^(x_i) / Σ_j e^(x_j) along `dim`, stable for large logits (the max is subtracted first). A
 * composite: its gradient comes from exp, sum and div.
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.softmax(tensor([[1, 2, 3], [1000, 1000, 1000]]), 1); // rows sum to 1, no overflow
 * ```
 */
export function softmax(x: Tensor, dim: number): Tensor {
  checkTensor(x, 'input', 'softmax');
  const d = normalizeDim(dim, x.ndim, 'softmax');
  const e = shiftedByMax(x, d).exp();
  return e.div(e.sum(d, true));
}

/**
 * log(softmax(x)) along `dim`, computed stably as z − log Σ e^z with z = x − max(x): finite even for
 * logits like 1e4, where exp alone would overflow. A composite.
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.logSoftmax(tensor([[0, 1e4]]), 1).toArray(); // [-10000, 0]
 * ```
 */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  checkTensor(x, 'input', 'logSoftmax');
  const d = normalizeDim(dim, x.ndim, 'logSoftmax');
  const z = shiftedByMax(x, d);
  return z.sub(z.exp().sum(d, true).log());
}
