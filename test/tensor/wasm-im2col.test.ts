/**
 * The emitted im2col (src/tensor/wasm/im2col.ts) against the JS reference (kernels/conv.ts
 * `im2col`): bitwise the same columns on seeded random geometries — ragged sizes (widths not
 * multiples of the 4- or 2-lane vectors), stride, padding (also wider than the kernel) and
 * dilation in each direction, several channels, images read at an offset — for float32 and
 * float64, with every other byte of the staging region left as it was; mixed types have no kernel.
 * Then the convolutions that use it: float64 conv2d forward and weight gradient on the wasm
 * backend (wasm im2col + wasm GEMM) bitwise equal to the JS backend's (float64 GEMMs agree bitwise
 * across backends), with groups and offset operands, and a float32 image's weight gradient summed
 * into float64 (the JS im2col on both backends) likewise. Thread-count determinism of conv2d on the
 * wasm backend: test/tensor/wasm-gemm.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { getBackend, setBackend } from '../../src/index.js';
import {
  conv2dBackwardWeightImages, conv2dForwardImages, conv2dGeometry, im2col, type Conv2dGeometry,
} from '../../src/tensor/kernels/conv.js';
import { wasmGemmInPlaceBuffer } from '../../src/tensor/wasm/gemm.js';
import { wasmIm2col, wasmIm2colFits } from '../../src/tensor/wasm/im2col.js';
import { expectBitwise, makeRandom } from '../helpers/random.js';

type Floats = Float32Array | Float64Array;

function filled(size: number, f64: boolean, rnd: () => number): Floats {
  const a = f64 ? new Float64Array(size) : new Float32Array(size);
  for (let i = 0; i < size; i++) a[i] = rnd() * 2 - 1;
  return a;
}

/** A random geometry with at least one output pixel; `groups` divides both channel counts. */
function randomGeometry(rnd: () => number, groups: number): Conv2dGeometry {
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  for (;;) {
    const kH = int(1, 4), kW = int(1, 4);
    const dH = int(1, 3), dW = int(1, 3);
    const sH = int(1, 3), sW = int(1, 3);
    const pH = int(0, 4), pW = int(0, 4);
    const h = int(1, 19), w = int(1, 23);
    const cIn = groups * int(1, 3), cOut = groups * int(1, 3);
    const g = conv2dGeometry([int(1, 3), cIn, h, w], [cOut, cIn / groups, kH, kW], {
      stride: [sH, sW], padding: [pH, pW], dilation: [dH, dW], groups,
    });
    if (g.outH > 0 && g.outW > 0) return g;
  }
}

/**
 * Stride-1 geometries with outW = w (the kernel's block path, as im2colBlock's): "same" padding,
 * more or less padding in height, dilation, widths down to 1.
 */
const SAME: Conv2dGeometry[] = [
  [8, 14, 14, 3, 3, 1, 1, 1, 1], [1, 28, 28, 3, 3, 1, 1, 1, 1], [2, 5, 7, 5, 5, 2, 2, 1, 1], [3, 9, 6, 3, 3, 2, 2, 2, 2],
  [2, 4, 1, 1, 1, 0, 0, 1, 1], [1, 6, 3, 3, 3, 0, 1, 1, 1], [2, 3, 5, 5, 3, 4, 1, 1, 1], [1, 2, 2, 3, 3, 1, 1, 1, 1],
  [2, 7, 9, 4, 3, 3, 1, 1, 1], [1, 1, 13, 1, 5, 0, 2, 1, 1],
].flatMap(([c, h, w, kH, kW, pH, pW, dH, dW]) => {
  const g = conv2dGeometry([1, c!, h!, w!], [1, c!, kH!, kW!], { stride: [1, 1], padding: [pH!, pW!], dilation: [dH!, dW!], groups: 1 });
  return [g, g]; // once per float type (trial % 2)
});

const savedBackend = getBackend();
afterAll(() => setBackend(savedBackend));

