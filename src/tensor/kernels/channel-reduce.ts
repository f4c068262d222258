/**
 * Per-channel reductions over every axis but the channel axis, for the normalization layers:
 * for x of shape [N, C, …] (contiguous), Σx and Σ(x − shift)² per channel (forward) and Σg and
 * Σg·(x − mean) per channel (backward). BatchNorm, BatchRenorm and Batch Kalman Norm reduce over
 * N and the spatial axes; GroupNorm over a view [N·G, C/G·H·W] whose "channels" are groups.
 *
 * The work is cut into fixed chunks — groups of samples × groups of channels, about
 * CHUNK_ELEMENTS elements each, chosen from the shape alone — and every chunk's partial sums are
 * merged in chunk order. The serial path runs exactly the same chunks in the same order, so the
 * result is bitwise the same on 1 thread, 2 threads or 16, and with or without the pool.
 *
 * Loop order inside a chunk: channel, then sample, then the contiguous plane of that
 * (sample, channel), read with four accumulators per sum to break the floating-point add
 * dependency chain (one accumulator is bound by the add latency, several times slower).
 */
import { getBackend } from '../backend.js';
import type { Storage } from '../dtype.js';
import { runChunks, shouldParallelize } from '../parallel/pool.js';
import { arrayArg, numberArg, type ChunkFn, type TaskArg, type TaskFactory } from '../parallel/protocol.js';
import { shapeString } from '../shape.js';
import {
  wasmChannelGradSumsChunk, wasmChannelSumsChunk, wasmChunkFits, wasmPlaneSums, wasmPlaneSumsFit,
} from '../wasm/channel-reduce.js';

/** Elements per chunk: big enough that a chunk outweighs claiming it, small enough to balance. */
const CHUNK_ELEMENTS = 32768;
/** Chunks per task at most (a problem with more gets bigger chunks). */
const MAX_TASK_CHUNKS = 4096;

/** How [n, c, inner] is cut into chunks: batch groups × channel groups, from the shape alone. */
export interface ChannelPlan {
  n: number;
  c: number;
  inner: number;
  /** Samples per chunk. */
  batchPer: number;
  /** Channels per chunk. */
  chanPer: number;
  batchGroups: number;
  chanGroups: number;
  nChunks: number;
}

/**
 * The chunk grid for a [n, c, inner] reduction. A chunk covers all channels of several samples when
 * one sample is small, else a group of channels of one sample (or one plane when a plane alone is
 * bigger than a chunk). Depends only on the shape — never on the thread count.
 */
export function channelPlan(n: number, c: number, inner: number): ChannelPlan {
  let chanPer: number;
  let batchPer: number;
  if (c * inner <= CHUNK_ELEMENTS) {
    chanPer = c;
    batchPer = Math.max(1, Math.min(n, Math.floor(CHUNK_ELEMENTS / Math.max(1, c * inner))));
  } else {
    chanPer = Math.max(1, Math.min(c, Math.floor(CHUNK_ELEMENTS / Math.max(1, inner))));
    batchPer = 1;
  }
  let batchGroups = Math.ceil(n / batchPer);
  const chanGroups = Math.ceil(c / chanPer);
  if (batchGroups * chanGroups > MAX_TASK_CHUNKS) {
    batchGroups = Math.max(1, Math.floor(MAX_TASK_CHUNKS / chanGroups));
    batchPer = Math.ceil(n / batchGroups);
    batchGroups = Math.ceil(n / batchPer);
  }
  return { n, c, inner, batchPer, chanPer, batchGroups, chanGroups, nChunks: Math.max(1, batchGroups * chanGroups) };
}

/** Splits a shape [N, C, …rest] into n, c and inner = ∏rest, checking it for `op`. */
function layoutOf(shape: readonly number[], op: string, length: number, offset: number): { n: number; c: number; inner: number } {
  if (shape.length < 2) {
    throw new Error(`${op}: expected a shape [N, C, ...] with at least 2 dims, got ${shapeString(shape)}`);
  }
  const n = shape[0]!;
  const c = shape[1]!;
  let inner = 1;
  for (let d = 2; d < shape.length; d++) inner *= shape[d]!;
  if (offset + n * c * inner > length) {
    throw new Error(`${op}: storage of ${length} elements from offset ${offset} is too small for shape ${shapeString(shape)}`);
  }
  return { n, c, inner };
}

function checkPerChannel(v: Float64Array | null, c: number, op: string, name: string): void {
  if (v !== null && v.length !== c) throw new Error(`${op}: ${name} has ${v.length} values for ${c} channels`);
}

