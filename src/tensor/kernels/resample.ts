// Adaptive max pooling and the sparse per-plane linear maps behind interpolation. Planes are the
// trailing h×w images of a contiguous [..., h, w] array; every plane is treated the same way.
import type { Storage } from '../dtype.js';

/**
 * Adaptive max pooling (PyTorch's windows: rows ⌊i·h/outH⌋ … ⌈(i+1)·h/outH⌉ − 1, columns alike).
 * y[p, o] = max of the window, argmax[p, o] its index in the plane. NOTE: as PyTorch, a NaN wins
 * its window and ties go to the first element; an all −∞ window reports its first element.
 *
 *   for p, oh, ow: best = −∞, at = first of window
 *     for i, j in window: if x[p, i, j] > best or isNaN(x[p, i, j]): best, at = x[p, i, j], i·w + j
 */
export function adaptiveMaxPool2dForward(
  planes: number, h: number, w: number, outH: number, outW: number,
  x: ArrayLike<number>, xOffset: number, y: Storage, argmax: Int32Array,
): void {
  const inPlane = h * w;
  const outPlane = outH * outW;
  for (let p = 0; p < planes; p++) {
    const base = xOffset + p * inPlane;
    for (let oh = 0; oh < outH; oh++) {
      const h0 = Math.floor((oh * h) / outH);
      const h1 = Math.ceil(((oh + 1) * h) / outH);
      for (let ow = 0; ow < outW; ow++) {
        const w0 = Math.floor((ow * w) / outW);
        const w1 = Math.ceil(((ow + 1) * w) / outW);
        let best = -Infinity;
        let at = h0 * w + w0;
        for (let i = h0; i < h1; i++) {
          for (let j = w0; j < w1; j++) {
            const v = x[base + i * w + j]!;
            if (v > best || Number.isNaN(v)) {
              best = v;
              at = i * w + j;
              if (Number.isNaN(v)) break;
            }
          }
          if (Number.isNaN(best)) break;
        }
        const o = p * outPlane + oh * outW + ow;
        y[o] = best;
        argmax[o] = at;
      }
    }
  }
}

/**
 * A sparse linear map applied to every plane: y[p, o] = Σ_k weight[o·K + k] · x[p, index[o·K + k]]
 * (nearest interpolation: K = 1; bilinear: K = 4).
 */
export function planeMapForward(
  planes: number, inPlane: number, outPlane: number, K: number, index: Int32Array, weight: Float64Array,
  x: ArrayLike<number>, xOffset: number, y: Storage,
): void {
  for (let p = 0; p < planes; p++) {
    const base = xOffset + p * inPlane;
    for (let o = 0; o < outPlane; o++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += weight[o * K + k]! * x[base + index[o * K + k]!]!;
      y[p * outPlane + o] = s;
    }
  }
}

/**
 * The transposed map (its adjoint): dx[p, index[o·K + k]] += weight[o·K + k] · g[p, o]. dx must
 * start at zero.
 */
export function planeMapTranspose(
  planes: number, inPlane: number, outPlane: number, K: number, index: Int32Array, weight: Float64Array,
  g: ArrayLike<number>, gOffset: number, dx: Storage,
): void {
  for (let p = 0; p < planes; p++) {
    const base = gOffset + p * outPlane;
    for (let o = 0; o < outPlane; o++) {
      const gv = g[base + o]!;
      for (let k = 0; k < K; k++) dx[p * inPlane + index[o * K + k]!] += weight[o * K + k]! * gv;
    }
  }
}
