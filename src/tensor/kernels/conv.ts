// 2-d convolution (NCHW) as im2col + GEMM, forward and backward. Plain loops over flat arrays:
// nothing here knows about tensors, so workers can run these and tests can call them directly.
//
// Per image and group, with K = (Cin/groups)·kH·kW rows and P = outH·outW columns:
//   forward      y_g  [Cout/g, P] = W_g [Cout/g, K] · cols [K, P]           (+ bias per row)
//   grad input   dcols [K, P]     = W_gᵀ · dy_g,  then col2im adds dcols back onto dx
//   grad weight  dW_g [Cout/g, K] += dy_g · colsᵀ
import { getBackend } from '../backend.js';
import type { FloatStorage as Storage } from '../dtype.js';
import { scratchArrays } from '../scratch.js';
import {
  wasmIm2col, wasmIm2colFits, wasmUnfoldedGemm, wasmUnfoldedWeightGrad, wasmUnfoldedWeightGradT, wasmUnfoldPlan,
  type UnfoldPlan,
} from '../wasm/im2col.js';
import { channelSum } from './channel-reduce.js';
import { gemmInPlace, gemmInPlaceBuffer, gemmInPlaceFits } from './gemm-backend.js';
import { gemmShouldParallelize } from './gemm-parallel.js';
import { gemm } from './matmul.js';

/** Everything the conv2d kernels need to know about the shapes, as plain numbers. */
export interface Conv2dGeometry {
  /** Input [n, cIn, h, w]. */
  n: number;
  cIn: number;
  h: number;
  w: number;
  /** Weight [cOut, cIn / groups, kH, kW]. */
  cOut: number;
  kH: number;
  kW: number;
  groups: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
  /** Output [n, cOut, outH, outW]. */
  outH: number;
  outW: number;
}

/** Stride, padding and dilation as [h, w] pairs, plus groups: the arguments of the conv2d op. */
export interface Conv2dParams {
  stride: readonly [number, number];
  padding: readonly [number, number];
  dilation: readonly [number, number];
  groups: number;
}