// ---- chunk kernels ------------------------------------------------------------------------------

/**
 * Partial Σx (and, when `withSq`, Σ(x − shift)²) of one chunk: out[o + j] for channel c0 + j, and
 * the squares at out[o + chanPer + j]. Index arithmetic is `| 0` so V8 keeps it in int32 without
 * overflow checks (measured 6.0 → 7.8 GB/s together with the 8-wide unroll of the plain sum).
 */
function sumsChunk(
  x: Storage, xOff: number, p: ChannelPlan, chunk: number, shift: Float64Array | null, withSq: boolean,
  out: Float64Array, o: number,
): void {
  const bg = Math.floor(chunk / p.chanGroups);
  const cg = chunk - bg * p.chanGroups;
  const b0 = bg * p.batchPer;
  const b1 = Math.min(p.n, b0 + p.batchPer);
  const c0 = cg * p.chanPer;
  const c1 = Math.min(p.c, c0 + p.chanPer);
  const { c, inner } = p;
  for (let ch = c0; ch < c1; ch++) {
    const sh = shift === null ? 0 : shift[ch]!;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let q0 = 0, q1 = 0, q2 = 0, q3 = 0;
    for (let b = b0; b < b1; b++) {
      let i = xOff + (b * c + ch) * inner;
      const end = i + inner;
      if (withSq) {
        for (const end4 = end - (inner & 3); i < end4; i = (i + 4) | 0) {
          const v0 = x[i]!, v1 = x[(i + 1) | 0]!, v2 = x[(i + 2) | 0]!, v3 = x[(i + 3) | 0]!;
          s0 += v0; s1 += v1; s2 += v2; s3 += v3;
          const d0 = v0 - sh, d1 = v1 - sh, d2 = v2 - sh, d3 = v3 - sh;
          q0 += d0 * d0; q1 += d1 * d1; q2 += d2 * d2; q3 += d3 * d3;
        }
        for (; i < end; i++) {
          const v = x[i]!;
          const d = v - sh;
          s0 += v;
          q0 += d * d;
        }
      } else {
        s0 += x instanceof Float32Array ? planeSum32(x, i, end) : planeSum64(x as Float64Array, i, end);
      }
    }
    out[o + ch - c0] = (s0 + s1) + (s2 + s3);
    if (withSq) out[o + p.chanPer + ch - c0] = (q0 + q1) + (q2 + q3);
  }
}

/**
 * Σ x[from..to) of a float32 array in float64: eight accumulators (the add latency hides behind
 * seven other sums), walked from the top down, with int32 index arithmetic; in a function of its
 * own so that its typed-array loads are monomorphic. Measured, one thread, [32, 64, 32, 32]: 8.2 →
 * 9.x GB/s against four accumulators walked upwards (bench/README.md).
 */
function planeSum32(x: Float32Array, from: number, to: number): number {
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  let i = (to - 8) | 0;
  for (; i >= from; i = (i - 8) | 0) {
    a0 += x[i]!; a1 += x[(i + 1) | 0]!; a2 += x[(i + 2) | 0]!; a3 += x[(i + 3) | 0]!;
    a4 += x[(i + 4) | 0]!; a5 += x[(i + 5) | 0]!; a6 += x[(i + 6) | 0]!; a7 += x[(i + 7) | 0]!;
  }
  // The first (to − from) mod 8 elements.
  for (i = (i + 7) | 0; i >= from; i = (i - 1) | 0) a0 += x[i]!;
  return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
}

/** {@link planeSum32} for float64 arrays. */
function planeSum64(x: Float64Array, from: number, to: number): number {
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  let i = (to - 8) | 0;
  for (; i >= from; i = (i - 8) | 0) {
    a0 += x[i]!; a1 += x[(i + 1) | 0]!; a2 += x[(i + 2) | 0]!; a3 += x[(i + 3) | 0]!;
    a4 += x[(i + 4) | 0]!; a5 += x[(i + 5) | 0]!; a6 += x[(i + 6) | 0]!; a7 += x[(i + 7) | 0]!;
  }
  for (i = (i + 7) | 0; i >= from; i = (i - 1) | 0) a0 += x[i]!;
  return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
}

