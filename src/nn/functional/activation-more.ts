// More activations, each a composite of primitives (so twice differentiable): silu, softsign,
// prelu, glu. The others of PyTorch's list that need clamp/log1p/expm1 come with those ops.
import type { Tensor } from '../../autograd/tensor.js';
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
