// Dropout: a composite (x times a constant random mask).
import { Tensor } from '../../autograd/tensor.js';
import type { DType } from '../../tensor/dtype.js';
import { NDArray } from '../../tensor/ndarray.js';
import { checkFlag } from '../../tensor/options.js';
import { defaultGenerator, Generator } from '../../tensor/rng.js';
import { formatValue } from '../../tensor/shape.js';
import { checkTensor } from './args.js';

/**
 * Zeroes each element with probability p and scales the survivors by 1/(1 − p), so the expected
 * value is unchanged, as `torch.nn.functional.dropout`; the identity when `training` is false or
 * p = 0, and all zeros when p = 1. The mask comes from `generator` (default: the global one that
 * `manualSeed` seeds), so a seeded run repeats exactly. The mask is a constant: the gradient is
 * the upstream gradient times the same mask.
 *
 * @example
 * ```ts
 * import { F, manualSeed, ones } from 'tsgrad';
 * manualSeed(0);
 * const y = F.dropout(ones([4, 4]), 0.5);      // entries 0 or 2
 * F.dropout(ones([4, 4]), 0.5, false);         // the input itself
 * ```
 */
export function dropout(x: Tensor, p = 0.5, training = true, generator: Generator = defaultGenerator): Tensor {
  checkTensor(x, 'input', 'dropout');
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`dropout: p must be a probability in [0, 1], got ${p}`);
  checkFlag(training, 'training', 'dropout');
  checkGenerator(generator, 'dropout');
  if (!training || p === 0) return x;
  return x.mul(keepMask(x.shape, x.dtype, p, generator));
}

/**
 * Throws unless `generator` is a Generator. PyTorch's fourth argument is `inplace` (a boolean);
 * here it is the generator, and `dropout(x, 0.5, true, false)` failed inside the mask's loop.
 */
function checkGenerator(generator: unknown, fn: string): void {
  if (generator instanceof Generator) return;
  const inplace = typeof generator === 'boolean' ? " (PyTorch's inplace has no counterpart: tsgrad's ops return new tensors)" : '';
  throw new Error(`${fn}: generator must be a Generator (new Generator(seed)), got ${typeof generator} ${formatValue(generator)}${inplace}`);
}

/** 1/(1 − p) with probability 1 − p, else 0, per element of `shape`. */
function keepMask(shape: readonly number[], dtype: DType, p: number, generator: Generator): Tensor {
  const mask = NDArray.zeros(shape, dtype);
  const scale = p === 1 ? 0 : 1 / (1 - p);
  // Keep an element when u ≥ p, u uniform in [0, 1): probability exactly 1 − p.
  for (let i = 0; i < mask.data.length; i++) mask.data[i] = generator.uniform() >= p ? scale : 0;
  return new Tensor(mask);
}

/**
 * Channel dropout (`torch.nn.functional.dropout2d`): in training, zeroes each whole channel of
 * [N, C, H, W] (or unbatched [C, H, W]) with probability p and scales the kept ones by 1/(1 − p).
 *
 * @example
 * ```ts
 * import { F, ones, Generator } from 'tsgrad';
 * const y = F.dropout2d(ones([1, 4, 2, 2]), 0.5, true, new Generator(0));
 * // each channel is all 0 or all 2
 * ```
 */
export function dropout2d(x: Tensor, p = 0.5, training = true, generator: Generator = defaultGenerator): Tensor {
  checkTensor(x, 'input', 'dropout2d');
  if (x.ndim !== 3 && x.ndim !== 4) throw new Error(`dropout2d: expected input of shape [N, C, H, W] (or unbatched [C, H, W]), got [${x.shape.join(', ')}]`);
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`dropout2d: p must be a probability in [0, 1], got ${p}`);
  checkFlag(training, 'training', 'dropout2d');
  checkGenerator(generator, 'dropout2d');
  if (!training || p === 0) return x;
  const channels = x.ndim === 4 ? [x.shape[0]!, x.shape[1]!, 1, 1] : [x.shape[0]!, 1, 1];
  return x.mul(keepMask(channels, x.dtype, p, generator));
}