/** Partial Σg and Σg·(x − mean) of one chunk, laid out like {@link sumsChunk}'s. */
function gradChunk(
  g: Storage, gOff: number, x: Storage, xOff: number, p: ChannelPlan, chunk: number, mean: Float64Array | null,
  out: Float64Array, o: number,
): void {
  const bg = Math.floor(chunk / p.chanGroups);
  const cg = chunk - bg * p.chanGroups;
  const b0 = bg * p.batchPer;
  const b1 = Math.min(p.n, b0 + p.batchPer);
  const c0 = cg * p.chanPer;
  const c1 = Math.min(p.c, c0 + p.chanPer);
  const { c, inner } = p;
  const dx = xOff - gOff; // x[i + dx] is the element of x at g[i]
  for (let ch = c0; ch < c1; ch++) {
    const mu = mean === null ? 0 : mean[ch]!;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (let b = b0; b < b1; b++) {
      let i = gOff + (b * c + ch) * inner;
      const end = i + inner;
      for (const end4 = end - (inner & 3); i < end4; i = (i + 4) | 0) {
        const j = (i + dx) | 0;
        const g0 = g[i]!, g1 = g[(i + 1) | 0]!, g2 = g[(i + 2) | 0]!, g3 = g[(i + 3) | 0]!;
        s0 += g0; s1 += g1; s2 += g2; s3 += g3;
        t0 += g0 * (x[j]! - mu);
        t1 += g1 * (x[(j + 1) | 0]! - mu);
        t2 += g2 * (x[(j + 2) | 0]! - mu);
        t3 += g3 * (x[(j + 3) | 0]! - mu);
      }
      for (; i < end; i++) {
        const gv = g[i]!;
        s0 += gv;
        t0 += gv * (x[i + dx]! - mu);
      }
    }
    out[o + ch - c0] = (s0 + s1) + (s2 + s3);
    out[o + p.chanPer + ch - c0] = (t0 + t1) + (t2 + t3);
  }
}

/**
 * Runs every chunk (in parallel when it pays) and merges the partials in chunk order into
 * first[C] and, when `second` is given, second[C] (each chunk holds chanPer firsts then chanPer
 * seconds).
 */
function reduceChunks(
  p: ChannelPlan, resultSize: number, parallel: boolean, task: string, args: readonly TaskArg[], run: ChunkFn,
  first: Float64Array, second: Float64Array | null,
): void {
  let results: Float64Array;
  let offsetOf: (chunk: number) => number;
  if (parallel) {
    const r = runChunks(task, args, p.nChunks, resultSize, run);
    results = r.results;
    offsetOf = (chunk) => r.offsets[chunk]!;
  } else {
    results = new Float64Array(p.nChunks * resultSize);
    for (let chunk = 0; chunk < p.nChunks; chunk++) run(chunk, results, chunk * resultSize);
    offsetOf = (chunk) => chunk * resultSize;
  }
  // Fixed merge order: for each channel, the partials of sample groups 0, 1, 2, … in turn.
  for (let bg = 0; bg < p.batchGroups; bg++) {
    for (let cg = 0; cg < p.chanGroups; cg++) {
      const o = offsetOf(bg * p.chanGroups + cg);
      const c0 = cg * p.chanPer;
      const cc = Math.min(p.c, c0 + p.chanPer) - c0;
      for (let j = 0; j < cc; j++) {
        first[c0 + j] += results[o + j]!;
        if (second !== null) second[c0 + j] += results[o + p.chanPer + j]!;
      }
    }
  }
}

// ---- the wasm chunks (wasm/channel-reduce.ts: the same accumulators, the same bits) ---------------

/**
 * The samples [b0, b1) and channels [c0, c1) of `chunk`, its first element, and whether it is
 * one contiguous range laid out [b1 − b0][c1 − c0][inner] (all channels, or one sample) that
 * fits the wasm kernels.
 */
function wasmChunk(p: ChannelPlan, chunk: number): { c0: number; nb: number; nc: number; first: number } | null {
  const bg = Math.floor(chunk / p.chanGroups);
  const cg = chunk - bg * p.chanGroups;
  const b0 = bg * p.batchPer;
  const c0 = cg * p.chanPer;
  const nb = Math.min(p.n, b0 + p.batchPer) - b0;
  const nc = Math.min(p.c, c0 + p.chanPer) - c0;
  if ((nc !== p.c && nb !== 1) || !wasmChunkFits(nb, nc, p.inner)) return null;
  return { c0, nb, nc, first: (b0 * p.c + c0) * p.inner };
}

/** out[o + j] and out[o + chanPer + j] from the wasm accumulators, merged as the JS kernels merge theirs. */
function mergeAccumulators(acc: Float64Array, nc: number, chanPer: number, out: Float64Array, o: number): void {
  for (let j = 0; j < nc; j++) {
    const a = 8 * j;
    out[o + j] = (acc[a]! + acc[a + 1]!) + (acc[a + 2]! + acc[a + 3]!);
    out[o + chanPer + j] = (acc[a + 4]! + acc[a + 5]!) + (acc[a + 6]! + acc[a + 7]!);
  }
}

