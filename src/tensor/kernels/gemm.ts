/**
 * GEMM, C[m×n] += A[m×k] · B[k×n], the way BLIS builds it, in plain JavaScript.
 *
 * Loop order (outer to inner): columns of C in blocks of NC → k in blocks of KC (pack that
 * KC×NC block of B into NR-wide column panels) → rows of C in blocks of MC (pack that MC×KC block of
 * A into MR-tall row panels) → one MR×NR register tile of C per (row panel, column panel): the
 * micro-kernel walks the two panels once, keeping the MR·NR partial sums in local variables.
 * Packing reads A and B through their strides, so transposed or sliced operands are never copied
 * first; the micro-kernel then reads two contiguous streams. Edge tiles are packed with zeros and
 * only their valid part is added to C.
 *
 * How V8 is made to produce fast code (measured on Node 20, see the tile table below):
 * - The packed panels live in ONE module-level Float64Array (`PACK`) and the micro-kernel writes its
 *   tile into a module-level `TILE`. A module-level `const` typed array is a constant to the
 *   optimizing compiler, so the micro-kernel's loads need no map check and no reload of the array's
 *   base and length on every iteration: 6.3 → 8.0 GFLOP/s for the kernel alone with data in L1.
 * - The micro-kernel takes only integers and touches only those two arrays, so it is monomorphic
 *   whatever the dtypes of A, B and C: it never deoptimizes (a deopt there followed by an on-stack
 *   re-optimization left it 7× slower for the rest of the process in about one run in twenty).
 * - Packing into float64 serves both dtypes: float32 panels measured slower (each load adds a
 *   float32→float64 conversion) and JavaScript arithmetic is float64 anyway. So float32 and float64
 *   run at the same speed, and a float32 result is rounded once per KC block, not once per product.
 *
 * Each worker thread imports its own copy of this module, so each has its own PACK and TILE.
 */

/**
 * Register tile: MR rows × NR columns of C. Measured, matmul 512×512 float32, one thread, Node
 * 20.20 on a 2-core Xeon (Sapphire Rapids, KVM), GFLOP/s, median of 25 after warm-up
 * (bench/README.md): 2×4 7.3–7.5, 4×2 7.3–7.5, 3×3 7.2, 2×3 7.5, 4×3 6.5, 3×4 6.2–7.0, 4×4 6.3,
 * 5×2 6.9, 6×2 6.5, 1×8 6.6. Tiles with more than ~15 live doubles spill registers (V8 uses 16
 * xmm registers on x64).
 */
const MR = 2;
const NR = 4;
/**
 * Depth of a packed block: a 2×KC A panel and a KC×4 B panel (4 KB + 8 KB) stay in L1. Each
 * element of C receives one float64 partial sum per KC block (which is when float32 rounds).
 */
const KC = 256;
/** The k-block depth, exported for the tests and docs: C is updated once per this many products. */
export const GEMM_BLOCK_K = KC;
/** Rows of A packed at once (MC×KC float64 = 256 KB, in L2). A multiple of MR. */
const MC = 128;
/** Columns of B packed at once (KC×NC float64 = 1 MB, in L2). A multiple of NR. */
const NC = 512;

/** Where the packed B block starts in PACK; the packed A block starts at 0. */
const B_BASE = MC * KC;
/** The packed blocks: A (MC×KC) then B (KC×NC), both zero-padded to whole panels. */
const PACK = new Float64Array(B_BASE + KC * NC);
/** The micro-kernel's output tile, row-major MR×NR. */
const TILE = new Float64Array(MR * NR);

/**
 * TILE = A panel · B panel over kc steps. `ai` indexes a packed A panel (kc groups of MR values),
 * `bi` a packed B panel (kc groups of NR values). The eight sums stay in registers.
 * `| 0` keeps the index arithmetic in int32 so V8 adds no overflow checks.
 */
