/**
 * The elementwise passes of the normalization layers over the worker pool: an input cut into
 * `runs` contiguous runs of `length` elements, each with its own constants (one run is one
 * (sample, channel) plane of BatchNorm, say):
 *   affineRuns:    out[i] = (x[i] − m_r)·scale_r + add_r                 (forward y; moments backward)
 *   gradientRuns:  out[i] = a_r·g[i] − b_r·(x[i] − m_r) − c_r            (backward dx)
 * for i in run r. Chunks are whole runs, about CHUNK_ELEMENTS elements each, fixed by the shape;
 * every element is one expression of its own inputs, so the result is bitwise the same on any
 * number of threads. The chunks write the output in place (pool.ts `inPlace`): a fresh output
 * array, which must be in shared memory, like x and g, for the workers to take part. A worker
 * checks before each run that its chunk was not recomputed by the calling thread meanwhile
 * (protocol.ts ChunkFn), so it cannot write into an output that was already returned, except
 * within the one run it may be in the middle of — and then the same values.
 */
import { getBackend } from '../backend.js';
import type { Storage } from '../dtype.js';
import { runChunks, shouldParallelize } from '../parallel/pool.js';
import { arrayArg, numberArg, type TaskArg, type TaskFactory } from '../parallel/protocol.js';
import { wasmAffineRuns, wasmAffineRunsFit, wasmGradientRuns } from '../wasm/affine-runs.js';

/** Elements per chunk (whole runs): enough work to outweigh claiming a chunk. */
const CHUNK_ELEMENTS = 32768;

/**
 * Runs shorter than this stay on the calling thread: per-run constants would cost as much as the
 * pass (LayerNorm's affine index changes every element: runs of one). Callers with shorter runs
 * call {@link affineRun} / {@link gradientRun} per run instead of building constant arrays.
 */
export const MIN_RUN_LENGTH = 16;

/**
 * out[o + j] = (x[xi + j] − m)·scale + add for j < n, four elements per iteration (measured
 * 370 → 290 µs for 262 144 float32 elements against one per iteration, bench/README.md).
 *
 * @example
 * ```ts
 * const out = new Float32Array(2);
 * affineRun(new Float32Array([1, 2]), 0, out, 0, 2, 1, 3, 0.5); // out = [0.5, 3.5]
 * ```
 */
export function affineRun(x: Storage, xi: number, out: Storage, o: number, n: number, m: number, scale: number, add: number): void {
  const n4 = n - (n & 3);
  let j = 0;
  for (; j < n4; j += 4) {
    out[o + j] = (x[xi + j]! - m) * scale + add;
    out[o + j + 1] = (x[xi + j + 1]! - m) * scale + add;
    out[o + j + 2] = (x[xi + j + 2]! - m) * scale + add;
    out[o + j + 3] = (x[xi + j + 3]! - m) * scale + add;
  }
  for (; j < n; j++) out[o + j] = (x[xi + j]! - m) * scale + add;
}

/**
 * out[o + j] = a·g[gi + j] − b·(x[xi + j] − m) − c for j < n, four elements per iteration.
 *
 * @example
 * ```ts
 * const out = new Float64Array(1);
 * gradientRun(new Float64Array([2]), 0, new Float64Array([5]), 0, out, 0, 1, 4, 3, 1, 0.5); // out = [3·2 − 1·(5 − 4) − 0.5] = [4.5]
 * ```
 */
export function gradientRun(g: Storage, gi: number, x: Storage, xi: number, out: Storage, o: number, n: number, m: number, a: number, b: number, c: number): void {
  const n4 = n - (n & 3);
  let j = 0;
  for (; j < n4; j += 4) {
    out[o + j] = a * g[gi + j]! - b * (x[xi + j]! - m) - c;
    out[o + j + 1] = a * g[gi + j + 1]! - b * (x[xi + j + 1]! - m) - c;
    out[o + j + 2] = a * g[gi + j + 2]! - b * (x[xi + j + 2]! - m) - c;
    out[o + j + 3] = a * g[gi + j + 3]! - b * (x[xi + j + 3]! - m) - c;
  }
  for (; j < n; j++) out[o + j] = a * g[gi + j]! - b * (x[xi + j]! - m) - c;
}