/**
 * {@link sumsChunk} with squares, for float32 x in wasm when the chunk is contiguous and fits,
 * else in JS. On this thread only (the serial path).
 */
function sumsChunkWasm(x: Float32Array, xOff: number, p: ChannelPlan, shift: Float64Array | null): ChunkFn {
  return (chunk, out, o) => {
    const at = wasmChunk(p, chunk);
    if (at === null) {
      sumsChunk(x, xOff, p, chunk, shift, true, out, o);
      return;
    }
    mergeAccumulators(wasmChannelSumsChunk(x, xOff + at.first, at.nb, at.nc, p.inner, shift, at.c0), at.nc, p.chanPer, out, o);
  };
}

/**
 * {@link sumsChunk} without squares (its plane sums, planeSum32) for float32 x in wasm when the
 * chunk is contiguous and fits, else in JS; the plane sums are added up here as sumsChunk does.
 */
function planeSumsChunkWasm(x: Float32Array, xOff: number, p: ChannelPlan): ChunkFn {
  return (chunk, out, o) => {
    const at = wasmChunk(p, chunk);
    if (at === null || !wasmPlaneSumsFit(at.nb * at.nc, p.inner)) {
      sumsChunk(x, xOff, p, chunk, null, false, out, o);
      return;
    }
    const sums = wasmPlaneSums(x, xOff + at.first, at.nb * at.nc, p.inner);
    for (let j = 0; j < at.nc; j++) {
      let s0 = 0;
      const s1 = 0, s2 = 0, s3 = 0; // as sumsChunk's, which only s0 takes when there are no squares
      for (let b = 0; b < at.nb; b++) s0 += sums[b * at.nc + j]!;
      out[o + j] = (s0 + s1) + (s2 + s3);
    }
  };
}

/** {@link gradChunk} for float32 g and x in wasm when the chunk is contiguous and fits, else in JS. */
function gradChunkWasm(g: Float32Array, gOff: number, x: Float32Array, xOff: number, p: ChannelPlan, mean: Float64Array | null): ChunkFn {
  return (chunk, out, o) => {
    const at = wasmChunk(p, chunk);
    if (at === null) {
      gradChunk(g, gOff, x, xOff, p, chunk, mean, out, o);
      return;
    }
    const acc = wasmChannelGradSumsChunk(g, gOff + at.first, x, xOff + at.first, at.nb, at.nc, p.inner, mean, at.c0);
    mergeAccumulators(acc, at.nc, p.chanPer, out, o);
  };
}

// ---- tasks (also run by the pool's workers, see parallel/tasks.ts) -------------------------------

/** Task 'channel-sums': args [x, xOffset, n, c, inner, shift | null, withSq (0/1)]. */
export const channelSumsTask: TaskFactory = (args) => {
  const name = 'channel-sums';
  const x = arrayArg(args, 0, name);
  const xOff = numberArg(args, 1, name);
  const p = channelPlan(numberArg(args, 2, name), numberArg(args, 3, name), numberArg(args, 4, name));
  const shift = arrayArg(args, 5, name, true) as Float64Array | null;
  const withSq = numberArg(args, 6, name) === 1;
  // On the wasm backend (a worker adopts the task's) float32 chunks run the emitted kernels,
  // which give sumsChunk's bits.
  if (x instanceof Float32Array && getBackend() === 'wasm') {
    if (withSq) return sumsChunkWasm(x, xOff, p, shift);
    if (shift === null) return planeSumsChunkWasm(x, xOff, p);
  }
  return (chunk, out, o) => sumsChunk(x, xOff, p, chunk, shift, withSq, out, o);
};

/** Task 'channel-grad-sums': args [g, gOffset, x, xOffset, n, c, inner, mean | null]. */
export const channelGradSumsTask: TaskFactory = (args) => {
  const name = 'channel-grad-sums';
  const g = arrayArg(args, 0, name);
  const gOff = numberArg(args, 1, name);
  const x = arrayArg(args, 2, name);
  const xOff = numberArg(args, 3, name);
  const p = channelPlan(numberArg(args, 4, name), numberArg(args, 5, name), numberArg(args, 6, name));
  const mean = arrayArg(args, 7, name, true) as Float64Array | null;
  if (g instanceof Float32Array && x instanceof Float32Array && getBackend() === 'wasm') return gradChunkWasm(g, gOff, x, xOff, p, mean);
  return (chunk, out, o) => gradChunk(g, gOff, x, xOff, p, chunk, mean, out, o);
};

