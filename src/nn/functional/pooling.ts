// Max, average and adaptive average pooling over NCHW (or unbatched CHW) input. Primitives: the
// kernels are in tensor/kernels/pool.ts.
import { applyOp } from '../../autograd/apply.js';
import type { Tensor } from '../../autograd/tensor.js';
import { poolOutputSize } from '../../tensor/kernels/pool.js';
import { checkOptions, type OptionNames } from '../../tensor/options.js';
import { formatValue, shapeString } from '../../tensor/shape.js';
import { checkNdim, checkTensor, describe, pair, type Pair } from './args.js';

/**
 * Options of `F.maxPool2d` (PyTorch's keywords; a `Pair` is one number for both dims or `[h, w]`).
 */
export interface MaxPool2dOptions {
  /** The window size. */
  kernelSize: Pair;
  /** Step between windows (default: the kernel size). */
  stride?: Pair;
  /** Implicit −∞ padding on each side (default 0; at most half the kernel size). */
  padding?: Pair;
  /** Spacing between window taps (default 1). */
  dilation?: Pair;
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
}

/** Options of `F.avgPool2d` (PyTorch's keywords). */
export interface AvgPool2dOptions {
  /** The window size. */
  kernelSize: Pair;
  /** Step between windows (default: the kernel size). */
  stride?: Pair;
  /** Implicit zero padding on each side (default 0; at most half the kernel size). */
  padding?: Pair;
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
  /** Count the zero padding in each window's divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
  /** Divide every window by this instead (default: none). */
  divisorOverride?: number;
}

const MAX_POOL2D_OPTIONS: OptionNames<MaxPool2dOptions> = { kernelSize: true, stride: true, padding: true, dilation: true, ceilMode: 'flag' };
const AVG_POOL2D_OPTIONS: OptionNames<AvgPool2dOptions> = {
  kernelSize: true, stride: true, padding: true, ceilMode: 'flag', countIncludePad: 'flag', divisorOverride: true,
};

/** Resolves and checks the window of a pooling op; returns it with the output size. */
function poolWindow(
  fn: string, x: Tensor, kernelSize: Pair, strideOpt: Pair | undefined, paddingOpt: Pair | undefined,
  dilationOpt: Pair | undefined, ceilMode: boolean,
): { kernel: [number, number]; stride: [number, number]; padding: [number, number]; dilation: [number, number] } {
  checkTensor(x, 'input', fn);
  checkNdim(x, [3, 4], 'input', 'shape [N, C, H, W] (or unbatched [C, H, W])', fn);
  const kernel = pair(kernelSize, 'kernelSize', fn, 1);
  const stride = pair(strideOpt ?? kernel, 'stride', fn, 1);
  const padding = pair(paddingOpt ?? 0, 'padding', fn, 0);
  const dilation = pair(dilationOpt ?? 1, 'dilation', fn, 1);
  if (2 * padding[0] > kernel[0] || 2 * padding[1] > kernel[1]) {
    throw new Error(`${fn}: padding [${padding.join(', ')}] must be at most half the kernel size [${kernel.join(', ')}]`);
  }
  const h = x.shape[x.ndim - 2]!;
  const w = x.shape[x.ndim - 1]!;
  const outH = poolOutputSize(h, kernel[0], stride[0], padding[0], dilation[0], ceilMode);
  const outW = poolOutputSize(w, kernel[1], stride[1], padding[1], dilation[1], ceilMode);
  if (outH < 1 || outW < 1) {
    throw new Error(`${fn}: the input of shape ${shapeString(x.shape)} is too small for kernel [${kernel.join(', ')}] (padding [${padding.join(', ')}], dilation [${dilation.join(', ')}]): the output would be ${outH}×${outW}`);
  }
  return { kernel, stride, padding, dilation };
}

/** Accepts `maxPool2d(x, 2)` as well as `maxPool2d(x, { kernelSize: 2, … })`; anything else is an error naming `fn`. */
function asOptions<T extends { kernelSize: Pair }>(options: T | Pair, fn: string): T {
  if (typeof options === 'number' || Array.isArray(options)) return { kernelSize: options } as T;
  if (typeof options !== 'object' || options === null) {
    throw new Error(`${fn}: expected a kernel size (a number or [h, w]) or an options object with kernelSize, got ${describe(options)}`);
  }
  if ((options as { kernelSize?: unknown }).kernelSize === undefined) {
    throw new Error(`${fn}: the options object has no kernelSize (a number or [h, w])`);
  }
  return options as T;
}

/**
 * The pooling options from either form: one options object with kernelSize, or PyTorch's
 * `max_pool2d(x, 3, stride=2)` written `maxPool2d(x, 3, { stride: 2 })`. JavaScript drops an
 * argument a function does not declare, so the second form once pooled with stride 3, silently.
 */
export function poolingOptions<T extends { kernelSize: unknown }>(
  first: T | Pair, rest: Omit<T, 'kernelSize'> | undefined, names: OptionNames<T>, fn: string,
): T | Pair {
  const isObject = typeof first === 'object' && first !== null && !Array.isArray(first);
  if (isObject) {
    checkOptions(first as T, names, fn);
    if (rest !== undefined) throw new Error(`${fn}: the options are already in the second argument; give them in one object, not a third argument`);
    return first;
  }
  if (rest === undefined) return first;
  checkOptions(rest as unknown as T, names, fn);
  if ((rest as { kernelSize?: unknown }).kernelSize !== undefined) throw new Error(`${fn}: the kernel size is given twice (the second argument and kernelSize)`);
  return { ...rest, kernelSize: first } as unknown as T;
}

