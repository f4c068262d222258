// ConvTranspose2d, Conv1d, MaxPool1d and AvgPool1d: the modules over F.convTranspose2d, F.conv1d,
// F.maxPool1d and F.avgPool1d, with PyTorch's parameter layouts, initialisation and state-dict keys.
import { zeros } from '../autograd/creation.js';
import type { Tensor } from '../autograd/tensor.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { shapeString } from '../tensor/shape.js';
import { avgPool1d, conv1d, convTranspose2d, maxPool1d } from './functional.js';
import { pair, type Pair } from './functional/args.js';
import type { AvgPool1dOptions, MaxPool1dOptions } from './functional/pooling1d.js';
import { checkSize, LAYER_OPTIONS, resetLinearLike, type LayerOptions } from './layers.js';
import { checkImageInput } from './conv.js';
import { Module, Parameter } from './module.js';

/** Options of `nn.ConvTranspose2d` (PyTorch's keywords). */
export interface ConvTranspose2dModuleOptions extends LayerOptions {
  /** Step of the convolution this transposes (default 1). */
  stride?: Pair;
  /** Padding of that convolution, removed from each side of the output (default 0). */
  padding?: Pair;
  /** Extra size on one side of the output (default 0; smaller than stride or dilation). */
  outputPadding?: Pair;
  /** Independent channel groups (default 1). */
  groups?: number;
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Add a learned bias per output channel (default true). */
  bias?: boolean;
}

const CONV_TRANSPOSE2D_OPTIONS: OptionNames<ConvTranspose2dModuleOptions> = {
  stride: true, padding: true, outputPadding: true, groups: true, dilation: true, bias: 'flag', ...LAYER_OPTIONS,
};

/**
 * The transposed convolution layer (`torch.nn.ConvTranspose2d`): weight [Cin, Cout/groups, kH, kW]
 * and bias [Cout], initialised as PyTorch does (Kaiming-uniform with a = √5, fan-in from the
 * weight's dim 1), so a state dict moves to and from PyTorch.
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * const up = new nn.ConvTranspose2d(8, 4, 4, { stride: 2, padding: 1 });
 * up.call(randn([1, 8, 7, 7])).shape; // [1, 4, 14, 14]
 * ```
 */
export class ConvTranspose2d extends Module {
  /** The kernel's [kH, kW]. */
  readonly kernelSize: readonly [number, number];
  /** The options the forward passes to F.convTranspose2d. */
  readonly options: { stride: [number, number]; padding: [number, number]; outputPadding: [number, number]; dilation: [number, number]; groups: number };
  /** The kernels, shape [Cin, Cout / groups, kH, kW] (PyTorch's layout). */
  weight: Parameter;
  /** One bias per output channel, shape [Cout], or null with `{ bias: false }`. */
  bias: Parameter | null;

  /**
   * @param inChannels - Channels of the input (Cin).
   * @param outChannels - Channels of the output (Cout).
   * @param kernelSize - The kernel's size, one number or [kH, kW].
   * @param options - Stride, padding, output padding, groups, dilation, bias, dtype.
   */
  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair, options: ConvTranspose2dModuleOptions = {}) {
    super();
    const fn = 'ConvTranspose2d';
    checkOptions(options, CONV_TRANSPOSE2D_OPTIONS, fn);
    checkSize(inChannels, 'inChannels', fn);
    checkSize(outChannels, 'outChannels', fn);
    const groups = options.groups ?? 1;
    checkSize(groups, 'groups', fn);
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new Error(`${fn}: inChannels (${inChannels}) and outChannels (${outChannels}) must be divisible by groups (${groups})`);
    }
    this.kernelSize = pair(kernelSize, 'kernelSize', fn, 1);
    this.options = {
      stride: pair(options.stride ?? 1, 'stride', fn, 1),
      padding: pair(options.padding ?? 0, 'padding', fn, 0),
      outputPadding: pair(options.outputPadding ?? 0, 'outputPadding', fn, 0),
      dilation: pair(options.dilation ?? 1, 'dilation', fn, 1),
      groups,
    };
    const [kH, kW] = this.kernelSize;
    this.weight = new Parameter(zeros([inChannels, outChannels / groups, kH, kW], { dtype: options.dtype }));
    this.bias = options.bias ?? true ? new Parameter(zeros([outChannels], { dtype: options.dtype })) : null;
    this.resetParameters();
  }

  /** Re-draws the parameters with PyTorch's default initialisation. */
  resetParameters(): void {
    resetLinearLike(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    checkImageInput(this, x, this.inChannels);
    return convTranspose2d(x, this.weight, this.bias, this.options);
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize.join(', ')}], stride=[${this.options.stride.join(', ')}]`;
  }
}

/** Options of `nn.Conv1d` (PyTorch's keywords). */
export interface Conv1dModuleOptions extends LayerOptions {
  /** Step between windows (default 1). */
  stride?: number;
  /** Zero padding on each side (default 0), or 'valid' / 'same'. */
  padding?: number | 'valid' | 'same';
  /** Spacing between kernel taps (default 1). */
  dilation?: number;
  /** Independent channel groups (default 1). */
  groups?: number;
  /** Add a learned bias per output channel (default true). */
  bias?: boolean;
}

const CONV1D_OPTIONS: OptionNames<Conv1dModuleOptions> = { stride: true, padding: true, dilation: true, groups: true, bias: 'flag', ...LAYER_OPTIONS };

/**
 * 1-d convolution layer (`torch.nn.Conv1d`): weight [Cout, Cin/groups, k], bias [Cout], PyTorch's
 * initialisation.
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * new nn.Conv1d(3, 8, 5, { padding: 2 }).call(randn([2, 3, 16])).shape; // [2, 8, 16]
 * ```
 */
