/**
 * conv2d over a whole batch, split over the worker pool by images.
 *
 * The batch is cut into chunks of whole images, the same number in each (the last may have
 * fewer), chosen from the shape alone: about CHUNK_MACS multiply-adds per chunk. The output and the input gradient of an image
 * depend on that image only, so a chunk computes them exactly as the calling thread would: the
 * result is bitwise the same on any number of threads. The weight gradient sums over images: each
 * chunk sums its own images into a partial, and the partials are added in chunk order, in float64 —
 * on one thread too (the same chunks, one after the other), so that is bitwise the same as well.
 * A partial is float64 except for float32 operands on the wasm backend (see {@link partialType}).
 *
 * Why images and not the GEMM (gemm-parallel.ts): at the sizes of small CNNs one image's GEMM is
 * small (the MNIST CNN's second conv: 16 × 196 × 72), so splitting it costs a task per image and
 * per GEMM; one task over whole images costs one dispatch per conv and also runs the im2col and
 * col2im copies in parallel. Measured in bench/README.md.
 *
 * Workers can only read shared memory: inputs that are not shared are copied into shared scratch
 * arrays first (shared-memory.ts, `sharedOperand`). The output (y, dx) must be shared — the op
 * allocates it so when {@link convSplits} says the pool will be used — and each chunk computes an
 * image into a scratch array of its own thread, then copies it into the output: a chunk that the
 * calling thread recomputed meanwhile (a worker stalled for STEAL_IN_PLACE_MS, pool.ts) stops before
 * its next copy, and a copy only ever writes the values the recomputation wrote.
 */
import { getBackend } from '../backend.js';
import type { FloatStorage as Storage } from '../dtype.js';
import { MAX_CHUNKS, arrayArg, numberArg, recordArg, type ChunkFn, type TaskArg, type TaskFactory } from '../parallel/protocol.js';
import { isShared, poolAvailable, runChunks } from '../parallel/pool.js';
import { sharedOperand } from '../parallel/shared-memory.js';
import { scratchArrays } from '../scratch.js';
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

/**
 * Whether a conv of geometry `g` will be split over the pool: then the op allocates its output (and
 * its input gradient) in shared memory (`allocate(dtype, size, 0)`), which the chunks write.
 */
export function convSplits(g: Conv2dGeometry): boolean {
  return useImagePool(imagePlan(g));
}

/** One image's output, computed here before it is copied into the shared output (per thread). */
const imageScratch = scratchArrays();

/**
 * A chunk that computes its images one by one into {@link imageScratch} with `compute(n, out,
 * outOffset)` (which writes image n at `outOffset + n·imageSize`) and copies each into `target`.
 */
function imagesInPlace(
  plan: ImagePlan, n: number, imageSize: number, target: Storage, targetOffset: number,
  compute: (image: number, out: Storage, outOffset: number) => void,
): ChunkFn {
  return (chunk, _out, _o, current) => {
    const [n0, n1] = imagesOf(plan, n, chunk);
    const image = imageScratch(target, imageSize);
    for (let i = n0; i < n1; i++) {
      compute(i, image, -i * imageSize);
      if (current !== undefined && !current()) return; // recomputed by the calling thread meanwhile
      target.set(image.subarray(0, imageSize), targetOffset + i * imageSize);
    }
  };
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
  return recordArg(args, i, task, GEOMETRY_KEYS, 'a conv geometry');
}

// ---- forward -------------------------------------------------------------------------------------

/**
 * Task 'conv2d-forward': args [geometry, x (shared), xOffset, w (shared), wOffset, bias or null,
 * perChunk, y (shared), yOffset]. Chunk i writes y of its images.
 */
export const convForwardTask: TaskFactory = (args) => {
  const name = 'conv2d-forward';
  const g = geometryFrom(args, 0, name);
  const x = arrayArg(args, 1, name);
  const xOffset = numberArg(args, 2, name);
  const w = arrayArg(args, 3, name);
  const wOffset = numberArg(args, 4, name);
  const bias = arrayArg(args, 5, name, true);
  const plan: ImagePlan = { perChunk: numberArg(args, 6, name), nChunks: 0, macs: 0 };
  const y = arrayArg(args, 7, name);
  const yOffset = numberArg(args, 8, name);
  return imagesInPlace(plan, g.n, g.cOut * g.outH * g.outW, y, yOffset, (image, out, outOffset) => {
    conv2dForwardImages(g, x, xOffset, w, wOffset, bias, 0, out, outOffset, image, image + 1);
  });
};

