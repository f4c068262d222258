/**
 * The dedicated elementwise kernels (addArrays, mulArrays, reluForward, reluBackward, coalesceDims)
 * against brute-force reference code on random views — permuted, expanded (stride 0), narrowed, at
 * a storage offset — in float32 and float64, including the values where a bit trick could go
 * wrong: ±0, ±∞, NaN, subnormals, the largest and smallest floats. Fixed seeds.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DType } from '../../src/tensor/dtype.js';
import { addArrays, mulArrays, reluBackward, reluForward } from '../../src/tensor/kernels/elementwise.js';
import { gemmInPlace, gemmInPlaceBuffer, gemmInPlaceFits } from '../../src/tensor/kernels/gemm.js';
import { normBackwardSums, normMoments, type NormLayout } from '../../src/tensor/kernels/norm.js';
import { sumDims } from '../../src/tensor/kernels/reduce.js';
import { Generator } from '../../src/tensor/rng.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { coalesceDims } from '../../src/tensor/shape.js';
import {
  broadcastIndex, broadcastShape, broadcastsTo, build, describeRecipe, expectClose, indices, listOf, rowMajor, shapeArb, viewOf,
} from './reference.js';

const SEED = 9191;
const RUNS = 80;
const dtypeArb = fc.constantFrom<DType>('float32', 'float64');

/** Rounds to the output dtype, as storing into a Float32Array would. */
function rounder(dtype: DType): (v: number) => number {
  return dtype === 'float32' ? Math.fround : (v) => v;
}

/** Values with every sign and class: zeros, infinities, NaN, subnormals, extremes, ordinary numbers. */
const specialValues = fc.oneof(
  fc.constantFrom(0, -0, Infinity, -Infinity, NaN, 5e-324, -5e-324, 1e-40, -1e-40, 3.4e38, -3.4e38, 1.7e308, -1.7e308, 1, -1),
  fc.double({ min: -10, max: 10, noNaN: true }),
);

