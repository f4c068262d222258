// MaxPool2d, AvgPool2d, AdaptiveAvgPool2d.
import type { Tensor } from '../autograd/tensor.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { shapeString } from '../tensor/shape.js';
import { adaptiveAvgPool2d, adaptiveMaxPool2d, interpolate, avgPool2d, maxPool2d } from './functional.js';
import { INTERPOLATE_OPTIONS, type InterpolateOptions } from './functional/interpolate.js';
import { pair, type Pair } from './functional/args.js';
import { Module } from './module.js';

/** Options of `nn.MaxPool2d` (those of `F.maxPool2d` but the kernel size). */
export interface MaxPool2dModuleOptions {
  /** Step between windows (default: the kernel size). */
  stride?: Pair;
  /** Implicit −∞ padding on each side (default 0; at most half the kernel). */
  padding?: Pair;
  /** Spacing between window taps (default 1). */
  dilation?: Pair;
  /** Round the output size up instead of down (a last partial window), as PyTorch. */
  ceilMode?: boolean;
}

/** Options of `nn.AvgPool2d` (those of `F.avgPool2d` but the kernel size). */
export interface AvgPool2dModuleOptions {
  /** Step between windows (default: the kernel size). */
  stride?: Pair;
  /** Zero padding on each side (default 0; at most half the kernel). */
  padding?: Pair;
  /** Round the output size up instead of down, as PyTorch. */
  ceilMode?: boolean;
  /** Divide by the window size including the zero padding it covers (default true, as PyTorch). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this number instead. */
  divisorOverride?: number;
}

const MAX_POOL2D_OPTIONS: OptionNames<MaxPool2dModuleOptions> = { stride: true, padding: true, dilation: true, ceilMode: 'flag' };
const AVG_POOL2D_OPTIONS: OptionNames<AvgPool2dModuleOptions> = { stride: true, padding: true, ceilMode: 'flag', countIncludePad: 'flag', divisorOverride: true };

/** Throws a clear error naming `module` unless x is [N, C, H, W] or [C, H, W]. */
function checkSpatial(module: Module, x: Tensor): void {
  if (x.ndim !== 4 && x.ndim !== 3) {
    throw new Error(`${module.toString()}: expected input of shape [N, C, H, W] (or unbatched [C, H, W]), got ${shapeString(x.shape)}`);
  }
}

function pairString(p: Pair | undefined): string {
  return typeof p === 'number' || p === undefined ? String(p) : `[${p.join(', ')}]`;
}

/**
 * Max over each window of each channel, as `torch.nn.MaxPool2d`. The gradient goes to the element
 * that won each window.
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * new nn.MaxPool2d(2).call(randn([1, 3, 8, 8])).shape;                        // [1, 3, 4, 4]
 * new nn.MaxPool2d([3, 2], { stride: [2, 1], padding: 1 }).call(randn([1, 3, 8, 8])).shape; // [1, 3, 4, 9]
 * ```
 */
export class MaxPool2d extends Module {
  /** The options given to the constructor (frozen). */
  readonly options: Readonly<MaxPool2dModuleOptions>;

  /**
   * @param kernelSize - The window size: one number for both dims or `[h, w]`.
   * @param options - Stride, padding, dilation, ceil mode.
   */
  constructor(readonly kernelSize: Pair, options: MaxPool2dModuleOptions = {}) {
    super();
    checkOptions(options, MAX_POOL2D_OPTIONS, 'MaxPool2d');
    pair(kernelSize, 'kernelSize', 'MaxPool2d', 1);
    this.options = Object.freeze({ ...options });
  }

  forward(x: Tensor): Tensor {
    checkSpatial(this, x);
    return maxPool2d(x, { kernelSize: this.kernelSize, ...this.options });
  }

  override extraRepr(): string {
    const o = this.options;
    return `kernelSize=${pairString(this.kernelSize)}, stride=${pairString(o.stride ?? this.kernelSize)}, padding=${pairString(o.padding ?? 0)}, dilation=${pairString(o.dilation ?? 1)}, ceilMode=${o.ceilMode ?? false}`;
  }
}

