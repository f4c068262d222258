// Constant padding, concatenation and stacking. pad and cat are primitives (ops/cat-pad.ts): each
// copies slices, and its gradient copies them back; stack is unsqueeze + cat.
import { applyOp } from '../../autograd/apply.js';
import type { Tensor } from '../../autograd/tensor.js';
import { checkOptions, type OptionNames } from '../../tensor/options.js';
import { normalizeDim, shapeString } from '../../tensor/shape.js';
import { padRegions } from '../../autograd/ops/cat-pad.js';
import { checkTensor, describe, promoted } from './args.js';

/** Options of `F.pad`: PyTorch's mode and value keywords. */
export interface PadOptions {
  /**
   * 'constant' (default: fill with `value`), or 'reflect' (mirror without repeating the edge),
   * 'replicate' (repeat the edge), 'circular' (wrap around) for the last 1 or 2 dims.
   */
  mode?: 'constant' | 'reflect' | 'replicate' | 'circular';
  /** The fill of 'constant' mode (default 0). */
  value?: number;
}

const PAD_OPTIONS: OptionNames<PadOptions> = { mode: true, value: true };

/**
 * Pads, as `torch.nn.functional.pad`: `pads` lists (before, after) pairs starting from the LAST
 * dim — [left, right] pads the width, [left, right, top, bottom] the height too, and so on. In
 * 'constant' mode (the default; a number as the third argument is its value) a negative pad crops.
 * 'reflect', 'replicate' and 'circular' pad the last 1 or 2 dims (pads of length 2 or 4), as
 * PyTorch: reflect needs pads smaller than the dim, circular at most the dim.
 *
 * @example
 * ```ts
 * import { F, ones, tensor } from 'tsgrad';
 * F.pad(ones([1, 2, 3]), [1, 1, 2, 0]).shape;  // [1, 4, 5]
 * F.pad(ones([4]), [-1, 2], 7).toArray();      // [1, 1, 1, 7, 7]
 * F.pad(tensor([[[1, 2, 3]]]), [2, 1], { mode: 'reflect' }).toArray(); // [3, 2, 1, 2, 3, 2]
 * ```
 */
export function pad(x: Tensor, pads: readonly number[], valueOrOptions: number | PadOptions = 0): Tensor {
  const fn = 'pad';
  // A number is the fill value; any object (an array too) must be the options.
  if (typeof valueOrOptions === 'object' && valueOrOptions !== null) checkOptions(valueOrOptions, PAD_OPTIONS, fn);
  checkTensor(x, 'input', fn);
  if (!Array.isArray(pads as unknown) || pads.length % 2 !== 0 || pads.length > 2 * x.ndim) {
    throw new Error(`${fn}: pads must list (before, after) pairs for at most the ${x.ndim} dims of the input of shape ${shapeString(x.shape)}, got ${JSON.stringify(pads)}`);
  }
  if (!pads.every((p) => Number.isInteger(p))) throw new Error(`${fn}: pads must be integers, got [${pads.join(', ')}]`);
  const options = typeof valueOrOptions === 'number' ? { value: valueOrOptions } : valueOrOptions;
  if (typeof options !== 'object' || options === null) throw new Error(`${fn}: the third argument must be a number (the value) or { mode, value }, got ${describe(valueOrOptions)}`);
  const mode = options.mode ?? 'constant';
  const value = options.value ?? 0;
  if (typeof value !== 'number') throw new Error(`${fn}: value must be a number, got ${describe(value)}`);
  if (mode !== 'constant') return padByIndex(x, pads, mode, options.value !== undefined);
  const r = padRegions(x.shape, pads);
  r.length.forEach((len, d) => {
    if (len < 0 || r.outShape[d]! < 0) {
      throw new Error(`${fn}: pads [${pads.join(', ')}] crop more than the ${x.shape[d]} elements of dim ${d} of the input of shape ${shapeString(x.shape)}`);
    }
  });
  return applyOp('pad', [x], { pads: [...pads], value });
}

/** Where output position o of a padded axis reads from, per mode (i = o − before). */
const SOURCE: Record<'reflect' | 'replicate' | 'circular', (i: number, size: number) => number> = {
  reflect: (i, size) => (i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i),
  replicate: (i, size) => Math.min(Math.max(i, 0), size - 1),
  circular: (i, size) => ((i % size) + size) % size,
};

