/**
 * GEMM on the wasm backend: C[m×n] += A[m×k] · B[k×n] with the same blocking as the JS reference
 * (kernels/gemm.ts — read it first): columns of C in blocks of NC → k in blocks of KC → rows in
 * blocks of MC → register tiles. Here the packing writes into the WebAssembly module's memory
 * (where the JS GEMM packs into its own Float64Array anyway): A's and B's blocks are copied into
 * staging regions and packed there by wasm into MR-tall and NR-wide panels, C's block is copied in
 * (or, for C = A·B, zeroed) and out, and the register tiles run in the emitted kernel
 * (wasm/gemm-module.ts).
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
import type { FloatStorage as Storage } from '../dtype.js';
import { elementBytes, gemmModuleBytes, tileColumns, type Tile, type WasmFloat } from './gemm-module.js';
import { wasmApi, type WasmMemory, type WasmModule } from './runtime.js';

/**
 * Register tiles: 4 rows × 2 vectors (float32 4×8, float64 4×4), 8 accumulators + 2 B vectors + 1
 * splat of A + 1 product = 12 of the 15 xmm registers V8 allocates on x64. Measured with
 * `npx tsc -p tsconfig.bench.json && ROUNDS=5 node .bench-build/bench/measure-wasm-gemm.js tiles`
 * (whole GEMM 512×512×512, both operands packed, 1 thread, Node 20.20, the 2-core Xeon of
 * bench/README.md, 2026-12-05 00:07, load 2.6–2.8), GFLOP/s, median of rounds (worst–best) —
 * float32: 4×2 42.7 (38.1–43.8), 2×4 43.7 (39.3–44.2), 4×3 37.9, 5×2 35.8, 6×2 34.7, 3×3 34.2,
 * 8×1 29.8; float64: 4×2 21.2 (20.7–21.5), 2×4 21.2, 4×3 18.3, 5×2 17.5, 6×2 17.3. 4×2 and 2×4
 * tie (also the kernel alone on blocks in L1: float32 47.8 and 48.0, float64 23.6 and 23.6); the
 * bigger tiles lose (V8 spills accumulators: with the products' temporaries they need 14–16
 * registers). 4×2 stays: fewer padding columns on the narrow products of conv2d.
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
/**
 * Columns of B packed at once in float64 (a multiple of every NR). The regions are sized in bytes
 * for float64, so a float32 block takes twice the columns in the same bytes ({@link blockColumns}).
 */
const NC = 512;

/**
 * Columns per block of C in type t: 4 KiB of a row, NC float64 or 2·NC float32 values. Which
 * columns share a block changes no value (each element sums over k on its own). Measured for
 * float32 (bench/measure-conv-grads.ts forward, 1 thread): the MNIST CNN's first conv, 784 output
 * pixels per row, 198 µs with blocks of 512 columns (each row copied out in two pieces) and
 * 163–177 µs with 1024 (two runs alternated, 2026-12-05); the bench's conv2d row (1024 pixels)
 * and its second conv did not move.
 */
function blockColumns(t: WasmFloat): number {
  return t === 'f32' ? 2 * NC : NC;
}
/**
 * Rows of C kept in the module's memory while every k-block is added onto them (C_ROWS×NC
 * float64 = 2 MB): C is copied in and out once per NC columns instead of once per k-block
 * (measured: the copies were 7% of the MLP train step's time at batch 32, 4 k-blocks).
 */
const C_ROWS = 512;
/**
 * Elements of the staging region: B's block before packing (KC·NC), or im2col's columns of one
 * image ({@link wasmGemmInPlace}), which may be larger: 2¹⁹ holds the columns of a 3×3 conv with
 * up to 56 input channels on 32×32 planes (K·P = 9·56·1024). Columns that do not fit take the
 * JS im2col and a packed GEMM instead (the same bits, slower): the bench's conv2d row (16 → 32
 * channels, 32×32; its input gradient unfolds 32 channels, 295 K elements) ran that way with a
 * region of KC·NC = 131 K — measured 2026-12-05 (`bench/profile-train-step.ts --only conv`, wasm,
 * 1 thread, load ≈ 1.2, alternated): 11.2–11.8 ms with KC·NC, see bench/README.md for after.
 */
