// 1-d max and average pooling over [N, C, L] (or unbatched [C, L]): the 2-d kernels on a height-1
// image, so they share their gradients (and second derivatives) with maxPool2d and avgPool2d.
import type { Tensor } from '../../autograd/tensor.js';
import { checkOptions, type OptionNames } from '../../tensor/options.js';
import { checkNdim, checkTensor, describe } from './args.js';
import { avgPool2d, maxPool2d, poolingOptions } from './pooling.js';

/** Options of `F.maxPool1d` (PyTorch's keywords). */
export interface MaxPool1dOptions {
  /** The window length. */
  kernelSize: number;
  /** Step between windows (default: the kernel size). */
  stride?: number;
  /** Implicit −∞ padding on each side (default 0; at most half the kernel size). */
  padding?: number;
  /** Spacing between window taps (default 1). */
  dilation?: number;
  /** Round the output length up instead of down (default false). */
  ceilMode?: boolean;
}

/** Options of `F.avgPool1d` (PyTorch's keywords). */
export interface AvgPool1dOptions {
  /** The window length. */
  kernelSize: number;
  /** Step between windows (default: the kernel size). */
  stride?: number;
  /** Implicit zero padding on each side (default 0; at most half the kernel size). */
  padding?: number;
  /** Round the output length up instead of down (default false). */
  ceilMode?: boolean;
  /** Count the zero padding in each window's divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
}

const MAX_POOL1D_OPTIONS: OptionNames<MaxPool1dOptions> = { kernelSize: true, stride: true, padding: true, dilation: true, ceilMode: 'flag' };
const AVG_POOL1D_OPTIONS: OptionNames<AvgPool1dOptions> = { kernelSize: true, stride: true, padding: true, ceilMode: 'flag', countIncludePad: 'flag' };

function options1d<T extends { kernelSize: number }>(options: T | number, fn: string): T {
  if (typeof options === 'number') return { kernelSize: options } as T;
  if (typeof options !== 'object' || options === null || typeof options.kernelSize !== 'number') {
    throw new Error(`${fn}: expected a kernel size (a number) or an options object with a numeric kernelSize, got ${describe(options)}`);
  }
  return options;
}

/** [N, C, L] → [N, C, 1, L] (unbatched [C, L] → [C, 1, L]), checked. */
function asImage(x: Tensor, fn: string): Tensor {
  checkTensor(x, 'input', fn);
  checkNdim(x, [2, 3], 'input', 'shape [N, C, L] (or unbatched [C, L])', fn);
  return x.unsqueeze(x.ndim - 1);
}

/**
 * 1-d max pooling (`torch.nn.functional.max_pool1d`) over the last dim of [N, C, L].
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.maxPool1d(tensor([[[1, 5, 2, 4]]]), 2).toArray();                 // Float32Array [5, 4]
 * F.maxPool1d(tensor([[[1, 5, 2, 4]]]), 2, { stride: 1 }).toArray();  // Float32Array [5, 5, 4]
 * ```
 */
export function maxPool1d(x: Tensor, options: MaxPool1dOptions | number, rest?: Omit<MaxPool1dOptions, 'kernelSize'>): Tensor {
  // A number is the kernel size (then `rest` may hold the other options, PyTorch's order); an
  // array is neither form.
  if (Array.isArray(options)) checkOptions(options as unknown as MaxPool1dOptions, MAX_POOL1D_OPTIONS, 'maxPool1d');
  const o = options1d(poolingOptions(options, rest, MAX_POOL1D_OPTIONS, 'maxPool1d') as MaxPool1dOptions | number, 'maxPool1d');
  const image = asImage(x, 'maxPool1d');
  return maxPool2d(image, {
    kernelSize: [1, o.kernelSize], stride: [1, o.stride ?? o.kernelSize], padding: [0, o.padding ?? 0], dilation: [1, o.dilation ?? 1], ceilMode: o.ceilMode ?? false,
  }).squeeze(image.ndim - 2);
}

/**
 * 1-d average pooling (`torch.nn.functional.avg_pool1d`) over the last dim of [N, C, L].
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.avgPool1d(tensor([[[1, 5, 2, 4]]]), 2).toArray(); // Float32Array [3, 3]
 * ```
 */
export function avgPool1d(x: Tensor, options: AvgPool1dOptions | number, rest?: Omit<AvgPool1dOptions, 'kernelSize'>): Tensor {
  // A number is the kernel size (then `rest` may hold the other options, PyTorch's order); an
  // array is neither form.
  if (Array.isArray(options)) checkOptions(options as unknown as AvgPool1dOptions, AVG_POOL1D_OPTIONS, 'avgPool1d');
  const o = options1d(poolingOptions(options, rest, AVG_POOL1D_OPTIONS, 'avgPool1d') as AvgPool1dOptions | number, 'avgPool1d');
  const image = asImage(x, 'avgPool1d');
  return avgPool2d(image, {
    kernelSize: [1, o.kernelSize], stride: [1, o.stride ?? o.kernelSize], padding: [0, o.padding ?? 0], ceilMode: o.ceilMode ?? false, countIncludePad: o.countIncludePad ?? true,
  }).squeeze(image.ndim - 2);
}