function microKernel(kc: number, ai: number, bi: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  for (let p = 0; p < kc; p++) {
    const b0 = PACK[bi]!;
    const b1 = PACK[(bi + 1) | 0]!;
    const b2 = PACK[(bi + 2) | 0]!;
    const b3 = PACK[(bi + 3) | 0]!;
    const a0 = PACK[ai]!;
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c03 += a0 * b3;
    const a1 = PACK[(ai + 1) | 0]!;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c13 += a1 * b3;
    ai = (ai + MR) | 0;
    bi = (bi + NR) | 0;
  }
  TILE[0] = c00;
  TILE[1] = c01;
  TILE[2] = c02;
  TILE[3] = c03;
  TILE[4] = c10;
  TILE[5] = c11;
  TILE[6] = c12;
  TILE[7] = c13;
}

/**
 * Packs B[0:kc, 0:nc] (element (p, j) at `off + p·rs + j·cs`) into NR-wide column panels at B_BASE:
 * panel jr holds, for each p, the NR values B[p, jr..jr+NR), zero-padded past nc.
 */
function packB(kc: number, nc: number, b: ArrayLike<number>, off: number, rs: number, cs: number): void {
  let q = B_BASE;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    let src = off + jr * cs;
    if (nr === NR) {
      const cs2 = 2 * cs;
      const cs3 = 3 * cs;
      for (let p = 0; p < kc; p++) {
        PACK[q] = b[src]!;
        PACK[q + 1] = b[src + cs]!;
        PACK[q + 2] = b[src + cs2]!;
        PACK[q + 3] = b[src + cs3]!;
        q += NR;
        src += rs;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        let j = 0;
        for (; j < nr; j++) PACK[q + j] = b[src + j * cs]!;
        for (; j < NR; j++) PACK[q + j] = 0;
        q += NR;
        src += rs;
      }
    }
  }
}

/**
 * Packs A[0:mc, 0:kc] (element (i, p) at `off + i·rs + p·cs`) into MR-tall row panels at 0:
 * panel ir holds, for each p, the MR values A[ir..ir+MR), p], zero-padded past mc.
 */
function packA(mc: number, kc: number, a: ArrayLike<number>, off: number, rs: number, cs: number): void {
  let q = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = Math.min(MR, mc - ir);
    let src = off + ir * rs;
    if (mr === MR) {
      for (let p = 0; p < kc; p++) {
        PACK[q] = a[src]!;
        PACK[q + 1] = a[src + rs]!;
        q += MR;
        src += cs;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        let i = 0;
        for (; i < mr; i++) PACK[q + i] = a[src + i * rs]!;
        for (; i < MR; i++) PACK[q + i] = 0;
        q += MR;
        src += cs;
      }
    }
  }
}

/** C[0:mc, 0:nc] (row stride ldc) += packed A block · packed B block, one register tile at a time. */
function macroKernel(mc: number, nc: number, kc: number, c: Float32Array | Float64Array, cOff: number, ldc: number): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    const bi = B_BASE + jr * kc;
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = Math.min(MR, mc - ir);
      microKernel(kc, ir * kc, bi);
      const o = cOff + ir * ldc + jr;
      if (mr === MR && nr === NR) {
        c[o] += TILE[0]!;
        c[o + 1] += TILE[1]!;
        c[o + 2] += TILE[2]!;
        c[o + 3] += TILE[3]!;
        const o1 = o + ldc;
        c[o1] += TILE[4]!;
        c[o1 + 1] += TILE[5]!;
        c[o1 + 2] += TILE[6]!;
        c[o1 + 3] += TILE[7]!;
      } else {
        for (let i = 0; i < mr; i++) {
          for (let j = 0; j < nr; j++) c[o + i * ldc + j] += TILE[i * NR + j]!;
        }
      }
    }
  }
}

/**
 * TILE = A panel · B read in place: like {@link microKernel}, but B(p, j) is PACK[bi + p·rs + j·cs]
 * for the panel's four columns j = 0…3 (B written into the buffer by the caller, not packed).
 */