export class Conv1d extends Module {
  /** The kernels, shape [Cout, Cin / groups, k]. */
  weight: Parameter;
  /** One bias per output channel, shape [Cout], or null with `{ bias: false }`. */
  bias: Parameter | null;

  /**
   * @param inChannels - Channels of the input (Cin).
   * @param outChannels - Channels of the output (Cout).
   * @param kernelSize - The kernel's length.
   * @param options - Stride, padding, dilation, groups, bias, dtype.
   */
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number, readonly options: Conv1dModuleOptions = {}) {
    super();
    const fn = 'Conv1d';
    checkOptions(options, CONV1D_OPTIONS, fn);
    checkSize(inChannels, 'inChannels', fn);
    checkSize(outChannels, 'outChannels', fn);
    checkSize(kernelSize, 'kernelSize', fn);
    const groups = options.groups ?? 1;
    checkSize(groups, 'groups', fn);
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new Error(`${fn}: inChannels (${inChannels}) and outChannels (${outChannels}) must be divisible by groups (${groups})`);
    }
    this.weight = new Parameter(zeros([outChannels, inChannels / groups, kernelSize], { dtype: options.dtype }));
    this.bias = options.bias ?? true ? new Parameter(zeros([outChannels], { dtype: options.dtype })) : null;
    resetLinearLike(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    if ((x.ndim !== 3 && x.ndim !== 2) || x.shape[x.ndim - 2] !== this.inChannels) {
      throw new Error(`${this.toString()}: expected input of shape [N, ${this.inChannels}, L] (or unbatched [${this.inChannels}, L]), got ${shapeString(x.shape)}`);
    }
    const { stride, padding, dilation, groups } = this.options;
    return conv1d(x, this.weight, this.bias, { stride, padding, dilation, groups });
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${this.kernelSize}`;
  }
}

/** Options of `nn.MaxPool1d`: those of `F.maxPool1d` but the kernel size (a constructor argument). */
export type MaxPool1dModuleOptions = Omit<MaxPool1dOptions, 'kernelSize'>;

/** Options of `nn.AvgPool1d`: those of `F.avgPool1d` but the kernel size (a constructor argument). */
export type AvgPool1dModuleOptions = Omit<AvgPool1dOptions, 'kernelSize'>;

const MAX_POOL1D_OPTIONS: OptionNames<MaxPool1dModuleOptions> = { stride: true, padding: true, dilation: true, ceilMode: 'flag' };
const AVG_POOL1D_OPTIONS: OptionNames<AvgPool1dModuleOptions> = { stride: true, padding: true, ceilMode: 'flag', countIncludePad: 'flag' };

/**
 * 1-d max pooling layer (`torch.nn.MaxPool1d`).
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * new nn.MaxPool1d(2).call(randn([1, 3, 8])).shape; // [1, 3, 4]
 * ```
 */
export class MaxPool1d extends Module {
  private readonly _options: MaxPool1dOptions;

  constructor(kernelSize: number, options: MaxPool1dModuleOptions = {}) {
    super();
    // Here, under this module's name: F.maxPool1d would see a stray key only at the first call.
    checkOptions(options, MAX_POOL1D_OPTIONS, 'MaxPool1d');
    checkSize(kernelSize, 'kernelSize', 'MaxPool1d');
    this._options = { ...options, kernelSize };
  }

  forward(x: Tensor): Tensor {
    return maxPool1d(x, this._options);
  }
}

/**
 * 1-d average pooling layer (`torch.nn.AvgPool1d`).
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * new nn.AvgPool1d(2).call(randn([1, 3, 8])).shape; // [1, 3, 4]
 * ```
 */
export class AvgPool1d extends Module {
  private readonly _options: AvgPool1dOptions;

  constructor(kernelSize: number, options: AvgPool1dModuleOptions = {}) {
    super();
    checkOptions(options, AVG_POOL1D_OPTIONS, 'AvgPool1d');
    checkSize(kernelSize, 'kernelSize', 'AvgPool1d');
    this._options = { ...options, kernelSize };
  }

  forward(x: Tensor): Tensor {
    return avgPool1d(x, this._options);
  }
}
