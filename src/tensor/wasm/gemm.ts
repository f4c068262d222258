/**
 * GEMM on the wasm backend: C[m×n] += A[m×k] · B[k×n] with the same blocking as the JS reference
 * (kernels/gemm.ts — read it first): columns of C in blocks of NC → k in blocks of KC → rows in
 * blocks of MC → register tiles. Here the packing writes into the WebAssembly module's memory
 * (where the JS GEMM packs into its own Float64Array anyway), C's block is copied in and out, and
 * the register tiles run in the emitted kernel (wasm/gemm-module.ts).
 *
 * Numbers: float64 operands are packed as float64 and each element is C0 + Σ over k-blocks of a
 * float64 sum in order p = 0, 1, … — the same operations as the JS kernel, so float64 results are
 * bitwise the JS backend's. float32 operands stay float32 (4 lanes per vector instead of 2): each
 * k-block's partial sum is a float32 sum, where the JS kernel sums in float64 and rounds once per
 * k-block, so float32 results differ from the JS backend's within float32 rounding. In both, an
 * element's value does not depend on where it lies in a tile or a block: any split of C (the
 * worker pool's chunks) gives the same bits.
 *
 * Each thread (the main thread and every pool worker) compiles the module once, on first use, and
 * owns its memory.
 */
import type { Storage } from '../dtype.js';
import { elementBytes, gemmModuleBytes, tileColumns, type Tile, type WasmFloat } from './gemm-module.js';
import { wasmApi, type WasmModule } from './runtime.js';

/**
 * Register tiles. float32: 4 rows × 2 vectors (4×8). Measured, kernel on packed 512×512 float32
 * (bench/measure-wasm-gemm.ts, 1 thread, GFLOP/s, medians of 7 interleaved runs on the 2-core Xeon
 * of bench/README.md with other agents running): see bench/README.md "wasm GEMM tile".
 * float64: 4 rows × 2 vectors of 2 (4×4).
 */
export const WASM_TILE_F32: Tile = { mr: 4, nv: 2 };
export const WASM_TILE_F64: Tile = { mr: 4, nv: 2 };

/** The tiles the module is emitted with: the constants above unless a measurement overrides them. */
let tiles: Readonly<Record<WasmFloat, Tile>> = { f32: WASM_TILE_F32, f64: WASM_TILE_F64 };

/**
 * k-block depth: the same as the JS kernel's (GEMM_BLOCK_K), so a float64 element is rounded onto
 * C at the same points and the float64 results are bitwise equal across backends.
 */
const KC = 256;
/** Rows of A packed at once (a multiple of every MR). */
const MC = 128;
/** Columns of B packed at once (a multiple of every NR). */
const NC = 512;
/** Elements of the raw B region that im2col fills for {@link wasmGemmInPlace}. */
const RAW_CAPACITY = KC * NC;

// Byte offsets of the regions, sized for float64 (float32 uses the first half of each).
const A_BYTES = 0;
const B_BYTES = A_BYTES + MC * KC * 8;
const C_BYTES = B_BYTES + KC * NC * 8;
const RAW_BYTES = C_BYTES + MC * NC * 8;
const MEMORY_BYTES = RAW_BYTES + RAW_CAPACITY * 8;

type KernelFn = (
  mc: number, nc: number, kc: number, aPtr: number, bPtr: number, bRowBytes: number, bPanelBytes: number,
  cPtr: number, ldcBytes: number,
) => void;

/** This thread's compiled module, memory and views of it. */
interface WasmGemm {
  kernel: Readonly<Record<WasmFloat, KernelFn>>;
  f32: Float32Array;
  f64: Float64Array;
}

let compiled: WasmModule | null = null;
let instance: WasmGemm | null = null;

/** The module's bytes for the tiles in use (emitted at start-up, validated by the caller). */
export function wasmGemmBytes(): Uint8Array {
  return gemmModuleBytes(tiles);
}

/**
 * Emits the kernels with other register tiles (this thread only), for measuring which tile is
 * fastest (bench/measure-wasm-gemm.ts); `null` restores the constants.
 *
 * @example
 * ```ts
 * setWasmTilesForMeasurement({ f32: { mr: 4, nv: 3 }, f64: WASM_TILE_F64 });
 * setWasmTilesForMeasurement(null);
 * ```
 */
