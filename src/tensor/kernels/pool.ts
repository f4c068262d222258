// 2-d pooling over NCHW planes: max, average and adaptive average, forward and backward. Plain
// loops over flat arrays (no tensors). Every kernel treats the input as `planes` = n·c independent
// h×w planes, contiguous, and loops plane → output row → output column → window.
import { getBackend } from '../backend.js';
import type { Storage } from '../dtype.js';
import { wasmMaxPool2x2Full, wasmMaxPoolFits } from '../wasm/max-pool.js';

/** The shapes and window of a max or average pooling, as plain numbers. */
export interface Pool2dGeometry {
  /** n·c: the number of independent h×w planes. */
  planes: number;
  h: number;
  w: number;
  outH: number;
  outW: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
}

/** The window of a pooling op as [h, w] pairs: the arguments of the maxPool2d/avgPool2d ops. */
export interface Pool2dParams {
  kernel: readonly [number, number];
  stride: readonly [number, number];
  padding: readonly [number, number];
  /** Always [1, 1] for average pooling (PyTorch's avg_pool2d has no dilation). */
  dilation: readonly [number, number];
  ceilMode: boolean;
}

/**
 * PyTorch's pooling output size: ⌊(size + 2·pad − dilation·(kernel − 1) − 1 (+ stride − 1 in
 * ceil mode)) / stride⌋ + 1, and in ceil mode the last window must start inside the input or the
 * left padding (else it is dropped).
 */
export function poolOutputSize(size: number, kernel: number, stride: number, pad: number, dilation: number, ceilMode: boolean): number {
  const span = size + 2 * pad - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
  let out = Math.floor(span / stride) + 1;
  if (ceilMode && (out - 1) * stride >= size + pad) out--;
  return out;
}

/** The geometry of pooling x [n, c, h, w] (or [c, h, w]) with `p`. */
export function pool2dGeometry(xShape: readonly number[], p: Pool2dParams): Pool2dGeometry {
  const h = xShape[xShape.length - 2]!;
  const w = xShape[xShape.length - 1]!;
  const planes = xShape.slice(0, -2).reduce((a, b) => a * b, 1);
  const [kH, kW] = p.kernel;
  const [strideH, strideW] = p.stride;
  const [padH, padW] = p.padding;
  const [dilationH, dilationW] = p.dilation;
  return {
    planes, h, w, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW,
    outH: poolOutputSize(h, kH, strideH, padH, dilationH, p.ceilMode),
    outW: poolOutputSize(w, kW, strideW, padW, dilationW, p.ceilMode),
  };
}

/**
 * Max pooling. Writes y and, per output element, the index (ih·w + iw, within its plane) of the
 * input element that won, for the backward. Padding never wins (it acts as −∞).
 * NOTE: as PyTorch's CPU kernel: the first maximum wins a tie (strict `>`), a NaN always wins
 * (NaN propagates), and a window of only −∞ reports its first element.
 */
export function maxPool2dForward(
  g: Pool2dGeometry, x: ArrayLike<number>, xOffset: number, y: Storage, yOffset: number, argmax: Int32Array,
): void {
  const { planes, h, w, outH, outW, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW } = g;
  if (kH === 2 && kW === 2 && strideH === 2 && strideW === 2 && padH === 0 && padW === 0 && dilationH === 1 && dilationW === 1) {
    maxPool2x2(planes, h, w, outH, outW, x, xOffset, y, yOffset, argmax);
    return;
  }
  let out = 0;
  for (let pl = 0; pl < planes; pl++) {
    const plane = xOffset + pl * h * w;
    for (let oh = 0; oh < outH; oh++) {
      const h0 = oh * strideH - padH;
      // The window taps i that land inside the input, found once per output row.
      const iLo = h0 >= 0 ? 0 : Math.ceil(-h0 / dilationH);
      const iHi = Math.min(kH, Math.floor((h - 1 - h0) / dilationH) + 1);
      for (let ow = 0; ow < outW; ow++, out++) {
        const w0 = ow * strideW - padW;
        const jLo = w0 >= 0 ? 0 : Math.ceil(-w0 / dilationW);
        const jHi = Math.min(kW, Math.floor((w - 1 - w0) / dilationW) + 1);
        let best = -Infinity;
        let bestIndex = -1;
        for (let i = iLo; i < iHi; i++) {
          const rowIndex = (h0 + i * dilationH) * w + w0;
          for (let j = jLo; j < jHi; j++) {
            const index = rowIndex + j * dilationW;
            const v = x[plane + index]!;
            if (bestIndex < 0) bestIndex = index;
            if (v > best || v !== v) {
              best = v;
              bestIndex = index;
            }
          }
        }
        y[yOffset + out] = best;
        argmax[out] = bestIndex;
      }
    }
  }
}