const STAGE_CAPACITY = 1 << 19;
/**
 * A contiguous run of at least this many elements is copied with `TypedArray.prototype.set` (a
 * memcpy) and packed in wasm; shorter runs are packed element by element in JS, where the call
 * and the view object of `subarray` would cost more than they save.
 */
const COPY_MIN_RUN = 16;

/** Widest register tile in elements (rows or columns) that the regions leave room for. */
const TILE_MAX = 16;

// Byte offsets of the regions, sized for float64 (float32 uses the first half of each), with
// room for a block padded up to whole tiles. The kernels and packers read up to one tile past a
// block's end (values that meet only C's padding): SLACK bytes after the last region keep those
// reads inside the memory.
const A_BYTES = 0;
const A_STAGE_BYTES = A_BYTES + (MC + TILE_MAX) * KC * 8;
const B_BYTES = A_STAGE_BYTES + MC * KC * 8;
const C_BYTES = B_BYTES + KC * (NC + TILE_MAX) * 8;
const STAGE_BYTES = C_BYTES + C_ROWS * (NC + TILE_MAX) * 8;
const SLACK = 4096;
/**
 * Free for other modules' scratch use (see {@link wasmScratchRegion}): starts on a 64 KiB page
 * boundary after the GEMM's regions and their slack.
 */
const SCRATCH_BYTES = Math.ceil((STAGE_BYTES + STAGE_CAPACITY * 8 + SLACK) / 65536) * 65536;
/** Size of the free scratch region: 4 MiB. */
const SCRATCH_SIZE = 4 << 20;
/**
 * The region of im2col's plans (wasm/im2col.ts `wasmUnfoldPlan`), after the scratch region: 2 MiB,
 * room for the masks of a 3×3 float32 conv on 224×224 planes (9 × 50 176 × 4 bytes).
 */
const PLANS_BYTES = SCRATCH_BYTES + SCRATCH_SIZE;
const PLANS_SIZE = 2 << 20;
const MEMORY_BYTES = PLANS_BYTES + PLANS_SIZE;

type KernelFn = (mc: number, nc: number, kc: number, aPtr: number, bPtr: number, cPtr: number, ldcBytes: number) => void;
type PackFn = (kc: number, nc: number, src: number, srcStrideBytes: number, dst: number) => void;
type PackUnfoldedFn = (kc: number, nc: number, src: number, table: number, dst: number, firstBytes: number) => void;
type CompactFn = (base: number, rows: number, fromStrideBytes: number, toStrideBytes: number) => void;

/** This thread's compiled module, memory and views of it. */
interface WasmGemm {
  kernel: Readonly<Record<WasmFloat, KernelFn>>;
  packRows: Readonly<Record<WasmFloat, PackFn>>;
  packCols: Readonly<Record<WasmFloat, PackFn>>;
  packARows: Readonly<Record<WasmFloat, PackFn>>;
  packACols: Readonly<Record<WasmFloat, PackFn>>;
  packUnfolded: Readonly<Record<WasmFloat, PackUnfoldedFn>>;
  packUnfoldedCols: Readonly<Record<WasmFloat, PackUnfoldedFn>>;
  /** Absent for a measurement tile whose MR is not whole vectors (gemm-module.ts). */
  packUnfoldedA: Readonly<Record<WasmFloat, PackUnfoldedFn | undefined>>;
  compactRows: CompactFn;
  f32: Float32Array;
  f64: Float64Array;
}

let compiled: WasmModule | null = null;
let instance: WasmGemm | null = null;
/** This thread's memory: created once and kept even when the module is re-emitted for measuring. */
let memory: WasmMemory | null = null;

/**
 * This thread's WebAssembly memory (the main thread and every pool worker has its own), created
 * on first use and never grown or replaced, so views of its buffer stay valid for the life of the
 * thread. Other emitted modules may import it ('env', 'memory') and use the bytes of
 * {@link wasmScratchRegion} freely; every other byte belongs to the GEMM (its packed operands, C
 * and staging regions are overwritten by every GEMM call).
 *
 * @example
 * ```ts
 * const memory = wasmThreadMemory();
 * const { byteOffset, byteLength } = wasmScratchRegion();
 * const scratch = new Float32Array(memory.buffer, byteOffset, byteLength / 4);
 * ```
 */
