/**
 * The emitted im2col (src/tensor/wasm/im2col.ts) against the JS reference (kernels/conv.ts
 * `im2col`): bitwise the same columns on seeded random geometries — ragged sizes (widths not
 * multiples of the 4- or 2-lane vectors), stride, padding (also wider than the kernel) and
 * dilation in each direction, several channels, images read at an offset — for float32 and
 * float64, with every other byte of the staging region left as it was; mixed types have no kernel.
 * Then the convolutions that use it: float64 conv2d forward and weight gradient on the wasm
 * backend (wasm im2col + wasm GEMM) bitwise equal to the JS backend's (float64 GEMMs agree bitwise
 * across backends), with groups and offset operands, and a float32 image's weight gradient summed
 * into float64 (the JS im2col on both backends) likewise. The GEMM that packs the columns straight
 * from the image (`wasmUnfoldedGemm`, stride 1 and outW = w) against im2col + `wasmGemmInPlace`,
 * bitwise, with NaN, infinities and −0 in the image (masked reads must give im2col's zeros), and
 * float64 convolutions through it (forward and the transposed input gradient, several k-blocks and
 * column blocks) against the JS backend. Thread-count determinism of conv2d on the wasm backend:
 * test/tensor/wasm-gemm.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { getBackend, setBackend } from '../../src/index.js';
import {
  conv2dBackwardInputImages, conv2dBackwardWeightImages, conv2dForwardImages, conv2dGeometry, im2col, inputGradPlan,
  type Conv2dGeometry,
} from '../../src/tensor/kernels/conv.js';
import { wasmGemmInPlace, wasmGemmInPlaceBuffer } from '../../src/tensor/wasm/gemm.js';
import {
  wasmIm2col, wasmIm2colFits, wasmUnfoldedGemm, wasmUnfoldedWeightGrad, wasmUnfoldedWeightGradT, wasmUnfoldPlan,
} from '../../src/tensor/wasm/im2col.js';
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

/** Random float64 operands of a convolution, each at a random offset in its array. */
function float64Operands(g: Conv2dGeometry, rnd: () => number): {
  kSize: number; xOffset: number; wOffset: number; yOffset: number; x: Floats; wt: Floats; bias: Floats; dy: Floats;
} {
  const kSize = g.cOut * (g.cIn / g.groups) * g.kH * g.kW;
  const xOffset = Math.floor(rnd() * 5), wOffset = Math.floor(rnd() * 5), yOffset = Math.floor(rnd() * 5);
  const x = filled(xOffset + g.n * g.cIn * g.h * g.w, true, rnd);
  const wt = filled(wOffset + kSize, true, rnd);
  const bias = filled(g.cOut, true, rnd);
  const dy = filled(yOffset + g.n * g.cOut * g.outH * g.outW, true, rnd);
  return { kSize, xOffset, wOffset, yOffset, x, wt, bias, dy };
}

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
      const { kSize, xOffset, wOffset, yOffset, x, wt, bias, dy } = float64Operands(g, rnd);
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

/**
 * A random stride-1 geometry with outW = w (2·pW = dW·(kW − 1)) and any padding in height, from tiny
 * to big enough for several k-blocks (K > 256) and column blocks (P > 512).
 */
function randomSameGeometry(rnd: () => number): Conv2dGeometry {
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  for (;;) {
    const kW = 1 + 2 * int(0, 2), dW = int(1, 2);
    const kH = int(1, 5), dH = int(1, 2), pH = int(0, 3);
    const big = rnd() < 0.25;
    const cIn = big ? int(20, 40) : int(1, 4);
    const h = big ? int(3, 30) : int(1, 12), w = big ? int(20, 33) : int(1, 17);
    const g = conv2dGeometry([int(1, 2), cIn, h, w], [int(1, 9), cIn, kH, kW], {
      stride: [1, 1], padding: [pH, (dW * (kW - 1)) / 2], dilation: [dH, dW], groups: 1,
    });
    if (g.outH > 0 && g.outW === g.w) return g;
  }
}

/** An image of random values with NaN, ±infinity and −0 at random places (also at the borders). */
function specialFilled(size: number, f64: boolean, rnd: () => number): Floats {
  const a = filled(size, f64, rnd);
  const specials = [Number.NaN, Infinity, -Infinity, -0];
  for (let i = 0; i < size; i++) if (rnd() < 0.03) a[i] = specials[Math.floor(rnd() * specials.length)]!;
  return a;
}

/** One trial of the unfolded GEMM's tests: a geometry, a float type, an image (with specials) at an offset, m rows. */
interface UnfoldTrial {
  trial: number; f64: boolean; g: Conv2dGeometry; k: number; p: number; m: number; x: Floats; xOffset: number; label: string;
}

