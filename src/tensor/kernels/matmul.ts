import { allocate, floatStorage, promoteTypes } from '../dtype.js';
import { NDArray } from '../ndarray.js';
import { broadcastShapes, shapeString } from '../shape.js';
import { gemmIsDirect } from './gemm.js';
import { gemmPackedOverwrite, gemmStrided } from './gemm-backend.js';
import { gemmParallel, gemmShouldParallelize } from './gemm-parallel.js';

/**
 * C[m×n] += A[m×k] · B[k×n] on strided operands (so transposed views need no copy); C is
 * contiguous (row stride n) from `cOffset`. Packed panels and register tiles (kernels/gemm.ts, or
 * wasm/gemm.ts on the wasm backend: gemm-backend.ts),
 * or a direct loop for tiny products; split over the worker pool when big enough
 * (kernels/gemm-parallel.ts: bitwise the same result). `cZero`: C's block is known to be all zeros
 * (matmul's fresh output), so it need not be read (the same result).
 *
 * @example
 * ```ts
 * const c = new Float64Array(4);
 * gemm(2, 2, 2, [1, 2, 3, 4], 0, 2, 1, [5, 6, 7, 8], 0, 2, 1, c, 0); // c = [19, 22, 43, 50]
 * ```
 */
export function gemm(
  m: number, n: number, k: number,
  a: ArrayLike<number>, aOffset: number, aRowStride: number, aColStride: number,
  b: ArrayLike<number>, bOffset: number, bRowStride: number, bColStride: number,
  c: Float32Array | Float64Array, cOffset: number, cZero = false,
): void {
  if ((a instanceof Float32Array || a instanceof Float64Array) && (b instanceof Float32Array || b instanceof Float64Array)
    && gemmShouldParallelize(m, n, k, aRowStride, aColStride, bRowStride, bColStride)) {
    gemmParallel(m, n, k, a, aOffset, aRowStride, aColStride, b, bOffset, bRowStride, bColStride, c, cOffset, n, cZero);
    return;
  }
  if (cZero && m > 0 && n > 0 && k > 0 && !gemmIsDirect(m, n, k)) {
    // A fresh output: not read (on the wasm backend, no copy of zeros into the module's memory).
    gemmPackedOverwrite(m, n, k, a, aOffset, aRowStride, aColStride, b, bOffset, bRowStride, bColStride, c, cOffset, n);
    return;
  }
  gemmStrided(m, n, k, a, aOffset, aRowStride, aColStride, b, bOffset, bRowStride, bColStride, c, cOffset, n);
}

/**
 * PyTorch's matmul semantics: 1-d·1-d is a dot product, a 1-d operand gains (and then loses) a
 * unit dim, and leading batch dims broadcast.
 */
export function matmul(a: NDArray, b: NDArray): NDArray {
  if (a.ndim === 0 || b.ndim === 0) {
    throw new Error(`matmul: both arguments need at least 1 dimension, got shapes ${shapeString(a.shape)} and ${shapeString(b.shape)}`);
  }
  const a2 = a.ndim === 1 ? a.reshape([1, a.shape[0]!]) : a;
  const b2 = b.ndim === 1 ? b.reshape([b.shape[0]!, 1]) : b;
  const m = a2.shape[a2.ndim - 2]!;
  const k = a2.shape[a2.ndim - 1]!;
  const kb = b2.shape[b2.ndim - 2]!;
  const n = b2.shape[b2.ndim - 1]!;
  if (k !== kb) {
    throw new Error(`matmul: shapes ${shapeString(a.shape)} and ${shapeString(b.shape)} cannot be multiplied (${k} != ${kb})`);
  }
  // Batch dims only when either side has them (the label is built only then, for an error).
  const batch = a2.ndim === 2 && b2.ndim === 2
    ? []
    : broadcastShapes(a2.shape.slice(0, -2), b2.shape.slice(0, -2), `matmul of ${shapeString(a.shape)} and ${shapeString(b.shape)}: batch dims`);
  const ae = a2.expand([...batch, m, k]);
  const be = b2.expand([...batch, k, n]);
  const batchSize = batch.reduce((p, d) => p * d, 1);
  const out = floatStorage(allocate(promoteTypes(a.dtype, b.dtype), batchSize * m * n), 'matmul');
  const index = new Array<number>(batch.length).fill(0);
  for (let t = 0; t < batchSize; t++) {
    let aOff = ae.offset;
    let bOff = be.offset;
    for (let d = 0; d < batch.length; d++) {
      aOff += index[d]! * ae.strides[d]!;
      bOff += index[d]! * be.strides[d]!;
    }
    const nd = batch.length;
    gemm(m, n, k, ae.data, aOff, ae.strides[nd]!, ae.strides[nd + 1]!, be.data, bOff, be.strides[nd]!, be.strides[nd + 1]!, out, t * m * n, true);
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++index[d]! < batch[d]!) break;
      index[d] = 0;
    }
  }
  const outShape = [...batch];
  if (a.ndim > 1) outShape.push(m);
  if (b.ndim > 1) outShape.push(n);
  return new NDArray(out, outShape);
}
