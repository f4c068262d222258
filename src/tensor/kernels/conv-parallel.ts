/**
 * conv2d over a whole batch, split over the worker pool by images.
 *
 * The batch is cut into chunks of whole images, `imagesPerChunk` of them, chosen from the shape
 * alone (about CHUNK_MACS multiply-adds per chunk). The output and the input gradient of an image
 * depend on that image only, so a chunk computes them exactly as the calling thread would: the
 * result is bitwise the same on any number of threads. The weight gradient sums over images: each
 * chunk sums its own images into a float64 partial, and the partials are added in chunk order —
 * on one thread too (the same chunks, one after the other), so that is bitwise the same as well.
 *
 * Why images and not the GEMM (gemm-parallel.ts): at the sizes of small CNNs one image's GEMM is
 * small (the MNIST CNN's second conv: 16 × 196 × 72), so splitting it costs a task per image and
 * per GEMM; one task over whole images costs one dispatch per conv and also runs the im2col and
 * col2im copies in parallel. Measured in bench/README.md.
 *
 * Workers can only read shared memory: inputs that are not shared are copied into shared scratch
 * arrays first (shared-memory.ts, `sharedOperand`), and each chunk writes its images into its
 * result region (protocol.ts), which the calling thread copies into the output after the task.
 */
import type { Storage } from '../dtype.js';
import { MAX_CHUNKS, arrayArg, numberArg, type ChunkFn, type TaskArg, type TaskFactory } from '../parallel/protocol.js';
import { poolAvailable, runChunks } from '../parallel/pool.js';
import { sharedOperand } from '../parallel/shared-memory.js';
import {
  conv2dBackwardInputImages, conv2dBackwardWeightImages, conv2dForwardImages, inputGradPlan, type Conv2dGeometry,
  type InputGradPlan,
} from './conv.js';
import { GEMM_PARALLEL_MIN_MACS } from './gemm-parallel.js';

/** Multiply-adds per chunk at least (whole images): enough that a chunk outweighs claiming it. */
const CHUNK_MACS = 1 << 18;

/** Below this many multiply-adds in the whole conv, it stays on the calling thread (as GEMMs do). */
export const CONV_PARALLEL_MIN_MACS = GEMM_PARALLEL_MIN_MACS;

/** How a batch is cut: `perChunk` images per chunk (the last may have fewer), `nChunks` chunks. */
interface ImagePlan {
  perChunk: number;
  nChunks: number;
  /** Multiply-adds of the whole batch (for one of forward, input gradient, weight gradient). */
  macs: number;
}

function imagePlan(g: Conv2dGeometry): ImagePlan {
  const macsPerImage = g.cOut * (g.cIn / g.groups) * g.kH * g.kW * g.outH * g.outW;
  let perChunk = Math.min(Math.max(1, g.n), Math.max(1, Math.ceil(CHUNK_MACS / Math.max(1, macsPerImage))));
  perChunk = Math.max(perChunk, Math.ceil(g.n / MAX_CHUNKS));
  return { perChunk, nChunks: Math.max(1, Math.ceil(g.n / perChunk)), macs: macsPerImage * g.n };
}

function imagesOf(plan: ImagePlan, n: number, chunk: number): [number, number] {
  const n0 = chunk * plan.perChunk;
  return [n0, Math.min(n, n0 + plan.perChunk)];
}

/** Whether the batch goes over the pool: big enough, at least two chunks, typed arrays, a pool. */
function useImagePool(plan: ImagePlan, ...arrays: ArrayLike<number>[]): boolean {
  if (plan.nChunks < 2 || plan.macs < CONV_PARALLEL_MIN_MACS) return false;
  for (const a of arrays) if (!(a instanceof Float32Array || a instanceof Float64Array)) return false;
  return poolAvailable();
}

// ---- task arguments ------------------------------------------------------------------------------

const GEOMETRY_KEYS = [
  'n', 'cIn', 'h', 'w', 'cOut', 'kH', 'kW', 'groups', 'strideH', 'strideW', 'padH', 'padW',
  'dilationH', 'dilationW', 'outH', 'outW',
] as const satisfies readonly (keyof Conv2dGeometry)[];

