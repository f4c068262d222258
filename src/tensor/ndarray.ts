import { allocate, castInto, castValue, dtypeOf, type DType, type Storage } from './dtype.js';
import {
  checkShape, coalesceDims, contiguousStrides, inferShape, normalizeDim, sameShape, shapeString, sizeOf, type Shape,
} from './shape.js';

/**
 * An n-dimensional view of a flat typed array: element (i0, i1, …) lives at
 * `data[offset + i0·strides[0] + i1·strides[1] + …]`. Views (reshape of a contiguous array,
 * transpose, permute, expand, narrow) share `data`; `contiguous()` copies when it must.
 * NDArray knows nothing of autograd: it is what kernels and workers see (a Tensor's values are
 * `tensor.array`; `new Tensor(array)` wraps one, e.g. in a `customOp`).
 *
 * @example
 * ```ts
 * import { NDArray } from 'tsgrad';
 * const a = new NDArray(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]); // strides [3, 1]
 * const t = a.transpose(0, 1);      // shape [3, 2], strides [1, 3]: the same data
 * t.data === a.data;                // true
 * t.contiguous().flat();            // Float32Array [1, 4, 2, 5, 3, 6], a row-major copy
 * ```
 */
export class NDArray {
  /** The flat storage, shared by every view of it. */
  readonly data: Storage;
  /** The size of each dim. */
  readonly shape: readonly number[];
  /**
   * How far apart (in elements of `data`) consecutive indices of each dim are; 0 for a broadcast
   * dim.
   */
  readonly strides: readonly number[];
  /** Where element (0, 0, …) is in `data`. */
  readonly offset: number;

  constructor(data: Storage, shape: Shape, strides?: readonly number[], offset = 0) {
    this.data = data;
    this.shape = shape;
    this.strides = strides ?? contiguousStrides(shape);
    this.offset = offset;
  }

  /** A fresh contiguous array of zeros. */
  static zeros(shape: Shape, dtype: DType): NDArray {
    checkShape(shape as unknown[], 'zeros');
    return new NDArray(allocate(dtype, sizeOf(shape), undefined, shape), [...shape]);
  }

  /** A fresh contiguous array filled with `value`. */
  static full(shape: Shape, value: number, dtype: DType): NDArray {
    const out = NDArray.zeros(shape, dtype);
    out.data.fill(castValue(value, dtype));
    return out;
  }

  /** A 0-d array holding one value. */
  static scalar(value: number, dtype: DType): NDArray {
    const data = allocate(dtype, 1);
    data[0] = castValue(value, dtype);
    return new NDArray(data, []);
  }

  /** The element type, from the storage: `'float32'`, `'float64'`, `'int32'` or `'bool'`. */
  get dtype(): DType {
    return dtypeOf(this.data);
  }

  /** The number of dims. */
  get ndim(): number {
    return this.shape.length;
  }

  /** The number of elements (the product of the shape). */
  get size(): number {
    return sizeOf(this.shape);
  }

