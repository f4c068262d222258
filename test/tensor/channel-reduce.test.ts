/**
 * The per-channel reductions (src/tensor/kernels/channel-reduce.ts) on the calling thread against
 * float64 reference sums written here: shapes [N, C], [N, C, L] and [N, C, H, W] with planes of
 * every length mod 4, chunk grids of every kind (several samples per chunk, channel groups, planes
 * larger than a chunk, more chunks than allowed), storage offsets, shift/mean or none, float32 and
 * float64. The parallel path is compared with this one bitwise in parallel.test.ts.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { channelGradSums, channelPlan, channelSum, channelSums } from '../../src/tensor/kernels/channel-reduce.js';
import { makeRandom } from '../helpers/random.js';

type Floats = Float32Array | Float64Array;

function filled(size: number, f64: boolean, rnd: () => number): Floats {
  const a = f64 ? new Float64Array(size) : new Float32Array(size);
  for (let i = 0; i < size; i++) a[i] = rnd() * 4 - 1;
  return a;
}

/** Reference: Σ f(i) per channel over N and the inner axes, with Σ|f| as the tolerance scale. */
function perChannel(n: number, c: number, inner: number, f: (index: number, ch: number) => number): { value: number[]; scale: number[] } {
  const value = new Array<number>(c).fill(0);
  const scale = new Array<number>(c).fill(0);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let i = 0; i < inner; i++) {
        const v = f((b * c + ch) * inner + i, ch);
        value[ch] += v;
        scale[ch] += Math.abs(v);
      }
    }
  }
  return { value, scale };
}

function expectNear(got: Float64Array, want: { value: number[]; scale: number[] }, tol: number, what: string): void {
  expect(got.length, what).toBe(want.value.length);
  for (let i = 0; i < got.length; i++) {
    if (!(Math.abs(got[i]! - want.value[i]!) <= tol * (1 + want.scale[i]!))) {
      throw new Error(`${what}: channel ${i} is ${got[i]}, expected ${want.value[i]}`);
    }
  }
}

interface Case { shape: number[]; offset: number; f64: boolean; withShift: boolean; seed: number }

const shapeArb = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 })).map(([n, c]) => [n, c]),
  fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 13 })).map(([n, c, l]) => [n, c, l]),
  fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 })).map(([n, c, h, w]) => [n, c, h, w]),
);

