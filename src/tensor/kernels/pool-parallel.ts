/**
 * Max pooling split over the worker pool by planes. Every (sample, channel) plane is pooled on its
 * own, so chunks of whole planes (about CHUNK_ELEMENTS input elements each, fixed by the shape)
 * write disjoint parts of y, argmax and dx in place, and the result is bitwise the serial one
 * (pool.ts) on any number of threads. The arrays must be in shared memory for the workers to take
 * part: the op allocates y and argmax there when {@link maxPoolSplits} says the pool will be used,
 * and dy is copied into shared scratch when it is not shared.
 */
import { getBackend } from '../backend.js';
import type { Storage } from '../dtype.js';
import { runChunks, shouldParallelize } from '../parallel/pool.js';
import { arrayArg, indexArg, numberArg, recordArg, type ChunkFn, type TaskArg, type TaskFactory } from '../parallel/protocol.js';
import { sharedOperand } from '../parallel/shared-memory.js';
import { wasmMaxPoolBackward, wasmMaxPoolBackwardFits } from '../wasm/max-pool.js';
import { maxPool2dBackward, maxPool2dForward, type Pool2dGeometry } from './pool.js';

/** Input elements per chunk (whole planes). */
const CHUNK_ELEMENTS = 32768;

const GEOMETRY_KEYS = [
  'planes', 'h', 'w', 'outH', 'outW', 'kH', 'kW', 'strideH', 'strideW', 'padH', 'padW', 'dilationH', 'dilationW',
] as const satisfies readonly (keyof Pool2dGeometry)[];

function geometryFrom(args: readonly TaskArg[], i: number, task: string): Pool2dGeometry {
  return recordArg(args, i, task, GEOMETRY_KEYS, 'a pooling geometry');
}

function planesPerChunk(g: Pool2dGeometry): number {
  return Math.max(1, Math.floor(CHUNK_ELEMENTS / Math.max(1, g.h * g.w)));
}

/** The geometry of planes [p0, p1) alone. */
function slice(g: Pool2dGeometry, p0: number, p1: number): Pool2dGeometry {
  return { ...g, planes: p1 - p0 };
}

/**
 * Whether max pooling of `x` (geometry `g`) will go over the pool — then its outputs should be
 * allocated in shared memory (`allocate(dtype, size, 0)`, `sharedIndices(size, true)`).
 */
export function maxPoolSplits(g: Pool2dGeometry, x: Storage): boolean {
  return g.planes > planesPerChunk(g) && shouldParallelize(g.planes * g.h * g.w, x);
}

/** Task 'max-pool-2d': args [geometry, x, xOffset, y, yOffset, argmax]. Chunk i pools its planes. */
export const maxPoolForwardTask: TaskFactory = (args) => {
  const name = 'max-pool-2d';
  const g = geometryFrom(args, 0, name);
  const x = arrayArg(args, 1, name);
  const xOff = numberArg(args, 2, name);
  const y = arrayArg(args, 3, name);
  const yOff = numberArg(args, 4, name);
  const argmax = indexArg(args, 5, name);
  const per = planesPerChunk(g);
  const outPlane = g.outH * g.outW;
  return (chunk) => {
    const p0 = chunk * per;
    const p1 = Math.min(g.planes, p0 + per);
    maxPool2dForward(slice(g, p0, p1), x, xOff + p0 * g.h * g.w, y, yOff + p0 * outPlane, argmax.subarray(p0 * outPlane, p1 * outPlane));
  };
};