// ---- the kernels --------------------------------------------------------------------------------

/**
 * Σx per channel of a contiguous [N, C, …] array starting at `offset`, in float64.
 *
 * @example
 * ```ts
 * // x: [2, 3, 2] (N = 2, C = 3, two values per plane)
 * const x = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
 * channelSum(x, 0, [2, 3, 2]); // Float64Array [1+2+7+8, 3+4+9+10, 5+6+11+12] = [18, 26, 34]
 * ```
 */
export function channelSum(x: Storage, offset: number, shape: readonly number[]): Float64Array {
  const { n, c, inner } = layoutOf(shape, 'channelSum', x.length, offset);
  const p = channelPlan(n, c, inner);
  const sum = new Float64Array(c);
  const args: TaskArg[] = [x, offset, n, c, inner, null, 0];
  const parallel = shouldParallelize(n * c * inner, x);
  reduceChunks(p, p.chanPer, parallel, 'channel-sums', args, channelSumsTask(args, 0), sum, null);
  return sum;
}

/**
 * Σx and Σ(x − shift)² per channel of a contiguous [N, C, …] array starting at `offset`, in
 * float64. With `shift` = null the squares are of x itself (one pass: var = sumSq/m − mean²);
 * with `shift` = the per-channel mean they are the centred squares (two passes, no cancellation).
 *
 * @example
 * ```ts
 * const x = new Float64Array([1, 2, 3, 4]); // [N = 2, C = 2]: channel 0 = {1, 3}, channel 1 = {2, 4}
 * channelSums(x, 0, [2, 2]);                               // sum [4, 6], sumSq [10, 20]
 * channelSums(x, 0, [2, 2], new Float64Array([2, 3]));     // sum [4, 6], sumSq [2, 2]
 * ```
 */
export function channelSums(
  x: Storage, offset: number, shape: readonly number[], shift: Float64Array | null = null,
): { sum: Float64Array; sumSq: Float64Array } {
  const { n, c, inner } = layoutOf(shape, 'channelSums', x.length, offset);
  checkPerChannel(shift, c, 'channelSums', 'shift');
  const p = channelPlan(n, c, inner);
  const sum = new Float64Array(c);
  const sumSq = new Float64Array(c);
  const args: TaskArg[] = [x, offset, n, c, inner, shift, 1];
  const parallel = shouldParallelize(n * c * inner, x);
  reduceChunks(p, 2 * p.chanPer, parallel, 'channel-sums', args, channelSumsTask(args, 0), sum, sumSq);
  return { sum, sumSq };
}

/**
 * The two per-channel sums of normalization backward, over contiguous [N, C, …] arrays g (the
 * upstream gradient) and x: Σg and Σg·(x − mean), in float64. With `mean` = null the second is
 * Σg·x; pass x̂ as `x` and null to get Σg·x̂ directly. (Σg·x̂ = invstd · Σg·(x − mean).)
 *
 * @example
 * ```ts
 * const g = new Float64Array([1, 1, 2, 2]);
 * const x = new Float64Array([1, 2, 3, 4]);                 // [N = 2, C = 2]
 * channelGradSums(g, 0, x, 0, [2, 2], new Float64Array([2, 3]));
 * // sumG [3, 3], sumGX [1·(1−2) + 2·(3−2), 1·(2−3) + 2·(4−3)] = [1, 1]
 * ```
 */
export function channelGradSums(
  g: Storage, gOffset: number, x: Storage, xOffset: number, shape: readonly number[], mean: Float64Array | null = null,
): { sumG: Float64Array; sumGX: Float64Array } {
  const { n, c, inner } = layoutOf(shape, 'channelGradSums', g.length, gOffset);
  layoutOf(shape, 'channelGradSums', x.length, xOffset);
  checkPerChannel(mean, c, 'channelGradSums', 'mean');
  const p = channelPlan(n, c, inner);
  const sumG = new Float64Array(c);
  const sumGX = new Float64Array(c);
  const args: TaskArg[] = [g, gOffset, x, xOffset, n, c, inner, mean];
  const parallel = shouldParallelize(n * c * inner, g, x);
  reduceChunks(p, 2 * p.chanPer, parallel, 'channel-grad-sums', args, channelGradSumsTask(args, 0), sumG, sumGX);
  return { sumG, sumGX };
}
