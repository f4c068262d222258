/**
 * im2col on the wasm backend, two ways. For a stride-1 conv that keeps the width (outW = w), the
 * columns are never written: the image is copied (one memcpy) into the free scratch region of this
 * thread's wasm memory (wasm/gemm.ts `wasmScratchRegion`) and the GEMM packs its panels straight
 * from it, row p of the columns being the image at one shift with a mask for im2col's zeros
 * (`wasmUnfoldPlan` and the `wasmUnfolded…` functions; the masks and the table of shifts are kept per
 * geometry in `wasmPlansRegion`). Otherwise the emitted kernel (wasm/im2col-module.ts,
 * {@link wasmIm2col}) unfolds the image into the GEMM's staging region, where `wasmGemmInPlace`
 * reads it. Either way the GEMM sees bitwise the columns of the JS kernel (kernels/conv.ts
 * `im2col`, the reference): the same copies and zeros, moved 16 bytes at a time.
 *
 * Each thread compiles the module once, on first use, and instantiates it on its own memory.
 */
import type { FloatStorage as Storage } from '../dtype.js';
import type { Conv2dGeometry } from '../kernels/conv.js';
import { scratchArrays } from '../scratch.js';
import {
  wasmGemmInPlaceBuffer, wasmGemmUnfolded, wasmGemmUnfoldedA, wasmGemmUnfoldedTransposed, wasmPlansRegion, wasmScratchRegion,
} from './gemm.js';
import type { WasmFloat } from './gemm-module.js';
import { IM2COL_TYPES, im2colModuleBytes, im2colName } from './im2col-module.js';
import { threadModule } from './thread-module.js';

type Im2colFn = (
  src: number, dst: number, channels: number, h: number, w: number, kH: number, kW: number, outH: number, outW: number,
  sH: number, sW: number, pH: number, pW: number, dH: number, dW: number,
) => void;

/** This thread's im2col kernels, on the GEMM's memory, by type ({@link im2colName}), and a view of that memory. */
const im2colModule = threadModule('im2col', im2colModuleBytes, ({ exports, i32 }) => ({
  kernels: new Map(IM2COL_TYPES.map((t) => [t, exports[im2colName(t)] as Im2colFn])),
  i32,
}));

function floatOf(a: Storage): WasmFloat {
  return a instanceof Float32Array ? 'f32' : 'f64';
}

/**
 * Whether {@link wasmIm2col} can unfold `channels` planes of `x` into columns of `like`'s type:
 * the same type (there is no converting kernel), and the image fits the scratch region.
 */
export function wasmIm2colFits(g: Conv2dGeometry, channels: number, x: Storage, like: Storage): boolean {
  if (floatOf(x) !== floatOf(like)) return false;
  // The block copies of a stride-1 conv read up to (kW − 1)·dilationW elements past the image
  // (into columns they then zero): those bytes must lie in the memory too.
  return (channels * g.h * g.w + (g.kW - 1) * g.dilationW) * x.BYTES_PER_ELEMENT <= wasmScratchRegion().byteLength;
}

/**
 * The wasm version of kernels/conv.ts `im2col(g, channels, x, xOffset, cols, colsOffset)` where
 * cols is {@link wasmGemmInPlaceBuffer}`(x).buffer` and `colsOffset` an element offset in it
 * (check {@link wasmIm2colFits}). Overwrites the scratch region.
 *
 * @example
 * ```ts
 * const g = conv2dGeometry([1, 1, 3, 3], [1, 1, 2, 2], { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 });
 * const x = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);
 * const { buffer, offset } = wasmGemmInPlaceBuffer(x);
 * wasmIm2col(g, 1, x, 0, offset); // buffer[offset…offset+16] = 1 2 4 5, 2 3 5 6, 4 5 7 8, 5 6 8 9
 * ```
 */
export function wasmIm2col(
  g: Conv2dGeometry, channels: number, x: Storage, xOffset: number, colsOffset: number,
): void {
  // The image into the scratch region, in its own type.
  const view = wasmGemmInPlaceBuffer(x).buffer;
  const scratch = wasmScratchRegion().byteOffset;
  const count = channels * g.h * g.w;
  view.set(x.subarray(xOffset, xOffset + count), scratch / x.BYTES_PER_ELEMENT);
  const kernel = im2colModule().kernels.get(floatOf(x))!;
  kernel(
    scratch, colsOffset * x.BYTES_PER_ELEMENT, channels, g.h, g.w, g.kH, g.kW, g.outH, g.outW,
    g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW,
  );
}

/**
 * Where {@link wasmUnfoldedGemm} finds the image, its table and masks in the scratch region (byte
 * addresses), for one geometry; made by {@link wasmUnfoldPlan}.
 */