/**
 * Mean over each window of each channel, as `torch.nn.AvgPool2d`, with PyTorch's
 * `countIncludePad` (default true: windows that overlap the zero padding still divide by the full
 * window size) and `divisorOverride`.
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * new nn.AvgPool2d(2).call(randn([1, 3, 8, 8])).shape; // [1, 3, 4, 4]
 * new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false });
 * ```
 */
export class AvgPool2d extends Module {
  /** The options given to the constructor (frozen). */
  readonly options: Readonly<AvgPool2dModuleOptions>;

  /**
   * @param kernelSize - The window size: one number for both dims or `[h, w]`.
   * @param options - Stride, padding, ceil mode, divisor.
   */
  constructor(readonly kernelSize: Pair, options: AvgPool2dModuleOptions = {}) {
    super();
    checkOptions(options, AVG_POOL2D_OPTIONS, 'AvgPool2d');
    pair(kernelSize, 'kernelSize', 'AvgPool2d', 1);
    this.options = Object.freeze({ ...options });
  }

  forward(x: Tensor): Tensor {
    checkSpatial(this, x);
    return avgPool2d(x, { kernelSize: this.kernelSize, ...this.options });
  }

  override extraRepr(): string {
    const o = this.options;
    return `kernelSize=${pairString(this.kernelSize)}, stride=${pairString(o.stride ?? this.kernelSize)}, padding=${pairString(o.padding ?? 0)}, ceilMode=${o.ceilMode ?? false}, countIncludePad=${o.countIncludePad ?? true}`;
  }
}

/**
 * Average pooling to a fixed output size whatever the input size, as `torch.nn.AdaptiveAvgPool2d`
 * (output cell i averages input rows ⌊i·H/outH⌋ … ⌈(i+1)·H/outH⌉ − 1; likewise columns). A `null`
 * size keeps the input's.
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * new nn.AdaptiveAvgPool2d(1).call(randn([2, 16, 7, 7])).shape;      // [2, 16, 1, 1]
 * new nn.AdaptiveAvgPool2d([3, 2]).call(randn([2, 16, 7, 5])).shape; // [2, 16, 3, 2]
 * ```
 */
export class AdaptiveAvgPool2d extends Module {
  /**
   * @param outputSize - The output's [h, w], or one number for both; `null` keeps that dim's input size.
   */
  constructor(readonly outputSize: number | readonly [number | null, number | null]) {
    super();
  }

  forward(x: Tensor): Tensor {
    checkSpatial(this, x);
    return adaptiveAvgPool2d(x, this.outputSize);
  }

  override extraRepr(): string {
    const o = this.outputSize;
    return `outputSize=${typeof o === 'number' ? o : `[${o.map((v) => (v === null ? 'null' : v)).join(', ')}]`}`;
  }
}

/**
 * Adaptive max pooling to a fixed output size (`torch.nn.AdaptiveMaxPool2d`, values only).
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * new nn.AdaptiveMaxPool2d([2, 3]).call(randn([1, 4, 7, 9])).shape; // [1, 4, 2, 3]
 * ```
 */
export class AdaptiveMaxPool2d extends Module {
  /**
   * @param outputSize - The output's [h, w], or one number for both; `null` keeps that dim's input size.
   */
  constructor(readonly outputSize: number | readonly [number | null, number | null]) {
    super();
  }

  forward(x: Tensor): Tensor {
    checkSpatial(this, x);
    return adaptiveMaxPool2d(x, this.outputSize);
  }
}

/**
 * Resizes images (`torch.nn.Upsample`): the module form of `F.interpolate`.
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * new nn.Upsample({ scaleFactor: 2, mode: 'bilinear' }).call(randn([1, 3, 4, 4])).shape; // [1, 3, 8, 8]
 * ```
 */
export class Upsample extends Module {
  /**
   * @param options - size or scaleFactor, mode ('nearest' or 'bilinear'), alignCorners.
   */
  constructor(readonly options: InterpolateOptions) {
    super();
    checkOptions(options, INTERPOLATE_OPTIONS, 'Upsample');
  }

  forward(x: Tensor): Tensor {
    return interpolate(x, this.options);
  }
}