export function wasmThreadMemory(): WasmMemory {
  if (memory !== null) return memory;
  const api = wasmApi();
  if (api === null) throw new Error('wasm backend: this JavaScript runtime has no WebAssembly; use setBackend(\'js\')');
  const pages = MEMORY_BYTES / 65536;
  memory = new api.Memory({ initial: pages, maximum: pages });
  return memory;
}

/**
 * The bytes of {@link wasmThreadMemory} that the GEMM never touches, free for other modules'
 * scratch use: at least 4 MiB, starting on a 64 KiB page boundary (the same in every thread).
 *
 * @example
 * ```ts
 * const { byteOffset, byteLength } = wasmScratchRegion(); // byteLength >= 4 * 1024 * 1024
 * ```
 */
export function wasmScratchRegion(): { byteOffset: number; byteLength: number } {
  return { byteOffset: SCRATCH_BYTES, byteLength: SCRATCH_SIZE };
}

/**
 * The bytes of {@link wasmThreadMemory} kept for the unfolded convolutions' masks and tables
 * (wasm/im2col.ts `wasmUnfoldPlan`, their only user): 2 MiB after the scratch region, which the
 * other modules overwrite freely, so a plan written here stays valid for later calls.
 *
 * @example
 * ```ts
 * const { byteOffset, byteLength } = wasmPlansRegion(); // byteLength = 2 * 1024 * 1024
 * ```
 */