/** 1 when b takes over from a in max pooling (b larger, or NaN), else 0: an integer, no branch. */
function beats(b: number, a: number): number {
  return +(b > a) | +(b !== b);
}

/**
 * The common 2×2 window, stride 2, no padding or dilation, with {@link maxPool2dForward}'s
 * semantics. Full windows are a branch-free tournament: the winner of each row pair, then of the
 * two winners, each decided by {@link beats} (b wins when larger or NaN — the sequential
 * rule "strict >, a NaN takes over" gives the same winner) and taken by index arithmetic. The
 * branchy sequential loop mispredicts on every other window of zero-mean data: measured 670 →
 * 280 µs for [32, 8, 28, 28] (bench/README.md). Ceil mode's clipped edge windows (if any) take the
 * plain loop.
 */
function maxPool2x2(
  planes: number, h: number, w: number, outH: number, outW: number,
  x: ArrayLike<number>, xOffset: number, y: Storage, yOffset: number, argmax: Int32Array,
): void {
  const fullH = Math.min(outH, h >> 1);
  const fullW = Math.min(outW, w >> 1);
  // On the wasm backend the full windows of float32 planes run in wasm (wasm/max-pool.ts, the same
  // tournament on lanes, the same bits); the loops below then do only the other windows.
  const fullInWasm = getBackend() === 'wasm' && x instanceof Float32Array && y instanceof Float32Array && wasmMaxPoolFits(h, w);
  if (fullInWasm) wasmMaxPool2x2Full(planes, h, w, outH, outW, fullH, fullW, x, xOffset, y, yOffset, argmax);
  let out = 0;
  for (let pl = 0; pl < planes; pl++) {
    const plane = xOffset + pl * h * w;
    for (let oh = 0; oh < outH; oh++) {
      if (oh < fullH && fullInWasm) {
        out += fullW;
      } else if (oh < fullH) {
        const top = plane + 2 * oh * w;
        for (let ow = 0; ow < fullW; ow++, out++) {
          const a = top + 2 * ow; // window row 0: a, a + 1; row 1: c, c + 1
          const c = a + w;
          const v0 = x[a]!, v1 = x[a + 1]!, v2 = x[c]!, v3 = x[c + 1]!;
          const l = a + beats(v1, v0);
          const r = c + beats(v3, v2);
          const lv = x[l]!, rv = x[r]!;
          const win = l + beats(rv, lv) * (r - l);
          y[yOffset + out] = x[win]!;
          argmax[out] = win - plane;
        }
      }
      for (let ow = oh < fullH ? fullW : 0; ow < outW; ow++, out++) {
        let best = -Infinity;
        let bestIndex = -1;
        for (let i = 0; i < 2 && 2 * oh + i < h; i++) {
          for (let j = 0; j < 2 && 2 * ow + j < w; j++) {
            const index = (2 * oh + i) * w + 2 * ow + j;
            const v = x[plane + index]!;
            if (bestIndex < 0) bestIndex = index;
            if (v > best || v !== v) {
              best = v;
              bestIndex = index;
            }
          }
        }
        y[yOffset + out] = best;
        argmax[out] = bestIndex;
      }
    }
  }
}

/** dx += dy routed to the winning input element of each window (dx zeroed by the caller). */
export function maxPool2dBackward(
  g: Pool2dGeometry, dy: ArrayLike<number>, dyOffset: number, argmax: Int32Array, dx: Storage, dxOffset: number,
): void {
  const perPlaneOut = g.outH * g.outW;
  const perPlaneIn = g.h * g.w;
  for (let pl = 0; pl < g.planes; pl++) {
    for (let o = 0; o < perPlaneOut; o++) {
      const out = pl * perPlaneOut + o;
      const index = argmax[out]!;
      if (index >= 0) dx[dxOffset + pl * perPlaneIn + index] += dy[dyOffset + out]!;
    }
  }
}

/**
 * The window of average pooling output (oh, ow) as PyTorch computes it: the clipped input range
 * and the divisor. With `countIncludePad` the divisor counts the padding the window covers (but not
 * the part beyond it that ceil mode can add); without, only the input elements. A non-zero
 * `divisorOverride` replaces both.
 */
