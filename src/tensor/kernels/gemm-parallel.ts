/**
 * GEMM over the worker pool: C[m×n] += A[m×k] · B[k×n] with C cut into blocks of whole rows (or of
 * whole columns), one block per chunk.
 *
 * Every element of C is computed by exactly the same operations whichever block holds it: the
 * packed kernel (gemm.ts) gives element (i, j) the value C0(i, j) + Σ over k-blocks of a float64
 * dot product over that block, added (and, for float32, rounded) one k-block at a time — nothing
 * depends on the element's neighbours. So the parallel result is bitwise the serial
 * `gemmPacked` result, for any block size and any number of threads.
 *
 * When C is to be added onto, a chunk never writes C itself: it copies its block of C0 into its
 * own result region (protocol.ts: one region per participant, so the calling thread can recompute a
 * chunk that a slow or dead worker holds without a race), runs the packed kernel there (a float32
 * view of the region for a float32 C, so the per-k-block rounding is the same), and the calling
 * thread copies the blocks into C after the task. When the caller knows C is all zeros (matmul's
 * fresh output) and C is shared, the chunks write their blocks into C themselves (the pool's
 * in-place mode): C is never read, so a chunk recomputed by the calling thread writes the same
 * values whatever the worker has written so far. Workers can only read shared memory: an operand
 * that is not shared is first copied (the span of storage it covers) into a shared scratch array
 * kept between calls — O(n²) copying for O(n³) work.
 */
import { getBackend, type Backend } from '../backend.js';
import type { FloatStorage as Storage } from '../dtype.js';
import { getNumThreads, poolAvailable, runChunks } from '../parallel/pool.js';
import { arrayArg, numberArg, type TaskArg, type TaskFactory } from '../parallel/protocol.js';
import { sharedOperand } from '../parallel/shared-memory.js';
import { isShared } from '../parallel/pool.js';
import { wasmGemmOverwrite } from '../wasm/gemm.js';
import { gemmPacked, gemmPackedOverwrite } from './gemm-backend.js';

/**
 * Below this many multiply-adds (m·n·k) a GEMM runs on the calling thread. Measured
 * (bench/measure-parallel.ts, bench/README.md), square float32 GEMMs, 2 threads against 1: called
 * back to back, 2 threads win from 64³ (0.26 M: 1.07×); called after 1 ms of other work (the
 * worker has gone to sleep and must be woken, as in training) they lose at 80³ (0.51 M: 0.91×),
 * break even at 96³ (0.88 M: 1.06×) and win from 112³ (1.4 M: 1.28×). 2²⁰ ≈ 1 M is where both are
 * at least even.
 */
export const GEMM_PARALLEL_MIN_MACS = 1 << 20;

/**
 * The same threshold for the wasm backend, whose GEMM does the same work ≈ 4× faster, so the
 * fixed cost of a parallel call (waking the worker, copying operands to shared scratch, copying
 * C back) takes ≈ 4× the MACs to pay for. Measured (`TSGRAD_BACKEND=wasm node
 * .bench-build/bench/measure-parallel.js gemm`, bench/README.md, 2026-12-04 22:15, load ≈ 2, the
 * second core mostly free), 2 threads against 1, back to back / after 1 ms of other work: 128³
 * (2.1 M) 0.96× / 0.67×, 160³ (4.1 M) 1.15× / 0.89×, 192³ (7.1 M) 1.24× / 1.00×, 224³ (11.2 M)
 * 1.29× / 1.13×, 256³ (16.8 M) 1.35× / 1.21×; the conv-shaped 32×1024×144 and 32×144×1024
 * (4.7 M) 0.60× and 0.39×. 2²³ ≈ 8.4 M is where the woken-worker case is at least even.
 */
export const GEMM_PARALLEL_MIN_MACS_WASM = 1 << 23;