export function wasmPlansRegion(): { byteOffset: number; byteLength: number } {
  return { byteOffset: PLANS_BYTES, byteLength: PLANS_SIZE };
}

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
  const mem = wasmThreadMemory();
  const exports = new api.Instance(compiled, { env: { memory: mem } }).exports;
  instance = {
    kernel: { f32: exports['gemm_f32'] as KernelFn, f64: exports['gemm_f64'] as KernelFn },
    packRows: { f32: exports['pack_rows_f32'] as PackFn, f64: exports['pack_rows_f64'] as PackFn },
    packCols: { f32: exports['pack_cols_f32'] as PackFn, f64: exports['pack_cols_f64'] as PackFn },
    packARows: { f32: exports['pack_a_rows_f32'] as PackFn, f64: exports['pack_a_rows_f64'] as PackFn },
    packACols: { f32: exports['pack_a_cols_f32'] as PackFn, f64: exports['pack_a_cols_f64'] as PackFn },
    packUnfolded: { f32: exports['pack_unfolded_f32'] as PackUnfoldedFn, f64: exports['pack_unfolded_f64'] as PackUnfoldedFn },
    packUnfoldedCols: { f32: exports['pack_unfolded_cols_f32'] as PackUnfoldedFn, f64: exports['pack_unfolded_cols_f64'] as PackUnfoldedFn },
    packUnfoldedA: { f32: exports['pack_unfolded_a_f32'] as PackUnfoldedFn | undefined, f64: exports['pack_unfolded_a_f64'] as PackUnfoldedFn | undefined },
    compactRows: exports['compact_rows'] as CompactFn,
    f32: new Float32Array(mem.buffer),
    f64: new Float64Array(mem.buffer),
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

function isTyped(x: ArrayLike<number>): x is Storage {
  return x instanceof Float32Array || x instanceof Float64Array;
}

/**
 * Packs `count` lines of `kc` elements (rows of A, or columns of B) into panels of `r` lines at
 * dst[at…]: panel q holds, for each p, the r values line(q·r + i)[p], zero past `count`. Element p
 * of line l is src[off + l·lineStride + p·step]. The JS fallback for operands that are not typed
 * arrays or have no contiguous dimension.
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
 * Copies `count` runs of `len` elements, src[off + i·stride …] → dst[at + i·dstStride …]; runs
 * that lie back to back on both sides are one copy.
 */
function copyRuns(dst: Storage, at: number, dstStride: number, src: Storage, off: number, stride: number, count: number, len: number): void {
  if (stride === len && dstStride === len) {
    dst.set(src.subarray(off, off + count * len), at);
    return;
  }
  for (let i = 0; i < count; i++) {
    const from = off + i * stride;
    dst.set(src.subarray(from, from + len), at + i * dstStride);
  }
}

/**
 * Packs A's block [mc × kc] (element (i, p) at a[off + i·rs + p·cs]) into MR-tall panels in the A
 * region: a contiguous dimension is copied into A's staging region and packed there by wasm,
 * otherwise packed in JS. The padding rows of the last panel are zeroed (stale values there would
 * meet only C's padding rows, but a subnormal one would slow the multiplies down).
 */
function packA(w: WasmGemm, view: Storage, t: WasmFloat, mc: number, kc: number, a: ArrayLike<number>, off: number, rs: number, cs: number): void {
  const size = elementBytes(t);
  const mr = tileOf(t).mr;
  const stage = A_STAGE_BYTES / size;
  if (isTyped(a) && cs === 1 && kc >= COPY_MIN_RUN) {
    copyRuns(view, stage, kc, a, off, rs, mc, kc);
    w.packARows[t](kc, mc, A_STAGE_BYTES, kc * size, A_BYTES);
  } else if (isTyped(a) && rs === 1 && mc >= COPY_MIN_RUN) {
    copyRuns(view, stage, mc, a, off, cs, kc, mc);
    w.packACols[t](kc, mc, A_STAGE_BYTES, mc * size, A_BYTES);
  } else {
    packPanels(view, A_BYTES / size, mc, kc, mr, a, off, rs, cs);
    return;
  }
  const rows = mc % mr;
  if (rows === 0) return;
  const last = A_BYTES / size + (mc - rows) * kc;
  for (let p = 0; p < kc; p++) view.fill(0, last + p * mr + rows, last + (p + 1) * mr);
}

/**
 * Packs B's block [kc × nc] (element (p, j) at b[off + p·rs + j·cs]) into NR-wide panels in the B
 * region: a contiguous dimension is copied into the staging region and packed there by wasm,
 * otherwise packed in JS. `staged` says B already lies in the staging region at `off`.
 */
function packB(w: WasmGemm, view: Storage, t: WasmFloat, kc: number, nc: number, b: ArrayLike<number>, off: number, rs: number, cs: number, staged: boolean): void {
  const size = elementBytes(t);
  const nr = tileColumns(t, tileOf(t));
  const stage = STAGE_BYTES / size;
  if (isTyped(b) && cs === 1 && (staged || nc >= COPY_MIN_RUN)) {
    if (!staged) copyRuns(view, stage, nc, b, off, rs, kc, nc);
    w.packRows[t](kc, nc, staged ? off * size : STAGE_BYTES, (staged ? rs : nc) * size, B_BYTES);
  } else if (isTyped(b) && rs === 1 && (staged || kc >= COPY_MIN_RUN)) {
    if (!staged) copyRuns(view, stage, kc, b, off, cs, nc, kc);
    w.packCols[t](kc, nc, staged ? off * size : STAGE_BYTES, (staged ? cs : kc) * size, B_BYTES);
  } else {
    packPanels(view, B_BYTES / size, nc, kc, nr, b, off, cs, rs);
  }
}

/**
 * C's block [m × nc] in the C region: rows ncPad (nc rounded up to NR) apart, each ic-block of
 * rows from row ic. Copied in before the first k-block and out after the last, so the kernel adds
 * every k-block's partial sums onto C there (in the same order as the JS kernel adds them onto C).
 * The padding rows and columns are computed but never copied out.
 */
function copyC(view: Storage, toRegion: boolean, m: number, nc: number, ncPad: number, c: Storage, cOff: number, ldc: number): void {
  const base = C_BYTES / (view instanceof Float32Array ? 4 : 8);
  if (toRegion) {
    copyRuns(view, base, ncPad, c, cOff, ldc, m, nc);
    return;
  }
  if (nc === ncPad && ldc === nc) {
    c.set(view.subarray(base, base + m * nc), cOff);
    return;
  }
  for (let i = 0; i < m; i++) {
    const from = base + i * ncPad;
    c.set(view.subarray(from, from + nc), cOff + i * ldc);
  }
}

/**
 * What C's block starts from in the C region before the k-blocks are added onto it: C itself
 * ('add': C += A·B), zeros ('zero': C = A·B, C never read), or one value per row (C = v[row] + A·B,
 * C never read: conv2d's bias, `values[offset + i]` for row i).
 */
type CStart = 'add' | 'zero' | { values: ArrayLike<number>; offset: number };

/** Fills the C region's rows [r0, r0 + rows) of a block of nc columns as `start` says. */
function startC(view: Storage, start: CStart, r0: number, rows: number, nc: number, ncPad: number, c: Storage, cOff: number, ldc: number): void {
  const base = C_BYTES / (view instanceof Float32Array ? 4 : 8);
  if (start === 'add') copyC(view, true, rows, nc, ncPad, c, cOff, ldc);
  else if (start === 'zero') view.fill(0, base, base + rows * ncPad);
  else for (let i = 0; i < rows; i++) view.fill(start.values[start.offset + r0 + i]!, base + i * ncPad, base + (i + 1) * ncPad);
}

/** Packs A's block [mc × kc] at (row, pc) into the A region: how A is read is the caller's. */
type PackBlockA = (w: WasmGemm, view: Storage, t: WasmFloat, mc: number, kc: number, row: number, pc: number) => void;

/** A {@link PackBlockA} for A read through strides from `a`. */
function stridedA(a: ArrayLike<number>, aOffset: number, aRowStride: number, aColStride: number): PackBlockA {
  return (w, view, t, mc, kc, row, pc) => packA(w, view, t, mc, kc, a, aOffset + row * aRowStride + pc * aColStride, aRowStride, aColStride);
}

/** Packs B's block [kc × nc] at (pc, jc) into the B region: how B is read is the caller's. */
type PackBlockB = (w: WasmGemm, view: Storage, t: WasmFloat, kc: number, nc: number, pc: number, jc: number) => void;

/** A {@link PackBlockB} for B read through strides from `b` (or, `staged`, from the staging region). */
function stridedB(b: ArrayLike<number>, bOffset: number, bRowStride: number, bColStride: number, staged: boolean): PackBlockB {
  return (w, view, t, kc, nc, pc, jc) =>
    packB(w, view, t, kc, nc, b, bOffset + pc * bRowStride + jc * bColStride, bRowStride, bColStride, staged);
}

/**
 * The blocked loop shared by every entry point here ({@link wasmGemmPacked}, {@link wasmGemmInPlace},
 * the unfolded ones…), which differ in how A's and B's blocks are packed and how C's block starts:
 * columns in blocks ({@link blockColumns}), then k in blocks of KC (B packed once per block), then
 * rows in blocks of MC (A placed), each running the kernel onto C's block in the C region. When
 * more rows than C_ROWS would not fit the region, the rows are done C_ROWS at a time (each with its
 * own pass over k).
 */
function blocked(
  m: number, n: number, k: number,
  packBlockA: PackBlockA,
  packBlockB: PackBlockB,
  c: Storage, cOffset: number, ldc: number, cStart: CStart, keep: (() => boolean) | undefined,
): void {
  const w = wasmGemm();
  const t = floatOf(c);
  const view = t === 'f32' ? w.f32 : w.f64;
  const tile = tileOf(t);
  const size = elementBytes(t);
  const nr = tileColumns(t, tile);
  const columns = blockColumns(t);
  for (let r0 = 0; r0 < m; r0 += C_ROWS) {
    const rows = Math.min(C_ROWS, m - r0);
    for (let jc = 0; jc < n; jc += columns) {
      const nc = Math.min(columns, n - jc);
      const ncPad = roundUp(nc, nr);
      const cOff = cOffset + r0 * ldc + jc;
      startC(view, cStart, r0, rows, nc, ncPad, c, cOff, ldc);
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        packBlockB(w, view, t, kc, nc, pc, jc);
        // Row blocks of whole tiles, so a block's padding rows never reach the next block's rows.
        const mcBlock = MC - (MC % tile.mr);
        for (let ic = 0; ic < rows; ic += mcBlock) {
          const mc = Math.min(mcBlock, rows - ic);
          packBlockA(w, view, t, mc, kc, r0 + ic, pc);
          w.kernel[t](roundUp(mc, tile.mr), ncPad, kc, A_BYTES, B_BYTES, C_BYTES + ic * ncPad * size, ncPad * size);
        }
      }
      if (keep !== undefined && !keep()) return;
      if (ldc === nc && nc !== ncPad && rows > 1) {
        // C's rows are back to back: close the padding between them in wasm, then one copy out
        // instead of one per row (measured, bench/measure-conv-grads.ts, 1 thread: the MNIST CNN's
        // second conv forward, 16 rows of 196 per image, 431–434 → 400 µs).
        w.compactRows(C_BYTES, rows, ncPad * size, nc * size);
        c.set(view.subarray(C_BYTES / size, C_BYTES / size + rows * nc), cOff);
      } else {
        copyC(view, false, rows, nc, ncPad, c, cOff, ldc);
      }
    }
  }
}