/** 300 trials: the SAME geometries, then random "same" ones; each float type in turn. */
function unfoldTrials(rnd: () => number): UnfoldTrial[] {
  return Array.from({ length: 300 }, (_, trial) => {
    const f64 = trial % 2 === 1;
    const g = trial < SAME.length ? SAME[trial]! : randomSameGeometry(rnd);
    const m = 1 + Math.floor(rnd() * 9);
    const xOffset = Math.floor(rnd() * 7);
    const x = specialFilled(xOffset + g.cIn * g.h * g.w, f64, rnd);
    const label = `${f64 ? 'float64' : 'float32'} m ${m} ${JSON.stringify(g)}`;
    return { trial, f64, g, k: g.cIn * g.kH * g.kW, p: g.outH * g.outW, m, x, xOffset, label };
  });
}

describe('the unfolded GEMM (columns packed straight from the image)', () => {
  it('gives bitwise what im2col then wasmGemmInPlace give onto the bias (random "same" geometries, float types, specials)', () => {
    const rnd = makeRandom(14);
    const trials = unfoldTrials(rnd);
    for (const { trial, f64, g, k, p, m, x, xOffset, label } of trials) {
      const wOffset = Math.floor(rnd() * 5), cOffset = Math.floor(rnd() * 5);
      const wt = filled(wOffset + m * k, f64, rnd);
      // Rows start at a bias (at an offset), or at 0 without one; C's old values are never read.
      const biasOffset = Math.floor(rnd() * 3);
      const bias = trial % 3 === 0 ? null : filled(biasOffset + m, f64, rnd);
      const c0 = specialFilled(cOffset + m * p, f64, rnd);
      // The reference: C's rows filled with the bias, the columns written by im2col, then packed
      // from the staging region.
      const expected = c0.slice();
      for (let i = 0; i < m; i++) expected.fill(bias === null ? 0 : bias[biasOffset + i]!, cOffset + i * p, cOffset + (i + 1) * p);
      const { offset } = wasmGemmInPlaceBuffer(x);
      wasmIm2col(g, g.cIn, x, xOffset, offset);
      wasmGemmInPlace(m, p, k, wt, wOffset, k, 1, p, 1, expected, cOffset, p);
      const plan = wasmUnfoldPlan(g, g.cIn, x, c0);
      expect(plan, label).not.toBeNull();
      const actual = c0.slice();
      wasmUnfoldedGemm(plan!, m, p, k, x, xOffset, wt, wOffset, actual, cOffset, bias, biasOffset);
      expectBitwise(actual, expected, `${label} ${bias === null ? 'no bias' : 'bias'}`);
    }
    const multiBlock = trials.filter(({ k, p }) => k > 256 && p > 512).length;
    expect(multiBlock, 'trials with several k-blocks and column blocks').toBeGreaterThanOrEqual(3);
  });

  it('transposed (the weight gradient, dw += dy · colsᵀ, and its transpose dwᵀ += cols · dyᵀ) gives bitwise what im2col then wasmGemmInPlace give', () => {
    const rnd = makeRandom(16);
    const trials = unfoldTrials(rnd);
    for (const { f64, g, k, p, m, x, xOffset, label } of trials) {
      const dyOffset = Math.floor(rnd() * 5), dwOffset = Math.floor(rnd() * 5);
      const dy = filled(dyOffset + m * p, f64, rnd);
      const dw0 = filled(dwOffset + m * k, f64, rnd); // accumulated onto
      const expected = dw0.slice();
      const { offset } = wasmGemmInPlaceBuffer(x);
      wasmIm2col(g, g.cIn, x, xOffset, offset);
      wasmGemmInPlace(m, k, p, dy, dyOffset, p, 1, 1, p, expected, dwOffset, k);
      const plan = wasmUnfoldPlan(g, g.cIn, x, dw0);
      expect(plan, label).not.toBeNull();
      for (const grad of [wasmUnfoldedWeightGrad, wasmUnfoldedWeightGradT]) {
        const actual = dw0.slice();
        grad(plan!, m, p, k, x, xOffset, dy, dyOffset, actual, dwOffset);
        expectBitwise(actual, expected, `${label} (${grad.name})`);
      }
    }
    const multiBlock = trials.filter(({ k, p }) => k > 512 && p > 256).length;
    expect(multiBlock, 'trials with several column blocks (K > 512) and k-blocks (P > 256)').toBeGreaterThanOrEqual(3);
  });

  it('reuses a geometry\'s plan across calls, still right after other geometries\' plans were written', () => {
    const rnd = makeRandom(17);
    const [ga, gb] = [SAME[0]!, SAME[4]!];
    const run = (g: Conv2dGeometry): { plan: unknown; got: Floats; want: Floats } => {
      const m = 3, k = g.cIn * g.kH * g.kW, p = g.outH * g.outW;
      const x = specialFilled(g.cIn * g.h * g.w, false, rnd);
      const wt = filled(m * k, false, rnd);
      const want = new Float32Array(m * p);
      const { offset } = wasmGemmInPlaceBuffer(x);
      wasmIm2col(g, g.cIn, x, 0, offset);
      wasmGemmInPlace(m, p, k, wt, 0, k, 1, p, 1, want, 0, p);
      const plan = wasmUnfoldPlan(g, g.cIn, x, want)!;
      const got = new Float32Array(m * p).fill(Number.NaN);
      wasmUnfoldedGemm(plan, m, p, k, x, 0, wt, 0, got, 0, null, 0);
      return { plan, got, want };
    };
    const first = run(ga);
    const other = run(gb);
    const again = run(ga);
    expect(again.plan, 'the same plan object').toBe(first.plan);
    expect(other.plan).not.toBe(first.plan);
    for (const r of [first, other, again]) expectBitwise(r.got, r.want, 'plan reused');
  });

  it('is not planned where it does not apply: a stride, outW ≠ w, mixed types, or an image too big for the scratch region', () => {
    const geometry = (stride: number, pad: number, size: number, channels = 2): Conv2dGeometry =>
      conv2dGeometry([1, channels, size, size], [1, channels, 3, 3], { stride: [stride, stride], padding: [pad, pad], dilation: [1, 1], groups: 1 });
    const f32 = new Float32Array(1), f64 = new Float64Array(1);
    expect(wasmUnfoldPlan(geometry(1, 1, 8), 2, f32, f32)).not.toBeNull();
    expect(wasmUnfoldPlan(geometry(2, 1, 8), 2, f32, f32)).toBeNull();
    expect(wasmUnfoldPlan(geometry(1, 0, 8), 2, f32, f32)).toBeNull();
    expect(wasmUnfoldPlan(geometry(1, 1, 8), 2, f32, f64)).toBeNull();
    expect(wasmUnfoldPlan(geometry(1, 1, 8), 2, f64, f32)).toBeNull();
    expect(wasmUnfoldPlan(geometry(1, 1, 512, 4), 4, f32, f32)).toBeNull(); // 4 MiB of image alone
  });

  it('float64 conv2d forward, input and weight gradients through it are bitwise the JS backend\'s (several blocks, offsets)', () => {
    const rnd = makeRandom(15);
    for (let trial = 0; trial < 40; trial++) {
      const g0 = randomSameGeometry(rnd);
      // At least 8 input channels in half the trials: the input gradient then runs as a transposed
      // convolution (kernels/conv.ts inputGradPlan), itself through the unfolded GEMM.
      const cIn = trial % 2 === 0 ? Math.max(8, g0.cIn) : g0.cIn;
      const g = conv2dGeometry([g0.n, cIn, g0.h, g0.w], [g0.cOut, cIn, g0.kH, g0.kW], {
        stride: [1, 1], padding: [g0.padH, g0.padW], dilation: [g0.dilationH, g0.dilationW], groups: 1,
      });
      const { kSize, xOffset, wOffset, yOffset, x, wt, bias, dy } = float64Operands(g, rnd);
      const run = (backend: 'wasm' | 'js'): [Floats, Floats, Floats] => {
        setBackend(backend);
        const y = new Float64Array(yOffset + g.n * g.cOut * g.outH * g.outW);
        conv2dForwardImages(g, x, xOffset, wt, wOffset, bias, 0, y, yOffset, 0, g.n);
        const dx = new Float64Array(xOffset + g.n * g.cIn * g.h * g.w);
        conv2dBackwardInputImages(g, inputGradPlan(g, wt, wOffset, dx), dy, yOffset, dx, xOffset, 0, g.n);
        const dw = filled(wOffset + kSize, true, makeRandom(trial)); // accumulated onto
        conv2dBackwardWeightImages(g, x, xOffset, dy, yOffset, dw, wOffset, 0, g.n);
        return [y, dx, dw];
      };
      const [yJs, dxJs, dwJs] = run('js');
      const [yWasm, dxWasm, dwWasm] = run('wasm');
      expectBitwise(yWasm, yJs, `forward ${JSON.stringify(g)}`);
      expectBitwise(dxWasm, dxJs, `input gradient ${JSON.stringify(g)}`);
      expectBitwise(dwWasm, dwJs, `weight gradient ${JSON.stringify(g)}`);
    }
  });
});
