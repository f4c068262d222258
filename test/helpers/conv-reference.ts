/**
 * The definition of a grouped, strided, padded, dilated 2-d cross-correlation, as a plain loop,
 * for the conv kernel tests to check against.
 */
import type { Conv2dGeometry } from '../../src/tensor/kernels/conv.js';

/**
 * Calls visit(yIndex, xIndex, wIndex) for every (output element, kernel tap) pair that touches the
 * input — the definition of a grouped, strided, padded, dilated cross-correlation.
 */
export function forEachTap(g: Conv2dGeometry, visit: (yi: number, xi: number, wi: number) => void): void {
  const cInG = g.cIn / g.groups;
  const cOutG = g.cOut / g.groups;
  for (let n = 0; n < g.n; n++) {
    for (let o = 0; o < g.cOut; o++) {
      const grp = Math.floor(o / cOutG);
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++) {
          const yi = ((n * g.cOut + o) * g.outH + oh) * g.outW + ow;
          for (let ci = 0; ci < cInG; ci++) {
            for (let i = 0; i < g.kH; i++) {
              for (let j = 0; j < g.kW; j++) {
                const ih = oh * g.strideH - g.padH + i * g.dilationH;
                const iw = ow * g.strideW - g.padW + j * g.dilationW;
                if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                const c = grp * cInG + ci;
                visit(yi, ((n * g.cIn + c) * g.h + ih) * g.w + iw, ((o * cInG + ci) * g.kH + i) * g.kW + j);
              }
            }
          }
        }
      }
    }
  }
}

/** y, dx and dw of the cross-correlation by the definition (x, w, dy read from offset `off`). */
export function naiveConv(g: Conv2dGeometry, x: Float64Array, w: Float64Array, dy: Float64Array, off: number): { y: Float64Array; dx: Float64Array; dw: Float64Array } {
  const y = new Float64Array(g.n * g.cOut * g.outH * g.outW);
  const dx = new Float64Array(g.n * g.cIn * g.h * g.w);
  const dw = new Float64Array(g.cOut * (g.cIn / g.groups) * g.kH * g.kW);
  forEachTap(g, (yi, xi, wi) => {
    y[yi] += x[off + xi]! * w[off + wi]!;
    dx[xi] += dy[off + yi]! * w[off + wi]!;
    dw[wi] += dy[off + yi]! * x[off + xi]!;
  });
  return { y, dx, dw };
}
