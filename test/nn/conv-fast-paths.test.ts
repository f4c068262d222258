// The fast paths of the conv2d and max-pooling kernels against naive loops written from the
// definitions: the block-copy im2col of "same" stride-1 convolutions (outW = w), the
// transposed-convolution input gradient (stride 1, ≥ 8 input channels per group), and the
// branch-free 2×2 max pooling (ties, NaN, −∞, ceil mode). Inputs sit at an offset inside buffers
// filled with junk, so a read outside the input shows. conv-pool-kernels.test.ts covers the general
// paths.
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conv2dGeometry } from '../../src/tensor/kernels/conv.js';
import { conv2dBackwardInput, conv2dBackwardWeight, conv2dForward } from '../../src/tensor/kernels/conv-parallel.js';
import { maxPool2dBackward, maxPool2dForward, pool2dGeometry } from '../../src/tensor/kernels/pool.js';
import { Generator } from '../../src/tensor/rng.js';
import { naiveConv } from '../helpers/conv-reference.js';

const SEED = 77_001;

/** n normal values at `offset` inside a buffer whose other slots hold junk (1e9). */
function filled(gen: Generator, n: number, offset: number): Float64Array {
  const out = new Float64Array(n + offset + 5).fill(1e9);
  for (let i = 0; i < n; i++) out[offset + i] = gen.normal();
  return out;
}

function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>, offset: number): { worst: number; scale: number } {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    worst = Math.max(worst, Math.abs(actual[offset + i]! - expected[i]!));
  }
  return { worst, scale };
}

describe('conv2d fast paths equal the naive loop', () => {
  // Stride 1 throughout; "same" padding (outW = w, the block-copy im2col) most of the time, else
  // any padding (incl. more than the kernel span, where the input gradient falls back to col2im).
  const fastCase = fc.record({
    n: fc.integer({ min: 1, max: 2 }),
    groups: fc.integer({ min: 1, max: 2 }),
    cInG: fc.integer({ min: 1, max: 10 }),
    cOutG: fc.integer({ min: 1, max: 4 }),
    kH: fc.integer({ min: 1, max: 3 }),
    kW: fc.integer({ min: 1, max: 3 }),
    dilationH: fc.integer({ min: 1, max: 2 }),
    dilationW: fc.integer({ min: 1, max: 2 }),
    same: fc.boolean(),
    padH: fc.integer({ min: 0, max: 5 }),
    padW: fc.integer({ min: 0, max: 5 }),
    h: fc.integer({ min: 1, max: 6 }),
    w: fc.integer({ min: 1, max: 6 }),
    offset: fc.integer({ min: 0, max: 3 }),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
  });

  it(`forward, grad input and grad weight (60 drawn geometries, seed ${SEED})`, () => {
    const seen = { block: false, transposed: false, fallback: false };
    fc.assert(
      fc.property(fastCase, (c) => {
        // "Same": total padding d·(k − 1) split evenly needs an even total; otherwise pad as drawn.
        const spanH = c.dilationH * (c.kH - 1);
        const spanW = c.dilationW * (c.kW - 1);
        const padH = c.same && spanH % 2 === 0 ? spanH / 2 : c.padH;
        const padW = c.same && spanW % 2 === 0 ? spanW / 2 : c.padW;
        const h = Math.max(c.h, spanH + 1 - 2 * padH);
        const w = Math.max(c.w, spanW + 1 - 2 * padW);
        const g = conv2dGeometry([c.n, c.cInG * c.groups, h, w], [c.cOutG * c.groups, c.cInG, c.kH, c.kW], {
          stride: [1, 1], padding: [padH, padW], dilation: [c.dilationH, c.dilationW], groups: c.groups,
        });
        seen.block ||= g.outW === g.w;
        const transposed = c.cInG >= 8 && padH <= spanH && padW <= spanW;
        seen.transposed ||= transposed;
        seen.fallback ||= c.cInG >= 8 && !transposed;
        const gen = new Generator(c.seed);
        const off = c.offset;
        const x = filled(gen, g.n * g.cIn * g.h * g.w, off);
        const wt = filled(gen, g.cOut * c.cInG * g.kH * g.kW, off);
        const dy = filled(gen, g.n * g.cOut * g.outH * g.outW, off);
        const ref = naiveConv(g, x, wt, dy, off);

        const y = new Float64Array(ref.y.length + off).fill(7);
        conv2dForward(g, x, off, wt, off, null, 0, y, off);
        const dx = new Float64Array(ref.dx.length + off);
        conv2dBackwardInput(g, dy, off, wt, off, dx, off);
        const dw = new Float64Array(ref.dw.length + off);
        conv2dBackwardWeight(g, x, off, dy, off, dw, off);
        for (const [label, actual, expected] of [['forward', y, ref.y], ['grad input', dx, ref.dx], ['grad weight', dw, ref.dw]] as const) {
          const { worst, scale } = maxAbsDiff(actual, expected, off);
          expect(worst, `${label} of ${JSON.stringify(g)}`).toBeLessThanOrEqual(1e-12 * Math.max(scale, 1));
        }
      }),
      { seed: SEED, numRuns: 60 },
    );
    expect(seen).toEqual({ block: true, transposed: true, fallback: true });
  });

  it('the MNIST CNN shapes in float32 agree with float64 to float32 precision', () => {
    for (const [cIn, cOut, size] of [[1, 8, 28], [8, 16, 14], [16, 8, 7]] as const) {
      const g = conv2dGeometry([2, cIn, size, size], [cOut, cIn, 3, 3], { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 });
      const gen = new Generator(cIn * 100 + cOut);
      const x = filled(gen, 2 * cIn * size * size, 0);
      const wt = filled(gen, cOut * cIn * 9, 0);
      const dy = filled(gen, 2 * cOut * size * size, 0);
      const ref = naiveConv(g, x, wt, dy, 0);
      const y = new Float32Array(ref.y.length);
      conv2dForward(g, Float32Array.from(x), 0, Float32Array.from(wt), 0, null, 0, y, 0);
      const dx = new Float32Array(ref.dx.length);
      conv2dBackwardInput(g, Float32Array.from(dy), 0, Float32Array.from(wt), 0, dx, 0);
      for (const [actual, expected] of [[y, ref.y], [dx, ref.dx]] as const) {
        const { worst, scale } = maxAbsDiff(actual, expected, 0);
        expect(worst).toBeLessThan(1e-5 * scale);
      }
    }
  });
});