/**
 * y = conv2d(x, w) + bias (bias may be null). All arrays contiguous NCHW / [cOut, cIn/g, kH, kW];
 * y (n·cOut·outH·outW elements from `yOffset`) is overwritten. Split over the pool by images when
 * big enough and y is shared (see the file comment): the same bits on any number of threads.
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
  if (!isShared(y) || !useImagePool(plan, wt)) {
    conv2dForwardImages(g, x, xOffset, wt, wOffset, bias, biasOffset, y, yOffset, 0, g.n);
    return;
  }
  // The operands from their first element (sharedOperand), so the tasks read them from 0.
  const sx = sharedOperand('conv-x', x, xOffset, g.n * g.cIn * g.h * g.w);
  const sw = sharedOperand('conv-w', wt as Storage, wOffset, g.cOut * (g.cIn / g.groups) * g.kH * g.kW);
  const biasCopy = bias === null ? null : Float64Array.from({ length: g.cOut }, (_, o) => bias[biasOffset + o]!);
  const args: TaskArg[] = [geometryArg(g), sx, 0, sw, 0, biasCopy, plan.perChunk, y, yOffset];
  runChunks('conv2d-forward', args, plan.nChunks, 0, convForwardTask(args, 0), { inPlace: true });
}

// ---- input gradient ------------------------------------------------------------------------------

/**
 * Task 'conv2d-input-grad': args [geometry, transposed geometry or null, dy (shared), dyOffset,
 * weight as the plan has it (shared), weightOffset, perChunk, dx (shared), dxOffset]. Chunk i
 * writes dx of its images.
 */
export const convInputGradTask: TaskFactory = (args) => {
  const name = 'conv2d-input-grad';
  const g = geometryFrom(args, 0, name);
  const transposed = args[1] === null ? null : geometryFrom(args, 1, name);
  const dy = arrayArg(args, 2, name);
  const dyOffset = numberArg(args, 3, name);
  const weight = arrayArg(args, 4, name);
  const weightOffset = numberArg(args, 5, name);
  const plan: ImagePlan = { perChunk: numberArg(args, 6, name), nChunks: 0, macs: 0 };
  const dx = arrayArg(args, 7, name);
  const dxOffset = numberArg(args, 8, name);
  const gradPlan: InputGradPlan = { transposed, weight, weightOffset };
  return imagesInPlace(plan, g.n, g.cIn * g.h * g.w, dx, dxOffset, (image, out, outOffset) => {
    conv2dBackwardInputImages(g, gradPlan, dy, dyOffset, out, outOffset, image, image + 1);
  });
};

/**
 * dx = the gradient of conv2d with respect to its input, given dy (dx, n·cIn·h·w elements from
 * `dxOffset`, is overwritten). Stride 1 with enough input channels runs as a convolution of dy with
 * the flipped kernel, otherwise as GEMMs and col2im (conv.ts, `inputGradPlan`). Split over the pool
 * by images when big enough and dx is shared: the same bits on any number of threads.
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
  if (!isShared(dx) || !useImagePool(plan, gradPlan.weight)) {
    conv2dBackwardInputImages(g, gradPlan, dy, dyOffset, dx, dxOffset, 0, g.n);
    return;
  }
  const sdy = sharedOperand('conv-dy', dy, dyOffset, g.n * g.cOut * g.outH * g.outW);
  const weightSize = g.cOut * (g.cIn / g.groups) * g.kH * g.kW;
  const sw = sharedOperand('conv-w', gradPlan.weight as Storage, gradPlan.weightOffset, weightSize);
  const transposed = gradPlan.transposed === null ? null : geometryArg(gradPlan.transposed);
  const args: TaskArg[] = [geometryArg(g), transposed, sdy, 0, sw, 0, plan.perChunk, dx, dxOffset];
  runChunks('conv2d-input-grad', args, plan.nChunks, 0, convInputGradTask(args, 0), { inPlace: true });
}

// ---- weight gradient -----------------------------------------------------------------------------

/**
 * Task 'conv2d-weight-grad': args [geometry, x (shared), xOffset, dy (shared), dyOffset, perChunk,
 * partial bits (32 or 64)]. Chunk i writes the sum over its images of their weight gradients
 * (cOut·cIn/g·kH·kW values) into its region: as float64 values, or with 32 bits as float32 values
 * in the region's first half.
 */