export interface UnfoldPlan {
  /** The image's first element. */
  srcBytes: number;
  /**
   * K entries of two i32s, row p's offset from srcBytes and its mask row's address, then entries
   * up to a multiple of 16 that read the image's start through a mask of zeros (the transposed
   * packing reads whole panels of rows).
   */
  tableBytes: number;
  /** Elements of one image (channels·h·w). */
  imageSize: number;
}

/** Elements of a mask row: P rounded up to 16, the widest panel (float32, 4 × 4 lanes). */
function maskRow(p: number): number {
  return Math.ceil(p / 16) * 16;
}

/** This thread's plans by geometry ({@link planKey}), all in the plans region from its start. */
const plans = new Map<string, UnfoldPlan>();
/** The first byte of the plans region that no plan uses. */
let plansEnd = 0;

/** What a plan depends on: the element type, the channels unfolded and the geometry's sizes. */
function planKey(g: Conv2dGeometry, channels: number, size: number): string {
  return [size, channels, g.h, g.w, g.kH, g.kW, g.outH, g.padH, g.padW, g.dilationH, g.dilationW].join(',');
}

/**
 * Prepares {@link wasmUnfoldedGemm} for `channels` planes of images like `x` (C of `c`'s type), or
 * returns null where it does not apply: it needs stride 1 and outW = w (then row p = (ch, i, j) of
 * im2col's columns is the image read at one shift, ch·h·w + (i·dH − pH)·w + j·dW − pW, with the
 * entries im2col zeroes masked out: rows outside the plane and reads that wrapped onto the next
 * row), x and C of one type, the image in the scratch region and its masks (one row per tap) and
 * table in the plans region (wasm/gemm.ts `wasmPlansRegion`). A geometry's plan is written there
 * once and kept (the region starts over when full: a plan is valid until the next call for another
 * geometry); images go in with each call. Measured (bench/measure-conv-grads.ts weight, 1 thread):
 * the MNIST CNN's second conv weight gradient, which plans once per chunk of about 5 images
 * (kernels/conv-parallel.ts), 519–539 → 468–475 µs.
 */
export function wasmUnfoldPlan(g: Conv2dGeometry, channels: number, x: Storage, c: Storage): UnfoldPlan | null {
  if (g.strideH !== 1 || g.strideW !== 1 || g.outW !== g.w || floatOf(x) !== floatOf(c)) return null;
  const key = planKey(g, channels, x.BYTES_PER_ELEMENT);
  const known = plans.get(key);
  if (known !== undefined) return known;
  const plan = writePlan(g, channels, x.BYTES_PER_ELEMENT);
  if (plan !== null) plans.set(key, plan);
  return plan;
}

/** Writes the masks and table of a plan into the plans region (see {@link wasmUnfoldPlan}), or returns null if it cannot. */
function writePlan(g: Conv2dGeometry, channels: number, size: number): UnfoldPlan | null {
  const { h, w, kH, kW, padH, padW, dilationH, dilationW } = g;
  const p = g.outH * g.outW;
  const row = maskRow(p);
  const taps = kH * kW;
  const k = channels * taps;
  const imageSize = channels * h * w;
  // Reads reach from the first shift (−pH·w − pW) to the last panel's end past the last shift.
  const before = Math.max(0, padH * w + padW);
  const lastShift = ((kH - 1) * dilationH - padH) * w + (kW - 1) * dilationW - padW;
  const after = Math.max(imageSize, (channels - 1) * h * w + row + Math.max(0, lastShift));
  const roundTo16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;
  const scratch = wasmScratchRegion();
  const srcBytes = scratch.byteOffset + roundTo16(before * size);
  if (srcBytes + roundTo16(after * size + 16) > scratch.byteOffset + scratch.byteLength) return null;
  // One mask row per tap, then a row of zeros for the table's padding entries, then the table.
  const entries = Math.ceil(k / 16) * 16;
  const bytes = (taps + 1) * row * size + entries * 8;
  const region = wasmPlansRegion();
  if (bytes > region.byteLength) return null;
  if (plansEnd === 0 || plansEnd + bytes > region.byteOffset + region.byteLength) {
    plans.clear();
    plansEnd = region.byteOffset;
  }
  const maskBytes = plansEnd;
  const zeroMaskBytes = maskBytes + taps * row * size;
  const tableBytes = zeroMaskBytes + row * size;
  plansEnd = roundTo16(tableBytes + entries * 8);
  const { i32 } = im2colModule();
  i32.fill(0, zeroMaskBytes / 4, tableBytes / 4);
  // Masks: all-ones bits (−1 in each 32-bit word of an element) where im2col copies, else 0.
  const words = size / 4;
  for (let i = 0; i < kH; i++) {
    for (let j = 0; j < kW; j++) {
      const base = (maskBytes + (i * kW + j) * row * size) / 4;
      i32.fill(0, base, base + row * words);
      for (let oh = 0; oh < g.outH; oh++) {
        const ih = oh + i * dilationH - padH;
        if (ih < 0 || ih >= h) continue;
        const lo = Math.max(0, padW - j * dilationW);
        const hi = Math.min(w, w + padW - j * dilationW);
        if (hi > lo) i32.fill(-1, base + (oh * w + lo) * words, base + (oh * w + hi) * words);
      }
    }
  }
  for (let ch = 0, entry = tableBytes / 4; ch < channels; ch++) {
    for (let i = 0; i < kH; i++) {
      for (let j = 0; j < kW; j++, entry += 2) {
        i32[entry] = (ch * h * w + (i * dilationH - padH) * w + j * dilationW - padW) * size;
        i32[entry + 1] = maskBytes + (i * kW + j) * row * size;
      }
    }
  }
  for (let entry = (tableBytes + k * 8) / 4; entry < (tableBytes + entries * 8) / 4; entry += 2) {
    i32[entry] = 0;
    i32[entry + 1] = zeroMaskBytes;
  }
  return { srcBytes, tableBytes, imageSize };
}

