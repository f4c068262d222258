// The conv2d and pooling kernels (im2col + GEMM, window loops) against naive reference loops
// written here straight from the definitions, forward and backward, over drawn geometries:
// non-square sizes, strides, paddings, dilations, groups, N = 1 and size-1 dims. Arrays are placed
// at random offsets inside larger buffers to check the offset arguments too. float64, so the only
// differences are summation order (tolerance 1e-12 relative to the largest magnitude).
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conv2dBackwardBias, conv2dGeometry, type Conv2dGeometry } from '../../src/tensor/kernels/conv.js';
import { conv2dBackwardInput, conv2dBackwardWeight, conv2dForward } from '../../src/tensor/kernels/conv-parallel.js';
import {
  adaptiveAvgPool2dBackward, adaptiveAvgPool2dForward, avgPool2dBackward, avgPool2dForward, maxPool2dBackward,
  maxPool2dForward, pool2dGeometry, type Pool2dGeometry,
} from '../../src/tensor/kernels/pool.js';
import { Generator } from '../../src/tensor/rng.js';
import { forEachTap } from '../helpers/conv-reference.js';

const SEED = 20_241_201;
const RUNS = 60;

/** n normal values at `offset` inside a buffer with `offset` + 3 extra slots of junk. */
function filled(gen: Generator, n: number, offset: number): Float64Array {
  const out = new Float64Array(n + offset + 3).fill(1e9);
  for (let i = 0; i < n; i++) out[offset + i] = gen.normal();
  return out;
}

function expectClose(label: string, actual: ArrayLike<number>, expected: ArrayLike<number>, offset = 0): void {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) if (Number.isFinite(expected[i])) scale = Math.max(scale, Math.abs(expected[i]!));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    // An all-padding window of a dilated max pooling gives −∞, as in PyTorch: equal infinities match.
    const d = Object.is(actual[offset + i], expected[i]) ? 0 : Math.abs(actual[offset + i]! - expected[i]!);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  if (!(worst <= 1e-12 * Math.max(scale, 1e-300))) {
    throw new Error(`${label}: element ${at} is ${actual[offset + at]}, expected ${expected[at]} (|Δ| ${worst}, scale ${scale})`);
  }
}

// ---- conv2d ----------------------------------------------------------------------------------

const convCase = fc.record({
  n: fc.integer({ min: 1, max: 3 }),
  groups: fc.integer({ min: 1, max: 3 }),
  cInG: fc.integer({ min: 1, max: 3 }),
  cOutG: fc.integer({ min: 1, max: 3 }),
  kH: fc.integer({ min: 1, max: 4 }),
  kW: fc.integer({ min: 1, max: 4 }),
  strideH: fc.integer({ min: 1, max: 3 }),
  strideW: fc.integer({ min: 1, max: 3 }),
  padH: fc.integer({ min: 0, max: 3 }),
  padW: fc.integer({ min: 0, max: 3 }),
  dilationH: fc.integer({ min: 1, max: 3 }),
  dilationW: fc.integer({ min: 1, max: 3 }),
  extraH: fc.integer({ min: 0, max: 5 }),
  extraW: fc.integer({ min: 0, max: 5 }),
  bias: fc.boolean(),
  offset: fc.integer({ min: 0, max: 4 }),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});

type ConvCase = typeof convCase extends fc.Arbitrary<infer T> ? T : never;

function convGeometry(c: ConvCase): Conv2dGeometry {
  // The smallest input the dilated kernel fits into (with padding), plus some extra.
  const h = Math.max(1, c.dilationH * (c.kH - 1) + 1 - 2 * c.padH) + c.extraH;
  const w = Math.max(1, c.dilationW * (c.kW - 1) + 1 - 2 * c.padW) + c.extraW;
  return conv2dGeometry([c.n, c.cInG * c.groups, h, w], [c.cOutG * c.groups, c.cInG, c.kH, c.kW], {
    stride: [c.strideH, c.strideW], padding: [c.padH, c.padW], dilation: [c.dilationH, c.dilationW], groups: c.groups,
  });
}