function geometryArg(g: Conv2dGeometry): number[] {
  return GEOMETRY_KEYS.map((key) => g[key]);
}

function geometryFrom(args: readonly TaskArg[], i: number, task: string): Conv2dGeometry {
  const values = args[i];
  if (!Array.isArray(values) || values.length !== GEOMETRY_KEYS.length) {
    throw new Error(`parallel task '${task}': argument ${i} must be a conv geometry of ${GEOMETRY_KEYS.length} numbers`);
  }
  const g = {} as Record<(typeof GEOMETRY_KEYS)[number], number>;
  GEOMETRY_KEYS.forEach((key, k) => { g[key] = values[k] as number; });
  return g;
}

/** A chunk's result region as `count` elements of the output's type, from float64 index `o`. */
function regionView(out: Float64Array, o: number, count: number, f32: boolean): Storage {
  return f32 ? new Float32Array(out.buffer, out.byteOffset + o * 8, count) : out.subarray(o, o + count);
}

/** Doubles a result region needs for `count` elements of the output's type. */
function regionDoubles(count: number, f32: boolean): number {
  return f32 ? Math.ceil(count / 2) : count;
}

/** Copies each chunk's images from its result region into `out` (image n at `outOffset + n·imageSize`). */
function gatherImages(
  plan: ImagePlan, n: number, imageSize: number, f32: boolean, results: Float64Array, offsets: Int32Array,
  out: Storage, outOffset: number,
): void {
  for (let chunk = 0; chunk < plan.nChunks; chunk++) {
    const [n0, n1] = imagesOf(plan, n, chunk);
    const count = (n1 - n0) * imageSize;
    out.set(regionView(results, offsets[chunk]!, count, f32), outOffset + n0 * imageSize);
  }
}

// ---- forward -------------------------------------------------------------------------------------

/**
 * Task 'conv2d-forward': args [geometry, x (shared), w (shared), bias or null, perChunk, f32 (0/1)].
 * Chunk i writes y of its images into its region.
 */
export const convForwardTask: TaskFactory = (args) => {
  const name = 'conv2d-forward';
  const g = geometryFrom(args, 0, name);
  const x = arrayArg(args, 1, name);
  const w = arrayArg(args, 2, name);
  const bias = arrayArg(args, 3, name, true);
  const plan: ImagePlan = { perChunk: numberArg(args, 4, name), nChunks: 0, macs: 0 };
  const f32 = numberArg(args, 5, name) === 1;
  const imageSize = g.cOut * g.outH * g.outW;
  return (chunk, out, o) => {
    const [n0, n1] = imagesOf(plan, g.n, chunk);
    const region = regionView(out, o, (n1 - n0) * imageSize, f32);
    // Offsets shifted so that image n0 lands at the start of the region.
    conv2dForwardImages(g, x, 0, w, 0, bias, 0, region, -n0 * imageSize, n0, n1);
  };
};

/**
 * y = conv2d(x, w) + bias (bias may be null). All arrays contiguous NCHW / [cOut, cIn/g, kH, kW];
 * y (n·cOut·outH·outW elements from `yOffset`) is overwritten. Split over the pool by images when
 * big enough (see the file comment): the same bits on any number of threads.
 *
 * @example
 * ```ts
 * const g = conv2dGeometry([1, 1, 3, 3], [1, 1, 2, 2], { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 });
 * const y = new Float32Array(4);
 * conv2dForward(g, new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), 0, new Float32Array([1, 0, 0, 1]), 0, null, 0, y, 0);
 * // y = [6, 8, 12, 14]
 * ```
 */
