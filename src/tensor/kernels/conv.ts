// 2-d convolution (NCHW) as im2col + GEMM, forward and backward. Plain loops over flat arrays:
// nothing here knows about tensors, so workers can run these and tests can call them directly.
//
// Per image and group, with K = (Cin/groups)·kH·kW rows and P = outH·outW columns:
//   forward      y_g  [Cout/g, P] = W_g [Cout/g, K] · cols [K, P]           (+ bias per row)
//   grad input   dcols [K, P]     = W_gᵀ · dy_g,  then col2im adds dcols back onto dx
//   grad weight  dW_g [Cout/g, K] += dy_g · colsᵀ
import type { Storage } from '../dtype.js';
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
 * Unfolds `channels` planes of one image (starting at `xOffset`, each h·w, contiguous) into columns:
 * cols[((c·kH + i)·kW + j)·P + oh·outW + ow] = x[c, oh·sH − pH + i·dH, ow·sW − pW + j·dW], 0 in the
 * padding. Loop order follows the cols layout, so the writes are sequential.
 */
export function im2col(g: Conv2dGeometry, channels: number, x: ArrayLike<number>, xOffset: number, cols: Storage, colsOffset: number): void {
  const { h, w, kH, kW, outH, outW, strideH, strideW, padH, padW, dilationH, dilationW } = g;
  let pos = colsOffset;
  for (let c = 0; c < channels; c++) {
    const plane = xOffset + c * h * w;
    for (let i = 0; i < kH; i++) {
      for (let j = 0; j < kW; j++) {
        for (let oh = 0; oh < outH; oh++) {
          const ih = oh * strideH - padH + i * dilationH;
          if (ih < 0 || ih >= h) {
            cols.fill(0, pos, pos + outW);
            pos += outW;
            continue;
          }
          const row = plane + ih * w;
          for (let ow = 0; ow < outW; ow++) {
            const iw = ow * strideW - padW + j * dilationW;
            cols[pos++] = iw >= 0 && iw < w ? x[row + iw]! : 0;
          }
        }
      }
    }
  }
}

/** The adjoint of im2col: adds every column entry back onto the input element it was copied from. */
export function col2im(g: Conv2dGeometry, channels: number, cols: ArrayLike<number>, colsOffset: number, dx: Storage, dxOffset: number): void {
  const { h, w, kH, kW, outH, outW, strideH, strideW, padH, padW, dilationH, dilationW } = g;
  let pos = colsOffset;
  for (let c = 0; c < channels; c++) {
    const plane = dxOffset + c * h * w;
    for (let i = 0; i < kH; i++) {
      for (let j = 0; j < kW; j++) {
        for (let oh = 0; oh < outH; oh++) {
          const ih = oh * strideH - padH + i * dilationH;
          if (ih < 0 || ih >= h) {
            pos += outW;
            continue;
          }
          const row = plane + ih * w;
          for (let ow = 0; ow < outW; ow++, pos++) {
            const iw = ow * strideW - padW + j * dilationW;
            if (iw >= 0 && iw < w) dx[row + iw] += cols[pos]!;
          }
        }
      }
    }
  }
}

/** A zeroed scratch array of the same element type as `like`. */
function scratch(like: Storage, size: number): Storage {
  return like instanceof Float64Array ? new Float64Array(size) : new Float32Array(size);
}

/**
 * y = conv2d(x, w) + bias (bias may be null). All arrays contiguous NCHW / [cOut, cIn/g, kH, kW];
 * y (n·cOut·outH·outW elements from `yOffset`) is overwritten.
 */