/** Task 'max-pool-2d-backward': args [geometry, dy, dyOffset, argmax, dx, dxOffset]. */
export const maxPoolBackwardTask: TaskFactory = (args) => {
  const name = 'max-pool-2d-backward';
  const g = geometryFrom(args, 0, name);
  const dy = arrayArg(args, 1, name);
  const dyOff = numberArg(args, 2, name);
  const argmax = indexArg(args, 3, name);
  const dx = arrayArg(args, 4, name);
  const dxOff = numberArg(args, 5, name);
  const per = planesPerChunk(g);
  const outPlane = g.outH * g.outW;
  const one = slice(g, 0, 1);
  return (chunk, _out, _o, current) => {
    const p1 = Math.min(g.planes, (chunk + 1) * per);
    for (let p = chunk * per; p < p1; p++) {
      // A chunk the calling thread recomputed (after this worker stalled for STEAL_IN_PLACE_MS)
      // stops at the next plane; each plane is zeroed before its sum, so no plane adds twice.
      if (current !== undefined && !current()) return;
      const at = dxOff + p * g.h * g.w;
      dx.fill(0, at, at + g.h * g.w);
      maxPool2dBackward(one, dy, dyOff + p * outPlane, argmax.subarray(p * outPlane, (p + 1) * outPlane), dx, at);
    }
  };
};

function runPlanes(task: string, args: TaskArg[], g: Pool2dGeometry, run: ChunkFn): void {
  runChunks(task, args, Math.ceil(g.planes / planesPerChunk(g)), 0, run, { inPlace: true });
}

/**
 * Max pooling (pool.ts `maxPool2dForward`: y and the winners' indices), over the pool by planes
 * when x, y and argmax are shared and the input is big enough; bitwise the serial result.
 *
 * @example
 * ```ts
 * const g = pool2dGeometry([1, 1, 2, 2], { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false });
 * const y = new Float32Array(1);
 * const argmax = new Int32Array(1);
 * maxPool2dForwardSplit(g, new Float32Array([1, 4, 3, 2]), 0, y, 0, argmax); // y = [4], argmax = [1]
 * ```
 */
export function maxPool2dForwardSplit(
  g: Pool2dGeometry, x: Storage, xOffset: number, y: Storage, yOffset: number, argmax: Int32Array,
): void {
  if (!maxPoolSplits(g, x) || !shouldParallelize(g.planes * g.h * g.w, y, argmax)) {
    maxPool2dForward(g, x, xOffset, y, yOffset, argmax);
    return;
  }
  const args: TaskArg[] = [GEOMETRY_KEYS.map((key) => g[key]), x, xOffset, y, yOffset, argmax];
  runPlanes('max-pool-2d', args, g, maxPoolForwardTask(args, 0));
}

/**
 * dx = dy routed to the winning input element of each window (dx overwritten), over the pool by
 * planes when dx and argmax are shared and the input is big enough (dy is copied into shared
 * scratch if it is not shared); bitwise the serial result.
 *
 * @example
 * ```ts
 * const g = pool2dGeometry([1, 1, 2, 2], { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false });
 * const dx = new Float32Array(4);
 * maxPool2dBackwardSplit(g, new Float32Array([5]), 0, Int32Array.of(1), dx, 0); // dx = [0, 5, 0, 0]
 * ```
 */
export function maxPool2dBackwardSplit(
  g: Pool2dGeometry, dy: Storage, dyOffset: number, argmax: Int32Array, dx: Storage, dxOffset: number,
): void {
  const inputSize = g.planes * g.h * g.w;
  if (g.planes <= planesPerChunk(g) || !shouldParallelize(inputSize, dx, argmax)) {
    const outPlane = g.outH * g.outW;
    if (getBackend() === 'wasm' && dy instanceof Float32Array && dx instanceof Float32Array && wasmMaxPoolBackwardFits(g.h * g.w, outPlane)) {
      // The same zeros and float32 additions in wasm (wasm/max-pool.ts).
      wasmMaxPoolBackward(g.planes, g.h, g.w, outPlane, dy, dyOffset, argmax, dx, dxOffset);
      return;
    }
    dx.fill(0, dxOffset, dxOffset + inputSize);
    maxPool2dBackward(g, dy, dyOffset, argmax, dx, dxOffset);
    return;
  }
  const sdy = sharedOperand('max-pool-dy', dy, dyOffset, g.planes * g.outH * g.outW);
  const args: TaskArg[] = [GEOMETRY_KEYS.map((key) => g[key]), sdy, 0, argmax, dx, dxOffset];
  runPlanes('max-pool-2d-backward', args, g, maxPoolBackwardTask(args, 0));
}