describe('conv2d kernels equal a naive loop', () => {
  it(`forward, grad input, grad weight and grad bias (${RUNS} drawn geometries, seed ${SEED})`, () => {
    const seen = { groups: false, stride: false, dilation: false, padding: false, nonSquare: false, n1: false, size1: false };
    fc.assert(
      fc.property(convCase, (c) => {
        const g = convGeometry(c);
        expect(g.outH).toBeGreaterThanOrEqual(1);
        expect(g.outW).toBeGreaterThanOrEqual(1);
        seen.groups ||= c.groups > 1;
        seen.stride ||= c.strideH > 1 || c.strideW > 1;
        seen.dilation ||= c.dilationH > 1 || c.dilationW > 1;
        seen.padding ||= c.padH > 0 || c.padW > 0;
        seen.nonSquare ||= c.kH !== c.kW && g.h !== g.w;
        seen.n1 ||= c.n === 1;
        seen.size1 ||= g.h === 1 || g.w === 1 || g.outH === 1 || g.outW === 1;
        const gen = new Generator(c.seed);
        const off = c.offset;
        const xSize = g.n * g.cIn * g.h * g.w;
        const wSize = g.cOut * (g.cIn / g.groups) * g.kH * g.kW;
        const ySize = g.n * g.cOut * g.outH * g.outW;
        const x = filled(gen, xSize, off);
        const w = filled(gen, wSize, off);
        const b = filled(gen, g.cOut, off);
        const dy = filled(gen, ySize, off);

        const yRef = new Float64Array(ySize);
        const dxRef = new Float64Array(xSize);
        const dwRef = new Float64Array(wSize);
        const dbRef = new Float64Array(g.cOut);
        for (let yi = 0; yi < ySize; yi++) {
          const o = Math.floor(yi / (g.outH * g.outW)) % g.cOut;
          if (c.bias) yRef[yi] = b[off + o]!;
          dbRef[o] += dy[off + yi]!;
        }
        forEachTap(g, (yi, xi, wi) => {
          yRef[yi] += x[off + xi]! * w[off + wi]!;
          dxRef[xi] += dy[off + yi]! * w[off + wi]!;
          dwRef[wi] += dy[off + yi]! * x[off + xi]!;
        });

        const y = new Float64Array(ySize + off).fill(7);
        conv2dForward(g, x, off, w, off, c.bias ? b : null, off, y, off);
        expectClose('forward', y, yRef, off);
        const dx = new Float64Array(xSize + off);
        conv2dBackwardInput(g, dy, off, w, off, dx, off);
        expectClose('grad input', dx, dxRef, off);
        const dw = new Float64Array(wSize + off);
        conv2dBackwardWeight(g, x, off, dy, off, dw, off);
        expectClose('grad weight', dw, dwRef, off);
        const db = new Float64Array(g.cOut + off);
        conv2dBackwardBias(g, dy, off, db, off);
        expectClose('grad bias', db, dbRef, off);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(seen).toEqual({ groups: true, stride: true, dilation: true, padding: true, nonSquare: true, n1: true, size1: true });
  });

  it('float32 arrays give the float64 result to float32 precision', () => {
    const g = conv2dGeometry([2, 4, 5, 6], [6, 2, 3, 2], { stride: [2, 1], padding: [1, 1], dilation: [1, 2], groups: 2 });
    const gen = new Generator(3);
    const x = filled(gen, 2 * 4 * 5 * 6, 0);
    const w = filled(gen, 6 * 2 * 3 * 2, 0);
    const y64 = new Float64Array(2 * 6 * g.outH * g.outW);
    const y32 = new Float32Array(y64.length);
    conv2dForward(g, x, 0, w, 0, null, 0, y64, 0);
    conv2dForward(g, Float32Array.from(x), 0, Float32Array.from(w), 0, null, 0, y32, 0);
    for (let i = 0; i < y64.length; i++) expect(Math.abs(y32[i]! - y64[i]!)).toBeLessThan(1e-5);
  });
});

// ---- pooling ---------------------------------------------------------------------------------

const poolCase = fc.record({
  planes: fc.integer({ min: 1, max: 4 }),
  kH: fc.integer({ min: 1, max: 4 }),
  kW: fc.integer({ min: 1, max: 4 }),
  strideH: fc.integer({ min: 1, max: 3 }),
  strideW: fc.integer({ min: 1, max: 3 }),
  padFracH: fc.integer({ min: 0, max: 2 }),
  padFracW: fc.integer({ min: 0, max: 2 }),
  dilationH: fc.integer({ min: 1, max: 3 }),
  dilationW: fc.integer({ min: 1, max: 3 }),
  extraH: fc.integer({ min: 0, max: 6 }),
  extraW: fc.integer({ min: 0, max: 6 }),
  ceilMode: fc.boolean(),
  countIncludePad: fc.boolean(),
  divisorOverride: fc.constantFrom(0, 0, 0, 3, 0.5),
  offset: fc.integer({ min: 0, max: 4 }),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});

type PoolCase = typeof poolCase extends fc.Arbitrary<infer T> ? T : never;

/** A valid geometry (padding ≤ kernel/2, output ≥ 1), as F checks; `dilated` false for average pooling. */
function poolGeometry(c: PoolCase, dilated: boolean): Pool2dGeometry {
  const dH = dilated ? c.dilationH : 1;
  const dW = dilated ? c.dilationW : 1;
  const padH = Math.min(c.padFracH, Math.floor(c.kH / 2));
  const padW = Math.min(c.padFracW, Math.floor(c.kW / 2));
  const h = Math.max(1, dH * (c.kH - 1) + 1 - 2 * padH) + c.extraH;
  const w = Math.max(1, dW * (c.kW - 1) + 1 - 2 * padW) + c.extraW;
  return pool2dGeometry([c.planes, h, w], {
    kernel: [c.kH, c.kW], stride: [c.strideH, c.strideW], padding: [padH, padW], dilation: [dH, dW], ceilMode: c.ceilMode,
  });
}

/** The input positions (ih, iw) of window (oh, ow), taps in row-major order, padding skipped. */
function windowTaps(g: Pool2dGeometry, oh: number, ow: number): [number, number][] {
  const taps: [number, number][] = [];
  for (let i = 0; i < g.kH; i++) {
    for (let j = 0; j < g.kW; j++) {
      const ih = oh * g.strideH - g.padH + i * g.dilationH;
      const iw = ow * g.strideW - g.padW + j * g.dilationW;
      if (ih >= 0 && ih < g.h && iw >= 0 && iw < g.w) taps.push([ih, iw]);
    }
  }
  return taps;
}

/** How many taps of window (oh, ow) fall inside the padded input [−pad, size + pad) (count_include_pad). */
function paddedTapCount(g: Pool2dGeometry, oh: number, ow: number): number {
  let rows = 0;
  let cols = 0;
  for (let i = 0; i < g.kH; i++) if (oh * g.strideH - g.padH + i < g.h + g.padH) rows++;
  for (let j = 0; j < g.kW; j++) if (ow * g.strideW - g.padW + j < g.w + g.padW) cols++;
  return rows * cols;
}

describe('pooling kernels equal a naive loop', () => {
  it(`max pooling forward and backward, ties included (${RUNS} drawn geometries)`, () => {
    let sawCeil = false;
    fc.assert(
      fc.property(poolCase, fc.boolean(), (c, ties) => {
        const g = poolGeometry(c, true);
        sawCeil ||= c.ceilMode && g.outH !== pool2dGeometry([1, g.h, g.w], {
          kernel: [g.kH, g.kW], stride: [g.strideH, g.strideW], padding: [g.padH, g.padW], dilation: [g.dilationH, g.dilationW], ceilMode: false,
        }).outH;
        const gen = new Generator(c.seed);
        const off = c.offset;
        const x = filled(gen, g.planes * g.h * g.w, off);
        // With ties on, values are rounded to a few levels so windows often hold equal maxima.
        if (ties) for (let i = off; i < x.length - 3; i++) x[i] = Math.round(x[i]!);
        const outSize = g.planes * g.outH * g.outW;
        const dy = filled(gen, outSize, off);
        const yRef = new Float64Array(outSize);
        const dxRef = new Float64Array(g.planes * g.h * g.w);
        for (let p = 0; p < g.planes; p++) {
          for (let oh = 0; oh < g.outH; oh++) {
            for (let ow = 0; ow < g.outW; ow++) {
              const o = (p * g.outH + oh) * g.outW + ow;
              // The first maximum in row-major tap order wins (PyTorch's CPU kernel).
              let best = -Infinity;
              let at = -1;
              for (const [ih, iw] of windowTaps(g, oh, ow)) {
                const v = x[off + (p * g.h + ih) * g.w + iw]!;
                if (at < 0 || v > best) {
                  best = v;
                  at = (p * g.h + ih) * g.w + iw;
                }
              }
              yRef[o] = best;
              if (at >= 0) dxRef[at] += dy[off + o]!;
            }
          }
        }
        const y = new Float64Array(outSize + off);
        const argmax = new Int32Array(outSize);
        maxPool2dForward(g, x, off, y, off, argmax);
        expectClose('max forward', y, yRef, off);
        const dx = new Float64Array(dxRef.length + off);
        maxPool2dBackward(g, dy, off, argmax, dx, off);
        expectClose('max backward', dx, dxRef, off);
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
    expect(sawCeil, 'some drawn case where ceil mode adds an output row').toBe(true);
  });

  it(`average pooling forward and backward, countIncludePad both ways, divisorOverride (${RUNS} drawn geometries)`, () => {
    fc.assert(
      fc.property(poolCase, (c) => {
        const g = poolGeometry(c, false);
        const gen = new Generator(c.seed);
        const off = c.offset;
        const x = filled(gen, g.planes * g.h * g.w, off);
        const outSize = g.planes * g.outH * g.outW;
        const dy = filled(gen, outSize, off);
        const yRef = new Float64Array(outSize);
        const dxRef = new Float64Array(g.planes * g.h * g.w);
        for (let p = 0; p < g.planes; p++) {
          for (let oh = 0; oh < g.outH; oh++) {
            for (let ow = 0; ow < g.outW; ow++) {
              const o = (p * g.outH + oh) * g.outW + ow;
              const taps = windowTaps(g, oh, ow);
              if (taps.length === 0) continue;
              const divisor = c.divisorOverride !== 0 ? c.divisorOverride : c.countIncludePad ? paddedTapCount(g, oh, ow) : taps.length;
              for (const [ih, iw] of taps) {
                const xi = (p * g.h + ih) * g.w + iw;
                yRef[o] += x[off + xi]! / divisor;
                dxRef[xi] += dy[off + o]! / divisor;
              }
            }
          }
        }
        const y = new Float64Array(outSize + off);
        avgPool2dForward(g, c.countIncludePad, c.divisorOverride, x, off, y, off);
        expectClose('avg forward', y, yRef, off);
        const dx = new Float64Array(dxRef.length + off);
        avgPool2dBackward(g, c.countIncludePad, c.divisorOverride, dy, off, dx, off);
        expectClose('avg backward', dx, dxRef, off);
      }),
      { seed: SEED + 2, numRuns: RUNS },
    );
  });

  it(`adaptive average pooling forward and backward, down- and upsampling (${RUNS} drawn sizes)`, () => {
    fc.assert(
      fc.property(
        fc.record({
          planes: fc.integer({ min: 1, max: 3 }),
          h: fc.integer({ min: 1, max: 9 }),
          w: fc.integer({ min: 1, max: 9 }),
          outH: fc.integer({ min: 1, max: 9 }),
          outW: fc.integer({ min: 1, max: 9 }),
          offset: fc.integer({ min: 0, max: 4 }),
          seed: fc.integer({ min: 0, max: 1_000_000 }),
        }),
        ({ planes, h, w, outH, outW, offset: off, seed }) => {
          const gen = new Generator(seed);
          const x = filled(gen, planes * h * w, off);
          const dy = filled(gen, planes * outH * outW, off);
          const yRef = new Float64Array(planes * outH * outW);
          const dxRef = new Float64Array(planes * h * w);
          // Output cell i covers the input rows r with i·h ≤ (r+1)·outH and r·outH < (i+1)·h: every
          // input row whose extent [r/h, (r+1)/h) overlaps the cell's extent [i/outH, (i+1)/outH).
          const covers = (i: number, r: number, size: number, out: number): boolean => i * size < (r + 1) * out && r * out < (i + 1) * size;
          for (let p = 0; p < planes; p++) {
            for (let oh = 0; oh < outH; oh++) {
              for (let ow = 0; ow < outW; ow++) {
                const o = (p * outH + oh) * outW + ow;
                const cells: number[] = [];
                for (let r = 0; r < h; r++) {
                  for (let s = 0; s < w; s++) if (covers(oh, r, h, outH) && covers(ow, s, w, outW)) cells.push((p * h + r) * w + s);
                }
                for (const xi of cells) {
                  yRef[o] += x[off + xi]! / cells.length;
                  dxRef[xi] += dy[off + o]! / cells.length;
                }
              }
            }
          }
          const y = new Float64Array(yRef.length + off);
          adaptiveAvgPool2dForward(planes, h, w, outH, outW, x, off, y, off);
          expectClose('adaptive forward', y, yRef, off);
          const dx = new Float64Array(dxRef.length + off);
          adaptiveAvgPool2dBackward(planes, h, w, outH, outW, dy, off, dx, off);
          expectClose('adaptive backward', dx, dxRef, off);
        },
      ),
      { seed: SEED + 3, numRuns: RUNS },
    );
  });
});
