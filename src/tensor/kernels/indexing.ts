// Index kernels: gather, scatter and scatterAdd along one dim (PyTorch's semantics). Every kernel
// walks the index array's shape in row-major order with an odometer; for element i of the index,
// the position along `dim` comes from the index, the others from i itself. Indices are checked
// before anything is written, so a bad index never leaves a half-written output.
import { allocate, castValue } from '../dtype.js';
import { NDArray } from '../ndarray.js';
import { shapeString } from '../shape.js';

/**
 * Calls `visit(i, idx, posIndex)` for each element of `index` in row-major order: its row-major
 * number i, its value idx, and the coordinates through `coords` (shared, updated in place).
 */
function forEachIndex(index: NDArray, visit: (i: number, idx: number, coords: readonly number[]) => void): void {
  const nd = index.ndim;
  const total = index.size;
  const coords = new Array<number>(nd).fill(0);
  const data = index.data;
  let pos = index.offset;
  for (let i = 0; i < total; i++) {
    visit(i, data[pos]!, coords);
    for (let d = nd - 1; d >= 0; d--) {
      coords[d]!++;
      pos += index.strides[d]!;
      if (coords[d]! < index.shape[d]!) break;
      pos -= index.strides[d]! * index.shape[d]!;
      coords[d] = 0;
    }
  }
}

/**
 * Checks an index array against the array it indexes along `dim`: int32, the same number of dims,
 * no larger than `limits` (the sizes it must fit in, per dim; `dim` itself is unbounded), and every
 * value in [0, size of dim). Errors name the op, the index, the dim and its size.
 */
export function checkIndex(op: string, index: NDArray, dim: number, target: readonly number[], limits: readonly (readonly number[])[]): void {
  if (index.dtype !== 'int32') throw new Error(`${op}: the index must be an int32 tensor (or an array of integers), got ${index.dtype}`);
  if (index.ndim !== target.length) {
    throw new Error(`${op}: the index has ${index.ndim} dims (shape ${shapeString(index.shape)}), but the tensor has ${target.length} (shape ${shapeString(target)})`);
  }
  for (const [name, shape] of limits.map((l, i) => [i === 0 ? 'the tensor' : 'src', l] as const)) {
    for (let d = 0; d < index.ndim; d++) {
      if (name === 'the tensor' && d === dim) continue;
      if (index.shape[d]! > shape[d]!) {
        throw new Error(`${op}: the index of shape ${shapeString(index.shape)} is larger than ${name} of shape ${shapeString(shape)} at dim ${d}`);
      }
    }
  }
  // A 0-d tensor has one position (PyTorch accepts dim 0 / −1 and the index 0).
  const size = target.length === 0 ? 1 : target[dim]!;
  forEachIndex(index, (_, idx, coords) => {
    if (idx < 0 || idx >= size) {
      throw new Error(`${op}: index ${idx} (at [${coords.join(', ')}] of the index) is out of range for dim ${dim} of size ${size}`);
    }
  });
}

/** The storage position of `coords` in `x`, with `dim` replaced by `at`. */
function position(x: NDArray, coords: readonly number[], dim: number, at: number): number {
  let pos = x.offset;
  for (let d = 0; d < coords.length; d++) pos += (d === dim ? at : coords[d]!) * x.strides[d]!;
  return pos;
}

/**
 * out[i][j][k] = x[index[i][j][k]][j][k] (dim 0; likewise for the others); out has the index's shape.
 *
 * @example
 * ```ts
 * const x = new NDArray(new Float32Array([1, 2, 3, 4]), [2, 2]);
 * gatherArrays(x, 1, new NDArray(new Int32Array([1, 1, 0, 1]), [2, 2])).data; // [2, 2, 3, 4]
 * ```
 */
export function gatherArrays(x: NDArray, dim: number, index: NDArray): NDArray {
  checkIndex('gather', index, dim, x.shape, [x.shape]);
  const out = allocate(x.dtype, index.size, undefined, index.shape);
  const data = x.data;
  forEachIndex(index, (i, idx, coords) => {
    out[i] = data[position(x, coords, dim, idx)]!;
  });
  return new NDArray(out, [...index.shape]);
}

/**
 * A copy of `self` with self[index[i][j][k]][j][k] = src[i][j][k] (dim 0), or += when `accumulate`.
 * NOTE: with repeated indices, scatter keeps the last write in row-major order of the index (PyTorch
 * leaves the winner unspecified); scatterAdd sums them all, in that order.
 */
export function scatterArrays(self: NDArray, dim: number, index: NDArray, src: NDArray, accumulate: boolean): NDArray {
  const op = accumulate ? 'scatterAdd' : 'scatter';
  checkIndex(op, index, dim, self.shape, [self.shape, src.shape]);
  if (src.ndim !== self.ndim) throw new Error(`${op}: src has ${src.ndim} dims (shape ${shapeString(src.shape)}), but the tensor has ${self.ndim}`);
  const out = self.copy();
  const od = out.data;
  const sd = src.data;
  const dtype = out.dtype;
  forEachIndex(index, (_, idx, coords) => {
    const at = position(out, coords, dim, idx);
    const v = sd[position(src, coords, -1, 0)]!;
    od[at] = castValue(accumulate ? od[at]! + v : v, dtype);
  });
  return out;
}

/** The row-major positions of the non-zero elements of `mask` (maskedSelect's gather index). */
export function nonzeroFlat(mask: NDArray): NDArray {
  const flat = mask.flat();
  let count = 0;
  for (let i = 0; i < flat.length; i++) if (flat[i] !== 0) count++;
  const out = new Int32Array(count);
  for (let i = 0, j = 0; i < flat.length; i++) if (flat[i] !== 0) out[j++] = i;
  return new NDArray(out, [count]);
}