export function setWasmTilesForMeasurement(t: Readonly<Record<WasmFloat, Tile>> | null): void {
  tiles = t ?? { f32: WASM_TILE_F32, f64: WASM_TILE_F64 };
  compiled = null;
  instance = null;
}

/** Compiles (once per thread) and instantiates the GEMM module with a fixed-size memory. */
function wasmGemm(): WasmGemm {
  if (instance !== null) return instance;
  const api = wasmApi();
  if (api === null) throw new Error('wasm backend: this JavaScript runtime has no WebAssembly; use setBackend(\'js\')');
  if (compiled === null) {
    const bytes = wasmGemmBytes();
    if (!api.validate(bytes)) throw new Error('wasm backend: the emitted GEMM module does not validate (no WebAssembly SIMD?)');
    compiled = new api.Module(bytes);
  }
  const pages = Math.ceil(MEMORY_BYTES / 65536);
  // Never grown, so the views below stay valid for the life of the thread.
  const memory = new api.Memory({ initial: pages, maximum: pages });
  const exports = new api.Instance(compiled, { env: { memory } }).exports;
  instance = {
    kernel: { f32: exports['gemm_f32'] as KernelFn, f64: exports['gemm_f64'] as KernelFn },
    f32: new Float32Array(memory.buffer),
    f64: new Float64Array(memory.buffer),
  };
  return instance;
}

function floatOf(c: Storage): WasmFloat {
  return c instanceof Float32Array ? 'f32' : 'f64';
}

function tileOf(t: WasmFloat): Tile {
  return tiles[t];
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

/**
 * Packs `count` lines of `kc` elements (rows of A, or columns of B) into panels of `r` lines at
 * dst[at…]: panel q holds, for each p, the r values line(q·r + i)[p], zero past `count`. Element p
 * of line l is src[off + l·lineStride + p·step].
 */
function packPanels(
  dst: Storage, at: number, count: number, kc: number, r: number,
  src: ArrayLike<number>, off: number, lineStride: number, step: number,
): void {
  let q = at;
  for (let l0 = 0; l0 < count; l0 += r) {
    const lines = Math.min(r, count - l0);
    let s = off + l0 * lineStride;
    for (let p = 0; p < kc; p++) {
      let i = 0;
      for (; i < lines; i++) dst[q + i] = src[s + i * lineStride]!;
      for (; i < r; i++) dst[q + i] = 0;
      q += r;
      s += step;
    }
  }
}

/**
 * C[0:mc, 0:nc] (row stride ldc from cOff) += packed A · B, where B(p, j) lies at bPtr + (j / NR)·
 * bPanelBytes + p·bRowBytes (bytes): C's block is copied into the module's C region (rows padded to
 * MR, columns to NR: the kernel computes whole tiles, the padding is never copied back).
 */
function macroBlock(
  w: WasmGemm, t: WasmFloat, mc: number, nc: number, kc: number, bPtr: number, bRowBytes: number, bPanelBytes: number,
  c: Storage, cOff: number, ldc: number,
): void {
  const tile = tileOf(t);
  const size = elementBytes(t);
  const view = t === 'f32' ? w.f32 : w.f64;
  const ncPad = roundUp(nc, tileColumns(t, tile));
  const base = C_BYTES / size;
  for (let i = 0; i < mc; i++) {
    const from = cOff + i * ldc;
    view.set(c.subarray(from, from + nc), base + i * ncPad);
  }
  w.kernel[t](roundUp(mc, tile.mr), ncPad, kc, A_BYTES, bPtr, bRowBytes, bPanelBytes, C_BYTES, ncPad * size);
  for (let i = 0; i < mc; i++) {
    const to = base + i * ncPad;
    c.set(view.subarray(to, to + nc), cOff + i * ldc);
  }
}

/**
 * C += A · B on the wasm backend, for any strides of A and B (the packing reads through them);
 * C is row-major with row stride `ldc` from `cOff`. The same arguments as the JS `gemmPacked`.
 * Computes in C's element type (see the file comment).
 *
 * @example
 * ```ts
 * const c = new Float64Array(4);
 * wasmGemmPacked(2, 2, 2, [1, 2, 3, 4], 0, 2, 1, [5, 6, 7, 8], 0, 2, 1, c, 0, 2); // c = [19, 22, 43, 50]
 * ```
 */
export function wasmGemmPacked(
  m: number, n: number, k: number,
  a: ArrayLike<number>, aOffset: number, aRowStride: number, aColStride: number,
  b: ArrayLike<number>, bOffset: number, bRowStride: number, bColStride: number,
  c: Storage, cOffset: number, ldc: number,
): void {
  const w = wasmGemm();
  const t = floatOf(c);
  const tile = tileOf(t);
  const nr = tileColumns(t, tile);
  const size = elementBytes(t);
  const view = t === 'f32' ? w.f32 : w.f64;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packPanels(view, B_BYTES / size, nc, kc, nr, b, bOffset + pc * bRowStride + jc * bColStride, bColStride, bRowStride);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packPanels(view, A_BYTES / size, mc, kc, tile.mr, a, aOffset + ic * aRowStride + pc * aColStride, aRowStride, aColStride);
        macroBlock(w, t, mc, nc, kc, B_BYTES, nr * size, kc * nr * size, c, cOffset + ic * ldc + jc, ldc);
      }
    }
  }
}

