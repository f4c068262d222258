// Strided slices, flips and their scatter-backs: the kernels under Tensor.slice and Tensor.flip.
import { NDArray, copyInto } from '../ndarray.js';
import { shapeString } from '../shape.js';

/** One resolved slice of a dim: `length` elements from `start`, `step` apart (step ≥ 1). */
export interface SliceSpec {
  dim: number;
  start: number;
  length: number;
  step: number;
}

/**
 * Python's slice rule for a dim of `size`: negative start/end count from the end, both are then
 * clamped to [0, size], and the slice holds ⌈(end − start) / step⌉ elements (none if end ≤ start).
 * `end` undefined means the end of the dim. Throws for a step ≤ 0 or non-integers, naming `op`.
 *
 * @example
 * ```ts
 * resolveSlice(1, 5, -1, undefined, 2, 'slice'); // { dim: 1, start: 4, length: 1, step: 2 }
 * resolveSlice(0, 10, 1, -2, 3, 'slice');        // { dim: 0, start: 1, length: 3, step: 3 }: 1, 4, 7
 * ```
 */
export function resolveSlice(dim: number, size: number, start: number, end: number | undefined, step: number, op: string): SliceSpec {
  if (!Number.isInteger(step) || step <= 0) {
    throw new Error(`${op}: step must be a positive integer, got ${String(step)} (a negative step is not supported, as in PyTorch; use flip)`);
  }
  if (!Number.isInteger(start)) throw new Error(`${op}: start must be an integer, got ${String(start)}`);
  if (end !== undefined && !Number.isInteger(end)) throw new Error(`${op}: end must be an integer or undefined, got ${String(end)}`);
  const clamp = (v: number): number => Math.min(size, Math.max(0, v < 0 ? v + size : v));
  const s = clamp(start);
  const e = end === undefined ? size : clamp(end);
  const length = e > s ? Math.ceil((e - s) / step) : 0;
  return { dim, start: s, length, step };
}

/**
 * The slice of `x` as a view: the same storage, the dim's stride multiplied by the step.
 *
 * @example
 * ```ts
 * const x = new NDArray(new Float64Array([0, 1, 2, 3, 4, 5]), [6]);
 * sliceView(x, { dim: 0, start: 1, length: 3, step: 2 }).contiguous().data; // Float64Array [1, 3, 5]
 * ```
 */
export function sliceView(x: NDArray, { dim, start, length, step }: SliceSpec): NDArray {
  const shape = [...x.shape];
  shape[dim] = length;
  const strides = [...x.strides];
  const offset = length === 0 ? x.offset : x.offset + start * x.strides[dim]!;
  strides[dim] = x.strides[dim]! * step;
  return new NDArray(x.data, shape, strides, offset);
}

/**
 * The opposite of a slice: zeros of `inputShape` with `g` written at the slice's positions (a slice's
 * gradient). `g` has the slice's shape.
 *
 * @example
 * ```ts
 * const g = new NDArray(new Float64Array([7, 8]), [2]);
 * sliceScatter(g, [5], { dim: 0, start: 1, length: 2, step: 3 }).data; // Float64Array [0, 7, 0, 0, 8]
 * ```
 */
export function sliceScatter(g: NDArray, inputShape: readonly number[], spec: SliceSpec): NDArray {
  const out = NDArray.zeros(inputShape, g.dtype);
  const target = sliceView(out, spec);
  if (target.shape.some((d, i) => d !== g.shape[i]) || target.ndim !== g.ndim) {
    throw new Error(`slice backward: a gradient of shape ${shapeString(g.shape)} does not fit the slice of shape ${shapeString(target.shape)}`);
  }
  copyInto(target, g);
  return out;
}

/**
 * A fresh contiguous copy of `x` with the order of the given dims (resolved, unique) reversed: a view
 * with negative strides, copied row-major.
 *
 * @example
 * ```ts
 * const x = new NDArray(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * flipCopy(x, [1]).data; // Float64Array [3, 2, 1, 6, 5, 4]
 * ```
 */
export function flipCopy(x: NDArray, dims: readonly number[]): NDArray {
  const strides = [...x.strides];
  let offset = x.offset;
  for (const d of dims) {
    const size = x.shape[d]!;
    if (size > 1) offset += (size - 1) * strides[d]!;
    strides[d] = -strides[d]!;
  }
  return new NDArray(x.data, [...x.shape], strides, offset).copy();
}