export function conv2dForward(
  g: Conv2dGeometry,
  x: ArrayLike<number>, xOffset: number,
  wt: ArrayLike<number>, wOffset: number,
  bias: ArrayLike<number> | null, biasOffset: number,
  y: Storage, yOffset: number,
): void {
  const cInG = g.cIn / g.groups;
  const cOutG = g.cOut / g.groups;
  const k = cInG * g.kH * g.kW;
  const p = g.outH * g.outW;
  const cols = scratch(y, k * p);
  for (let n = 0; n < g.n; n++) {
    for (let grp = 0; grp < g.groups; grp++) {
      im2col(g, cInG, x, xOffset + (n * g.cIn + grp * cInG) * g.h * g.w, cols, 0);
      const yOff = yOffset + (n * g.cOut + grp * cOutG) * p;
      for (let o = 0; o < cOutG; o++) {
        y.fill(bias === null ? 0 : bias[biasOffset + grp * cOutG + o]!, yOff + o * p, yOff + (o + 1) * p);
      }
      gemm(cOutG, p, k, wt, wOffset + grp * cOutG * k, k, 1, cols, 0, p, 1, y, yOff);
    }
  }
}

/** dx += the gradient of conv2d with respect to its input, given dy. */
export function conv2dBackwardInput(
  g: Conv2dGeometry,
  dy: ArrayLike<number>, dyOffset: number,
  wt: ArrayLike<number>, wOffset: number,
  dx: Storage, dxOffset: number,
): void {
  const cInG = g.cIn / g.groups;
  const cOutG = g.cOut / g.groups;
  const k = cInG * g.kH * g.kW;
  const p = g.outH * g.outW;
  const dcols = scratch(dx, k * p);
  for (let n = 0; n < g.n; n++) {
    for (let grp = 0; grp < g.groups; grp++) {
      dcols.fill(0);
      // W_gᵀ read through strides: row r of Wᵀ is column r of W (row stride 1, column stride k).
      gemm(k, p, cOutG, wt, wOffset + grp * cOutG * k, 1, k, dy, dyOffset + (n * g.cOut + grp * cOutG) * p, p, 1, dcols, 0);
      col2im(g, cInG, dcols, 0, dx, dxOffset + (n * g.cIn + grp * cInG) * g.h * g.w);
    }
  }
}

/** dw += the gradient of conv2d with respect to its weight, given x and dy. */
export function conv2dBackwardWeight(
  g: Conv2dGeometry,
  x: ArrayLike<number>, xOffset: number,
  dy: ArrayLike<number>, dyOffset: number,
  dw: Storage, dwOffset: number,
): void {
  const cInG = g.cIn / g.groups;
  const cOutG = g.cOut / g.groups;
  const k = cInG * g.kH * g.kW;
  const p = g.outH * g.outW;
  const cols = scratch(dw, k * p);
  const colsT = scratch(dw, p * k);
  for (let n = 0; n < g.n; n++) {
    for (let grp = 0; grp < g.groups; grp++) {
      im2col(g, cInG, x, xOffset + (n * g.cIn + grp * cInG) * g.h * g.w, cols, 0);
      // Transpose once so the GEMM's inner loop walks contiguous rows of colsᵀ.
      for (let r = 0; r < k; r++) {
        for (let c = 0; c < p; c++) colsT[c * k + r] = cols[r * p + c]!;
      }
      gemm(cOutG, k, p, dy, dyOffset + (n * g.cOut + grp * cOutG) * p, p, 1, colsT, 0, k, 1, dw, dwOffset + grp * cOutG * k);
    }
  }
}

/** db[o] += Σ over n and output pixels of dy[n, o, ·, ·]. */
export function conv2dBackwardBias(g: Conv2dGeometry, dy: ArrayLike<number>, dyOffset: number, db: Storage, dbOffset: number): void {
  const p = g.outH * g.outW;
  for (let n = 0; n < g.n; n++) {
    for (let o = 0; o < g.cOut; o++) {
      const start = dyOffset + (n * g.cOut + o) * p;
      let s = 0;
      for (let i = 0; i < p; i++) s += dy[start + i]!;
      db[dbOffset + o] += s;
    }
  }
}
