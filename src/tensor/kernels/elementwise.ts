import { allocate, promoteTypes, type DType } from '../dtype.js';
import { NDArray, forEachStrided2 } from '../ndarray.js';
import { broadcastShapes } from '../shape.js';

/** out[i] = fn(x[i]) over all elements; a straight loop when x is contiguous. */
export function mapUnary(x: NDArray, fn: (v: number) => number, dtype: DType = x.dtype): NDArray {
  const out = allocate(dtype, x.size);
  if (x.isContiguous()) {
    const data = x.data;
    const offset = x.offset;
    for (let i = 0; i < out.length; i++) out[i] = fn(data[offset + i]!);
  } else {
    const data = x.data;
    forEachStrided2(x.shape, x.strides, x.offset, x.strides, x.offset, (i, pos) => {
      out[i] = fn(data[pos]!);
    });
  }
  return new NDArray(out, [...x.shape]);
}

/**
 * out = fn(a, b) with NumPy broadcasting. Fast paths: same shape and both contiguous, and a scalar
 * operand; otherwise broadcast dims get stride 0 and one strided walk covers both inputs.
 */
export function mapBinary(a: NDArray, b: NDArray, fn: (x: number, y: number) => number, op: string): NDArray {
  const shape = broadcastShapes(a.shape, b.shape, op);
  const dtype = promoteTypes(a.dtype, b.dtype);
  const size = shape.reduce((p, d) => p * d, 1);
  const out = allocate(dtype, size);
  const ad = a.data;
  const bd = b.data;
  if (a.size === size && b.size === size && a.isContiguous() && b.isContiguous()) {
    const ao = a.offset;
    const bo = b.offset;
    for (let i = 0; i < size; i++) out[i] = fn(ad[ao + i]!, bd[bo + i]!);
  } else if (b.size === 1 && a.size === size && a.isContiguous()) {
    const ao = a.offset;
    const bv = bd[b.offset]!;
    for (let i = 0; i < size; i++) out[i] = fn(ad[ao + i]!, bv);
  } else if (a.size === 1 && b.size === size && b.isContiguous()) {
    const bo = b.offset;
    const av = ad[a.offset]!;
    for (let i = 0; i < size; i++) out[i] = fn(av, bd[bo + i]!);
  } else {
    const ae = a.expand(shape);
    const be = b.expand(shape);
    forEachStrided2(shape, ae.strides, ae.offset, be.strides, be.offset, (i, pa, pb) => {
      out[i] = fn(ad[pa]!, bd[pb]!);
    });
  }
  return new NDArray(out, shape);
}