function avgWindow(
  g: Pool2dGeometry, oh: number, ow: number, countIncludePad: boolean, divisorOverride: number,
): [number, number, number, number, number] {
  let h0 = oh * g.strideH - g.padH;
  let w0 = ow * g.strideW - g.padW;
  let h1 = Math.min(h0 + g.kH, g.h + g.padH);
  let w1 = Math.min(w0 + g.kW, g.w + g.padW);
  const padded = (h1 - h0) * (w1 - w0);
  h0 = Math.max(h0, 0);
  w0 = Math.max(w0, 0);
  h1 = Math.min(h1, g.h);
  w1 = Math.min(w1, g.w);
  const divisor = divisorOverride !== 0 ? divisorOverride : countIncludePad ? padded : (h1 - h0) * (w1 - w0);
  return [h0, h1, w0, w1, divisor];
}

/** Average pooling (dilation 1). An empty window gives 0. `divisorOverride` 0 means none. */
export function avgPool2dForward(
  g: Pool2dGeometry, countIncludePad: boolean, divisorOverride: number, x: ArrayLike<number>, xOffset: number, y: Storage, yOffset: number,
): void {
  let out = 0;
  for (let pl = 0; pl < g.planes; pl++) {
    const plane = xOffset + pl * g.h * g.w;
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++, out++) {
        const [h0, h1, w0, w1, divisor] = avgWindow(g, oh, ow, countIncludePad, divisorOverride);
        if (h0 >= h1 || w0 >= w1) {
          y[yOffset + out] = 0;
          continue;
        }
        let s = 0;
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) s += x[plane + ih * g.w + iw]!;
        }
        y[yOffset + out] = s / divisor;
      }
    }
  }
}

/** dx += dy / divisor spread over each window (dx zeroed by the caller). */
export function avgPool2dBackward(
  g: Pool2dGeometry, countIncludePad: boolean, divisorOverride: number, dy: ArrayLike<number>, dyOffset: number, dx: Storage, dxOffset: number,
): void {
  let out = 0;
  for (let pl = 0; pl < g.planes; pl++) {
    const plane = dxOffset + pl * g.h * g.w;
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++, out++) {
        const [h0, h1, w0, w1, divisor] = avgWindow(g, oh, ow, countIncludePad, divisorOverride);
        if (h0 >= h1 || w0 >= w1) continue;
        const share = dy[dyOffset + out]! / divisor;
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) dx[plane + ih * g.w + iw] += share;
        }
      }
    }
  }
}

/** Adaptive pooling's window along one dim: [⌊o·in/out⌋, ⌈(o+1)·in/out⌉), as PyTorch. */
export function adaptiveRange(o: number, inSize: number, outSize: number): [number, number] {
  return [Math.floor((o * inSize) / outSize), Math.ceil(((o + 1) * inSize) / outSize)];
}

/** Adaptive average pooling of `planes` h×w planes to outH×outW. */
export function adaptiveAvgPool2dForward(
  planes: number, h: number, w: number, outH: number, outW: number,
  x: ArrayLike<number>, xOffset: number, y: Storage, yOffset: number,
): void {
  let out = 0;
  for (let pl = 0; pl < planes; pl++) {
    const plane = xOffset + pl * h * w;
    for (let oh = 0; oh < outH; oh++) {
      const [h0, h1] = adaptiveRange(oh, h, outH);
      for (let ow = 0; ow < outW; ow++, out++) {
        const [w0, w1] = adaptiveRange(ow, w, outW);
        let s = 0;
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) s += x[plane + ih * w + iw]!;
        }
        y[yOffset + out] = s / ((h1 - h0) * (w1 - w0));
      }
    }
  }
}

/** dx += dy / window size spread over each adaptive window (dx zeroed by the caller). */
export function adaptiveAvgPool2dBackward(
  planes: number, h: number, w: number, outH: number, outW: number,
  dy: ArrayLike<number>, dyOffset: number, dx: Storage, dxOffset: number,
): void {
  let out = 0;
  for (let pl = 0; pl < planes; pl++) {
    const plane = dxOffset + pl * h * w;
    for (let oh = 0; oh < outH; oh++) {
      const [h0, h1] = adaptiveRange(oh, h, outH);
      for (let ow = 0; ow < outW; ow++, out++) {
        const [w0, w1] = adaptiveRange(ow, w, outW);
        const share = dy[dyOffset + out]! / ((h1 - h0) * (w1 - w0));
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) dx[plane + ih * w + iw] += share;
        }
      }
    }
  }
}