/**
 * The parallel threshold of `backend` (default: the current one), in multiply-adds m·n·k. Only
 * where a GEMM runs depends on it, never its result (bitwise the same on any number of threads).
 *
 * @example
 * ```ts
 * gemmParallelMinMacs('js');   // 1 048 576
 * gemmParallelMinMacs('wasm'); // 8 388 608
 * ```
 */
export function gemmParallelMinMacs(backend: Backend = getBackend()): number {
  return backend === 'wasm' ? GEMM_PARALLEL_MIN_MACS_WASM : GEMM_PARALLEL_MIN_MACS;
}

/**
 * Chunks per thread on the JS backend: a worker that wakes late (≈ 50 µs) still finds work, at
 * little packing cost.
 */
const CHUNKS_PER_THREAD = 3;

/**
 * The same on the wasm backend. Every row block packs all of B again (and every column block all
 * of A), and the wasm kernel does the same work ≈ 5× faster than the JS one, so packing weighs ≈ 5×
 * more: at 512×512 float32, staging and packing B takes ≈ 0.13 ms against ≈ 2.9 ms of kernel per
 * thread. Measured (matmul 512×512 float32 through the op, 2 threads, each variant in its own
 * process, 2 rounds, 2026-12-05 00:02, load 2.0–2.4): 1 chunk per thread 75.3 / 75.7 GFLOP/s,
 * 2 chunks 73.6 / 74.8, 3 chunks 71.5 / 68.4 (1 thread: 41.6 / 41.9).
 */
const CHUNKS_PER_THREAD_WASM = 1;

/**
 * At most this many elements of C per task: each participant has a result region as large as the
 * task's C (protocol.ts), so a bigger C is done in several tasks of whole row panels.
 */
const TASK_MAX_OUTPUT = 1 << 20;

/** How C [m×n] is cut: blocks of `block` rows (splitN = 0) or of `block` columns (splitN = 1). */
interface GemmPlan {
  splitN: boolean;
  block: number;
  nChunks: number;
  /** Elements of C in the largest block. */
  blockSize: number;
}

/**
 * Splits along the dimension whose blocks repeat the smaller packing: row blocks each pack all of
 * B (k·n), column blocks each pack all of A (m·k). The result does not depend on the plan.
 */
function gemmPlan(m: number, n: number, threads: number): GemmPlan {
  const splitN = n > m;
  const extent = splitN ? n : m;
  const unit = splitN ? 4 : 2; // whole register tiles (NR columns or MR rows)
  const perThread = getBackend() === 'wasm' ? CHUNKS_PER_THREAD_WASM : CHUNKS_PER_THREAD;
  const wanted = Math.max(1, Math.min(Math.ceil(extent / unit), threads * perThread));
  const block = Math.ceil(extent / wanted / unit) * unit;
  const nChunks = Math.ceil(extent / block);
  return { splitN, block, nChunks, blockSize: block * (splitN ? m : n) };
}

/** How a 'gemm' chunk treats C0 (see gemmTask). */
const MODE_READ_C = 0;
const MODE_ZERO_C = 1;
const MODE_IN_PLACE = 2;
const MODE_IN_PLACE_WASM = 3;

/** Copies a chunk's region (row-major, the block's width as row stride) into its block of C. */
function copyBlockToC(region: Storage, r0: number, r1: number, j0: number, j1: number, c: Storage, cOffset: number, ldc: number): void {
  const cols = j1 - j0;
  for (let i = r0; i < r1; i++) c.set(region.subarray((i - r0) * cols, (i - r0 + 1) * cols), cOffset + i * ldc + j0);
}

/** Rows [r0, r1) and columns [j0, j1) of C in chunk `chunk`. */
function blockOf(p: GemmPlan, m: number, n: number, chunk: number): [number, number, number, number] {
  const lo = chunk * p.block;
  return p.splitN ? [0, m, lo, Math.min(n, lo + p.block)] : [lo, Math.min(m, lo + p.block), 0, n];
}

/** The region of a chunk's result as C's element type: `size` elements at float64 index `o`. */
function regionView(out: Float64Array, o: number, size: number, f32: boolean): Storage {
  return f32 ? new Float32Array(out.buffer, out.byteOffset + o * 8, size) : out.subarray(o, o + size);
}