/** reflect / replicate / circular padding of the last 1 or 2 dims as a planeMap (each output reads one input). */
function padByIndex(x: Tensor, pads: readonly number[], mode: string, valueGiven: boolean): Tensor {
  const fn = 'pad';
  if (!(mode in SOURCE)) throw new Error(`${fn}: mode must be 'constant', 'reflect', 'replicate' or 'circular', got ${describe(mode)}`);
  if (valueGiven) throw new Error(`${fn}: value is only used by 'constant' mode, not '${mode}'`);
  const source = SOURCE[mode as keyof typeof SOURCE];
  if (pads.length !== 2 && pads.length !== 4) throw new Error(`${fn}: '${mode}' mode pads the last 1 or 2 dims (pads of length 2 or 4), got ${pads.length} pads`);
  if (x.ndim < pads.length / 2 + 1) throw new Error(`${fn}: '${mode}' padding of ${pads.length / 2} dim(s) needs an input with a batch or channel dim in front, got shape ${shapeString(x.shape)}`);
  const image = pads.length === 2 ? x.unsqueeze(x.ndim - 1) : x;
  const [left, right, top, bottom] = [pads[0]!, pads[1]!, pads[2] ?? 0, pads[3] ?? 0];
  const inH = image.shape[image.ndim - 2]!;
  const inW = image.shape[image.ndim - 1]!;
  for (const [p, size] of [[left, inW], [right, inW], [top, inH], [bottom, inH]] as const) {
    if (p < 0) throw new Error(`${fn}: '${mode}' mode needs non-negative pads, got [${pads.join(', ')}]`);
    if (mode === 'reflect' && p >= size && p > 0) throw new Error(`${fn}: 'reflect' pads must be smaller than the padded dim (${size}), got [${pads.join(', ')}] for shape ${shapeString(x.shape)}`);
    if (mode === 'circular' && p > size) throw new Error(`${fn}: 'circular' pads must be at most the padded dim (${size}), got [${pads.join(', ')}] for shape ${shapeString(x.shape)}`);
  }
  const outH = inH + top + bottom;
  const outW = inW + left + right;
  const index = new Int32Array(outH * outW);
  for (let i = 0; i < outH; i++) {
    for (let j = 0; j < outW; j++) index[i * outW + j] = source(i - top, inH) * inW + source(j - left, inW);
  }
  const y = applyOp('planeMap', [image], { inH, inW, outH, outW, K: 1, index, weight: new Float64Array(outH * outW).fill(1) });
  return pads.length === 2 ? y.squeeze(y.ndim - 2) : y;
}

/**
 * Concatenates tensors along an existing dim (default 0). All need the same number of dims and
 * equal sizes except along `dim`; float32 with float64 gives float64.
 *
 * @example
 * ```ts
 * import { F, ones, zeros } from 'tsgrad';
 * F.cat([ones([2, 3]), zeros([1, 3])]).shape;     // [3, 3]
 * F.cat([ones([2, 3]), zeros([2, 1])], 1).shape;  // [2, 4]
 * ```
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  const fn = 'cat';
  if (!Array.isArray(tensors as unknown) || tensors.length === 0) throw new Error(`${fn}: expected a non-empty array of tensors, got ${describe(tensors)}`);
  tensors.forEach((t, i) => checkTensor(t, `tensors[${i}]`, fn));
  const first = tensors[0]!;
  if (first.ndim === 0) throw new Error(`${fn}: 0-d tensors cannot be concatenated (use stack)`);
  const d = normalizeDim(dim, first.ndim, fn);
  tensors.forEach((t, i) => {
    const ok = t.ndim === first.ndim && t.shape.every((s, k) => k === d || s === first.shape[k]);
    if (!ok) {
      throw new Error(`${fn}: tensors must have the same shape except in dim ${dim}, but tensors[0] has shape ${shapeString(first.shape)} and tensors[${i}] has ${shapeString(t.shape)}`);
    }
  });
  if (tensors.length === 1) return first;
  return applyOp('cat', promoted(...tensors), { dim: d });
}

/**
 * Stacks equally shaped tensors along a new dim (default 0).
 *
 * @example
 * ```ts
 * import { F, ones } from 'tsgrad';
 * F.stack([ones([2, 3]), ones([2, 3])]).shape;     // [2, 2, 3]
 * F.stack([ones([2, 3]), ones([2, 3])], -1).shape; // [2, 3, 2]
 * ```
 */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  const fn = 'stack';
  if (!Array.isArray(tensors as unknown) || tensors.length === 0) throw new Error(`${fn}: expected a non-empty array of tensors, got ${describe(tensors)}`);
  tensors.forEach((t, i) => checkTensor(t, `tensors[${i}]`, fn));
  const first = tensors[0]!;
  tensors.forEach((t, i) => {
    if (t.ndim !== first.ndim || t.shape.some((s, k) => s !== first.shape[k])) {
      throw new Error(`${fn}: all tensors must have the same shape, but tensors[0] has shape ${shapeString(first.shape)} and tensors[${i}] has ${shapeString(t.shape)}`);
    }
  });
  const d = normalizeDim(dim, first.ndim + 1, fn);
  const expanded = tensors.map((t) => t.unsqueeze(d));
  return expanded.length === 1 ? expanded[0]! : applyOp('cat', promoted(...expanded), { dim: d });
}
