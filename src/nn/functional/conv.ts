// linear and conv2d. linear is a composite (matmul + add); conv2d is a primitive (im2col + GEMM,
// see tensor/kernels/conv.ts) because its composite form would be far slower.
import { applyOp } from '../../autograd/apply.js';
import type { Tensor } from '../../autograd/tensor.js';
import { checkOptions, type OptionNames } from '../../tensor/options.js';
import { shapeString } from '../../tensor/shape.js';
import { checkNdim, checkTensor, pair, promoted, type Pair } from './args.js';
import { pad } from './join.js';

/**
 * y = x·Wᵀ + b, as `torch.nn.functional.linear`: x [..., in], weight [out, in], bias [out]
 * (optional); y [..., out]. A composite of matmul and add.
 *
 * @example
 * ```ts
 * import { F, randn } from 'tsgrad';
 * const x = randn([8, 4]);
 * const w = randn([3, 4]);
 * const b = randn([3]);
 * F.linear(x, w, b).shape; // [8, 3]
 * ```
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkTensor(x, 'input', 'linear');
  checkTensor(weight, 'weight', 'linear');
  checkNdim(weight, [2], 'weight', 'shape [out, in]', 'linear');
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== weight.shape[1]) {
    throw new Error(`linear: the input of shape ${shapeString(x.shape)} needs ${weight.shape[1]} features in its last dim to match the weight of shape ${shapeString(weight.shape)} ([out, in])`);
  }
  if (bias !== undefined && bias !== null) {
    checkTensor(bias, 'bias', 'linear');
    if (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0]) {
      throw new Error(`linear: bias must have shape [${weight.shape[0]}] (one per output feature of the weight ${shapeString(weight.shape)}), got ${shapeString(bias.shape)}`);
    }
  }
  const [xp, wp, bp] = promoted(x, weight, bias);
  const y = xp.matmul(wp.transpose(0, 1));
  return bp ? y.add(bp) : y;
}

/** Options of `F.conv2d` (PyTorch's keywords; a `Pair` is one number for both dims or `[h, w]`). */
export interface Conv2dOptions {
  /** Step between windows (default 1). */
  stride?: Pair;
  /**
   * Zero padding on each side (default 0), or `'valid'` (none) or `'same'` (output size = input
   * size; stride 1 only; an odd total goes one more to the bottom/right, as PyTorch).
   */
  padding?: Pair | 'valid' | 'same';
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Split the channels into this many independent groups (default 1). */
  groups?: number;
}

const CONV2D_OPTIONS: OptionNames<Conv2dOptions> = { stride: true, padding: true, dilation: true, groups: true };

/**
 * 2-d convolution (cross-correlation, as PyTorch) over NCHW input: x [N, Cin, H, W] (or
 * unbatched [Cin, H, W]), weight [Cout, Cin/groups, kH, kW], bias [Cout] (optional). Output
 * [N, Cout, Hout, Wout] with Hout = ⌊(H + 2·padH − dilationH·(kH − 1) − 1) / strideH⌋ + 1.
 *
 * @example
 * ```ts
 * import { F, randn } from 'tsgrad';
 * const x = randn([2, 3, 28, 28]);
 * const w = randn([8, 3, 5, 5]);
 * F.conv2d(x, w, null, { stride: 2, padding: 2 }).shape; // [2, 8, 14, 14]
 * ```
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const fn = 'conv2d';
  checkOptions(options, CONV2D_OPTIONS, fn);
  checkTensor(x, 'input', fn);
  checkTensor(weight, 'weight', fn);
  checkNdim(x, [3, 4], 'input', 'shape [N, C, H, W] (or unbatched [C, H, W])', fn);
  checkNdim(weight, [4], 'weight', 'shape [Cout, Cin/groups, kH, kW]', fn);
  if (x.ndim === 3) return conv2d(x.unsqueeze(0), weight, bias, options).squeeze(0);

  const stride = pair(options.stride ?? 1, 'stride', fn, 1);
  const dilation = pair(options.dilation ?? 1, 'dilation', fn, 1);
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`${fn}: groups must be a positive integer, got ${groups}`);
  const cIn = x.shape[1]!;
  const [cOut, cInG, kH, kW] = weight.shape as [number, number, number, number];
  const shapes = (): string => `input ${shapeString(x.shape)}, weight ${shapeString(weight.shape)}`; // for errors only
  if (cOut % groups !== 0) {
    throw new Error(`${fn}: groups=${groups} must divide the ${cOut} output channels of the weight (${shapes()})`);
  }
  if (cInG * groups !== cIn) {
    throw new Error(`${fn}: with groups=${groups}, a weight of shape ${shapeString(weight.shape)} expects ${cInG * groups} input channels, but the input of shape ${shapeString(x.shape)} has ${cIn}`);
  }
  if (bias !== undefined && bias !== null) {
    checkTensor(bias, 'bias', fn);
    if (bias.ndim !== 1 || bias.shape[0] !== cOut) {
      throw new Error(`${fn}: bias must have shape [${cOut}] (one per output channel), got ${shapeString(bias.shape)} (${shapes()})`);
    }
  }

  let input = x;
  let padding: [number, number];
  if (options.padding === 'valid') {
    padding = [0, 0];
  } else if (options.padding === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) throw new Error(`${fn}: padding 'same' needs stride 1, got stride [${stride.join(', ')}]`);
    // The total padding d·(k − 1) is split evenly; an odd one-element remainder goes after.
    const totalH = dilation[0] * (kH - 1);
    const totalW = dilation[1] * (kW - 1);
    padding = [Math.floor(totalH / 2), Math.floor(totalW / 2)];
    if (totalH % 2 === 1 || totalW % 2 === 1) input = pad(x, [0, totalW % 2, 0, totalH % 2]);
  } else {
    padding = pair(options.padding ?? 0, 'padding', fn, 0);
  }

  const spanH = dilation[0] * (kH - 1) + 1;
  const spanW = dilation[1] * (kW - 1) + 1;
  const paddedH = input.shape[2]! + 2 * padding[0];
  const paddedW = input.shape[3]! + 2 * padding[1];
  if (spanH > paddedH || spanW > paddedW) {
    throw new Error(`${fn}: the kernel (${spanH}×${spanW} with dilation) is larger than the padded input (${paddedH}×${paddedW}): ${shapes()}, padding [${padding.join(', ')}]`);
  }
  const [xp, wp, bp] = promoted(input, weight, bias);
  const inputs = bp ? [xp, wp, bp] : [xp, wp];
  return applyOp('conv2d', inputs, { stride, padding, dilation, groups });
}