/**
 * Task 'gemm': args [a, aOffset, aRowStride, aColStride, b, bOffset, bRowStride, bColStride,
 * c0, c0Offset, ldc, m, n, k, splitN (0/1), block, f32 (0/1), mode]. Chunk i writes C0 + A·B of its
 * block into its region, row-major with the block's width as row stride. Mode 0: C0 read from c0;
 * 1: C0 is zero (c0 is not read; gemmPackedOverwrite); 2: C0 is zero and the chunk also copies its
 * block into c0, which is then C itself, shared (in place: the calling thread copies nothing back;
 * a chunk recomputed by the calling thread meanwhile is not copied, and a late copy would write the
 * same values); 3: the same on the wasm backend, whose GEMM copies the block from its own memory
 * straight into C (the task has no result regions).
 */
export const gemmTask: TaskFactory = (args) => {
  const name = 'gemm';
  const a = arrayArg(args, 0, name);
  const [aOff, aRs, aCs] = [numberArg(args, 1, name), numberArg(args, 2, name), numberArg(args, 3, name)];
  const b = arrayArg(args, 4, name);
  const [bOff, bRs, bCs] = [numberArg(args, 5, name), numberArg(args, 6, name), numberArg(args, 7, name)];
  const c0 = arrayArg(args, 8, name);
  const [c0Off, ldc] = [numberArg(args, 9, name), numberArg(args, 10, name)];
  const [m, n, k] = [numberArg(args, 11, name), numberArg(args, 12, name), numberArg(args, 13, name)];
  const splitN = numberArg(args, 14, name) === 1;
  const block = numberArg(args, 15, name);
  const f32 = numberArg(args, 16, name) === 1;
  const mode = numberArg(args, 17, name);
  const plan: GemmPlan = { splitN, block, nChunks: 0, blockSize: 0 };
  return (chunk, out, o, current) => {
    const [r0, r1, j0, j1] = blockOf(plan, m, n, chunk);
    const rows = r1 - r0;
    const cols = j1 - j0;
    const [aAt, bAt] = [aOff + r0 * aRs, bOff + j0 * bCs];
    if (mode === MODE_IN_PLACE_WASM) {
      // The wasm GEMM computes in its own memory and only then copies C's block out: straight
      // into C, unless this chunk has been recomputed meanwhile.
      const keep = (): boolean => current === undefined || current();
      wasmGemmOverwrite(rows, cols, k, a, aAt, aRs, aCs, b, bAt, bRs, bCs, c0, c0Off + r0 * ldc + j0, ldc, keep);
      return;
    }
    const region = regionView(out, o, rows * cols, f32);
    if (mode === MODE_READ_C) {
      for (let i = 0; i < rows; i++) {
        const from = c0Off + (r0 + i) * ldc + j0;
        region.set(c0.subarray(from, from + cols), i * cols);
      }
      gemmPacked(rows, cols, k, a, aAt, aRs, aCs, b, bAt, bRs, bCs, region, 0, cols);
      return;
    }
    // The JS kernel adds each k-block onto C: a thread recomputing this chunk must not see it
    // half done, so it works in the chunk's own region.
    gemmPackedOverwrite(rows, cols, k, a, aAt, aRs, aCs, b, bAt, bRs, bCs, region, 0, cols);
    if (mode === MODE_IN_PLACE && (current === undefined || current())) copyBlockToC(region, r0, r1, j0, j1, c0, c0Off, ldc);
  };
};

/**
 * Whether a GEMM of float typed arrays should go over the pool: enough work, a packed-size product
 * (n > 1: a matrix–vector product uses the direct loop, gemm.ts), non-negative strides (the
 * operand's storage span is copied when it is not shared), and a pool to run it on.
 */