export const convWeightGradTask: TaskFactory = (args) => {
  const name = 'conv2d-weight-grad';
  const g = geometryFrom(args, 0, name);
  const x = arrayArg(args, 1, name);
  const xOffset = numberArg(args, 2, name);
  const dy = arrayArg(args, 3, name);
  const dyOffset = numberArg(args, 4, name);
  const plan: ImagePlan = { perChunk: numberArg(args, 5, name), nChunks: 0, macs: 0 };
  const type: PartialType = numberArg(args, 6, name) === 32 ? 'float32' : 'float64';
  return weightGradChunk(g, plan, x, xOffset, dy, dyOffset, type);
};

/** What a chunk's partial sum of the weight gradient is computed in. */
type PartialType = 'float32' | 'float64';

/**
 * float32 operands on the wasm backend sum each chunk's weight gradient in float32, as PyTorch
 * does and as the other float32 GEMMs (matmul, linear's weight gradient) do: the float32 GEMM runs
 * four lanes where the float64 one runs two (measured 2026-12-05, wasm, 1 thread,
 * `bench/measure-conv-grads.ts weight`: the MNIST CNN's convs 502 → 308 µs and 970 → 573 µs, the
 * bench's conv2d row 4.36 → 2.20 ms; bench/README.md). The JS reference keeps float64 partials
 * (its float64 GEMM is no slower than its float32 one); float64 operands are float64 throughout.
 */
function partialType(x: Storage, dy: Storage): PartialType {
  return getBackend() === 'wasm' && x instanceof Float32Array && dy instanceof Float32Array ? 'float32' : 'float64';
}

/** The partial of the chunk whose float64 region starts at out[o], as a zeroed array of `type`. */
function partialIn(out: Float64Array, o: number, size: number, type: PartialType): Storage {
  const partial = type === 'float32' ? new Float32Array(out.buffer, out.byteOffset + o * 8, size) : out.subarray(o, o + size);
  partial.fill(0);
  return partial;
}

function weightGradChunk(
  g: Conv2dGeometry, plan: ImagePlan, x: Storage, xOffset: number, dy: Storage, dyOffset: number, type: PartialType,
): ChunkFn {
  const weightSize = g.cOut * (g.cIn / g.groups) * g.kH * g.kW;
  return (chunk, out, o) => {
    const [n0, n1] = imagesOf(plan, g.n, chunk);
    conv2dBackwardWeightImages(g, x, xOffset, dy, dyOffset, partialIn(out, o, weightSize, type), 0, n0, n1);
  };
}

/** One float64 region per chunk's partial, for the serial path (grown when needed). */
let serialPartials = new Float64Array(0);

/**
 * dw += the gradient of conv2d with respect to its weight, given x and dy: Σ over images of
 * dy_g · colsᵀ, summed per chunk of images (in float64, or in float32 for float32 operands on the
 * wasm backend: {@link partialType}) and the chunks added in order in float64 (so the same bits on
 * any number of threads; see the file comment).
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
  const type = partialType(x, dy);
  let results: Float64Array;
  let offsets: ArrayLike<number>;
  if (useImagePool(plan)) {
    const sx = sharedOperand('conv-x', x, xOffset, g.n * g.cIn * g.h * g.w);
    const sdy = sharedOperand('conv-dy', dy, dyOffset, g.n * g.cOut * g.outH * g.outW);
    const args: TaskArg[] = [geometryArg(g), sx, 0, sdy, 0, plan.perChunk, type === 'float32' ? 32 : 64];
    ({ results, offsets } = runChunks('conv2d-weight-grad', args, plan.nChunks, weightSize, convWeightGradTask(args, 0)));
  } else {
    if (serialPartials.length < plan.nChunks * weightSize) serialPartials = new Float64Array(plan.nChunks * weightSize);
    results = serialPartials;
    const run = weightGradChunk(g, plan, x, xOffset, dy, dyOffset, type);
    const at: number[] = [];
    for (let chunk = 0; chunk < plan.nChunks; chunk++) {
      at.push(chunk * weightSize);
      run(chunk, results, chunk * weightSize);
    }
    offsets = at;
  }
  // The partials in chunk order, in float64, then once onto dw. A float32 partial lies in the
  // first half of its float64 region: element i at float32 index 2·offset + i.
  const partials = type === 'float32' ? new Float32Array(results.buffer, results.byteOffset) : results;
  const scale = type === 'float32' ? 2 : 1;
  for (let i = 0; i < weightSize; i++) {
    let total = 0;
    for (let chunk = 0; chunk < plan.nChunks; chunk++) total += partials[offsets[chunk]! * scale + i]!;
    dw[dwOffset + i] += total;
  }
}