export function conv2dForward(
  g: Conv2dGeometry,
  x: Storage, xOffset: number,
  wt: ArrayLike<number>, wOffset: number,
  bias: ArrayLike<number> | null, biasOffset: number,
  y: Storage, yOffset: number,
): void {
  const plan = imagePlan(g);
  if (!useImagePool(plan, wt)) {
    conv2dForwardImages(g, x, xOffset, wt, wOffset, bias, biasOffset, y, yOffset, 0, g.n);
    return;
  }
  const f32 = y instanceof Float32Array;
  const imageSize = g.cOut * g.outH * g.outW;
  const sx = sharedOperand('conv-x', x, xOffset, g.n * g.cIn * g.h * g.w);
  const sw = sharedOperand('conv-w', wt as Storage, wOffset, g.cOut * (g.cIn / g.groups) * g.kH * g.kW);
  const biasCopy = bias === null ? null : Float64Array.from({ length: g.cOut }, (_, o) => bias[biasOffset + o]!);
  const args: TaskArg[] = [geometryArg(g), sx.data, sw.data, biasCopy, plan.perChunk, f32 ? 1 : 0];
  const resultSize = regionDoubles(plan.perChunk * imageSize, f32);
  const { results, offsets } = runChunks('conv2d-forward', args, plan.nChunks, resultSize, convForwardTask(args, 0));
  gatherImages(plan, g.n, imageSize, f32, results, offsets, y, yOffset);
}

// ---- input gradient ------------------------------------------------------------------------------

/**
 * Task 'conv2d-input-grad': args [geometry, transposed geometry or null, dy (shared), weight as the
 * plan has it (shared), perChunk, f32 (0/1)]. Chunk i writes dx of its images into its region.
 */
export const convInputGradTask: TaskFactory = (args) => {
  const name = 'conv2d-input-grad';
  const g = geometryFrom(args, 0, name);
  const transposed = args[1] === null ? null : geometryFrom(args, 1, name);
  const dy = arrayArg(args, 2, name);
  const weight = arrayArg(args, 3, name);
  const plan: ImagePlan = { perChunk: numberArg(args, 4, name), nChunks: 0, macs: 0 };
  const f32 = numberArg(args, 5, name) === 1;
  const gradPlan: InputGradPlan = { transposed, weight, weightOffset: 0 };
  const imageSize = g.cIn * g.h * g.w;
  return (chunk, out, o) => {
    const [n0, n1] = imagesOf(plan, g.n, chunk);
    const region = regionView(out, o, (n1 - n0) * imageSize, f32);
    conv2dBackwardInputImages(g, gradPlan, dy, 0, region, -n0 * imageSize, n0, n1);
  };
};

/**
 * dx = the gradient of conv2d with respect to its input, given dy (dx, n·cIn·h·w elements from
 * `dxOffset`, is overwritten). Stride 1 with enough input channels runs as a convolution of dy with
 * the flipped kernel, otherwise as GEMMs and col2im (conv.ts, `inputGradPlan`). Split over the pool
 * by images when big enough: the same bits on any number of threads.
 *
 * @example
 * ```ts
 * const g = conv2dGeometry([1, 1, 2, 2], [1, 1, 1, 1], { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 });
 * const dx = new Float64Array(4);
 * conv2dBackwardInput(g, new Float64Array([1, 2, 3, 4]), 0, new Float64Array([3]), 0, dx, 0); // dx = [3, 6, 9, 12]
 * ```
 */
export function conv2dBackwardInput(
  g: Conv2dGeometry,
  dy: Storage, dyOffset: number,
  wt: ArrayLike<number>, wOffset: number,
  dx: Storage, dxOffset: number,
): void {
  const plan = imagePlan(g);
  const gradPlan = inputGradPlan(g, wt, wOffset, dx);
  if (!useImagePool(plan, gradPlan.weight)) {
    conv2dBackwardInputImages(g, gradPlan, dy, dyOffset, dx, dxOffset, 0, g.n);
    return;
  }
  const f32 = dx instanceof Float32Array;
  const imageSize = g.cIn * g.h * g.w;
  const sdy = sharedOperand('conv-dy', dy, dyOffset, g.n * g.cOut * g.outH * g.outW);
  const weightSize = g.cOut * (g.cIn / g.groups) * g.kH * g.kW;
  const sw = sharedOperand('conv-w', gradPlan.weight as Storage, gradPlan.weightOffset, weightSize);
  const transposed = gradPlan.transposed === null ? null : geometryArg(gradPlan.transposed);
  const args: TaskArg[] = [geometryArg(g), transposed, sdy.data, sw.data, plan.perChunk, f32 ? 1 : 0];
  const resultSize = regionDoubles(plan.perChunk * imageSize, f32);
  const { results, offsets } = runChunks('conv2d-input-grad', args, plan.nChunks, resultSize, convInputGradTask(args, 0));
  gatherImages(plan, g.n, imageSize, f32, results, offsets, dx, dxOffset);
}