function microKernelInPlace(kc: number, ai: number, bi: number, rs: number, cs: number): void {
  const cs2 = 2 * cs;
  const cs3 = 3 * cs;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  for (let p = 0; p < kc; p++) {
    const b0 = PACK[bi]!;
    const b1 = PACK[(bi + cs) | 0]!;
    const b2 = PACK[(bi + cs2) | 0]!;
    const b3 = PACK[(bi + cs3) | 0]!;
    const a0 = PACK[ai]!;
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c03 += a0 * b3;
    const a1 = PACK[(ai + 1) | 0]!;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c13 += a1 * b3;
    ai = (ai + MR) | 0;
    bi = (bi + rs) | 0;
  }
  TILE[0] = c00;
  TILE[1] = c01;
  TILE[2] = c02;
  TILE[3] = c03;
  TILE[4] = c10;
  TILE[5] = c11;
  TILE[6] = c12;
  TILE[7] = c13;
}

/**
 * The part of this module's packing buffer that {@link gemmInPlace} reads B from: `capacity`
 * float64 entries from `offset` in `buffer`. The caller writes B there (e.g. im2col columns) and
 * calls gemmInPlace right away: any other GEMM in between overwrites it. Each thread has its own.
 */
export function gemmInPlaceBuffer(): { buffer: Float64Array; offset: number; capacity: number } {
  return { buffer: PACK, offset: B_BASE, capacity: KC * NC };
}

/**
 * Whether a k×n B with element (p, j) at p·rs + j·cs (from the buffer's offset) fits
 * {@link gemmInPlace}: its last column panel reads up to three columns past n, which must still lie
 * inside the buffer (their values are never added to C).
 */
export function gemmInPlaceFits(k: number, n: number, rs: number, cs: number): boolean {
  return (k - 1) * rs + (n - 1 + NR - 1) * cs < KC * NC;
}

/**
 * C[m×n] += A[m×k] · B where B lies in {@link gemmInPlaceBuffer} with element (p, j) at
 * `offset + p·bRowStride + j·bColStride` (check {@link gemmInPlaceFits}): the register tiles read
 * B where it is, so B is never packed. For an im2col B this saves one copy of it per GEMM
 * (measured: packing B was 12% of the MNIST CNN's second conv forward, 28% of its input gradient,
 * 11–25% of the weight gradients). A is packed as in {@link gemmPacked}, in k-blocks of KC.
 */
export function gemmInPlace(
  m: number, n: number, k: number,
  a: ArrayLike<number>, aOffset: number, aRowStride: number, aColStride: number,
  bRowStride: number, bColStride: number,
  c: Float32Array | Float64Array, cOffset: number, ldc: number,
): void {
  for (let pc = 0; pc < k; pc += KC) {
    const kc = Math.min(KC, k - pc);
    for (let ic = 0; ic < m; ic += MC) {
      const mc = Math.min(MC, m - ic);
      packA(mc, kc, a, aOffset + ic * aRowStride + pc * aColStride, aRowStride, aColStride);
      const cOff = cOffset + ic * ldc;
      // Column panels outer, row panels inner: one B panel serves every row panel in turn.
      for (let jr = 0; jr < n; jr += NR) {
        const nr = Math.min(NR, n - jr);
        const bi = B_BASE + pc * bRowStride + jr * bColStride;
        for (let ir = 0; ir < mc; ir += MR) {
          const mr = Math.min(MR, mc - ir);
          microKernelInPlace(kc, ir * kc, bi, bRowStride, bColStride);
          const o = cOff + ir * ldc + jr;
          if (mr === MR && nr === NR) {
            c[o] += TILE[0]!;
            c[o + 1] += TILE[1]!;
            c[o + 2] += TILE[2]!;
            c[o + 3] += TILE[3]!;
            const o1 = o + ldc;
            c[o1] += TILE[4]!;
            c[o1 + 1] += TILE[5]!;
            c[o1 + 2] += TILE[6]!;
            c[o1 + 3] += TILE[7]!;
          } else {
            for (let i = 0; i < mr; i++) {
              for (let j = 0; j < nr; j++) c[o + i * ldc + j] += TILE[i * NR + j]!;
            }
          }
        }
      }
    }
  }
}