const caseArb: fc.Arbitrary<Case> = fc.record({
  shape: shapeArb, offset: fc.integer({ min: 0, max: 5 }), f64: fc.boolean(), withShift: fc.boolean(),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

/** Checks all three kernels on one case. */
function checkCase(t: Case): void {
  const [n, c] = t.shape as [number, number];
  const inner = t.shape.slice(2).reduce((p, d) => p * d, 1);
  const size = n * c * inner;
  const rnd = makeRandom(t.seed);
  const x = filled(t.offset + size, t.f64, rnd);
  const g = filled(t.offset + 3 + size, t.f64, rnd);
  const shift = t.withShift ? Float64Array.from({ length: c }, () => rnd() * 2 - 1) : null;
  const sh = (ch: number): number => (shift === null ? 0 : shift[ch]!);
  const xs = (i: number): number => x[t.offset + i]!;
  const gs = (i: number): number => g[t.offset + 3 + i]!;
  const tol = t.f64 ? 1e-13 : 1e-13; // sums are float64 either way (float32 inputs are exact in float64)
  const what = `shape [${t.shape.join(', ')}] offset ${t.offset} ${t.f64 ? 'float64' : 'float32'}${shift === null ? '' : ' shifted'}`;

  expectNear(channelSum(x, t.offset, t.shape), perChannel(n, c, inner, (i) => xs(i)), tol, `channelSum ${what}`);
  const s = channelSums(x, t.offset, t.shape, shift);
  expectNear(s.sum, perChannel(n, c, inner, (i) => xs(i)), tol, `channelSums.sum ${what}`);
  expectNear(s.sumSq, perChannel(n, c, inner, (i, ch) => (xs(i) - sh(ch)) ** 2), tol, `channelSums.sumSq ${what}`);
  const r = channelGradSums(g, t.offset + 3, x, t.offset, t.shape, shift);
  expectNear(r.sumG, perChannel(n, c, inner, (i) => gs(i)), tol, `channelGradSums.sumG ${what}`);
  expectNear(r.sumGX, perChannel(n, c, inner, (i, ch) => gs(i) * (xs(i) - sh(ch))), tol, `channelGradSums.sumGX ${what}`);
}

describe('per-channel reductions', () => {
  it('match float64 reference sums on random small shapes, offsets, dtypes, with and without shift', () => {
    fc.assert(fc.property(caseArb, (t) => checkCase(t)), { seed: 6201, numRuns: 150 });
  });

  it('match on shapes whose chunk grid has several samples per chunk, channel groups, huge planes, or too many chunks', () => {
    const shapes = [
      [64, 3, 10, 10], // c·inner = 300: many samples per chunk
      [2, 40, 32, 32], // c·inner > chunk: groups of channels, one sample each
      [2, 2, 200, 200], // one plane (40 000) larger than a chunk
      [5000, 2, 2], // 5000 samples of 4 elements
      [70000, 3], // more sample groups than chunks allowed: bigger batches
    ];
    for (const shape of shapes) {
      checkCase({ shape, offset: 1, f64: false, withShift: true, seed: shape.length * 7 + shape[0]! });
    }
    // The grids really are of those kinds.
    expect(channelPlan(64, 3, 100)).toMatchObject({ chanPer: 3, chanGroups: 1 });
    expect(channelPlan(64, 3, 100).batchPer).toBeGreaterThan(1);
    expect(channelPlan(2, 40, 1024)).toMatchObject({ batchPer: 1, chanGroups: 2 });
    expect(channelPlan(2, 2, 40000)).toMatchObject({ batchPer: 1, chanPer: 1, nChunks: 4 });
    expect(channelPlan(70000, 3, 1).nChunks).toBeLessThanOrEqual(4096);
  });

  it('computes the documented examples', () => {
    const x = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(Array.from(channelSum(x, 0, [2, 3, 2]))).toEqual([18, 26, 34]);
    const y = new Float64Array([1, 2, 3, 4]);
    expect(channelSums(y, 0, [2, 2])).toEqual({ sum: new Float64Array([4, 6]), sumSq: new Float64Array([10, 20]) });
    expect(channelSums(y, 0, [2, 2], new Float64Array([2, 3]))).toEqual({ sum: new Float64Array([4, 6]), sumSq: new Float64Array([2, 2]) });
    const g = new Float64Array([1, 1, 2, 2]);
    expect(channelGradSums(g, 0, y, 0, [2, 2], new Float64Array([2, 3]))).toEqual({ sumG: new Float64Array([3, 3]), sumGX: new Float64Array([1, 1]) });
  });

  it('handles empty batches (all sums 0) and rejects bad shapes and per-channel lengths clearly', () => {
    expect(Array.from(channelSum(new Float32Array(0), 0, [0, 3, 4]))).toEqual([0, 0, 0]);
    expect(() => channelSum(new Float32Array(4), 0, [4])).toThrow(/channelSum: expected a shape \[N, C, \.\.\.\] with at least 2 dims, got \[4\]/);
    expect(() => channelSums(new Float32Array(5), 0, [2, 3])).toThrow(/channelSums: storage of 5 elements from offset 0 is too small for shape \[2, 3\]/);
    expect(() => channelSums(new Float32Array(6), 0, [2, 3], new Float64Array(2))).toThrow(/channelSums: shift has 2 values for 3 channels/);
    expect(() => channelGradSums(new Float32Array(6), 0, new Float32Array(5), 0, [2, 3])).toThrow(/channelGradSums: storage of 5 elements/);
  });
});