// ---- weight gradient -----------------------------------------------------------------------------

/**
 * Task 'conv2d-weight-grad': args [geometry, x (shared), dy (shared), perChunk]. Chunk i writes the
 * float64 sum over its images of their weight gradients into its region (cOut·cIn/g·kH·kW values).
 */
export const convWeightGradTask: TaskFactory = (args) => {
  const name = 'conv2d-weight-grad';
  const g = geometryFrom(args, 0, name);
  const x = arrayArg(args, 1, name);
  const dy = arrayArg(args, 2, name);
  const plan: ImagePlan = { perChunk: numberArg(args, 3, name), nChunks: 0, macs: 0 };
  return weightGradChunk(g, plan, x, 0, dy, 0);
};

function weightGradChunk(g: Conv2dGeometry, plan: ImagePlan, x: Storage, xOffset: number, dy: Storage, dyOffset: number): ChunkFn {
  const weightSize = g.cOut * (g.cIn / g.groups) * g.kH * g.kW;
  return (chunk, out, o) => {
    const [n0, n1] = imagesOf(plan, g.n, chunk);
    out.fill(0, o, o + weightSize);
    conv2dBackwardWeightImages(g, x, xOffset, dy, dyOffset, out, o, n0, n1);
  };
}

/** One float64 partial per chunk, for the serial path (grown when needed). */
let serialPartials = new Float64Array(0);

/**
 * dw += the gradient of conv2d with respect to its weight, given x and dy: Σ over images of
 * dy_g · colsᵀ, summed per chunk of images in float64 and the chunks added in order (so the same
 * bits on any number of threads; see the file comment).
 *
 * @example
 * ```ts
 * const g = conv2dGeometry([2, 1, 1, 1], [1, 1, 1, 1], { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 });
 * const dw = new Float64Array(1);
 * conv2dBackwardWeight(g, new Float64Array([2, 3]), 0, new Float64Array([10, 100]), 0, dw, 0); // dw = [320]
 * ```
 */
export function conv2dBackwardWeight(
  g: Conv2dGeometry,
  x: Storage, xOffset: number,
  dy: Storage, dyOffset: number,
  dw: Storage, dwOffset: number,
): void {
  const plan = imagePlan(g);
  const weightSize = g.cOut * (g.cIn / g.groups) * g.kH * g.kW;
  let results: Float64Array;
  let offsets: ArrayLike<number>;
  if (useImagePool(plan)) {
    const sx = sharedOperand('conv-x', x, xOffset, g.n * g.cIn * g.h * g.w);
    const sdy = sharedOperand('conv-dy', dy, dyOffset, g.n * g.cOut * g.outH * g.outW);
    const args: TaskArg[] = [geometryArg(g), sx.data, sdy.data, plan.perChunk];
    ({ results, offsets } = runChunks('conv2d-weight-grad', args, plan.nChunks, weightSize, convWeightGradTask(args, 0)));
  } else {
    if (serialPartials.length < plan.nChunks * weightSize) serialPartials = new Float64Array(plan.nChunks * weightSize);
    results = serialPartials;
    const run = weightGradChunk(g, plan, x, xOffset, dy, dyOffset);
    const at: number[] = [];
    for (let chunk = 0; chunk < plan.nChunks; chunk++) {
      at.push(chunk * weightSize);
      run(chunk, results, chunk * weightSize);
    }
    offsets = at;
  }
  // The partials in chunk order, in float64, then once onto dw.
  for (let i = 0; i < weightSize; i++) {
    let total = 0;
    for (let chunk = 0; chunk < plan.nChunks; chunk++) total += results[offsets[chunk]! + i]!;
    dw[dwOffset + i] += total;
  }
}