/**
 * C += A · B with packed panels and register tiles, for any strides of A and B (a transposed or
 * sliced operand costs nothing extra: the packing reads through the strides). C is row-major with
 * row stride `ldc` starting at `cOff`. Element (i, p) of A is `a[aOffset + i·aRowStride +
 * p·aColStride]`; likewise for B. Computes in float64 whatever the storage type.
 *
 * @example
 * ```ts
 * // C (2×2) += A (2×3) · Bᵀ where B is stored 2×3 row-major: Bᵀ has row stride 1, column stride 3.
 * const a = new Float32Array([1, 2, 3, 4, 5, 6]);
 * const b = new Float32Array([1, 0, 0, 0, 1, 0]);
 * const c = new Float32Array(4);
 * gemmPacked(2, 2, 3, a, 0, 3, 1, b, 0, 1, 3, c, 0, 2); // c = [1, 2, 4, 5]
 * ```
 */
export function gemmPacked(
  m: number, n: number, k: number,
  a: ArrayLike<number>, aOffset: number, aRowStride: number, aColStride: number,
  b: ArrayLike<number>, bOffset: number, bRowStride: number, bColStride: number,
  c: Float32Array | Float64Array, cOffset: number, ldc: number,
): void {
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packB(kc, nc, b, bOffset + pc * bRowStride + jc * bColStride, bRowStride, bColStride);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packA(mc, kc, a, aOffset + ic * aRowStride + pc * aColStride, aRowStride, aColStride);
        macroKernel(mc, nc, kc, c, cOffset + ic * ldc + jc, ldc);
      }
    }
  }
}

/**
 * C += A · B by the textbook triple loop (one float64 dot product per element of C), for products
 * too small for packing to pay off. Same arguments as {@link gemmPacked}.
 *
 * @example
 * ```ts
 * const c = new Float64Array(1);
 * gemmDirect(1, 1, 2, [1, 2], 0, 2, 1, [3, 4], 0, 1, 1, c, 0, 1); // c = [11]
 * ```
 */
export function gemmDirect(
  m: number, n: number, k: number,
  a: ArrayLike<number>, aOffset: number, aRowStride: number, aColStride: number,
  b: ArrayLike<number>, bOffset: number, bRowStride: number, bColStride: number,
  c: Float32Array | Float64Array, cOffset: number, ldc: number,
): void {
  for (let i = 0; i < m; i++) {
    const aRow = aOffset + i * aRowStride;
    for (let j = 0; j < n; j++) {
      const bCol = bOffset + j * bColStride;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[aRow + p * aColStride]! * b[bCol + p * bRowStride]!;
      c[cOffset + i * ldc + j] += s;
    }
  }
}

/**
 * At or below this many multiply-adds (m·n·k) the direct loop is used: packing has a fixed cost
 * (two packing passes, a call per register tile) that a 2×2×2 product does not repay. Measured
 * (bench/measure-gemm.ts, bench/README.md): packed is 0.4× the direct loop at 2×2×2 but already
 * 2× faster at 4×4×4 and 4–12× from 12×12×12 up.
 */
export const GEMM_DIRECT_MAX_MACS = 32;

/** Whether {@link gemmStrided} uses the direct loop: tiny products, or a single column of C. */
export function gemmIsDirect(m: number, n: number, k: number): boolean {
  return m * n * k <= GEMM_DIRECT_MAX_MACS || n === 1;
}

/**
 * C += A · B on strided operands: the direct loop for tiny products and for a single column
 * (n = 1, a matrix–vector product, where packing B buys nothing: measured 0.84× the direct loop),
 * else the packed kernel. C is row-major with row stride `ldc`.
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
  c: Float32Array | Float64Array, cOffset: number, ldc: number,
): void {
  if (m === 0 || n === 0 || k === 0) return;
  if (gemmIsDirect(m, n, k)) {
    gemmDirect(m, n, k, a, aOffset, aRowStride, aColStride, b, bOffset, bRowStride, bColStride, c, cOffset, ldc);
  } else {
    gemmPacked(m, n, k, a, aOffset, aRowStride, aColStride, b, bOffset, bRowStride, bColStride, c, cOffset, ldc);
  }
}