/** Same value, treating NaN as equal to NaN and −0 as different from +0 (Object.is), as a list check. */
function expectSameValues(actual: ArrayLike<number>, expected: readonly number[], label: string): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      throw new Error(`${label}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

describe('addArrays and mulArrays', () => {
  const operands = shapeArb(0, 4, 3)
    .chain((out) => fc.tuple(broadcastsTo(out), broadcastsTo(out)))
    .chain(([sa, sb]) => fc.tuple(viewOf(sa), viewOf(sb), dtypeArb, dtypeArb));

  for (const [name, kernel, f] of [
    ['addArrays', addArrays, (x: number, y: number): number => x + y],
    ['mulArrays', mulArrays, (x: number, y: number): number => x * y],
  ] as const) {
    it(`${name} broadcasts any two views and promotes float32 with float64 (${RUNS * 2} cases, seed ${SEED})`, () => {
      fc.assert(
        fc.property(operands, ([ra, rb, da, db]) => {
          const a = build(ra, da);
          const b = build(rb, db);
          const shape = broadcastShape(a.ref.shape, b.ref.shape)!;
          const dtype = da === 'float64' || db === 'float64' ? 'float64' : 'float32';
          const out = kernel(a.array, b.array);
          const expected = indices(shape).map((i) => rounder(dtype)(f(a.ref.at(broadcastIndex(i, a.ref.shape)), b.ref.at(broadcastIndex(i, b.ref.shape)))));
          expect(out.dtype).toBe(dtype);
          expect(out.shape).toEqual(shape);
          expect(out.isContiguous()).toBe(true);
          expectSameValues(out.data, expected, `${describeRecipe(ra)} with ${describeRecipe(rb)}`);
        }),
        { seed: SEED, numRuns: RUNS * 2 },
      );
    });
  }

  it('covers the scalar cases on either side and a bias-like broadcast over a larger array', () => {
    const a = new NDArray(Float32Array.from({ length: 24 }, (_, i) => i - 7), [2, 3, 2, 2]);
    const s = NDArray.scalar(0.5, 'float32');
    expect(Array.from(mulArrays(a, s).data)).toEqual(Array.from(a.data, (v) => v * 0.5));
    expect(Array.from(addArrays(s, a).data)).toEqual(Array.from(a.data, (v) => 0.5 + v));
    const perChannel = new NDArray(Float32Array.from([10, 20, 30]), [1, 3, 1, 1]);
    const sum = addArrays(a, perChannel);
    expect(Array.from(sum.data)).toEqual(Array.from(a.data, (v, i) => v + [10, 20, 30][Math.floor(i / 4) % 3]!));
  });

  it('reads contiguous operands at a storage offset and single-element operands of any rank in one pass, never the values around them', () => {
    // The one-row path: a [2,3] block at offset 3 of a NaN-padded storage, with a [1,1,1] element.
    const storage = Float64Array.from({ length: 11 }, (_, i) => (i >= 3 && i < 9 ? i - 5 : Number.NaN));
    const a = new NDArray(storage, [2, 3], undefined, 3);
    const one = new NDArray(Float64Array.from([Number.NaN, 4, Number.NaN]), [1, 1, 1], undefined, 1);
    const sum = addArrays(a, one);
    expect(sum.shape).toEqual([1, 2, 3]);
    expect(Array.from(sum.data)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(Array.from(mulArrays(one, a).data)).toEqual([-8, -4, 0, 4, 8, 12]);
    expect(Array.from(mulArrays(a, a).data)).toEqual([4, 1, 0, 1, 4, 9]);
    // A single element times a single element of another rank: one value, the broadcast shape.
    const two = new NDArray(Float32Array.from([3]), [1]);
    expect(mulArrays(one, two).shape).toEqual([1, 1, 1]);
    expect(Array.from(mulArrays(one, two).data)).toEqual([12]);
  });

  it('names the op in a broadcasting error', () => {
    const a = NDArray.zeros([2, 3], 'float32');
    const b = NDArray.zeros([4], 'float32');
    expect(() => addArrays(a, b, 'gradient accumulation')).toThrow(/gradient accumulation/);
    expect(() => mulArrays(a, b)).toThrow(/mul/);
  });
});

describe('coalesceDims', () => {
  it('merges dims every operand steps through uniformly and drops size-1 dims', () => {
    // [2, 3, 4, 5] contiguous against a [1, 3, 1, 1] broadcast: rows of 4·5 for the second operand.
    const merged = coalesceDims([2, 3, 4, 5], [[60, 20, 5, 1], [0, 1, 0, 0]]);
    expect(merged.shape).toEqual([2, 3, 20]);
    expect(merged.strides).toEqual([[60, 20, 1], [0, 1, 0]]);
    expect(coalesceDims([2, 1, 3], [[3, 3, 1]])).toEqual({ shape: [6], strides: [[1]] });
    expect(coalesceDims([1, 1], [[1, 1]])).toEqual({ shape: [], strides: [[]] });
    // a transposed operand merges nothing
    expect(coalesceDims([2, 3], [[1, 2]]).shape).toEqual([2, 3]);
  });
});

describe('relu kernels', () => {
  const reluCase = shapeArb(0, 3, 4).chain((shape) => fc.tuple(viewOf(shape, 2, specialValues), viewOf(shape, 2, specialValues), dtypeArb));

  it(`reluForward is max(x, 0) on any view, with relu(NaN) = NaN and relu(−0) = +0 (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(reluCase, ([rx, , dtype]) => {
        const { array, ref } = build(rx, dtype);
        const out = reluForward(array);
        expect(out.dtype).toBe(dtype);
        expect(out.shape).toEqual(ref.shape);
        const expected = listOf(ref).map((v) => (Number.isNaN(v) ? NaN : v > 0 ? v : 0));
        expectSameValues(out.data, expected, describeRecipe(rx));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it(`reluBackward passes g exactly where x > 0 (or x is NaN), else +0 (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(reluCase, ([rx, rg, dtype]) => {
        const x = build(rx, dtype);
        const g = build(rg, dtype);
        const out = reluBackward(g.array, x.array);
        expect(out.dtype).toBe(dtype);
        const gs = listOf(g.ref);
        // PyTorch's threshold_backward: x <= 0 gives 0, anything else (incl. NaN) passes g.
        const expected = listOf(x.ref).map((v, i) => (v <= 0 ? 0 : gs[i]!));
        expectSameValues(out.data, expected, `x ${describeRecipe(rx)}, g ${describeRecipe(rg)}`);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('handles every length around the 4-wide unroll and a storage offset', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      for (let n = 0; n <= 9; n++) {
        const data = dtype === 'float32' ? new Float32Array(n + 3) : new Float64Array(n + 3);
        for (let i = 0; i < data.length; i++) data[i] = i % 2 === 0 ? -(i + 1) : i + 1;
        const x = new NDArray(data, [n], undefined, 3);
        const y = reluForward(x);
        expect(Array.from(y.data)).toEqual(Array.from(data.subarray(3), (v) => Math.max(v, 0)));
        const g = new NDArray(data.map((v) => v * 10), [n], undefined, 3);
        expect(Array.from(reluBackward(g, x).data)).toEqual(Array.from(data.subarray(3), (v) => (v > 0 ? v * 10 : 0)));
      }
    }
  });
});

describe('sumDims patterns', () => {
  // 4-d shapes with sizes 1–4, so every pattern of reduced (R) and kept (K) dims appears after
  // size-1 dims drop and neighbours merge: R, KR, RK, RKR (per channel), and the fallbacks (KRK…).
  const sumCase = shapeArb(4, 4, 4).chain((shape) => fc.tuple(
    viewOf(shape, 1),
    fc.subarray([0, 1, 2, 3], { minLength: 1 }),
    fc.boolean(),
    dtypeArb,
  ));

  it(`sums any 4-d view over any dims, keepdim both ways (${RUNS * 2} cases)`, () => {
    fc.assert(
      fc.property(sumCase, ([recipe, dims, keepdim, dtype]) => {
        const { array, ref } = build(recipe, dtype);
        const kept = ref.shape.map((_, d) => d).filter((d) => !dims.includes(d));
        const keptShape = kept.map((d) => ref.shape[d]!);
        const values = new Array<number>(keptShape.reduce((p, s) => p * s, 1)).fill(0);
        const scale = new Array<number>(values.length).fill(0);
        for (const index of indices(ref.shape)) {
          const k = rowMajor(keptShape, kept.map((d) => index[d]!));
          values[k] = values[k]! + ref.at(index);
          scale[k] = scale[k]! + Math.abs(ref.at(index));
        }
        const out = sumDims(array, dims, keepdim);
        expect(out.shape).toEqual(keepdim ? ref.shape.map((s, d) => (dims.includes(d) ? 1 : s)) : keptShape);
        expectClose(out.data, values, dtype === 'float32' ? 1e-6 : 1e-13, scale);
      }),
      { seed: SEED, numRuns: RUNS * 2 },
    );
  });

  it('sums [N, C, H, W] over [0, 2, 3] per channel (the channel-reduce route)', () => {
    const n = 3, c = 5, hw = 6;
    const data = Float64Array.from({ length: n * c * hw }, (_, i) => Math.sin(i) * 10);
    const x = new NDArray(data, [n, c, 2, 3]);
    const expected = Array.from({ length: c }, (_, ch) => {
      let s = 0;
      for (let b = 0; b < n; b++) for (let p = 0; p < hw; p++) s += data[(b * c + ch) * hw + p]!;
      return s;
    });
    const out = sumDims(x, [0, 2, 3], true);
    expect(out.shape).toEqual([1, c, 1, 1]);
    expectClose(out.data, expected, 1e-13, expected.map(() => 100));
  });
});

describe('gemmInPlace (B read where it lies in the GEMM buffer)', () => {
  const gemmCase = fc.record({
    m: fc.integer({ min: 1, max: 9 }),
    n: fc.integer({ min: 1, max: 23 }),
    k: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constantFrom(256, 300, 600)),
    transposedA: fc.boolean(),
    transposedB: fc.boolean(),
    ldcExtra: fc.integer({ min: 0, max: 3 }),
    offset: fc.integer({ min: 0, max: 3 }),
    f32: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
  });

  it('C += A·B equals the naive product for row- and column-major B, whatever stale values surround B (60 cases)', () => {
    fc.assert(
      fc.property(gemmCase, ({ m, n, k, transposedA, transposedB, ldcExtra, offset, f32, seed }) => {
        const gen = new Generator(seed);
        const a = Float64Array.from({ length: m * k + offset }, () => gen.normal());
        const ldc = n + ldcExtra;
        const c0 = Float64Array.from({ length: offset + m * ldc }, () => gen.normal());
        const [aRs, aCs] = transposedA ? [1, m] : [k, 1];
        // B(p, j) at p·rs + j·cs: row-major (rs = n) or stored transposed (cs = k).
        const [rs, cs] = transposedB ? [1, k] : [n, 1];
        expect(gemmInPlaceFits(k, n, rs, cs)).toBe(true);
        const { buffer, offset: bOff, capacity } = gemmInPlaceBuffer();
        // Stale NaN everywhere: the columns past n that the last panel reads must not reach C.
        buffer.fill(NaN, bOff, bOff + capacity);
        const b = Float64Array.from({ length: k * n }, () => gen.normal());
        for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) buffer[bOff + p * rs + j * cs] = b[p * n + j]!;
        const c = f32 ? Float32Array.from(c0) : Float64Array.from(c0);
        gemmInPlace(m, n, k, a, offset, aRs, aCs, rs, cs, c, offset, ldc);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < ldc; j++) {
            const at = offset + i * ldc + j;
            let want = c0[at]!;
            if (j < n) for (let p = 0; p < k; p++) want += a[offset + i * aRs + p * aCs]! * b[p * n + j]!;
            const tol = f32 ? 1e-4 * (1 + Math.abs(want)) : 1e-12 * (1 + Math.abs(want));
            expect(Math.abs(c[at]! - (f32 ? Math.fround(want) : want)), `C[${i}, ${j}]`).toBeLessThanOrEqual(tol);
          }
        }
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('says when B does not fit the buffer (131 072 entries, with three columns of slack)', () => {
    expect(gemmInPlaceFits(256, 500, 500, 1)).toBe(true);
    expect(gemmInPlaceFits(144, 1024, 1024, 1)).toBe(false);
    expect(gemmInPlaceFits(784, 9, 1, 784)).toBe(true);
    // the last panel of a column-major B reads rows n … n + 2 of the stored Bᵀ: 1023 + 127·1024 < 2¹⁷
    expect(gemmInPlaceFits(1024, 125, 1, 1024)).toBe(true);
    expect(gemmInPlaceFits(1024, 126, 1, 1024)).toBe(false);
  });
});

describe('normMoments and normBackwardSums on the channel-reduce kernels', () => {
  /** Two-pass float64 moments per (chunk, channel) of a layout, straight from the definition. */
  function reference(x: ArrayLike<number>, l: NormLayout): { mean: number[]; variance: number[] } {
    const mean: number[] = [];
    const variance: number[] = [];
    for (let s = 0; s < l.chunks; s++) {
      for (let b = 0; b < l.channels; b++) {
        const values: number[] = [];
        for (let a = 0; a < l.samples; a++) {
          for (let r = 0; r < l.positions; r++) values.push(x[((s * l.samples + a) * l.channels + b) * l.positions + r]!);
        }
        const m = values.reduce((p, v) => p + v, 0) / values.length;
        mean.push(m);
        variance.push(values.reduce((p, v) => p + (v - m) * (v - m), 0) / values.length);
      }
    }
    return { mean, variance };
  }

  const layouts: [string, NormLayout][] = [
    ['BatchNorm', { chunks: 1, samples: 4, channels: 3, positions: 10, affineSpan: 1 }],
    ['BatchNorm, 2 groups', { chunks: 2, samples: 3, channels: 2, positions: 5, affineSpan: 1 }],
    ['GroupNorm', { chunks: 3, samples: 1, channels: 2, positions: 12, affineSpan: 3 }],
    ['LayerNorm', { chunks: 5, samples: 1, channels: 1, positions: 7, affineSpan: 7 }],
  ];

  it('match the two-pass definition for every layout (float64), with a large mean and an outlier first', () => {
    for (const [name, l] of layouts) {
      const gen = new Generator(name.length);
      const size = l.chunks * l.samples * l.channels * l.positions;
      const x = Float64Array.from({ length: size }, () => 1e4 + gen.normal());
      x[0] = 1e7; // the first value of statistic 0 is its shift: far from the mean
      const ref = reference(x, l);
      const got = normMoments(x, 0, l);
      ref.mean.forEach((m, i) => expect(Math.abs(got.mean[i]! - m), `${name} mean ${i}`).toBeLessThanOrEqual(1e-12 * Math.abs(m)));
      ref.variance.forEach((v, i) => expect(Math.abs(got.variance[i]! - v), `${name} variance ${i}`).toBeLessThanOrEqual(1e-9 * v));
    }
  });

  it('keep float32 data with a mean 10⁴ times its spread accurate (no Σx² − n·mean² cancellation)', () => {
    const l: NormLayout = { chunks: 1, samples: 8, channels: 2, positions: 256, affineSpan: 1 };
    const gen = new Generator(5);
    const x = Float32Array.from({ length: 8 * 2 * 256 }, () => 1e4 + gen.normal());
    const ref = reference(x, l);
    const got = normMoments(x, 0, l);
    ref.variance.forEach((v, i) => expect(Math.abs(got.variance[i]! - v) / v).toBeLessThan(1e-9));
  });

  it('normBackwardSums gives Σg, Σg·x̂ per affine index and Σg·γ, Σg·γ·x̂ per statistic', () => {
    for (const [name, l] of layouts) {
      const gen = new Generator(name.length + 100);
      const size = l.chunks * l.samples * l.channels * l.positions;
      const x = Float64Array.from({ length: size }, () => gen.normal() * 3 + 1);
      const g = Float64Array.from({ length: size }, () => gen.normal());
      const weight = Float64Array.from({ length: l.channels * l.affineSpan }, () => gen.normal());
      const { mean, variance } = normMoments(x, 0, l);
      const invstd = variance.map((v) => 1 / Math.sqrt(v + 1e-5));
      const got = normBackwardSums(g, 0, x, 0, l, mean, invstd, weight);
      const sumG = new Array<number>(weight.length).fill(0);
      const sumGXhat = new Array<number>(weight.length).fill(0);
      const sumGW = new Array<number>(mean.length).fill(0);
      const sumGWXhat = new Array<number>(mean.length).fill(0);
      const block = l.positions / l.affineSpan;
      for (let s = 0; s < l.chunks; s++) {
        for (let a = 0; a < l.samples; a++) {
          for (let b = 0; b < l.channels; b++) {
            for (let r = 0; r < l.positions; r++) {
              const i = ((s * l.samples + a) * l.channels + b) * l.positions + r;
              const st = s * l.channels + b;
              const j = b * l.affineSpan + Math.floor(r / block);
              const xhat = (x[i]! - mean[st]!) * invstd[st]!;
              sumG[j] += g[i]!;
              sumGXhat[j] += g[i]! * xhat;
              sumGW[st] += g[i]! * weight[j]!;
              sumGWXhat[st] += g[i]! * weight[j]! * xhat;
            }
          }
        }
      }
      for (const [label, want, have] of [['sumG', sumG, got.sumG], ['sumGXhat', sumGXhat, got.sumGXhat], ['sumGW', sumGW, got.sumGW], ['sumGWXhat', sumGWXhat, got.sumGWXhat]] as const) {
        want.forEach((v, i) => expect(Math.abs(have[i]! - v), `${name} ${label} ${i}`).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(v))));
      }
    }
  });
});