/** Copies image `x` (from `xOffset`) into the scratch region where `plan` reads it. */
function placeImage(plan: UnfoldPlan, x: Storage, xOffset: number): void {
  const view = wasmGemmInPlaceBuffer(x).buffer;
  view.set(x.subarray(xOffset, xOffset + plan.imageSize), plan.srcBytes / x.BYTES_PER_ELEMENT);
}

/**
 * y[m × P] = bias[i] + W[m × K] · im2col(image) (row i's bias at `biasOffset + i`, 0 when bias is
 * null; y is overwritten, never read) on the wasm backend without writing the columns: the image
 * (from `xOffset`) is copied into the scratch region where `plan` ({@link wasmUnfoldPlan}, for
 * this geometry, and not overwritten since) expects it, and the GEMM packs B straight from it
 * (wasm/gemm.ts `wasmGemmUnfolded`). Bitwise what im2col then `wasmGemmInPlace` give onto a y
 * filled with the bias.
 */
export function wasmUnfoldedGemm(
  plan: UnfoldPlan, m: number, p: number, k: number, x: Storage, xOffset: number,
  wt: ArrayLike<number>, wOffset: number, y: Storage, yOffset: number, bias: ArrayLike<number> | null, biasOffset: number,
): void {
  placeImage(plan, x, xOffset);
  wasmGemmUnfolded(m, p, k, wt, wOffset, k, 1, plan.srcBytes, plan.tableBytes, y, yOffset, p, bias, biasOffset);
}

/**
 * dw[m × K] += dy[m × P] · im2col(image)ᵀ (conv2d's weight gradient for one image and group) on the
 * wasm backend without writing the columns: the image goes into the scratch region as for
 * {@link wasmUnfoldedGemm} and the GEMM packs the transposed columns straight from it
 * (wasm/gemm.ts `wasmGemmUnfoldedTransposed`). Bitwise what im2col then `wasmGemmInPlace` give.
 */
export function wasmUnfoldedWeightGrad(
  plan: UnfoldPlan, m: number, p: number, k: number, x: Storage, xOffset: number,
  dy: ArrayLike<number>, dyOffset: number, dw: Storage, dwOffset: number,
): void {
  placeImage(plan, x, xOffset);
  wasmGemmUnfoldedTransposed(m, k, p, dy, dyOffset, p, 1, plan.srcBytes, plan.tableBytes, dw, dwOffset, k);
}

/** This thread's scratch array for dWᵀ. */
const transposedScratch = scratchArrays();

/**
 * {@link wasmUnfoldedWeightGrad} computed transposed, dWᵀ[K × m] += im2col(image) · dyᵀ, for a
 * small K: the GEMM's rows are then the K rows of the columns (padded to whole MR-tall panels) and
 * its columns the m output channels, where dw += dy · colsᵀ pads K up to whole NR-wide panels (9
 * rows to 16 for a 3×3 kernel on one channel). dw's block is transposed into a scratch array, the
 * GEMM adds onto it, and it is transposed back: each element gets the same products (a·b = b·a)
 * summed in the same order, so the bits are those of im2col then `wasmGemmInPlace`.
 */
export function wasmUnfoldedWeightGradT(
  plan: UnfoldPlan, m: number, p: number, k: number, x: Storage, xOffset: number,
  dy: ArrayLike<number>, dyOffset: number, dw: Storage, dwOffset: number,
): void {
  placeImage(plan, x, xOffset);
  const dwT = transposedScratch(dw, k * m);
  for (let o = 0; o < m; o++) for (let r = 0; r < k; r++) dwT[r * m + o] = dw[dwOffset + o * k + r]!;
  // B = dyᵀ: element (pixel, o) at dy[o·P + pixel].
  wasmGemmUnfoldedA(k, m, p, plan.srcBytes, plan.tableBytes, dy, dyOffset, 1, p, dwT, 0, m);
  for (let o = 0; o < m; o++) for (let r = 0; r < k; r++) dw[dwOffset + o * k + r] = dwT[r * m + o]!;
}