/**
 * C += A · B on the wasm backend, for any strides of A and B (the packing reads through them);
 * C is row-major with row stride `ldc` from `cOffset`. The same arguments as the JS `gemmPacked`.
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
  blocked(m, n, k, stridedA(a, aOffset, aRowStride, aColStride), stridedB(b, bOffset, bRowStride, bColStride, false), c, cOffset, ldc, 'add', undefined);
}

/**
 * C = A · B on the wasm backend: C's block [m×n] is overwritten and never read. Bitwise what
 * {@link wasmGemmPacked} gives onto a C of zeros (the C region starts at +0 instead of a copy of
 * C), without the copy of C into the module's memory. For a fresh output (matmul) and for
 * chunks of the worker pool that must not read what another thread may be writing. `keep`, if
 * given, is asked before each block of C is copied out; once it says false nothing more is written
 * (a pool chunk that the calling thread has recomputed meanwhile).
 *
 * @example
 * ```ts
 * const c = new Float32Array([7, 7, 7, 7]);
 * wasmGemmOverwrite(2, 2, 2, [1, 2, 3, 4], 0, 2, 1, [5, 6, 7, 8], 0, 2, 1, c, 0, 2); // c = [19, 22, 43, 50]
 * ```
 */
export function wasmGemmOverwrite(
  m: number, n: number, k: number,
  a: ArrayLike<number>, aOffset: number, aRowStride: number, aColStride: number,
  b: ArrayLike<number>, bOffset: number, bRowStride: number, bColStride: number,
  c: Storage, cOffset: number, ldc: number, keep?: () => boolean,
): void {
  blocked(m, n, k, stridedA(a, aOffset, aRowStride, aColStride), stridedB(b, bOffset, bRowStride, bColStride, false), c, cOffset, ldc, 'zero', keep);
}

