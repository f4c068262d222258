/**
 * The GEMM entry points the ops call, routed to the current backend (backend.ts): the JS kernels
 * of gemm.ts (the reference) or the WebAssembly kernels of wasm/gemm.ts. Both take the same
 * arguments; tiny products and matrix–vector products use the JS direct loop on both backends
 * (gemmIsDirect), where packing does not pay.
 */
import { getBackend } from '../backend.js';
import type { FloatStorage as Storage } from '../dtype.js';
import { wasmGemmInPlace, wasmGemmInPlaceBuffer, wasmGemmInPlaceFits, wasmGemmOverwrite, wasmGemmPacked } from '../wasm/gemm.js';
import {
  gemmDirect, gemmInPlace as jsGemmInPlace, gemmInPlaceBuffer as jsGemmInPlaceBuffer, gemmInPlaceFits as jsGemmInPlaceFits,
  gemmIsDirect, gemmPacked as jsGemmPacked,
} from './gemm.js';

/**
 * C += A · B with packed panels on the current backend (gemm.ts `gemmPacked` or
 * wasm/gemm.ts `wasmGemmPacked`; the same arguments).
 *
 * @example
 * ```ts
 * const c = new Float64Array(4);
 * gemmPacked(2, 2, 2, [1, 2, 3, 4], 0, 2, 1, [5, 6, 7, 8], 0, 2, 1, c, 0, 2); // c = [19, 22, 43, 50]
 * ```
 */
export function gemmPacked(
  m: number, n: number, k: number,
  a: ArrayLike<number>, aOffset: number, aRowStride: number, aColStride: number,
  b: ArrayLike<number>, bOffset: number, bRowStride: number, bColStride: number,
  c: Storage, cOffset: number, ldc: number,
): void {
  const kernel = getBackend() === 'wasm' ? wasmGemmPacked : jsGemmPacked;
  kernel(m, n, k, a, aOffset, aRowStride, aColStride, b, bOffset, bRowStride, bColStride, c, cOffset, ldc);
}

/**
 * C = A · B with packed panels on the current backend: C's block [m×n] (row stride ldc) is
 * overwritten, bitwise what {@link gemmPacked} gives onto a C of zeros. The wasm backend then
 * never reads C (wasm/gemm.ts `wasmGemmOverwrite`); the JS kernel zeroes the block first.
 *
 * @example
 * ```ts
 * const c = new Float64Array([9, 9, 9, 9]);
 * gemmPackedOverwrite(2, 2, 2, [1, 2, 3, 4], 0, 2, 1, [5, 6, 7, 8], 0, 2, 1, c, 0, 2); // c = [19, 22, 43, 50]
 * ```
 */
export function gemmPackedOverwrite(
  m: number, n: number, k: number,
  a: ArrayLike<number>, aOffset: number, aRowStride: number, aColStride: number,
  b: ArrayLike<number>, bOffset: number, bRowStride: number, bColStride: number,
  c: Storage, cOffset: number, ldc: number,
): void {
  if (getBackend() === 'wasm') {
    wasmGemmOverwrite(m, n, k, a, aOffset, aRowStride, aColStride, b, bOffset, bRowStride, bColStride, c, cOffset, ldc);
    return;
  }
  for (let i = 0; i < m; i++) c.fill(0, cOffset + i * ldc, cOffset + i * ldc + n);
  jsGemmPacked(m, n, k, a, aOffset, aRowStride, aColStride, b, bOffset, bRowStride, bColStride, c, cOffset, ldc);
}

/**
 * C += A · B on strided operands: the direct loop for tiny and matrix–vector products, else the
 * current backend's packed kernel. The same arguments as gemm.ts `gemmStrided`.
 *
 * @example
 * ```ts
 * const c = new Float32Array(4);
 * gemmStrided(2, 2, 2, [1, 2, 3, 4], 0, 2, 1, [1, 0, 0, 1], 0, 2, 1, c, 0, 2); // c = [1, 2, 3, 4]
 * ```
 */
export function gemmStrided(
  m: number, n: number, k: number,
  a: ArrayLike<number>, aOffset: number, aRowStride: number, aColStride: number,
  b: ArrayLike<number>, bOffset: number, bRowStride: number, bColStride: number,
  c: Storage, cOffset: number, ldc: number,
): void {
  if (m === 0 || n === 0 || k === 0) return;
  const kernel = gemmIsDirect(m, n, k) ? gemmDirect : gemmPacked;
  kernel(m, n, k, a, aOffset, aRowStride, aColStride, b, bOffset, bRowStride, bColStride, c, cOffset, ldc);
}

/**
 * The current backend's buffer that {@link gemmInPlace} reads B from, as an array of `like`'s
 * element type on the wasm backend (C must then have that type) and the JS kernel's float64
 * packing buffer on the JS backend. Write B there and call gemmInPlace right away.
 */
export function gemmInPlaceBuffer(like: Storage): { buffer: Storage; offset: number; capacity: number } {
  return getBackend() === 'wasm' ? wasmGemmInPlaceBuffer(like) : jsGemmInPlaceBuffer();
}

/** Whether a k×n B with strides (rs, cs) fits the current backend's {@link gemmInPlaceBuffer}. */
export function gemmInPlaceFits(k: number, n: number, rs: number, cs: number): boolean {
  return getBackend() === 'wasm' ? wasmGemmInPlaceFits(k, n, rs, cs) : jsGemmInPlaceFits(k, n, rs, cs);
}

/**
 * C[m×n] += A · B where B lies in {@link gemmInPlaceBuffer} (element (p, j) at offset +
 * p·bRowStride + j·bColStride), on the current backend.
 */
export function gemmInPlace(
  m: number, n: number, k: number,
  a: ArrayLike<number>, aOffset: number, aRowStride: number, aColStride: number,
  bRowStride: number, bColStride: number,
  c: Storage, cOffset: number, ldc: number,
): void {
  const kernel = getBackend() === 'wasm' ? wasmGemmInPlace : jsGemmInPlace;
  kernel(m, n, k, a, aOffset, aRowStride, aColStride, bRowStride, bColStride, c, cOffset, ldc);
}