  /** True when the elements are laid out row-major without gaps (offset may be non-zero). */
  isContiguous(): boolean {
    let expected = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      const d = this.shape[i]!;
      if (d !== 1 && this.strides[i] !== expected) return false;
      expected *= d;
    }
    return true;
  }

  /** This array if contiguous, else a row-major copy. */
  contiguous(): NDArray {
    if (this.isContiguous()) return this;
    return this.copy();
  }

  /** A fresh contiguous copy with offset 0. */
  copy(): NDArray {
    const out = allocate(this.dtype, this.size, undefined, this.shape);
    copyStrided(this, out);
    return new NDArray(out, [...this.shape]);
  }

  /**
   * The elements in row-major order as a flat array of length `size`. May be `data` itself
   * (when contiguous with offset 0 and no extra storage): do not write to it.
   */
  flat(): Storage {
    if (this.isContiguous()) {
      if (this.offset === 0 && this.data.length === this.size) return this.data;
      return this.data.subarray(this.offset, this.offset + this.size);
    }
    return this.copy().data;
  }

  /**
   * Converts the element type (always a copy when the dtype differs): to int32 truncating toward
   * zero, to bool as `v !== 0` (castInto).
   */
  astype(dtype: DType): NDArray {
    if (dtype === this.dtype) return this;
    const out = allocate(dtype, this.size, undefined, this.shape);
    castInto(out, this.flat());
    return new NDArray(out, [...this.shape]);
  }

  /** A view with a new shape when the layout allows it (contiguous), else a reshaped copy. */
  reshape(shape: readonly number[]): NDArray {
    const target = inferShape(shape, this.size, 'reshape', this.shape);
    if (sameShape(target, this.shape)) return this;
    const base = this.contiguous();
    return new NDArray(base.data, target, contiguousStrides(target), base.offset);
  }

  /** Reorders dimensions (a view). */
  permute(dims: readonly number[]): NDArray {
    if (dims.length !== this.ndim) {
      throw new Error(`permute: expected ${this.ndim} dims for a tensor of shape ${shapeString(this.shape)}, got [${dims.join(', ')}]`);
    }
    const resolved = dims.map((d) => normalizeDim(d, this.ndim, 'permute'));
    if (new Set(resolved).size !== resolved.length) throw new Error(`permute: dims [${dims.join(', ')}] repeat a dimension`);
    return new NDArray(this.data, resolved.map((d) => this.shape[d]!), resolved.map((d) => this.strides[d]!), this.offset);
  }

  /** Swaps two dimensions (a view). */
  transpose(dim0: number, dim1: number): NDArray {
    const a = normalizeDim(dim0, this.ndim, 'transpose');
    const b = normalizeDim(dim1, this.ndim, 'transpose');
    const order = Array.from({ length: this.ndim }, (_, i) => i);
    order[a] = b;
    order[b] = a;
    return this.ndim === 0 ? this : this.permute(order);
  }

  /** Broadcasts size-1 dims (and new leading dims) to `shape` with stride 0 (a view). -1 keeps a size. */
  expand(shape: readonly number[]): NDArray {
    const lead = shape.length - this.ndim;
    if (lead < 0) {
      throw new Error(`expand: cannot expand shape ${shapeString(this.shape)} to fewer dims ${shapeString(shape)}`);
    }
    const outShape: number[] = [];
    const outStrides: number[] = [];
    for (let i = 0; i < shape.length; i++) {
      const want = shape[i]!;
      if (i < lead) {
        if (!Number.isInteger(want) || want < 0) throw new Error(`expand: invalid size ${want} in ${shapeString(shape)}`);
        outShape.push(want);
        outStrides.push(0);
        continue;
      }
      const have = this.shape[i - lead]!;
      const size = want === -1 ? have : want;
      if (!Number.isInteger(size) || size < 0) throw new Error(`expand: invalid size ${want} in ${shapeString(shape)}`);
      if (size !== have && have !== 1) {
        throw new Error(`expand: the size ${have} at dim ${i - lead} of ${shapeString(this.shape)} must be 1 to expand to ${shapeString(shape)}`);
      }
      outShape.push(size);
      outStrides.push(size === have ? this.strides[i - lead]! : 0);
    }
    return new NDArray(this.data, outShape, outStrides, this.offset);
  }

  /** Elements start … start+length−1 along `dim` (a view). */
  narrow(dim: number, start: number, length: number): NDArray {
    const d = normalizeDim(dim, this.ndim, 'narrow');
    const size = this.shape[d]!;
    if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > size) {
      throw new Error(`narrow: start ${start} and length ${length} are out of range for dim ${dim} of size ${size}`);
    }
    const shape = [...this.shape];
    shape[d] = length;
    return new NDArray(this.data, shape, this.strides, this.offset + start * this.strides[d]!);
  }

  /** The element at a full index (for tests and small utilities, not for kernels). */
  get(index: readonly number[]): number {
    let pos = this.offset;
    for (let i = 0; i < index.length; i++) pos += index[i]! * this.strides[i]!;
    return this.data[pos]!;
  }
}