/**
 * The module memory's staging region as an array of `like`'s element type: im2col writes B there
 * and {@link wasmGemmInPlace} (with a C of the same type) reads it right away — any other GEMM in
 * between overwrites it. Per thread.
 */
export function wasmGemmInPlaceBuffer(like: Storage): { buffer: Storage; offset: number; capacity: number } {
  const w = wasmGemm();
  const t = floatOf(like);
  return { buffer: t === 'f32' ? w.f32 : w.f64, offset: STAGE_BYTES / elementBytes(t), capacity: STAGE_CAPACITY };
}

/**
 * Whether a k×n B with element (p, j) at p·rs + j·cs fits the staging region, counting the
 * columns up to a whole last tile that the packing copies but never adds to C.
 */
export function wasmGemmInPlaceFits(k: number, n: number, rs: number, cs: number): boolean {
  const nr = Math.max(tileColumns('f32', tiles.f32), tileColumns('f64', tiles.f64));
  return (k - 1) * rs + (n - 1 + nr - 1) * cs < STAGE_CAPACITY;
}

/**
 * C[m×n] += A[m×k] · B where B lies in the staging region ({@link wasmGemmInPlaceBuffer}, the same
 * element type as C) with element (p, j) at `offset + p·bRowStride + j·bColStride` (check
 * {@link wasmGemmInPlaceFits}): B is packed from there by wasm, with no copy from JS.
 */
export function wasmGemmInPlace(
  m: number, n: number, k: number,
  a: ArrayLike<number>, aOffset: number, aRowStride: number, aColStride: number,
  bRowStride: number, bColStride: number,
  c: Storage, cOffset: number, ldc: number,
): void {
  const w = wasmGemm();
  const t = floatOf(c);
  const view = t === 'f32' ? w.f32 : w.f64;
  const staged = stridedB(view, STAGE_BYTES / elementBytes(t), bRowStride, bColStride, true);
  blocked(m, n, k, stridedA(a, aOffset, aRowStride, aColStride), staged, c, cOffset, ldc, 'add', undefined);
}