/**
 * The module memory's raw B region as an array of `like`'s element type: im2col writes B there
 * and {@link wasmGemmInPlace} (with a C of the same type) reads it right away. Per thread.
 */
export function wasmGemmInPlaceBuffer(like: Storage): { buffer: Storage; offset: number; capacity: number } {
  const w = wasmGemm();
  const t = floatOf(like);
  return { buffer: t === 'f32' ? w.f32 : w.f64, offset: RAW_BYTES / elementBytes(t), capacity: RAW_CAPACITY };
}

/**
 * Whether a k×n B with element (p, j) at p·rs + j·cs fits the raw region, counting the columns
 * up to a whole last tile (NR of float32, the wider one) that the kernel reads but never adds to C.
 */
export function wasmGemmInPlaceFits(k: number, n: number, rs: number, cs: number): boolean {
  const nr = Math.max(tileColumns('f32', tiles.f32), tileColumns('f64', tiles.f64));
  return (k - 1) * rs + (n - 1 + nr - 1) * cs < RAW_CAPACITY;
}

/**
 * C[m×n] += A[m×k] · B where B lies in the raw region ({@link wasmGemmInPlaceBuffer}, same element
 * type as C) with element (p, j) at `offset + p·bRowStride + j·bColStride`. Rows of B that are
 * contiguous (bColStride 1, im2col's columns of a forward conv) are read where they are, without
 * packing; otherwise B is packed from the region.
 */
export function wasmGemmInPlace(
  m: number, n: number, k: number,
  a: ArrayLike<number>, aOffset: number, aRowStride: number, aColStride: number,
  bRowStride: number, bColStride: number,
  c: Storage, cOffset: number, ldc: number,
): void {
  const w = wasmGemm();
  const t = floatOf(c);
  const tile = tileOf(t);
  const nr = tileColumns(t, tile);
  const size = elementBytes(t);
  const view = t === 'f32' ? w.f32 : w.f64;
  const raw = RAW_BYTES / size;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      let bPtr = (raw + pc * bRowStride + jc * bColStride) * size;
      let bRowBytes = bRowStride * size;
      let bPanelBytes = nr * size;
      if (bColStride !== 1) {
        packPanels(view, B_BYTES / size, nc, kc, nr, view, raw + pc * bRowStride + jc * bColStride, bColStride, bRowStride);
        [bPtr, bRowBytes, bPanelBytes] = [B_BYTES, nr * size, kc * nr * size];
      }
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packPanels(view, A_BYTES / size, mc, kc, tile.mr, a, aOffset + ic * aRowStride + pc * aColStride, aRowStride, aColStride);
        macroBlock(w, t, mc, nc, kc, bPtr, bRowBytes, bPanelBytes, c, cOffset + ic * ldc + jc, ldc);
      }
    }
  }
}