/** Runs per chunk for runs of `length` elements. */
function runsPerChunk(length: number): number {
  return Math.max(1, Math.floor(CHUNK_ELEMENTS / Math.max(1, length)));
}

function checkRuns(op: string, runs: number, params: readonly Float64Array[]): void {
  for (const p of params) {
    if (p.length < runs) throw new Error(`${op}: ${runs} runs but a constant array of ${p.length}`);
  }
}

/**
 * The runs of pool chunk `chunk` (`per` runs each, `runs` in all): the first, how many, and a
 * per-run constant array cut to them.
 */
function chunkRuns(chunk: number, per: number, runs: number): { r0: number; count: number; at: (v: Float64Array) => Float64Array } {
  const r0 = chunk * per;
  const count = Math.min(runs, r0 + per) - r0;
  return { r0, count, at: (v) => v.subarray(r0, r0 + count) };
}

/**
 * Task 'affine-runs': args [x, xOffset, out, outOffset, runs, length, m, scale, add].
 * Chunk i covers runs [i·per, (i+1)·per).
 */
export const affineRunsTask: TaskFactory = (args) => {
  const name = 'affine-runs';
  const x = arrayArg(args, 0, name);
  const xOff = numberArg(args, 1, name);
  const out = arrayArg(args, 2, name);
  const oOff = numberArg(args, 3, name);
  const runs = numberArg(args, 4, name);
  const length = numberArg(args, 5, name);
  const m = arrayArg(args, 6, name);
  const scale = arrayArg(args, 7, name);
  const add = arrayArg(args, 8, name);
  const per = runsPerChunk(length);
  if (x instanceof Float32Array && out instanceof Float32Array && inWasm(length)
    && m instanceof Float64Array && scale instanceof Float64Array && add instanceof Float64Array) {
    // The chunk's runs in one call of the wasm kernel (the same bits; a worker adopts the backend).
    return (chunk) => {
      const { r0, count, at } = chunkRuns(chunk, per, runs);
      wasmAffineRuns(x, xOff + r0 * length, out, oOff + r0 * length, count, length, at(m), at(scale), at(add));
    };
  }
  return (chunk, _out, _o, current) => {
    const end = Math.min(runs, (chunk + 1) * per);
    for (let r = chunk * per; r < end; r++) {
      if (current !== undefined && !current()) return; // recomputed by the calling thread meanwhile
      affineRun(x, xOff + r * length, out, oOff + r * length, length, m[r]!, scale[r]!, add[r]!);
    }
  };
};

/**
 * Task 'gradient-runs': args [g, gOffset, x, xOffset, out, outOffset, runs, length, m, a, b, c].
 */
export const gradientRunsTask: TaskFactory = (args) => {
  const name = 'gradient-runs';
  const g = arrayArg(args, 0, name);
  const gOff = numberArg(args, 1, name);
  const x = arrayArg(args, 2, name);
  const xOff = numberArg(args, 3, name);
  const out = arrayArg(args, 4, name);
  const oOff = numberArg(args, 5, name);
  const runs = numberArg(args, 6, name);
  const length = numberArg(args, 7, name);
  const m = arrayArg(args, 8, name);
  const a = arrayArg(args, 9, name);
  const b = arrayArg(args, 10, name);
  const c = arrayArg(args, 11, name);
  const per = runsPerChunk(length);
  if (g instanceof Float32Array && x instanceof Float32Array && out instanceof Float32Array && inWasm(length)
    && m instanceof Float64Array && a instanceof Float64Array && b instanceof Float64Array && c instanceof Float64Array) {
    return (chunk) => {
      const { r0, count, at } = chunkRuns(chunk, per, runs);
      wasmGradientRuns(g, gOff + r0 * length, x, xOff + r0 * length, out, oOff + r0 * length, count, length, at(m), at(a), at(b), at(c));
    };
  }
  return (chunk, _out, _o, current) => {
    const end = Math.min(runs, (chunk + 1) * per);
    for (let r = chunk * per; r < end; r++) {
      if (current !== undefined && !current()) return; // recomputed by the calling thread meanwhile
      gradientRun(g, gOff + r * length, x, xOff + r * length, out, oOff + r * length, length, m[r]!, a[r]!, b[r]!, c[r]!);
    }
  };
};

