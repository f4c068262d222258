// Conv2d.
import { zeros } from '../autograd/creation.js';
import type { Tensor } from '../autograd/tensor.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { shapeString } from '../tensor/shape.js';
import { conv2d } from './functional.js';
import type { Pair } from './functional/args.js';
import { checkSize, LAYER_OPTIONS, resetLinearLike, type LayerOptions } from './layers.js';
import { Module, Parameter } from './module.js';

/** Options of `nn.Conv2d`: those of `F.conv2d` plus the bias and the dtype. */
export interface Conv2dModuleOptions extends LayerOptions {
  /** Step between windows (default 1), one for both dims or [h, w]. */
  stride?: Pair;
  /**
   * Zero padding on each side (default 0), or 'valid' (none) or 'same' (output size = input size,
   * stride 1 only), as PyTorch.
   */
  padding?: Pair | 'valid' | 'same';
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Independent channel groups (default 1); both channel counts must be divisible by it. */
  groups?: number;
  /** Add a learned bias per output channel (default true). */
  bias?: boolean;
}

const CONV2D_OPTIONS: OptionNames<Conv2dModuleOptions> = { stride: true, padding: true, dilation: true, groups: true, bias: 'flag', ...LAYER_OPTIONS };

function pairOf(value: Pair, name: string, min: number): [number, number] {
  const [h, w] = typeof value === 'number' ? [value, value] : Array.isArray(value) && value.length === 2 ? value : [NaN, NaN];
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < min || w < min) {
    throw new Error(`Conv2d: ${name} must be an integer ≥ ${min} or a pair [h, w] of them, got ${JSON.stringify(value)}`);
  }
  return [h, w];
}

/**
 * 2-d convolution over NCHW input, as `torch.nn.Conv2d`: x [N, inChannels, H, W] (or unbatched
 * [inChannels, H, W]) → [N, outChannels, Hout, Wout], Hout = ⌊(H + 2·padH − dilH·(kH − 1) − 1) /
 * strideH⌋ + 1 (likewise Wout). Kernel, stride, padding and dilation take one number or [h, w].
 * weight [outChannels, inChannels/groups, kH, kW], bias [outChannels]; both initialised as
 * PyTorch does, from U(−1/√fanIn, 1/√fanIn) with fanIn = inChannels/groups · kH · kW.
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * const conv = new nn.Conv2d(3, 16, 3, { padding: 1 });
 * conv.call(randn([8, 3, 32, 32])).shape; // [8, 16, 32, 32]
 * const depthwise = new nn.Conv2d(16, 16, [3, 1], { groups: 16, stride: [2, 1], bias: false });
 * ```
 */
export class Conv2d extends Module {
  /** Channels of the input (C_in). */
  readonly inChannels: number;
  /** Channels of the output (C_out). */
  readonly outChannels: number;
  /** The kernel's [kH, kW]. */
  readonly kernelSize: readonly [number, number];
  /** Step between windows, [h, w]. */
  readonly stride: readonly [number, number];
  /** Zero padding on each side, [h, w], or `'valid'` / `'same'`. */
  readonly padding: readonly [number, number] | 'valid' | 'same';
  /** Spacing between kernel taps, [h, w]. */
  readonly dilation: readonly [number, number];
  /** Independent channel groups (C_in for a depthwise convolution). */
  readonly groups: number;
  /** The kernels, shape [C_out, C_in / groups, kH, kW]. */
  weight: Parameter;
  /** One bias per output channel, shape [C_out], or null with `{ bias: false }`. */
  bias: Parameter | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: Conv2dModuleOptions = {}) {
    super();
    checkOptions(options, CONV2D_OPTIONS, 'Conv2d');
    checkSize(inChannels, 'inChannels', 'Conv2d');
    checkSize(outChannels, 'outChannels', 'Conv2d');
    const groups = options.groups ?? 1;
    checkSize(groups, 'groups', 'Conv2d');
    if (inChannels % groups !== 0) throw new Error(`Conv2d: inChannels (${inChannels}) must be divisible by groups (${groups})`);
    if (outChannels % groups !== 0) throw new Error(`Conv2d: outChannels (${outChannels}) must be divisible by groups (${groups})`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pairOf(kernelSize, 'kernelSize', 1);
    this.stride = pairOf(options.stride ?? 1, 'stride', 1);
    const padding = options.padding ?? 0;
    this.padding = padding === 'valid' || padding === 'same' ? padding : pairOf(padding, 'padding', 0);
    this.dilation = pairOf(options.dilation ?? 1, 'dilation', 1);
    if (this.padding === 'same' && (this.stride[0] !== 1 || this.stride[1] !== 1)) {
      throw new Error(`Conv2d: padding 'same' needs stride 1, got stride [${this.stride.join(', ')}]`);
    }
    this.groups = groups;
    const [kH, kW] = this.kernelSize;
    const dtype = options.dtype;
    this.weight = new Parameter(zeros([outChannels, inChannels / groups, kH, kW], { dtype }));
    this.bias = options.bias ?? true ? new Parameter(zeros([outChannels], { dtype })) : null;
    this.resetParameters();
  }

  /** Re-draws the parameters with PyTorch's default initialisation. */
  resetParameters(): void {
    resetLinearLike(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    checkImageInput(this, x, this.inChannels);
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }

  override extraRepr(): string {
    const parts = [`${this.inChannels}, ${this.outChannels}`, `kernelSize=[${this.kernelSize.join(', ')}]`];
    if (this.stride[0] !== 1 || this.stride[1] !== 1) parts.push(`stride=[${this.stride.join(', ')}]`);
    if (typeof this.padding === 'string') parts.push(`padding='${this.padding}'`);
    else if (this.padding[0] !== 0 || this.padding[1] !== 0) parts.push(`padding=[${this.padding.join(', ')}]`);
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) parts.push(`dilation=[${this.dilation.join(', ')}]`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (this.bias === null) parts.push('bias=false');
    return parts.join(', ');
  }
}

/** Throws, naming the module, unless x is [N, C, H, W] or [C, H, W] with C = `channels`. */
export function checkImageInput(module: Module, x: Tensor, channels: number): void {
  if ((x.ndim !== 4 && x.ndim !== 3) || x.shape[x.ndim - 3] !== channels) {
    throw new Error(`${module.toString()}: expected input of shape [N, ${channels}, H, W] (or unbatched [${channels}, H, W]), got ${shapeString(x.shape)}`);
  }
}