export function gemmShouldParallelize(m: number, n: number, k: number, aRs: number, aCs: number, bRs: number, bCs: number): boolean {
  if (m * n * k < gemmParallelMinMacs() || n === 1 || m === 0 || k === 0) return false;
  if (aRs < 0 || aCs < 0 || bRs < 0 || bCs < 0) return false;
  return poolAvailable();
}

/**
 * C[m×n] (row stride ldc, from cOffset) += A · B over the worker pool; bitwise the same as
 * `gemmPacked` on the calling thread (see the file comment). Call when
 * {@link gemmShouldParallelize} says so. `cZero`: the caller knows C's block is all zeros (a fresh
 * output): C is then not read, and when it is shared the chunks write it in place.
 *
 * @example
 * ```ts
 * const a = new Float32Array(256 * 256).fill(1);
 * const c = new Float32Array(256 * 256);
 * gemmParallel(256, 256, 256, a, 0, 256, 1, a, 0, 256, 1, c, 0, 256); // every c[i] = 256
 * ```
 */
export function gemmParallel(
  m: number, n: number, k: number,
  a: Storage, aOffset: number, aRowStride: number, aColStride: number,
  b: Storage, bOffset: number, bRowStride: number, bColStride: number,
  c: Storage, cOffset: number, ldc: number, cZero = false,
): void {
  // Whole row panels of at most TASK_MAX_OUTPUT elements of C, one task each.
  const panelRows = Math.max(1, Math.floor(TASK_MAX_OUTPUT / n));
  for (let r = 0; r < m; r += panelRows) {
    const rows = Math.min(panelRows, m - r);
    gemmTaskRun(rows, n, k, a, aOffset + r * aRowStride, aRowStride, aColStride, b, bOffset, bRowStride, bColStride, c, cOffset + r * ldc, ldc, cZero);
  }
}

function gemmTaskRun(
  m: number, n: number, k: number,
  a: Storage, aOffset: number, aRs: number, aCs: number,
  b: Storage, bOffset: number, bRs: number, bCs: number,
  c: Storage, cOffset: number, ldc: number, cZero: boolean,
): void {
  const sa = sharedOperand('gemm-a', a, aOffset, (m - 1) * aRs + (k - 1) * aCs + 1);
  const sb = sharedOperand('gemm-b', b, bOffset, (k - 1) * bRs + (n - 1) * bCs + 1);
  const inPlaceMode = getBackend() === 'wasm' ? MODE_IN_PLACE_WASM : MODE_IN_PLACE;
  const mode = !cZero ? MODE_READ_C : isShared(c) ? inPlaceMode : MODE_ZERO_C;
  // Mode 1 reads nothing of C: no copy into shared scratch (an empty placeholder).
  const sc = mode === MODE_ZERO_C ? c.subarray(0, 0) : sharedOperand('gemm-c', c, cOffset, (m - 1) * ldc + n);
  const f32 = c instanceof Float32Array;
  const plan = gemmPlan(m, n, getNumThreads());
  const resultSize = mode === MODE_IN_PLACE_WASM ? 0 : f32 ? Math.ceil(plan.blockSize / 2) : plan.blockSize;
  const args: TaskArg[] = [
    sa, 0, aRs, aCs, sb, 0, bRs, bCs, sc, 0, ldc,
    m, n, k, plan.splitN ? 1 : 0, plan.block, f32 ? 1 : 0, mode,
  ];
  const inPlace = mode === MODE_IN_PLACE || mode === MODE_IN_PLACE_WASM;
  const { results, offsets } = runChunks('gemm', args, plan.nChunks, resultSize, gemmTask(args, 0), { inPlace });
  if (inPlace) return;
  // Copy each block into C (its region is row-major with the block's width as row stride).
  for (let chunk = 0; chunk < plan.nChunks; chunk++) {
    const [r0, r1, j0, j1] = blockOf(plan, m, n, chunk);
    copyBlockToC(regionView(results, offsets[chunk]!, (r1 - r0) * (j1 - j0), f32), r0, r1, j0, j1, c, cOffset, ldc);
  }
}
