// Constant padding, concatenation and stacking. pad and cat are primitives (ops/cat-pad.ts): each
// copies slices, and its gradient copies them back; stack is unsqueeze + cat.
import { applyOp } from '../../autograd/apply.js';
import type { Tensor } from '../../autograd/tensor.js';
import { normalizeDim, shapeString } from '../../tensor/shape.js';
import { padRegions } from '../../autograd/ops/cat-pad.js';
import { checkTensor, describe, promoted } from './args.js';

/**
 * Pads with a constant, as `torch.nn.functional.pad` in 'constant' mode: `pads` lists
 * (before, after) pairs starting from the LAST dim — [left, right] pads the width, [left, right,
 * top, bottom] the height too, and so on. A negative pad crops.
 *
 * @example
 * ```ts
 * import { F, ones } from 'tsgrad';
 * F.pad(ones([1, 2, 3]), [1, 1, 2, 0]).shape;  // [1, 4, 5]
 * F.pad(ones([4]), [-1, 2], 7).toArray();      // [1, 1, 1, 7, 7]
 * ```
 */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  const fn = 'pad';
  checkTensor(x, 'input', fn);
  if (!Array.isArray(pads as unknown) || pads.length % 2 !== 0 || pads.length > 2 * x.ndim) {
    throw new Error(`${fn}: pads must list (before, after) pairs for at most the ${x.ndim} dims of the input of shape ${shapeString(x.shape)}, got ${JSON.stringify(pads)}`);
  }
  if (!pads.every((p) => Number.isInteger(p))) throw new Error(`${fn}: pads must be integers, got [${pads.join(', ')}]`);
  if (typeof value !== 'number') throw new Error(`${fn}: value must be a number, got ${describe(value)}`);
  const r = padRegions(x.shape, pads);
  r.length.forEach((len, d) => {
    if (len < 0 || r.outShape[d]! < 0) {
      throw new Error(`${fn}: pads [${pads.join(', ')}] crop more than the ${x.shape[d]} elements of dim ${d} of the input of shape ${shapeString(x.shape)}`);
    }
  });
  return applyOp('pad', [x], { pads: [...pads], value });
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