/**
 * Max pooling over each window of every channel, as `torch.nn.functional.max_pool2d`. The gradient
 * goes to the element that won each window (the first one on a tie, as PyTorch's CPU kernel).
 *
 * @example
 * ```ts
 * import { F, randn } from 'tsgrad';
 * const x = randn([1, 3, 8, 8]);
 * F.maxPool2d(x, { kernelSize: 2 }).shape;                            // [1, 3, 4, 4]
 * F.maxPool2d(x, { kernelSize: 3, stride: 2, ceilMode: true }).shape; // [1, 3, 4, 4]
 * F.maxPool2d(x, 3, { stride: 2, ceilMode: true }).shape;             // the same, PyTorch's order
 * ```
 */
export function maxPool2d(x: Tensor, options: MaxPool2dOptions | Pair, rest?: Omit<MaxPool2dOptions, 'kernelSize'>): Tensor {
  const o = asOptions(poolingOptions(options, rest, MAX_POOL2D_OPTIONS, 'maxPool2d'), 'maxPool2d');
  const ceilMode = o.ceilMode ?? false;
  const win = poolWindow('maxPool2d', x, o.kernelSize, o.stride, o.padding, o.dilation, ceilMode);
  return applyOp('maxPool2d', [x], { ...win, ceilMode });
}

/**
 * Average pooling, as `torch.nn.functional.avg_pool2d`: by default each window's sum is divided by
 * the window size including any zero padding it covers (`countIncludePad: true`); with
 * `countIncludePad: false`, by the number of input elements in it.
 *
 * @example
 * ```ts
 * import { F, randn } from 'tsgrad';
 * const x = randn([1, 3, 7, 7]);
 * F.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }).shape; // [1, 3, 4, 4]
 * ```
 */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions | Pair, rest?: Omit<AvgPool2dOptions, 'kernelSize'>): Tensor {
  const fn = 'avgPool2d';
  const o = asOptions(poolingOptions(options, rest, AVG_POOL2D_OPTIONS, fn), fn);
  const ceilMode = o.ceilMode ?? false;
  const win = poolWindow(fn, x, o.kernelSize, o.stride, o.padding, 1, ceilMode);
  const divisorOverride = o.divisorOverride ?? 0;
  if (o.divisorOverride !== undefined && (!Number.isFinite(divisorOverride) || divisorOverride === 0)) {
    throw new Error(`${fn}: divisorOverride must be a non-zero number, got ${o.divisorOverride}`);
  }
  return applyOp('avgPool2d', [x], { ...win, ceilMode, countIncludePad: o.countIncludePad ?? true, divisorOverride });
}

/**
 * Average pooling to a fixed output size, as `torch.nn.functional.adaptive_avg_pool2d`: output
 * cell i covers input rows ⌊i·H/outH⌋ … ⌈(i+1)·H/outH⌉ − 1 (likewise for columns). A `null` size
 * keeps the input's.
 *
 * @example
 * ```ts
 * import { F, randn } from 'tsgrad';
 * const x = randn([2, 16, 7, 5]);
 * F.adaptiveAvgPool2d(x, 1).shape;         // [2, 16, 1, 1]
 * F.adaptiveAvgPool2d(x, [3, null]).shape; // [2, 16, 3, 5]
 * ```
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly [number | null, number | null]): Tensor {
  const [outH, outW] = adaptiveSize('adaptiveAvgPool2d', x, outputSize);
  return applyOp('adaptiveAvgPool2d', [x], { outH, outW });
}

/**
 * Adaptive max pooling (`torch.nn.functional.adaptive_max_pool2d`, values only): each output is
 * the max of PyTorch's window ⌊i·H/outH⌋ … ⌈(i+1)·H/outH⌉ − 1 (columns alike). NOTE: a NaN wins its
 * window and ties go to the first element, as PyTorch.
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.adaptiveMaxPool2d(tensor([[[[1, 2, 3], [4, 5, 6]]]]), [1, 2]).toArray(); // Float32Array [5, 6]
 * ```
 */
export function adaptiveMaxPool2d(x: Tensor, outputSize: number | readonly [number | null, number | null]): Tensor {
  const [outH, outW] = adaptiveSize('adaptiveMaxPool2d', x, outputSize);
  return applyOp('adaptiveMaxPool2d', [x], { outH, outW });
}

/** The checked [outH, outW] of an adaptive pooling (null keeps the input's size). */
function adaptiveSize(fn: string, x: Tensor, outputSize: number | readonly [number | null, number | null]): [number, number] {
  checkTensor(x, 'input', fn);
  checkNdim(x, [3, 4], 'input', 'shape [N, C, H, W] (or unbatched [C, H, W])', fn);
  const h = x.shape[x.ndim - 2]!;
  const w = x.shape[x.ndim - 1]!;
  if (h === 0 || w === 0) throw new Error(`${fn}: the input of shape ${shapeString(x.shape)} has an empty spatial dim`);
  const sizes = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
  if (!Array.isArray(sizes) || sizes.length !== 2) {
    throw new Error(`${fn}: outputSize must be a number or a pair [h, w] (null keeps a size), got ${formatValue(outputSize)}`);
  }
  return pair([sizes[0] ?? h, sizes[1] ?? w], 'outputSize', fn, 1);
}
