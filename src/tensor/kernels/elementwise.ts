// Elementwise kernels. mapUnary/mapBinary take any function (one call per element: flexible, but
// V8 cannot inline a closure that changes from call to call, so they cost several ns per element).
// The hot ops — add, mul (incl. the scalar cases) and relu forward/backward — have dedicated loops
// below, with no call per element. All of them accept any view; contiguous inputs take the fast
// paths.
import { getBackend } from '../backend.js';
import { allocate, promoteTypes, type DType, type Storage } from '../dtype.js';
import { NDArray, forEachStrided2 } from '../ndarray.js';
import { runChunks, shouldParallelize } from '../parallel/pool.js';
import { arrayArg, numberArg, type TaskArg, type TaskFactory } from '../parallel/protocol.js';
import { broadcastShapes, coalesceDims, sameShape, shapeString } from '../shape.js';
import { wasmReluGradWords, wasmReluWords } from '../wasm/relu.js';

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
 * out = fn(a, b) with NumPy broadcasting, stored as `dtype` (default: the promoted one; the
 * comparisons store bool). Fast paths: same shape and both contiguous, and a scalar
 * operand; otherwise broadcast dims get stride 0 and one strided walk covers both inputs.
 */
export function mapBinary(
  a: NDArray, b: NDArray, fn: (x: number, y: number) => number, op: string, dtype: DType = promoteTypes(a.dtype, b.dtype),
): NDArray {
  const shape = broadcastShapes(a.shape, b.shape, op);
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

// ---- add and mul -------------------------------------------------------------------------------

/**
 * One row of a binary op: out[o + j] = a[pa + j·sa] ∘ b[pb + j·sb] for j < len. The cases
 * (both unit-stride, b or a fixed) are separate loops so the common ones read sequentially.
 */
type RowKernel = (out: Storage, o: number, a: Storage, pa: number, sa: number, b: Storage, pb: number, sb: number, len: number) => void;

function addRow(out: Storage, o: number, a: Storage, pa: number, sa: number, b: Storage, pb: number, sb: number, len: number): void {
  if (sa === 1 && sb === 1) {
    for (let j = 0; j < len; j++) out[o + j] = a[pa + j]! + b[pb + j]!;
  } else if (sa === 1 && sb === 0) {
    const v = b[pb]!;
    for (let j = 0; j < len; j++) out[o + j] = a[pa + j]! + v;
  } else if (sa === 0 && sb === 1) {
    const v = a[pa]!;
    for (let j = 0; j < len; j++) out[o + j] = v + b[pb + j]!;
  } else {
    for (let j = 0; j < len; j++) out[o + j] = a[pa + j * sa]! + b[pb + j * sb]!;
  }
}

function mulRow(out: Storage, o: number, a: Storage, pa: number, sa: number, b: Storage, pb: number, sb: number, len: number): void {
  if (sa === 1 && sb === 1) {
    for (let j = 0; j < len; j++) out[o + j] = a[pa + j]! * b[pb + j]!;
  } else if (sa === 1 && sb === 0) {
    const v = b[pb]!;
    for (let j = 0; j < len; j++) out[o + j] = a[pa + j]! * v;
  } else if (sa === 0 && sb === 1) {
    const v = a[pa]!;
    for (let j = 0; j < len; j++) out[o + j] = v * b[pb + j]!;
  } else {
    for (let j = 0; j < len; j++) out[o + j] = a[pa + j * sa]! * b[pb + j * sb]!;
  }
}

/** out = a ∘ b with broadcasting, one `row` call per innermost run of the coalesced shape. */
function binaryKernel(a: NDArray, b: NDArray, row: RowKernel, op: string): NDArray {
  const shape = broadcastShapes(a.shape, b.shape, op);
  const size = shape.reduce((p, d) => p * d, 1);
  const out = allocate(promoteTypes(a.dtype, b.dtype), size);
  if (size === 0) return new NDArray(out, shape);
  // Contiguous operands of the output's size, or one of them a single element (a scalar, a
  // [1] bias): one row over everything — the rows the general walk below would make, fused into
  // one, so the same operations (measured: the expand/coalesce of the general walk was ~10% of a
  // small op's time, bench/measure-overhead.ts).
  const aWhole = a.size === size && a.isContiguous();
  const bWhole = b.size === size && b.isContiguous();
  if ((aWhole || a.size === 1) && (bWhole || b.size === 1)) {
    row(out, 0, a.data, a.offset, aWhole ? 1 : 0, b.data, b.offset, bWhole ? 1 : 0, size);
    return new NDArray(out, shape);
  }
  const ae = a.expand(shape);
  const be = b.expand(shape);
  const { shape: dims, strides: [sa, sb] } = coalesceDims(shape, [ae.strides, be.strides]);
  const nd = dims.length;
  if (nd === 0) {
    row(out, 0, a.data, ae.offset, 0, b.data, be.offset, 0, 1);
    return new NDArray(out, shape);
  }
  const len = dims[nd - 1]!;
  const innerA = sa![nd - 1]!;
  const innerB = sb![nd - 1]!;
  const counter = new Array<number>(nd).fill(0);
  let pa = ae.offset;
  let pb = be.offset;
  // Rows in row-major order; the outer index advances like an odometer, offsets incrementally.
  for (let o = 0; o < size; o += len) {
    row(out, o, a.data, pa, innerA, b.data, pb, innerB, len);
    for (let d = nd - 2; d >= 0; d--) {
      counter[d]!++;
      pa += sa![d]!;
      pb += sb![d]!;
      if (counter[d]! < dims[d]!) break;
      pa -= sa![d]! * dims[d]!;
      pb -= sb![d]! * dims[d]!;
      counter[d] = 0;
    }
  }
  return new NDArray(out, shape);
}

/**
 * target += source, elementwise and in place, for two contiguous arrays of one shape and dtype:
 * target[i] = target[i] + source[i], the expression addArrays evaluates for the same operands, so
 * the same bits without a new buffer. The autograd engine sums a second gradient into one it owns
 * this way (grad-memory.ts).
 *
 * @example
 * ```ts
 * const t = new NDArray(new Float32Array([1, 2]), [2]);
 * addInto(t, new NDArray(new Float32Array([10, 20]), [2])); // t.data = [11, 22]
 * ```
 */
export function addInto(target: NDArray, source: NDArray): void {
  if (target.dtype !== source.dtype || !sameShape(target.shape, source.shape) || !target.isContiguous() || !source.isContiguous()) {
    throw new Error(`addInto: needs two contiguous arrays of one shape and dtype, got ${target.dtype} ${shapeString(target.shape)} and ${source.dtype} ${shapeString(source.shape)}`);
  }
  const t = target.data;
  const s = source.data;
  const to = target.offset;
  const so = source.offset;
  const n = target.size; // a getter: read once
  for (let i = 0; i < n; i++) t[to + i] = t[to + i]! + s[so + i]!;
}

/**
 * a + b with broadcasting (float32 with float64 gives float64).
 *
 * @example
 * ```ts
 * const a = new NDArray(new Float32Array([1, 2, 3, 4]), [2, 2]);
 * addArrays(a, new NDArray(new Float32Array([10, 20]), [2])).data; // Float32Array [11, 22, 13, 24]
 * ```
 */
export function addArrays(a: NDArray, b: NDArray, op = 'add'): NDArray {
  return binaryKernel(a, b, addRow, op);
}

/**
 * a · b with broadcasting (float32 with float64 gives float64).
 *
 * @example
 * ```ts
 * const a = new NDArray(new Float32Array([1, 2, 3, 4]), [2, 2]);
 * mulArrays(a, NDArray.scalar(2, 'float32')).data; // Float32Array [2, 4, 6, 8]
 * ```
 */
export function mulArrays(a: NDArray, b: NDArray, op = 'mul'): NDArray {
  return binaryKernel(a, b, mulRow, op);
}

// ---- relu --------------------------------------------------------------------------------------

/**
 * The same bytes as `data` seen as 32-bit integers (one per float32, two per float64: low word,
 * then high word with the sign, on the little-endian platforms Node runs on).
 */
function int32View(data: Storage, offset: number, size: number): Int32Array {
  const words = data.BYTES_PER_ELEMENT / 4;
  return new Int32Array(data.buffer, data.byteOffset + offset * data.BYTES_PER_ELEMENT, size * words);
}

/**
 * max(x, 0), branch-free on the bits: a word with its sign bit set (negative, −0, −∞) is masked to
 * +0 by `w & ~(w >> 31)`, except a NaN of either sign, which is kept (NaN propagates, as in
 * PyTorch — and x86 makes NaNs with the sign bit set: ∞ − ∞, 0 · ∞ in a kernel give one);
 * everything else is copied unchanged. Float32: measured 0.16 ms for 200 704 elements, against
 * 0.94 ms for `v > 0 ? v : 0` (a mispredicted branch on every other element of zero-mean data) and
 * 1.07 ms for `Math.max(v, 0)` (bench/README.md).
 *
 * @example
 * ```ts
 * reluForward(new NDArray(new Float32Array([-1, 0, 2]), [3])).data; // Float32Array [0, 0, 2]
 * ```
 */
export function reluForward(x: NDArray): NDArray {
  const xc = x.contiguous();
  const size = xc.size;
  const out = allocate(xc.dtype, size);
  reluSplit(xc.data, xc.offset, null, 0, out, size);
  return new NDArray(out, [...x.shape]);
}

/** Elements per chunk of a relu over the pool (a multiple of 4, for the unrolled loops). */
const RELU_CHUNK = 32768;

/**
 * relu (g null) or its gradient of `size` elements into `out` (from 0): over the pool in chunks of
 * RELU_CHUNK when x, g and out are shared and big enough, else here. Every element is its own
 * expression: the same bits on any number of threads.
 */
function reluSplit(x: Storage, xOffset: number, g: Storage | null, gOffset: number, out: Storage, size: number): void {
  const nChunks = Math.ceil(size / RELU_CHUNK);
  const shared = g === null ? shouldParallelize(size, x, out) : shouldParallelize(size, x, g, out);
  // The relu task reads float arrays: int32 relu (big shared storage too) runs here.
  if (nChunks < 2 || !shared || x instanceof Int32Array) {
    reluRange(x, xOffset, g, gOffset, out, 0, size);
    return;
  }
  const args: TaskArg[] = [x, xOffset, g, gOffset, out, size];
  runChunks('relu', args, nChunks, 0, reluTask(args, 0), { inPlace: true });
}

/** Task 'relu': args [x, xOffset, g or null, gOffset, out, size]; chunk i covers RELU_CHUNK elements. */
export const reluTask: TaskFactory = (args) => {
  const name = 'relu';
  const x = arrayArg(args, 0, name);
  const xOffset = numberArg(args, 1, name);
  const g = arrayArg(args, 2, name, true);
  const gOffset = numberArg(args, 3, name);
  const out = arrayArg(args, 4, name);
  const size = numberArg(args, 5, name);
  return (chunk) => {
    const lo = chunk * RELU_CHUNK;
    reluRange(x, xOffset + lo, g, gOffset + lo, out, lo, Math.min(size, lo + RELU_CHUNK) - lo);
  };
};

/** out[o + i] = relu(x[xo + i]) (g null) or its gradient g[go + i]·[x > 0], for i < n. */
function reluRange(x: Storage, xo: number, g: Storage | null, go: number, out: Storage, o: number, n: number): void {
  const n4 = n - (n & 3);
  if (g === null) {
    const src = int32View(x, xo, n);
    const dst = int32View(out, o, n);
    // An int32 word is relu'd by the sign-bit mask alone (no NaN among integers).
    if ((x instanceof Float32Array || x instanceof Int32Array) && getBackend() === 'wasm') {
      wasmReluWords(src, dst, n, x instanceof Float32Array); // the same masks in wasm (wasm/relu.ts)
    } else if (x instanceof Float32Array) {
      reluFloatWords32(src, dst, n4);
      reluFloatWordsTail(src, dst, n4, n);
    } else if (x instanceof Int32Array) {
      reluIntWords32(src, dst, n4);
      reluIntWordsTail(src, dst, n4, n);
    } else {
      reluWords64(src, dst, n);
    }
  } else if (x instanceof Float32Array && g instanceof Float32Array) {
    const gw = int32View(g, go, n);
    const xw = int32View(x, xo, n);
    const dst = int32View(out, o, n);
    if (getBackend() === 'wasm') {
      wasmReluGradWords(gw, xw, dst, n); // the same masks in wasm (wasm/relu.ts)
      return;
    }
    reluGradWords32(gw, xw, dst, n4);
    reluGradWordsTail(gw, xw, dst, n4, n);
  } else {
    reluGradPlain(g, go, x, xo, out, o, n);
  }
}

// The loops live in small functions of their own, taking only typed arrays and integers, with
// nothing after the loop (the caller runs the tail): a long first call is compiled on-stack
// mid-loop, and any code after the loop that had not run yet (even a call) made that compiled code
// deoptimize on every later call (measured 0.16 → 0.5 ms per call, node --trace-deopt).

/**
 * All ones when the float32 word w is a NaN (of either sign), else 0: its magnitude bits
 * `w & 0x7fffffff` exceed those of ∞ (0x7f800000) exactly for NaNs, so `0x7f800000 − |w|` is
 * negative and its sign, spread by `>> 31`, is the mask.
 */
function nanMask32(w: number): number {
  return (0x7f800000 - (w & 0x7fffffff)) >> 31;
}

/**
 * dst = relu of src for the first n4 (a multiple of 4) float32 words, four per iteration: a word
 * is kept when its sign bit is clear or it is a NaN, else +0.
 */
function reluFloatWords32(src: Int32Array, dst: Int32Array, n4: number): void {
  for (let i = 0; i < n4; i = (i + 4) | 0) {
    const w0 = src[i]!, w1 = src[(i + 1) | 0]!, w2 = src[(i + 2) | 0]!, w3 = src[(i + 3) | 0]!;
    dst[i] = w0 & (~(w0 >> 31) | nanMask32(w0));
    dst[(i + 1) | 0] = w1 & (~(w1 >> 31) | nanMask32(w1));
    dst[(i + 2) | 0] = w2 & (~(w2 >> 31) | nanMask32(w2));
    dst[(i + 3) | 0] = w3 & (~(w3 >> 31) | nanMask32(w3));
  }
}

function reluFloatWordsTail(src: Int32Array, dst: Int32Array, from: number, size: number): void {
  for (let i = from; i < size; i++) {
    const w = src[i]!;
    dst[i] = w & (~(w >> 31) | nanMask32(w));
  }
}

/** dst = max(src, 0) for the first n4 (a multiple of 4) int32 words: the sign-bit mask. */
function reluIntWords32(src: Int32Array, dst: Int32Array, n4: number): void {
  for (let i = 0; i < n4; i = (i + 4) | 0) {
    const w0 = src[i]!, w1 = src[(i + 1) | 0]!, w2 = src[(i + 2) | 0]!, w3 = src[(i + 3) | 0]!;
    dst[i] = w0 & ~(w0 >> 31);
    dst[(i + 1) | 0] = w1 & ~(w1 >> 31);
    dst[(i + 2) | 0] = w2 & ~(w2 >> 31);
    dst[(i + 3) | 0] = w3 & ~(w3 >> 31);
  }
}

function reluIntWordsTail(src: Int32Array, dst: Int32Array, from: number, size: number): void {
  for (let i = from; i < size; i++) {
    const w = src[i]!;
    dst[i] = w & ~(w >> 31);
  }
}

/**
 * dst = relu of src, two words per float64 element (low, then high with the sign and exponent):
 * both kept when the high word's sign is clear or the element is a NaN (exponent all ones and a
 * non-zero mantissa, in either word), else both +0.
 */
function reluWords64(src: Int32Array, dst: Int32Array, size: number): void {
  for (let i = 0; i < 2 * size; i = (i + 2) | 0) {
    const low = src[i]!;
    const high = src[(i + 1) | 0]!;
    const magnitude = high & 0x7fffffff;
    const isNaN = magnitude > 0x7ff00000 || (magnitude === 0x7ff00000 && low !== 0);
    const keep = isNaN ? -1 : ~(high >> 31);
    dst[i] = low & keep;
    dst[(i + 1) | 0] = high & keep;
  }
}

/**
 * The gradient of relu: g where x > 0, else 0 (the subgradient at 0 is 0, as PyTorch's; a NaN x
 * of either sign passes g, as PyTorch's threshold_backward does). g and x have the same shape and
 * dtype. Float32 is branch-free on the bits: for an x word w, `(w − 1) | w` has its sign bit clear
 * exactly when w > 0 as an integer, i.e. when x is positive (or a positive NaN), so `~(… >> 31)` is
 * an all-ones mask there and 0 elsewhere; OR-ed with the NaN mask, g's word is ANDed with it. Measured 0.24 ms for 200 704
 * elements against 1.2 ms for `x > 0 ? g : 0`. Float64 keeps the plain comparison.
 *
 * @example
 * ```ts
 * const g = new NDArray(new Float32Array([5, 6, 7]), [3]);
 * reluBackward(g, new NDArray(new Float32Array([-1, 0, 2]), [3])).data; // Float32Array [0, 0, 7]
 * ```
 */
export function reluBackward(g: NDArray, x: NDArray): NDArray {
  const gc = g.contiguous();
  const xc = x.contiguous();
  const size = xc.size;
  const out = allocate(xc.dtype, size);
  reluSplit(xc.data, xc.offset, gc.data, gc.offset, out, size);
  return new NDArray(out, [...x.shape]);
}

/** out = g masked by x > 0 for the first n4 (a multiple of 4) float32 words, four per iteration. */
function reluGradWords32(gw: Int32Array, xw: Int32Array, dst: Int32Array, n4: number): void {
  for (let i = 0; i < n4; i = (i + 4) | 0) {
    const w0 = xw[i]!, w1 = xw[(i + 1) | 0]!, w2 = xw[(i + 2) | 0]!, w3 = xw[(i + 3) | 0]!;
    dst[i] = gw[i]! & (~(((w0 - 1) | w0) >> 31) | nanMask32(w0));
    dst[(i + 1) | 0] = gw[(i + 1) | 0]! & (~(((w1 - 1) | w1) >> 31) | nanMask32(w1));
    dst[(i + 2) | 0] = gw[(i + 2) | 0]! & (~(((w2 - 1) | w2) >> 31) | nanMask32(w2));
    dst[(i + 3) | 0] = gw[(i + 3) | 0]! & (~(((w3 - 1) | w3) >> 31) | nanMask32(w3));
  }
}

function reluGradWordsTail(gw: Int32Array, xw: Int32Array, dst: Int32Array, from: number, size: number): void {
  for (let i = from; i < size; i++) {
    const w = xw[i]!;
    dst[i] = gw[i]! & (~(((w - 1) | w) >> 31) | nanMask32(w));
  }
}

/** out = x <= 0 ? 0 : g, element by element (float64 or mixed dtypes); NaN x passes g. */
function reluGradPlain(g: Storage, go: number, x: Storage, xo: number, out: Storage, o: number, n: number): void {
  for (let i = 0; i < n; i++) out[o + i] = x[xo + i]! <= 0 ? 0 : g[go + i]!;
}