describe('2×2 max pooling (the branch-free path)', () => {
  /** The sequential definition: taps in window order, strict >, a NaN takes over; −∞ padding. */
  function naivePool(planes: number, h: number, w: number, outH: number, outW: number, x: ArrayLike<number>): { y: number[]; argmax: number[] } {
    const y: number[] = [];
    const argmax: number[] = [];
    for (let pl = 0; pl < planes; pl++) {
      for (let oh = 0; oh < outH; oh++) {
        for (let ow = 0; ow < outW; ow++) {
          let best = -Infinity;
          let index = -1;
          for (let i = 0; i < 2; i++) {
            for (let j = 0; j < 2; j++) {
              const ih = 2 * oh + i;
              const iw = 2 * ow + j;
              if (ih >= h || iw >= w) continue;
              const v = x[pl * h * w + ih * w + iw]!;
              if (index < 0) index = ih * w + iw;
              if (v > best || Number.isNaN(v)) {
                best = v;
                index = ih * w + iw;
              }
            }
          }
          y.push(best);
          argmax.push(index);
        }
      }
    }
    return { y, argmax };
  }

  // Few distinct values, so ties are common; NaN and −∞ among them.
  const value = fc.constantFrom(-1, 0, 1, 2, 2, -Infinity, NaN, -0);
  const poolCase = fc.record({ planes: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 2, max: 7 }), w: fc.integer({ min: 2, max: 7 }), ceilMode: fc.boolean() })
    .chain((c) => fc.record({ c: fc.constant(c), values: fc.array(value, { minLength: c.planes * c.h * c.w, maxLength: c.planes * c.h * c.w }) }));

  it('picks the same value and index as the sequential definition, forward and backward (100 cases)', () => {
    fc.assert(
      fc.property(poolCase, ({ c, values }) => {
        const offset = 2;
        const x = new Float64Array(values.length + offset + 2).fill(99);
        x.set(values, offset);
        const g = pool2dGeometry([c.planes, c.h, c.w], { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: c.ceilMode });
        const ref = naivePool(c.planes, c.h, c.w, g.outH, g.outW, values);
        const y = new Float64Array(ref.y.length);
        const argmax = new Int32Array(ref.y.length);
        maxPool2dForward(g, x, offset, y, 0, argmax);
        expect(Array.from(argmax)).toEqual(ref.argmax);
        ref.y.forEach((v, i) => expect(Object.is(y[i], v) || (v === 0 && y[i] === 0), `y[${i}]`).toBe(true));
        const dy = Float64Array.from(ref.y, (_, i) => i + 1);
        const dx = new Float64Array(values.length);
        maxPool2dBackward(g, dy, 0, argmax, dx, 0);
        const dxRef = new Float64Array(values.length);
        ref.argmax.forEach((index, o) => {
          const plane = Math.floor(o / (g.outH * g.outW));
          dxRef[plane * c.h * c.w + index] += o + 1;
        });
        expect(Array.from(dx)).toEqual(Array.from(dxRef));
      }),
      { seed: SEED, numRuns: 100 },
    );
  });
});