/**
 * Whether a float32 pass (or a pool chunk of one) runs in wasm (wasm/affine-runs.ts, the same
 * bits): on the wasm backend, for runs of at least MIN_RUN_LENGTH that fit its pieces.
 */
function inWasm(length: number): boolean {
  return length >= MIN_RUN_LENGTH && getBackend() === 'wasm' && wasmAffineRunsFit(length);
}

/** Runs the chunks of a task: over the pool when it pays, else here, in chunk order. */
function runAll(task: string, args: TaskArg[], factory: TaskFactory, runs: number, length: number, parallel: boolean): void {
  const nChunks = Math.ceil(runs / runsPerChunk(length));
  const run = factory(args, 0);
  if (parallel && nChunks > 1) {
    runChunks(task, args, nChunks, 0, run, { inPlace: true });
    return;
  }
  const none = new Float64Array(0);
  for (let chunk = 0; chunk < nChunks; chunk++) run(chunk, none, 0);
}

/**
 * out[outOffset + r·length + j] = (x[xOffset + r·length + j] − m[r])·scale[r] + add[r] for every
 * run r < runs and j < length: the affine pass of a normalization, split over the pool when big.
 *
 * @example
 * ```ts
 * const x = new Float32Array([1, 2, 3, 4]);
 * const out = new Float32Array(4);
 * // two runs of two: (x − 1)·2 + 0, then (x − 3)·1 + 10
 * affineRuns(x, 0, out, 0, 2, 2, Float64Array.of(1, 3), Float64Array.of(2, 1), Float64Array.of(0, 10));
 * // out = [0, 2, 10, 11]
 * ```
 */
export function affineRuns(
  x: Storage, xOffset: number, out: Storage, outOffset: number, runs: number, length: number,
  m: Float64Array, scale: Float64Array, add: Float64Array,
): void {
  checkRuns('affineRuns', runs, [m, scale, add]);
  const args: TaskArg[] = [x, xOffset, out, outOffset, runs, length, m, scale, add];
  const parallel = length >= MIN_RUN_LENGTH && shouldParallelize(runs * length, x, out);
  if (!parallel && x instanceof Float32Array && out instanceof Float32Array && inWasm(length)) {
    wasmAffineRuns(x, xOffset, out, outOffset, runs, length, m, scale, add);
    return;
  }
  runAll('affine-runs', args, affineRunsTask, runs, length, parallel);
}

/**
 * out[i] = a[r]·g[i] − b[r]·(x[i] − m[r]) − c[r] over runs of `length` elements (each array read
 * from its offset): the input gradient pass of a normalization, split over the pool when big.
 *
 * @example
 * ```ts
 * const g = new Float64Array([1, 1]);
 * const x = new Float64Array([2, 4]);
 * const out = new Float64Array(2);
 * gradientRuns(g, 0, x, 0, out, 0, 1, 2, Float64Array.of(3), Float64Array.of(2), Float64Array.of(1), Float64Array.of(0));
 * // out = [2·1 − 1·(2 − 3), 2·1 − 1·(4 − 3)] = [3, 1]
 * ```
 */
export function gradientRuns(
  g: Storage, gOffset: number, x: Storage, xOffset: number, out: Storage, outOffset: number, runs: number, length: number,
  m: Float64Array, a: Float64Array, b: Float64Array, c: Float64Array,
): void {
  checkRuns('gradientRuns', runs, [m, a, b, c]);
  const args: TaskArg[] = [g, gOffset, x, xOffset, out, outOffset, runs, length, m, a, b, c];
  const parallel = length >= MIN_RUN_LENGTH && shouldParallelize(runs * length, g, x, out);
  if (!parallel && g instanceof Float32Array && x instanceof Float32Array && out instanceof Float32Array && inWasm(length)) {
    wasmGradientRuns(g, gOffset, x, xOffset, out, outOffset, runs, length, m, a, b, c);
    return;
  }
  runAll('gradient-runs', args, gradientRunsTask, runs, length, parallel);
}
