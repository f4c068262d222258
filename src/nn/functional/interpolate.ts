// Interpolation (resizing) of NCHW images: nearest and bilinear, with PyTorch's source-index rules.
// Both are a fixed sparse linear map per plane (the planeMap primitive): nearest takes one input
// pixel per output pixel, bilinear blends four.
import { applyOp } from '../../autograd/apply.js';
import type { Tensor } from '../../autograd/tensor.js';
import { checkOptions, type OptionNames } from '../../tensor/options.js';
import { formatValue, shapeString } from '../../tensor/shape.js';
import { checkNdim, checkTensor } from './args.js';

/** Options of `F.interpolate` (PyTorch's keywords): exactly one of size and scaleFactor. */
export interface InterpolateOptions {
  /** The output's [H, W] (or one number for both). */
  size?: number | readonly [number, number];
  /** The factor of each spatial size (or one number for both); the output size is ⌊size·factor⌋. */
  scaleFactor?: number | readonly [number, number];
  /** 'nearest' (default) or 'bilinear'. */
  mode?: 'nearest' | 'bilinear';
  /** Bilinear only: map the corner pixels' centres onto each other (default false, as PyTorch). */
  alignCorners?: boolean;
}

export const INTERPOLATE_OPTIONS: OptionNames<InterpolateOptions> = { size: true, scaleFactor: true, mode: true, alignCorners: 'flag' };

/**
 * Resizes [N, C, H, W] (or unbatched [C, H, W]) images, as `torch.nn.functional.interpolate`.
 * NOTE: with `scaleFactor`, the source index uses 1/scaleFactor itself (PyTorch's rule when
 * `recompute_scale_factor` is not set), not the ratio of the sizes.
 *
 * @example
 * ```ts
 * import { F, tensor } from 'tsgrad';
 * F.interpolate(tensor([[[[1, 2]]]]), { scaleFactor: 2 }).toArray(); // Float32Array [1, 1, 2, 2, 1, 1, 2, 2]
 * F.interpolate(tensor([[[[0, 1]]]]), { size: [1, 3], mode: 'bilinear', alignCorners: true }).toArray(); // [0, 0.5, 1]
 * ```
 */
export function interpolate(x: Tensor, options: InterpolateOptions): Tensor {
  const fn = 'interpolate';
  checkOptions(options, INTERPOLATE_OPTIONS, fn);
  checkTensor(x, 'input', fn);
  checkNdim(x, [3, 4], 'input', 'shape [N, C, H, W] (or unbatched [C, H, W])', fn);
  // The options are required here: checkOptions lets undefined through.
  if (options === undefined) throw new Error(`${fn}: expected an options object with size or scaleFactor, got ${formatValue(options)}`);
  const mode = options.mode ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'bilinear') throw new Error(`${fn}: mode must be 'nearest' or 'bilinear', got ${formatValue(mode)}`);
  if (options.alignCorners !== undefined && mode === 'nearest') {
    throw new Error(`${fn}: alignCorners only has an effect with mode 'bilinear' (PyTorch refuses it for 'nearest' too)`);
  }
  if ((options.size === undefined) === (options.scaleFactor === undefined)) {
    throw new Error(`${fn}: give exactly one of size and scaleFactor, got ${options.size === undefined ? 'neither' : 'both'}`);
  }
  const inH = x.shape[x.ndim - 2]!;
  const inW = x.shape[x.ndim - 1]!;
  let outH: number;
  let outW: number;
  let scales: [number | null, number | null] = [null, null];
  if (options.size !== undefined) {
    [outH, outW] = typeof options.size === 'number' ? [options.size, options.size] : [options.size[0], options.size[1]];
    if (![outH, outW].every((s) => Number.isInteger(s) && s >= 1)) throw new Error(`${fn}: size must be positive integers, got ${formatValue(options.size)}`);
  } else {
    const f = options.scaleFactor!;
    const [fH, fW] = typeof f === 'number' ? [f, f] : [f[0], f[1]];
    if (![fH, fW].every((s) => typeof s === 'number' && Number.isFinite(s) && s > 0)) throw new Error(`${fn}: scaleFactor must be positive numbers, got ${formatValue(f)}`);
    outH = Math.floor(inH * fH);
    outW = Math.floor(inW * fW);
    if (outH < 1 || outW < 1) throw new Error(`${fn}: scaleFactor ${formatValue(f)} makes the ${shapeString(x.shape)} input empty (${outH}×${outW})`);
    scales = [1 / fH, 1 / fW];
  }
  const rows = axisTaps(mode, inH, outH, scales[0], options.alignCorners ?? false);
  const cols = axisTaps(mode, inW, outW, scales[1], options.alignCorners ?? false);
  // The 2-d taps are the products of the row and column taps.
  const K = rows.K * cols.K;
  const index = new Int32Array(outH * outW * K);
  const weight = new Float64Array(outH * outW * K);
  for (let i = 0; i < outH; i++) {
    for (let j = 0; j < outW; j++) {
      let k = (i * outW + j) * K;
      for (let a = 0; a < rows.K; a++) {
        for (let b = 0; b < cols.K; b++, k++) {
          index[k] = rows.index[i * rows.K + a]! * inW + cols.index[j * cols.K + b]!;
          weight[k] = rows.weight[i * rows.K + a]! * cols.weight[j * cols.K + b]!;
        }
      }
    }
  }
  return applyOp('planeMap', [x], { inH, inW, outH, outW, K, index, weight });
}

/** Per output position along one axis: the input positions it reads and their weights. */
function axisTaps(mode: 'nearest' | 'bilinear', size: number, out: number, scale: number | null, alignCorners: boolean): { K: number; index: Int32Array; weight: Float64Array } {
  if (mode === 'nearest') {
    // PyTorch: src = min(⌊dst · scale⌋, size − 1) with scale = 1/scaleFactor or size/out.
    const s = scale ?? size / out;
    const index = Int32Array.from({ length: out }, (_, d) => Math.min(Math.floor(d * s), size - 1));
    return { K: 1, index, weight: new Float64Array(out).fill(1) };
  }
  const index = new Int32Array(2 * out);
  const weight = new Float64Array(2 * out);
  for (let d = 0; d < out; d++) {
    let src: number;
    if (alignCorners) src = out > 1 ? (d * (size - 1)) / (out - 1) : 0;
    else src = Math.max(0, (d + 0.5) * (scale ?? size / out) - 0.5); // area_pixel_compute_source_index
    const i0 = Math.min(Math.floor(src), size - 1);
    const i1 = Math.min(i0 + 1, size - 1);
    const lambda = src - i0;
    index[2 * d] = i0;
    index[2 * d + 1] = i1;
    weight[2 * d] = 1 - lambda;
    weight[2 * d + 1] = lambda;
  }
  return { K: 2, index, weight };
}