/** PyTorch's output size: ⌊(size + 2·pad − dilation·(kernel − 1) − 1) / stride⌋ + 1. */
export function convOutputSize(size: number, kernel: number, stride: number, pad: number, dilation: number): number {
  return Math.floor((size + 2 * pad - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** The geometry of x [n, cIn, h, w] convolved with w [cOut, cIn/groups, kH, kW] (shapes already checked). */
export function conv2dGeometry(xShape: readonly number[], wShape: readonly number[], p: Conv2dParams): Conv2dGeometry {
  const [n, cIn, h, w] = xShape as [number, number, number, number];
  const [cOut, , kH, kW] = wShape as [number, number, number, number];
  return {
    n, cIn, h, w, cOut, kH, kW, groups: p.groups,
    strideH: p.stride[0], strideW: p.stride[1],
    padH: p.padding[0], padW: p.padding[1],
    dilationH: p.dilation[0], dilationW: p.dilation[1],
    outH: convOutputSize(h, kH, p.stride[0], p.padding[0], p.dilation[0]),
    outW: convOutputSize(w, kW, p.stride[1], p.padding[1], p.dilation[1]),
  };
}

/**
 * The output columns ow whose input column iw = ow·stride − pad + offset lies inside [0, size) are
 * [validLo, validHi) (empty when validHi ≤ validLo). Computed once per row so the copy loops need
 * no bounds test.
 */
function validLo(stride: number, pad: number, offset: number): number {
  const first = pad - offset; // ow·stride ≥ first
  return first <= 0 ? 0 : Math.ceil(first / stride);
}

function validHi(outSize: number, size: number, stride: number, pad: number, offset: number): number {
  const last = size - 1 + pad - offset; // ow·stride ≤ last
  const hi = last < 0 ? 0 : Math.min(outSize, Math.floor(last / stride) + 1);
  return Math.max(validLo(stride, pad, offset), hi);
}

/** cols[from, to) = 0: a loop for short ranges (a native fill costs more to call than it saves). */
function zero(cols: Storage, from: number, to: number): void {
  if (to - from > 64) cols.fill(0, from, to);
  else for (let t = from; t < to; t++) cols[t] = 0;
}

/**
 * Unfolds `channels` planes of one image (starting at `xOffset`, each h·w, contiguous) into columns:
 * cols[((c·kH + i)·kW + j)·P + oh·outW + ow] = x[c, oh·sH − pH + i·dH, ow·sW − pW + j·dW], 0 in the
 * padding. Loop order follows the cols layout, so the writes are sequential; each row's in-bounds
 * columns are found once (validLo, validHi), then copied without a test per element.
 */
export function im2col(g: Conv2dGeometry, channels: number, x: Storage, xOffset: number, cols: Storage, colsOffset: number): void {
  const { h, w, kH, kW, outH, outW, strideH, strideW, padH, padW, dilationH, dilationW } = g;
  const blocks = strideH === 1 && strideW === 1 && outW === w;
  let pos = colsOffset;
  for (let c = 0; c < channels; c++) {
    const plane = xOffset + c * h * w;
    for (let i = 0; i < kH; i++) {
      for (let j = 0; j < kW; j++) {
        const lo = validLo(strideW, padW, j * dilationW);
        const hi = validHi(outW, w, strideW, padW, j * dilationW);
        const shift = j * dilationW - padW; // iw = ow·strideW + shift
        if (blocks) {
          im2colBlock(x, plane, h, w, outH, i * dilationH - padH, shift, lo, hi, cols, pos);
          pos += outH * outW;
          continue;
        }
        for (let oh = 0; oh < outH; oh++) {
          const ih = oh * strideH - padH + i * dilationH;
          if (ih < 0 || ih >= h || hi === lo) {
            zero(cols, pos, pos + outW);
            pos += outW;
            continue;
          }
          const row = plane + ih * w + shift;
          // Only the in-bounds columns [lo, hi) are read: no test per element.
          for (let ow = 0; ow < lo; ow++) cols[pos + ow] = 0;
          for (let ow = lo; ow < hi; ow++) cols[pos + ow] = x[row + ow * strideW]!;
          for (let ow = hi; ow < outW; ow++) cols[pos + ow] = 0;
          pos += outW;
        }
      }
    }
  }
}

/**
 * One (channel, tap) row block of im2col when stride is 1 and outW = w (a "same" convolution): the
 * valid rows oh then read one contiguous run of the plane, x[plane + (oh + rowShift)·w + shift + ow],
 * so the block is one copy; the entries that wrapped onto a neighbouring row (columns outside
 * [lo, hi)) are zeroed after it, and the rows outside the plane filled with 0. Measured, per column
 * entry: 0.94 → 0.24 ns for the conv2d bench row (32×32 planes), 0.94 → 0.69 ns for 14×14 planes
 * (bench/README.md).
 */
function im2colBlock(
  x: Storage, plane: number, h: number, w: number, outH: number, rowShift: number, shift: number, lo: number, hi: number,
  cols: Storage, pos: number,
): void {
  const ohLo = Math.min(outH, Math.max(0, -rowShift));
  const ohHi = Math.max(ohLo, Math.min(outH, h - rowShift));
  zero(cols, pos, pos + ohLo * w);
  zero(cols, pos + ohHi * w, pos + outH * w);
  if (ohHi === ohLo) return;
  const dst = pos + ohLo * w;
  const start = plane + (ohLo + rowShift) * w + shift; // x index of cols[dst]
  const end = start + (ohHi - ohLo) * w;
  // Clamp to the plane: the clamped entries are wrapped ones, zeroed below.
  const from = Math.max(start, plane);
  const to = Math.min(end, plane + h * w);
  zero(cols, dst, dst + (from - start));
  const at = dst + (from - start);
  // A native copy for long runs; a loop for short ones (a subarray view costs ~40 ns to make).
  if (to - from > 128) cols.set(x.subarray(from, to), at);
  else for (let t = 0; t < to - from; t++) cols[at + t] = x[from + t]!;
  zero(cols, dst + (to - start), dst + (end - start));
  for (let oh = ohLo; oh < ohHi; oh++) {
    const rowStart = pos + oh * w;
    for (let ow = 0; ow < lo; ow++) cols[rowStart + ow] = 0;
    for (let ow = hi; ow < w; ow++) cols[rowStart + ow] = 0;
  }
}

/**
 * The adjoint of im2col: adds every column entry back onto the input element it was copied from.
 * Same loop order and per-row bounds (validLo, validHi) as {@link im2col}.
 */
export function col2im(g: Conv2dGeometry, channels: number, cols: ArrayLike<number>, colsOffset: number, dx: Storage, dxOffset: number): void {
  const { h, w, kH, kW, outH, outW, strideH, strideW, padH, padW, dilationH, dilationW } = g;
  let pos = colsOffset;
  for (let c = 0; c < channels; c++) {
    const plane = dxOffset + c * h * w;
    for (let i = 0; i < kH; i++) {
      for (let j = 0; j < kW; j++) {
        const lo = validLo(strideW, padW, j * dilationW);
        const hi = validHi(outW, w, strideW, padW, j * dilationW);
        const shift = j * dilationW - padW;
        for (let oh = 0; oh < outH; oh++, pos += outW) {
          const ih = oh * strideH - padH + i * dilationH;
          if (ih < 0 || ih >= h) continue;
          const row = plane + ih * w + shift;
          if (strideW === 1) {
            for (let ow = lo; ow < hi; ow++) dx[row + ow] += cols[pos + ow]!;
          } else {
            for (let ow = lo; ow < hi; ow++) dx[row + ow * strideW] += cols[pos + ow]!;
          }
        }
      }
    }
  }
}

/** Scratch arrays for the columns (scratch.ts: kept between calls, grown on demand). */
const scratch = scratchArrays();

/**
 * Whether im2col runs as the emitted wasm kernel (wasm/im2col.ts, bitwise the same columns) when
 * the columns go into the wasm GEMM's staging region (of C's element type): on the wasm backend,
 * when there is a kernel for x's and C's types and an image fits the scratch region.
 */
function unfoldsInWasm(g: Conv2dGeometry, channels: number, x: Storage, c: Storage): boolean {
  return getBackend() === 'wasm' && wasmIm2colFits(g, channels, x, c);
}

/**
 * On the wasm backend, the plan of the GEMM that packs im2col's columns straight from the image
 * (wasm/im2col.ts `wasmUnfoldPlan`: stride 1 and outW = w, one float type), else null. It skips
 * writing the columns and packing them again. Measured (`npx tsx bench/measure-conv-grads.ts`, 1
 * thread, float32, two runs alternated with the build before, 2026-12-05): the MNIST CNN's second
 * conv forward 556–559 → 466–476 µs, its input gradient (a transposed conv) 668 → 481–484 µs, the
 * bench's conv2d row forward 2089–2150 → 1933–1985 µs, input gradient 2621–2633 → 2090–2215 µs.
 */
function unfoldPlan(g: Conv2dGeometry, channels: number, x: Storage, c: Storage): UnfoldPlan | null {
  return getBackend() === 'wasm' ? wasmUnfoldPlan(g, channels, x, c) : null;
}

/**
 * y = conv2d(x, w) + bias (bias may be null) for images [n0, n1), per image and group: im2col, then
 * one GEMM y_g [Cout/g, P] = bias_g + W_g [Cout/g, K] · cols [K, P]. Each output plane starts at its
 * bias (or 0) and the GEMM adds onto it; the unfolded wasm GEMM starts its C block there itself
 * instead of reading back a filled y (measured as below, after the unfolded GEMM: the MNIST CNN's
 * first conv forward 234–239 → 194–201 µs, its second 466–476 → 438–439 µs). One GEMM per image
 * measured faster than one over the whole batch (6.1 vs 5.7 GFLOP/s at the MNIST CNN's second
 * conv: a smaller working set).
 * When K·P fits (gemmInPlaceFits), im2col writes the columns into the GEMM's own buffer and
 * gemmInPlace reads them there, skipping the packing of B: measured 16% faster for the MNIST
 * CNN's second conv forward, 25% for its input gradient, 19% for the first conv (bench/README.md).
 * Image n is read at `xOffset + n·cIn·h·w` and written at `yOffset + n·cOut·P`.
 */
function convInto(
  g: Conv2dGeometry, x: Storage, xOffset: number, wt: ArrayLike<number>, wOffset: number,
  bias: ArrayLike<number> | null, biasOffset: number, y: Storage, yOffset: number,
  n0: number, n1: number,
): void {
  const cInG = g.cIn / g.groups;
  const cOutG = g.cOut / g.groups;
  const k = cInG * g.kH * g.kW;
  const p = g.outH * g.outW;
  // The GEMM stays on this thread unless it is big enough for the pool (which then splits the
  // usual path; both give the same bits). On this thread it packs the columns straight from the
  // image where it can (wasm, stride 1, outW = w), else they go into its buffer when they fit.
  const serial = !gemmShouldParallelize(cOutG, p, k, k, 1, p, 1);
  const unfold = serial ? unfoldPlan(g, cInG, x, y) : null;
  if (unfold !== null) {
    for (let n = n0; n < n1; n++) {
      for (let grp = 0; grp < g.groups; grp++) {
        const yOff = yOffset + (n * g.cOut + grp * cOutG) * p;
        const xOff = xOffset + (n * g.cIn + grp * cInG) * g.h * g.w;
        wasmUnfoldedGemm(unfold, cOutG, p, k, x, xOff, wt, wOffset + grp * cOutG * k, y, yOff, bias, biasOffset + grp * cOutG);
      }
    }
    return;
  }
  const inPlace = serial && gemmInPlaceFits(k, p, p, 1);
  const buf = gemmInPlaceBuffer(y);
  const cols = inPlace ? buf.buffer : scratch(y, k * p);
  const colsOffset = inPlace ? buf.offset : 0;
  const wasmCols = inPlace && unfoldsInWasm(g, cInG, x, y);
  for (let n = n0; n < n1; n++) {
    for (let grp = 0; grp < g.groups; grp++) {
      const yOff = yOffset + (n * g.cOut + grp * cOutG) * p;
      const xOff = xOffset + (n * g.cIn + grp * cInG) * g.h * g.w;
      for (let o = 0; o < cOutG; o++) {
        y.fill(bias === null ? 0 : bias[biasOffset + grp * cOutG + o]!, yOff + o * p, yOff + (o + 1) * p);
      }
      if (wasmCols) wasmIm2col(g, cInG, x, xOff, colsOffset);
      else im2col(g, cInG, x, xOff, cols, colsOffset);
      if (inPlace) gemmInPlace(cOutG, p, k, wt, wOffset + grp * cOutG * k, k, 1, p, 1, y, yOff, p);
      else gemm(cOutG, p, k, wt, wOffset + grp * cOutG * k, k, 1, cols, 0, p, 1, y, yOff);
    }
  }
}

/**
 * y = conv2d(x, w) + bias (bias may be null) for images [n0, n1). All arrays contiguous NCHW /
 * [cOut, cIn/g, kH, kW]; image n's output (cOut·outH·outW elements from `yOffset + n·cOut·outH·outW`)
 * is overwritten. The whole batch, split over the pool when it pays: conv-parallel.ts.
 */
export function conv2dForwardImages(
  g: Conv2dGeometry,
  x: Storage, xOffset: number,
  wt: ArrayLike<number>, wOffset: number,
  bias: ArrayLike<number> | null, biasOffset: number,
  y: Storage, yOffset: number,
  n0: number, n1: number,
): void {
  convInto(g, x, xOffset, wt, wOffset, bias, biasOffset, y, yOffset, n0, n1);
}

/**
 * The transposed-convolution path of the input gradient needs this many input channels
 * per group: its GEMMs have that many rows, and with fewer the packing of the large im2col of dy
 * is shared by too few rows. Measured (3×3, pad 1, float32, ms, col2im path → transposed path):
 * N=8 3→16 32×32 2.6 → 3.5, 4→16 28×28 2.5 → 2.7, 8→8 28×28 3.6 → 2.0, 16→32 32×32 20.6 → 17.8,
 * 32→16 14×14 4.7 → 3.0; N=32 1→8 28×28 2.1 → 4.2, 8→16 14×14 4.8 → 4.6 (bench/README.md).
 */
const TRANSPOSED_MIN_CHANNELS = 8;

/**
 * How the input gradient is computed, decided once per batch:
 * - Stride 1 (with padding at most the dilated kernel span) and at least TRANSPOSED_MIN_CHANNELS
 *   input channels per group: dx is itself a stride-1 convolution of dy with the kernel flipped in
 *   space and its in/out channels swapped, padded by dilation·(k − 1) − pad (`transposed` is that
 *   convolution's geometry, `weight` the flipped kernel). So it runs as a forward conv: im2col of
 *   dy (a block copy) and GEMMs of depth Cout·kH·kW and Cin/groups rows.
 * - Otherwise (`transposed` null, `weight` the kernel itself): dcols [K, P] = W_gᵀ · dy_g (GEMM
 *   depth Cout/groups), then col2im adds dcols back onto dx.
 */
export interface InputGradPlan {
  transposed: Conv2dGeometry | null;
  weight: ArrayLike<number>;
  weightOffset: number;
}

/** The {@link InputGradPlan} for geometry `g` and kernel `wt` (flipped into an array like `like`). */
export function inputGradPlan(g: Conv2dGeometry, wt: ArrayLike<number>, wOffset: number, like: Storage): InputGradPlan {
  const cInG = g.cIn / g.groups;
  const padTH = g.dilationH * (g.kH - 1) - g.padH;
  const padTW = g.dilationW * (g.kW - 1) - g.padW;
  if (g.strideH === 1 && g.strideW === 1 && padTH >= 0 && padTW >= 0 && cInG >= TRANSPOSED_MIN_CHANNELS) {
    const transposed: Conv2dGeometry = {
      n: g.n, cIn: g.cOut, h: g.outH, w: g.outW, cOut: g.cIn, kH: g.kH, kW: g.kW, groups: g.groups,
      strideH: 1, strideW: 1, padH: padTH, padW: padTW, dilationH: g.dilationH, dilationW: g.dilationW,
      outH: g.h, outW: g.w,
    };
    return { transposed, weight: flippedWeight(g, wt, wOffset, like), weightOffset: 0 };
  }
  return { transposed: null, weight: wt, weightOffset: wOffset };
}

/**
 * dx = the gradient of conv2d with respect to its input for images [n0, n1), given dy, computed
 * as `plan` says ({@link inputGradPlan}). Image n's dx (cIn·h·w elements from
 * `dxOffset + n·cIn·h·w`) is overwritten.
 */
export function conv2dBackwardInputImages(
  g: Conv2dGeometry, plan: InputGradPlan,
  dy: Storage, dyOffset: number,
  dx: Storage, dxOffset: number,
  n0: number, n1: number,
): void {
  if (plan.transposed !== null) {
    convInto(plan.transposed, dy, dyOffset, plan.weight, plan.weightOffset, null, 0, dx, dxOffset, n0, n1);
    return;
  }
  const imageSize = g.cIn * g.h * g.w;
  dx.fill(0, dxOffset + n0 * imageSize, dxOffset + n1 * imageSize);
  const cInG = g.cIn / g.groups;
  const cOutG = g.cOut / g.groups;
  const k = cInG * g.kH * g.kW;
  const p = g.outH * g.outW;
  const dcols = scratch(dx, k * p);
  const wt = plan.weight;
  const wOffset = plan.weightOffset;
  for (let n = n0; n < n1; n++) {
    for (let grp = 0; grp < g.groups; grp++) {
      dcols.fill(0, 0, k * p);
      // W_gᵀ read through strides: row r of Wᵀ is column r of W (row stride 1, column stride k).
      gemm(k, p, cOutG, wt, wOffset + grp * cOutG * k, 1, k, dy, dyOffset + (n * g.cOut + grp * cOutG) * p, p, 1, dcols, 0);
      col2im(g, cInG, dcols, 0, dx, dxOffset + (n * g.cIn + grp * cInG) * g.h * g.w);
    }
  }
}

/**
 * The weight of the transposed convolution: wT[grp·cInG + c, o, i, j] = w[grp·cOutG + o, c,
 * kH−1−i, kW−1−j] (shape [cIn, cOut/groups, kH, kW]), in a fresh array of `like`'s type.
 */
function flippedWeight(g: Conv2dGeometry, wt: ArrayLike<number>, wOffset: number, like: Storage): Storage {
  const cInG = g.cIn / g.groups;
  const cOutG = g.cOut / g.groups;
  const taps = g.kH * g.kW;
  const out = like instanceof Float64Array ? new Float64Array(g.cIn * cOutG * taps) : new Float32Array(g.cIn * cOutG * taps);
  let pos = 0;
  // Output order: input channel, output channel of its group, then the taps reversed.
  for (let grp = 0; grp < g.groups; grp++) {
    for (let c = 0; c < cInG; c++) {
      for (let o = 0; o < cOutG; o++) {
        const src = wOffset + ((grp * cOutG + o) * cInG + c) * taps;
        for (let t = taps - 1; t >= 0; t--) out[pos++] = wt[src + t]!;
      }
    }
  }
  return out;
}

/**
 * On the wasm backend the weight gradient packs the columns straight from the image in one of two
 * forms: dw += dy · colsᵀ (wasm/im2col.ts `wasmUnfoldedWeightGrad`) when they have at least this
 * many rows (K = Cin/groups·kH·kW), else transposed, dwᵀ += cols · dyᵀ (`wasmUnfoldedWeightGradT`):
 * the first pads K up to panels of 8 columns (9 → 16 for one channel), the second up to tiles of 4
 * rows but packs dy in pieces of one k-block per channel. Measured (bench/measure-conv-grads.ts
 * weight, 1 thread, float32, 2026-12-05), dy · colsᵀ against cols · dyᵀ: K = 9 (MNIST CNN conv 1)
 * 295 against 246–248 µs, K = 72 (its conv 2) 475 against 599 µs, K = 144 (the bench's conv2d row)
 * 1995 against 2179 µs; before either, im2col then the in-place GEMM: 301–314, 519–539 and
 * 2145–2265 µs.
 */
const UNFOLDED_WEIGHT_GRAD_MIN_ROWS = 32;

/**
 * dw += Σ over images [n0, n1) of the gradient of conv2d with respect to its weight, given x and
 * dy: dW_g [Cout/g, K] += dy_g [Cout/g, P] · colsᵀ per image and group.
 */
export function conv2dBackwardWeightImages(
  g: Conv2dGeometry,
  x: Storage, xOffset: number,
  dy: Storage, dyOffset: number,
  dw: Storage, dwOffset: number,
  n0: number, n1: number,
): void {
  const cInG = g.cIn / g.groups;
  const cOutG = g.cOut / g.groups;
  const k = cInG * g.kH * g.kW;
  const p = g.outH * g.outW;
  // On this thread (see convInto) the wasm GEMM packs the columns straight from the image where it
  // can. Otherwise B = colsᵀ: element (p, r) at cols[r·P + p] (row stride 1, column stride P),
  // read in place in the GEMM's buffer when it fits, else from the scratch columns (the packing
  // then reads it through the same strides).
  const serial = !gemmShouldParallelize(cOutG, k, p, p, 1, 1, p);
  const unfold = serial ? unfoldPlan(g, cInG, x, dw) : null;
  if (unfold !== null) {
    const unfoldedGrad = k >= UNFOLDED_WEIGHT_GRAD_MIN_ROWS ? wasmUnfoldedWeightGrad : wasmUnfoldedWeightGradT;
    for (let n = n0; n < n1; n++) {
      for (let grp = 0; grp < g.groups; grp++) {
        const xOff = xOffset + (n * g.cIn + grp * cInG) * g.h * g.w;
        const dyOff = dyOffset + (n * g.cOut + grp * cOutG) * p;
        unfoldedGrad(unfold, cOutG, p, k, x, xOff, dy, dyOff, dw, dwOffset + grp * cOutG * k);
      }
    }
    return;
  }
  const inPlace = serial && gemmInPlaceFits(p, k, 1, p);
  const buf = gemmInPlaceBuffer(dw);
  const cols = inPlace ? buf.buffer : scratch(dy, k * p);
  const colsOffset = inPlace ? buf.offset : 0;
  const wasmCols = inPlace && unfoldsInWasm(g, cInG, x, dw);
  for (let n = n0; n < n1; n++) {
    for (let grp = 0; grp < g.groups; grp++) {
      const xOff = xOffset + (n * g.cIn + grp * cInG) * g.h * g.w;
      if (wasmCols) wasmIm2col(g, cInG, x, xOff, colsOffset);
      else im2col(g, cInG, x, xOff, cols, colsOffset);
      const dyOff = dyOffset + (n * g.cOut + grp * cOutG) * p;
      const dwOff = dwOffset + grp * cOutG * k;
      if (inPlace) gemmInPlace(cOutG, k, p, dy, dyOff, p, 1, 1, p, dw, dwOff, k);
      else gemm(cOutG, k, p, dy, dyOff, p, 1, cols, 0, 1, p, dw, dwOff);
    }
  }
}

/**
 * db[o] += Σ over n and output pixels of dy[n, o, ·, ·]: the per-channel sum of channel-reduce.ts
 * (four accumulators, fixed chunks, parallel when the pool pays).
 */
export function conv2dBackwardBias(g: Conv2dGeometry, dy: Storage, dyOffset: number, db: Storage, dbOffset: number): void {
  const sum = channelSum(dy, dyOffset, [g.n, g.cOut, g.outH * g.outW]);
  for (let o = 0; o < g.cOut; o++) db[dbOffset + o] += sum[o]!;
}
