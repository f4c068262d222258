// The transposed convolution and the 1-d convolution. convTranspose2d is conv2d's input gradient
// run forwards (the conv2dInputGrad primitive, whose own derivatives are convolutions again);
// conv1d is conv2d on a height-1 image.
import { applyOp } from '../../autograd/apply.js';
import type { Tensor } from '../../autograd/tensor.js';
import { checkOptions, type OptionNames } from '../../tensor/options.js';
import { shapeString } from '../../tensor/shape.js';
import { checkNdim, checkTensor, pair, promoted, type Pair } from './args.js';
import { conv2d } from './conv.js';

/** Options of `F.convTranspose2d` (PyTorch's keywords). */
export interface ConvTranspose2dOptions {
  /** Step between windows of the convolution this transposes (default 1). */
  stride?: Pair;
  /** Zero padding of that convolution: removed from each side of the output (default 0). */
  padding?: Pair;
  /**
   * Extra rows/columns added to one side of the output (default 0), to pick among the output
   * sizes that the strided convolution maps to the same size; smaller than stride or dilation.
   */
  outputPadding?: Pair;
  /** Independent channel groups (default 1). */
  groups?: number;
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
}

const CONV_TRANSPOSE2D_OPTIONS: OptionNames<ConvTranspose2dOptions> = { stride: true, padding: true, outputPadding: true, groups: true, dilation: true };

/**
 * The transposed convolution (`torch.nn.functional.conv_transpose2d`): the adjoint of conv2d with
 * the same weight, so ⟨conv2d(x, W), y⟩ = ⟨x, convTranspose2d(y, W)⟩. Input [N, Cin, H, W] (or
 * unbatched [Cin, H, W]), weight [Cin, Cout/groups, kH, kW] (PyTorch's layout), output
 * [N, Cout, H', W'] with H' = (H − 1)·stride − 2·padding + dilation·(kH − 1) + outputPadding + 1.
 *
 * @example
 * ```ts
 * import { F, randn } from 'tsgrad';
 * const y = F.convTranspose2d(randn([1, 4, 5, 5]), randn([4, 2, 3, 3]), null, { stride: 2, padding: 1, outputPadding: 1 });
 * y.shape; // [1, 2, 10, 10]
 * ```
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTranspose2dOptions = {}): Tensor {
  const fn = 'convTranspose2d';
  checkOptions(options, CONV_TRANSPOSE2D_OPTIONS, fn);
  checkTensor(x, 'input', fn);
  checkTensor(weight, 'weight', fn);
  checkNdim(x, [3, 4], 'input', 'shape [N, Cin, H, W] (or unbatched [Cin, H, W])', fn);
  checkNdim(weight, [4], 'weight', 'shape [Cin, Cout/groups, kH, kW]', fn);
  if (x.ndim === 3) return convTranspose2d(x.unsqueeze(0), weight, bias, options).squeeze(0);
  const stride = pair(options.stride ?? 1, 'stride', fn, 1);
  const padding = pair(options.padding ?? 0, 'padding', fn, 0);
  const outputPadding = pair(options.outputPadding ?? 0, 'outputPadding', fn, 0);
  const dilation = pair(options.dilation ?? 1, 'dilation', fn, 1);
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`${fn}: groups must be a positive integer, got ${groups}`);
  const [n, cIn, h, w] = x.shape as [number, number, number, number];
  const [wIn, cOutG, kH, kW] = weight.shape as [number, number, number, number];
  const shapes = `input ${shapeString(x.shape)}, weight ${shapeString(weight.shape)}`;
  if (wIn !== cIn) throw new Error(`${fn}: the weight's first dim (${wIn}) must equal the input's channels (${cIn}): ${shapes}`);
  if (cIn % groups !== 0) throw new Error(`${fn}: groups=${groups} must divide the ${cIn} input channels (${shapes})`);
  for (let d = 0; d < 2; d++) {
    if (outputPadding[d]! >= stride[d]! && outputPadding[d]! >= dilation[d]!) {
      throw new Error(`${fn}: outputPadding [${outputPadding.join(', ')}] must be smaller than either stride [${stride.join(', ')}] or dilation [${dilation.join(', ')}]`);
    }
  }
  const outH = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kH - 1) + outputPadding[0] + 1;
  const outW = (w - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kW - 1) + outputPadding[1] + 1;
  if (outH < 1 || outW < 1) throw new Error(`${fn}: the output would be ${outH}×${outW} (${shapes}, padding [${padding.join(', ')}])`);
  const cOut = cOutG * groups;
  if (bias !== undefined && bias !== null) {
    checkTensor(bias, 'bias', fn);
    if (bias.ndim !== 1 || bias.shape[0] !== cOut) throw new Error(`${fn}: bias must have shape [${cOut}] (one per output channel), got ${shapeString(bias.shape)}`);
  }
  const [xp, wp, bp] = promoted(x, weight, bias);
  // The transposed convolution of x by W is the input gradient of conv2d(·, W) with upstream x.
  const y = applyOp('conv2dInputGrad', [xp, wp], { stride, padding, dilation, groups, inputShape: [n, cOut, outH, outW] });
  return bp ? y.add(bp.reshape([1, cOut, 1, 1])) : y;
}

/** Options of `F.conv1d` (PyTorch's keywords; one number each). */
export interface Conv1dOptions {
  /** Step between windows (default 1). */
  stride?: number;
  /** Zero padding on each side (default 0), or `'valid'` / `'same'` as in conv2d. */
  padding?: number | 'valid' | 'same';
  /** Spacing between kernel taps (default 1). */
  dilation?: number;
  /** Independent channel groups (default 1). */
  groups?: number;
}

const CONV1D_OPTIONS: OptionNames<Conv1dOptions> = { stride: true, padding: true, dilation: true, groups: true };

/**
 * 1-d convolution (`torch.nn.functional.conv1d`): input [N, Cin, L] (or unbatched [Cin, L]),
 * weight [Cout, Cin/groups, k], bias [Cout]; computed as conv2d on a height-1 image.
 *
 * @example
 * ```ts
 * import { F, randn } from 'tsgrad';
 * F.conv1d(randn([2, 3, 10]), randn([4, 3, 5]), null, { padding: 2 }).shape; // [2, 4, 10]
 * ```
 */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv1dOptions = {}): Tensor {
  const fn = 'conv1d';
  checkOptions(options, CONV1D_OPTIONS, fn);
  checkTensor(x, 'input', fn);
  checkTensor(weight, 'weight', fn);
  checkNdim(x, [2, 3], 'input', 'shape [N, Cin, L] (or unbatched [Cin, L])', fn);
  checkNdim(weight, [3], 'weight', 'shape [Cout, Cin/groups, k]', fn);
  if (x.ndim === 2) return conv1d(x.unsqueeze(0), weight, bias, options).squeeze(0);
  const padding = options.padding ?? 0;
  const y = conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, {
    stride: [1, options.stride ?? 1],
    padding: typeof padding === 'string' ? padding : [0, padding],
    dilation: [1, options.dilation ?? 1],
    groups: options.groups ?? 1,
  });
  return y.squeeze(2);
}