describe('wasm im2col', () => {
  it('unfolds bitwise like the JS im2col (random geometries, float types, offsets), writing nothing else', () => {
    const rnd = makeRandom(11);
    for (let trial = 0; trial < 600; trial++) {
      const f64 = trial % 2 === 1; // the image's and the columns' type
      const g = trial < SAME.length ? SAME[trial]! : randomGeometry(rnd, 1);
      const channels = g.cIn;
      const xOffset = Math.floor(rnd() * 7);
      const x = filled(xOffset + channels * g.h * g.w + 5, f64, rnd);
      const k = channels * g.kH * g.kW;
      const p = g.outH * g.outW;
      const expected = f64 ? new Float64Array(k * p) : new Float32Array(k * p);
      expected.fill(Number.NaN); // the reference must write every entry too
      im2col(g, channels, x, xOffset, expected, 0);
      expect(wasmIm2colFits(g, channels, x, expected), 'fits').toBe(true);
      const { buffer, offset } = wasmGemmInPlaceBuffer(expected);
      const colsOffset = offset + Math.floor(rnd() * 5);
      // Sentinels before and after the columns, stale NaNs inside them.
      buffer.fill(Number.NaN, colsOffset, colsOffset + k * p);
      buffer[colsOffset - 1] = 7;
      buffer[colsOffset + k * p] = 9;
      wasmIm2col(g, channels, x, xOffset, colsOffset);
      const label = `${f64 ? 'float64' : 'float32'} ${JSON.stringify(g)} at ${xOffset}`;
      expectBitwise(buffer.subarray(colsOffset, colsOffset + k * p), expected, label);
      expect(buffer[colsOffset - 1], `${label}: before`).toBe(7);
      expect(buffer[colsOffset + k * p], `${label}: after`).toBe(9);
    }
  });

  it('keeps −0, infinities and NaN as they are (pure copies)', () => {
    const g = conv2dGeometry([1, 1, 3, 5], [1, 1, 2, 2], { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 });
    const values = [-0, Infinity, -Infinity, Number.NaN, 1, 2, 3, 4, 5, 6, -0, 8, 9, 10, 11];
    for (const x of [Float32Array.from(values), Float64Array.from(values)]) {
      const expected = x instanceof Float32Array ? new Float32Array(4 * g.outH * g.outW) : new Float64Array(4 * g.outH * g.outW);
      im2col(g, 1, x, 0, expected, 0);
      const { buffer, offset } = wasmGemmInPlaceBuffer(x);
      wasmIm2col(g, 1, x, 0, offset);
      expectBitwise(buffer.subarray(offset, offset + expected.length), expected, `special values in ${x.constructor.name}`);
    }
  });

  it('refuses mixed types (no converting kernel: the JS im2col does those)', () => {
    const g = conv2dGeometry([1, 1, 4, 4], [1, 1, 3, 3], { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 });
    expect(wasmIm2colFits(g, 1, new Float64Array(16), new Float32Array(1))).toBe(false);
    expect(wasmIm2colFits(g, 1, new Float32Array(16), new Float64Array(1))).toBe(false);
    expect(wasmIm2colFits(g, 1, new Float32Array(16), new Float32Array(1))).toBe(true);
  });

  it('float64 conv2d forward and weight gradient on the wasm backend are bitwise the JS backend\'s (groups, offsets)', () => {
    const rnd = makeRandom(12);
    for (let trial = 0; trial < 60; trial++) {
      const g = randomGeometry(rnd, trial % 3 === 0 ? 2 : 1);
      const kSize = g.cOut * (g.cIn / g.groups) * g.kH * g.kW;
      const xOffset = Math.floor(rnd() * 5), wOffset = Math.floor(rnd() * 5), yOffset = Math.floor(rnd() * 5);
      const x = filled(xOffset + g.n * g.cIn * g.h * g.w, true, rnd);
      const wt = filled(wOffset + kSize, true, rnd);
      const bias = filled(g.cOut, true, rnd);
      const dy = filled(yOffset + g.n * g.cOut * g.outH * g.outW, true, rnd);
      const run = (backend: 'wasm' | 'js'): [Floats, Floats] => {
        setBackend(backend);
        const y = new Float64Array(yOffset + g.n * g.cOut * g.outH * g.outW);
        conv2dForwardImages(g, x, xOffset, wt, wOffset, bias, 0, y, yOffset, 0, g.n);
        const dw = filled(wOffset + kSize, true, makeRandom(trial)); // accumulated onto
        conv2dBackwardWeightImages(g, x, xOffset, dy, yOffset, dw, wOffset, 0, g.n);
        return [y, dw];
      };
      const [yJs, dwJs] = run('js');
      const [yWasm, dwWasm] = run('wasm');
      expectBitwise(yWasm, yJs, `forward ${JSON.stringify(g)}`);
      expectBitwise(dwWasm, dwJs, `weight gradient ${JSON.stringify(g)}`);
    }
  });

  it('a float32 image\'s weight gradient summed into float64 is bitwise the JS backend\'s on the wasm backend', () => {
    const rnd = makeRandom(13);
    for (let trial = 0; trial < 40; trial++) {
      const g = randomGeometry(rnd, trial % 3 === 0 ? 2 : 1);
      const kSize = g.cOut * (g.cIn / g.groups) * g.kH * g.kW;
      const xOffset = Math.floor(rnd() * 5), yOffset = Math.floor(rnd() * 5);
      const x = filled(xOffset + g.n * g.cIn * g.h * g.w, false, rnd);
      const dy = filled(yOffset + g.n * g.cOut * g.outH * g.outW, false, rnd);
      const run = (backend: 'wasm' | 'js'): Floats => {
        setBackend(backend);
        const dw = new Float64Array(kSize);
        conv2dBackwardWeightImages(g, x, xOffset, dy, yOffset, dw, 0, 0, g.n);
        return dw;
      };
      const dwJs = run('js');
      expectBitwise(run('wasm'), dwJs, `weight gradient ${JSON.stringify(g)}`);
    }
  });
});