/**
 * C[m×n] = rowStart[i] + A[m×k] · B (row i's value from `rowStartOffset + i`; zeros when rowStart
 * is null; C is overwritten and never read) where B is im2col's columns of an image already in the
 * module's memory, never written out: each block of B is packed straight from the image (the
 * `pack_unfolded` kernel of wasm/gemm-module.ts). `tableBytes` is the address of k entries of two
 * i32s — row p's byte offset from `srcBytes` (the image's column 0) and the address of its mask
 * row —, which wasm/im2col.ts `wasmUnfoldPlan` writes with the masks into the plans region.
 * Bitwise what {@link wasmGemmInPlace} gives, on the columns im2col writes, onto a C filled with
 * each row's value.
 */
export function wasmGemmUnfolded(
  m: number, n: number, k: number,
  a: ArrayLike<number>, aOffset: number, aRowStride: number, aColStride: number,
  srcBytes: number, tableBytes: number,
  c: Storage, cOffset: number, ldc: number, rowStart: ArrayLike<number> | null, rowStartOffset: number,
): void {
  const unfolded: PackBlockB = (w, _view, t, kc, nc, pc, jc) =>
    w.packUnfolded[t](kc, nc, srcBytes, tableBytes + pc * 8, B_BYTES, jc * elementBytes(t));
  const start: CStart = rowStart === null ? 'zero' : { values: rowStart, offset: rowStartOffset };
  blocked(m, n, k, stridedA(a, aOffset, aRowStride, aColStride), unfolded, c, cOffset, ldc, start, undefined);
}

/**
 * C[m×n] += A[m×k] · Bᵀ-of-columns: B[k×n] is the transpose of im2col's columns (n = K rows of
 * columns, k = P pixels), packed straight from the image in the module's memory as
 * {@link wasmGemmUnfolded} does (the `pack_unfolded_cols` kernel; the table must be padded to a
 * whole panel past n, wasm/im2col.ts `wasmUnfoldPlan` does). conv2d's weight gradient. Bitwise what
 * {@link wasmGemmInPlace} gives on the columns im2col writes, read with row stride 1 and column
 * stride P.
 */
export function wasmGemmUnfoldedTransposed(
  m: number, n: number, k: number,
  a: ArrayLike<number>, aOffset: number, aRowStride: number, aColStride: number,
  srcBytes: number, tableBytes: number,
  c: Storage, cOffset: number, ldc: number,
): void {
  const unfolded: PackBlockB = (w, _view, t, kc, nc, pc, jc) =>
    w.packUnfoldedCols[t](kc, nc, srcBytes, tableBytes + jc * 8, B_BYTES, pc * elementBytes(t));
  blocked(m, n, k, stridedA(a, aOffset, aRowStride, aColStride), unfolded, c, cOffset, ldc, 'add', undefined);
}

/**
 * C[m×n] += A · B[k×n] where A[m×k] is im2col's columns (m = K rows, k = P pixels), packed straight
 * from the image in the module's memory into MR-tall panels (the `pack_unfolded_a` kernel; the
 * table padded past m as for {@link wasmGemmUnfoldedTransposed}), and B is read through strides.
 * conv2d's weight gradient transposed, dWᵀ += cols · dyᵀ, for a small K (wasm/im2col.ts
 * `wasmUnfoldedWeightGradT`). Bitwise what {@link wasmGemmPacked} gives on the columns im2col writes.
 */
export function wasmGemmUnfoldedA(
  m: number, n: number, k: number,
  srcBytes: number, tableBytes: number,
  b: ArrayLike<number>, bOffset: number, bRowStride: number, bColStride: number,
  c: Storage, cOffset: number, ldc: number,
): void {
  const unfolded: PackBlockA = (w, _view, t, mc, kc, row, pc) => {
    const pack = w.packUnfoldedA[t];
    if (pack === undefined) throw new Error(`wasm backend: no transposed unfolded packer for the ${t} tile with MR = ${tiles[t].mr} (a measurement tile)`);
    pack(kc, mc, srcBytes, tableBytes + row * 8, A_BYTES, pc * elementBytes(t));
  };
  blocked(m, n, k, unfolded, stridedB(b, bOffset, bRowStride, bColStride, false), c, cOffset, ldc, 'add', undefined);
}