/**
 * Calls `visit(outIndex, offsetA, offsetB)` for every element of `shape` in row-major order, with the
 * storage offsets of that element in two strided arrays. The innermost dim runs as a plain loop;
 * outer dims advance an index counter, so there is no recursion and no per-element allocation.
 */
export function forEachStrided2(
  shape: Shape,
  stridesA: readonly number[], offsetA: number,
  stridesB: readonly number[], offsetB: number,
  visit: (outIndex: number, posA: number, posB: number) => void,
): void {
  const ndim = shape.length;
  const total = sizeOf(shape);
  if (total === 0) return;
  if (ndim === 0) {
    visit(0, offsetA, offsetB);
    return;
  }
  const inner = shape[ndim - 1]!;
  const innerA = stridesA[ndim - 1]!;
  const innerB = stridesB[ndim - 1]!;
  const counter = new Array<number>(ndim).fill(0);
  let posA = offsetA;
  let posB = offsetB;
  for (let out = 0; out < total; out += inner) {
    let a = posA;
    let b = posB;
    for (let j = 0; j < inner; j++) {
      visit(out + j, a, b);
      a += innerA;
      b += innerB;
    }
    // Advance the outer index like an odometer, adjusting both offsets incrementally.
    for (let d = ndim - 2; d >= 0; d--) {
      counter[d]!++;
      posA += stridesA[d]!;
      posB += stridesB[d]!;
      if (counter[d]! < shape[d]!) break;
      posA -= stridesA[d]! * shape[d]!;
      posB -= stridesB[d]! * shape[d]!;
      counter[d] = 0;
    }
  }
}

/** Copies a strided array into a contiguous output, row-major. */
export function copyStrided(src: NDArray, out: Storage): void {
  copyRows(src.shape, out, 0, contiguousStrides(src.shape), src.data, src.offset, src.strides);
}

/** Writes `src` (same shape) into the strided view `dst`, element by element. */
export function copyInto(dst: NDArray, src: NDArray): void {
  if (dst.shape.length !== src.shape.length || dst.shape.some((d, i) => d !== src.shape[i])) {
    throw new Error(`copyInto: shapes [${dst.shape.join(', ')}] and [${src.shape.join(', ')}] differ`);
  }
  copyRows(dst.shape, dst.data, dst.offset, dst.strides, src.data, src.offset, src.strides);
}

/**
 * out[element at outStrides] = data[element at dataStrides] for every element of `shape`. Dims
 * both sides step through uniformly are merged first (coalesceDims), then rows of the innermost
 * dim are copied with a plain loop while the outer index advances like an odometer.
 */
function copyRows(
  shape: readonly number[], out: Storage, outOffset: number, outStrides: readonly number[],
  data: Storage, dataOffset: number, dataStrides: readonly number[],
): void {
  if (sizeOf(shape) === 0) return;
  const { shape: dims, strides: [so, sd] } = coalesceDims(shape, [outStrides, dataStrides]);
  const nd = dims.length;
  if (nd === 0) {
    out[outOffset] = data[dataOffset]!;
    return;
  }
  const len = dims[nd - 1]!;
  const innerOut = so![nd - 1]!;
  const innerData = sd![nd - 1]!;
  const rows = sizeOf(dims) / len;
  const counter = new Array<number>(nd).fill(0);
  let po = outOffset;
  let pd = dataOffset;
  for (let r = 0; r < rows; r++) {
    if (innerOut === 1 && innerData === 1) {
      for (let j = 0; j < len; j++) out[po + j] = data[pd + j]!;
    } else {
      for (let j = 0; j < len; j++) out[po + j * innerOut] = data[pd + j * innerData]!;
    }
    for (let d = nd - 2; d >= 0; d--) {
      counter[d]!++;
      po += so![d]!;
      pd += sd![d]!;
      if (counter[d]! < dims[d]!) break;
      po -= so![d]! * dims[d]!;
      pd -= sd![d]! * dims[d]!;
      counter[d] = 0;
    }
  }
}
