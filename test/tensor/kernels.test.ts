/**
 * Forward correctness of the kernels in src/tensor against brute-force reference code (reference.ts)
 * on random shapes and random views: permuted, expanded (stride 0), narrowed, nested, at a storage
 * offset, in float32 and float64. Every property uses a fixed seed.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DType } from '../../src/tensor/dtype.js';
import { mapBinary, mapUnary } from '../../src/tensor/kernels/elementwise.js';
import { gemm, matmul } from '../../src/tensor/kernels/matmul.js';
import { maxDims, sumDims } from '../../src/tensor/kernels/reduce.js';
import { sumToShape } from '../../src/tensor/kernels/sum-to-shape.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import {
  broadcastIndex, broadcastShape, broadcastsTo, build, describeRecipe, dimSubset, expectClose, indices, listArray, listOf,
  rowMajor, shapeArb, sizeOf, viewOf, type Ref,
} from './reference.js';

const SEED = 4242;
const RUNS = 60;
const dtypeArb = fc.constantFrom<DType>('float32', 'float64');

/** Rounds to the output dtype, as storing into a Float32Array would. */
function rounder(dtype: DType): (v: number) => number {
  return dtype === 'float32' ? Math.fround : (v) => v;
}

/** Brute-force reduction over `dims`: one group per kept index, visited in row-major order. */
function reduceRef(ref: Ref, dims: readonly number[], keepdim: boolean, combine: (acc: number, v: number) => number): { shape: number[]; values: number[]; scale: number[] } {
  const keptDims = ref.shape.map((_, d) => d).filter((d) => !dims.includes(d));
  const keptShape = keptDims.map((d) => ref.shape[d]!);
  const shape = keepdim ? ref.shape.map((s, d) => (dims.includes(d) ? 1 : s)) : keptShape;
  const values: (number | undefined)[] = new Array(sizeOf(keptShape)).fill(undefined);
  const scale = new Array<number>(sizeOf(keptShape)).fill(0);
  for (const index of indices(ref.shape)) {
    const k = rowMajor(keptShape, keptDims.map((d) => index[d]!));
    const v = ref.at(index);
    values[k] = values[k] === undefined ? v : combine(values[k], v);
    scale[k] = scale[k]! + Math.abs(v);
  }
  return { shape, values: values.map((v) => v ?? 0), scale };
}

/** Naive matmul with PyTorch's semantics (1-d operands, broadcast batch dims), written from the definition. */
function matmulRef(a: Ref, b: Ref): { shape: number[]; values: number[]; scale: number[] } {
  const a2 = a.shape.length === 1 ? { shape: [1, a.shape[0]!], at: (i: readonly number[]) => a.at([i[i.length - 1]!]) } : a;
  const b2 = b.shape.length === 1 ? { shape: [b.shape[0]!, 1], at: (i: readonly number[]) => b.at([i[i.length - 2]!]) } : b;
  const m = a2.shape[a2.shape.length - 2]!;
  const k = a2.shape[a2.shape.length - 1]!;
  const n = b2.shape[b2.shape.length - 1]!;
  const batchA = a2.shape.slice(0, -2);
  const batchB = b2.shape.slice(0, -2);
  const batch = broadcastShape(batchA, batchB)!;
  const values: number[] = [];
  const scale: number[] = [];
  for (const t of indices(batch)) {
    const ta = broadcastIndex(t, batchA);
    const tb = broadcastIndex(t, batchB);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        let sAbs = 0;
        for (let p = 0; p < k; p++) {
          const term = a2.at([...ta, i, p]) * b2.at([...tb, p, j]);
          s += term;
          sAbs += Math.abs(term);
        }
        values.push(s);
        scale.push(sAbs);
      }
    }
  }
  const shape = [...batch, ...(a.shape.length > 1 ? [m] : []), ...(b.shape.length > 1 ? [n] : [])];
  return { shape, values, scale };
}

describe('views and copies', () => {
  it('copy(), contiguous().flat() and get() list any view in row-major order', () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => viewOf(s)), dtypeArb, (recipe, dtype) => {
        const { array, ref } = build(recipe, dtype);
        const expected = listOf(ref);
        const copy = array.copy();
        expect(copy.offset).toBe(0);
        expect(copy.isContiguous()).toBe(true);
        expect(Array.from(copy.data), describeRecipe(recipe)).toEqual(expected);
        expect(Array.from(array.contiguous().flat()), describeRecipe(recipe)).toEqual(expected);
        expect(listArray(array), describeRecipe(recipe)).toEqual(expected);
      }),
      { seed: SEED, numRuns: RUNS * 2 },
    );
  });

  it('reshape of any view keeps the row-major element order', () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => viewOf(s)), (recipe) => {
        const { array, ref } = build(recipe);
        const reshaped = array.reshape([-1]);
        expect(reshaped.shape).toEqual([sizeOf(ref.shape)]);
        expect(listArray(reshaped), describeRecipe(recipe)).toEqual(listOf(ref));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('elementwise kernels', () => {
  it('mapUnary applies the function to every element of any view', () => {
    const f = (v: number): number => 3 * v - Math.sin(v);
    fc.assert(
      fc.property(shapeArb().chain((s) => viewOf(s)), dtypeArb, dtypeArb, (recipe, dtype, outDtype) => {
        const { array, ref } = build(recipe, dtype);
        const out = mapUnary(array, f, outDtype);
        expect(out.dtype).toBe(outDtype);
        expect(out.shape).toEqual(ref.shape);
        expect(Array.from(out.data), describeRecipe(recipe)).toEqual(listOf(ref).map(f).map(rounder(outDtype)));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('mapBinary broadcasts two views and promotes float32 with float64 to float64', () => {
    const f = (x: number, y: number): number => x - 2 * y;
    const operands = shapeArb()
      .chain((out) => fc.tuple(broadcastsTo(out), broadcastsTo(out)))
      .chain(([sa, sb]) => fc.tuple(viewOf(sa), viewOf(sb), dtypeArb, dtypeArb));
    fc.assert(
      fc.property(operands, ([ra, rb, da, db]) => {
        const a = build(ra, da);
        const b = build(rb, db);
        const shape = broadcastShape(a.ref.shape, b.ref.shape)!;
        const out = mapBinary(a.array, b.array, f, 'test');
        const dtype = da === 'float64' || db === 'float64' ? 'float64' : 'float32';
        const expected = indices(shape).map((i) => rounder(dtype)(f(a.ref.at(broadcastIndex(i, a.ref.shape)), b.ref.at(broadcastIndex(i, b.ref.shape)))));
        expect(out.dtype).toBe(dtype);
        expect(out.shape).toEqual(shape);
        expect(Array.from(out.data), `${describeRecipe(ra)} with ${describeRecipe(rb)}`).toEqual(expected);
      }),
      { seed: SEED, numRuns: RUNS * 2 },
    );
  });

  it('mapBinary with a 1-element operand on either side (the scalar fast paths)', () => {
    const a = new NDArray(Float64Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    const s = new NDArray(Float64Array.from([10]), []);
    const one = new NDArray(Float64Array.from([10]), [1, 1]);
    expect(Array.from(mapBinary(a, s, (x, y) => x - y, 'test').data)).toEqual([-9, -8, -7, -6, -5, -4]);
    expect(Array.from(mapBinary(s, a, (x, y) => x - y, 'test').data)).toEqual([9, 8, 7, 6, 5, 4]);
    expect(mapBinary(one, a, (x, y) => x - y, 'test').shape).toEqual([2, 3]);
    // a narrowed (offset) operand must not be read from the start of its storage
    const tail = a.reshape([6]).narrow(0, 3, 3);
    expect(Array.from(mapBinary(tail, s, (x, y) => x + y, 'test').data)).toEqual([14, 15, 16]);
    expect(Array.from(mapBinary(s, tail, (x, y) => x + y, 'test').data)).toEqual([14, 15, 16]);
  });
});

describe('reduction kernels', () => {
  const reductionCase = shapeArb(0, 3, 4).chain((shape) => fc.tuple(viewOf(shape), dimSubset(shape.length), fc.boolean(), dtypeArb));

  it('sumDims sums any view over any set of dims, keepdim both ways', () => {
    fc.assert(
      fc.property(reductionCase, ([recipe, dims, keepdim, dtype]) => {
        const { array, ref } = build(recipe, dtype);
        const expected = reduceRef(ref, dims, keepdim, (acc, v) => acc + v);
        const out = sumDims(array, dims, keepdim);
        expect(out.shape).toEqual(expected.shape);
        expect(out.dtype).toBe(dtype);
        expectClose(out.data, expected.values, dtype === 'float32' ? 1e-6 : 1e-13, expected.scale);
      }),
      { seed: SEED, numRuns: RUNS * 2 },
    );
  });

  it('maxDims takes the maximum of any view over any set of dims, keepdim both ways', () => {
    fc.assert(
      fc.property(reductionCase, ([recipe, dims, keepdim, dtype]) => {
        const { array, ref } = build(recipe, dtype);
        const expected = reduceRef(ref, dims, keepdim, (acc, v) => Math.max(acc, v));
        const out = maxDims(array, dims, keepdim);
        expect(out.shape).toEqual(expected.shape);
        // + 0 turns −0 into +0: which zero max(−0, +0) returns is not specified.
        expect(Array.from(out.data, (v) => v + 0), describeRecipe(recipe)).toEqual(expected.values.map((v) => v + 0));
      }),
      { seed: SEED, numRuns: RUNS * 2 },
    );
  });

  it('maxDims propagates NaN, as PyTorch does', () => {
    const x = new NDArray(Float64Array.from([1, Number.NaN, 3, 4, 5, 6]), [2, 3]);
    expect(Array.from(maxDims(x, [1], false).data)).toEqual([Number.NaN, 6]);
    expect(Array.from(maxDims(x, [0], false).data)).toEqual([4, Number.NaN, 6]);
  });

  it('reductions over an empty dim: sum gives zeros, max throws', () => {
    const empty = NDArray.zeros([2, 0, 3], 'float64');
    const s = sumDims(empty, [1], false);
    expect(s.shape).toEqual([2, 3]);
    expect(Array.from(s.data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(() => maxDims(empty, [1], false)).toThrow(/max: cannot reduce over an empty dimension/);
  });

  it('sumToShape sums a broadcast gradient back to the operand shape', () => {
    const cases = shapeArb().chain((out) => fc.tuple(viewOf(out), broadcastsTo(out)));
    fc.assert(
      fc.property(cases, ([recipe, target]) => {
        const { array, ref } = build(recipe);
        const out = sumToShape(array, target);
        const expected = new Array<number>(sizeOf(target)).fill(0);
        for (const index of indices(ref.shape)) expected[rowMajor(target, broadcastIndex(index, target))]! += ref.at(index);
        expect(out.shape).toEqual(target);
        expectClose(listArray(out), expected, 1e-13, expected.map((v) => Math.abs(v) * 4));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('matmul kernel', () => {
  const size = fc.integer({ min: 1, max: 4 });
  const matmulCase = fc
    .record({
      m: size,
      k: size,
      n: size,
      batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }).chain((out) => fc.tuple(broadcastsTo(out), broadcastsTo(out))),
      kind: fc.constantFrom('1-d · 1-d', '1-d · n-d', 'n-d · 1-d', 'n-d · n-d', 'n-d · n-d'),
      dtypes: fc.tuple(dtypeArb, dtypeArb),
    })
    .chain(({ m, k, n, batch: [batchA, batchB], kind, dtypes }) => {
      const aShape = kind.startsWith('1-d') ? [k] : [...batchA, m, k];
      const bShape = kind.endsWith('1-d') ? [k] : [...batchB, k, n];
      return fc.tuple(viewOf(aShape), viewOf(bShape), fc.constant(dtypes));
    });

  it('matmul of any two views matches the naive triple loop, with broadcast batch dims and 1-d operands', () => {
    fc.assert(
      fc.property(matmulCase, ([ra, rb, [da, db]]) => {
        const a = build(ra, da);
        const b = build(rb, db);
        const expected = matmulRef(a.ref, b.ref);
        const out = matmul(a.array, b.array);
        const float32 = da === 'float32' && db === 'float32';
        expect(out.dtype).toBe(float32 ? 'float32' : 'float64');
        expect(out.shape, `${describeRecipe(ra)} · ${describeRecipe(rb)}`).toEqual(expected.shape);
        expectClose(out.data, expected.values, float32 ? 1e-6 : 1e-14, expected.scale);
      }),
      { seed: SEED, numRuns: RUNS * 2 },
    );
  });

  it('matmul of larger views (past the small-product threshold, with edge tiles) matches the naive loop', () => {
    const larger = fc
      .record({
        m: fc.integer({ min: 1, max: 24 }),
        k: fc.integer({ min: 1, max: 70 }),
        n: fc.integer({ min: 1, max: 24 }),
        batch: fc.array(fc.integer({ min: 1, max: 2 }), { maxLength: 1 }).chain((out) => fc.tuple(broadcastsTo(out), broadcastsTo(out))),
        dtypes: fc.tuple(dtypeArb, dtypeArb),
      })
      .chain(({ m, k, n, batch: [batchA, batchB], dtypes }) => fc.tuple(viewOf([...batchA, m, k], 1), viewOf([...batchB, k, n], 1), fc.constant(dtypes)));
    fc.assert(
      fc.property(larger, ([ra, rb, [da, db]]) => {
        const a = build(ra, da);
        const b = build(rb, db);
        const expected = matmulRef(a.ref, b.ref);
        const out = matmul(a.array, b.array);
        const float32 = da === 'float32' && db === 'float32';
        expect(out.shape).toEqual(expected.shape);
        expectClose(out.data, expected.values, float32 ? 1e-6 : 1e-14, expected.scale);
      }),
      { seed: SEED, numRuns: 25 },
    );
  });

  it('gemm is correct past its k-block (k = 300) on transposed operands', () => {
    const m = 5;
    const n = 7;
    const k = 300;
    // A stored as its transpose (k×m) and B as its transpose (n×k): both read with non-unit column strides.
    const at = Float64Array.from({ length: k * m }, (_, i) => Math.sin(i));
    const bt = Float64Array.from({ length: n * k }, (_, i) => Math.cos(i));
    const c = new Float64Array(m * n);
    gemm(m, n, k, at, 0, 1, m, bt, 0, 1, k, c, 0);
    const expected: number[] = [];
    const scale: number[] = [];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        let sAbs = 0;
        for (let p = 0; p < k; p++) {
          s += at[p * m + i]! * bt[j * k + p]!;
          sAbs += Math.abs(at[p * m + i]! * bt[j * k + p]!);
        }
        expected.push(s);
        scale.push(sAbs);
      }
    }
    expectClose(c, expected, 1e-14, scale);
  });

  it('matmul rejects 0-d operands and mismatched inner sizes, naming both shapes', () => {
    const a = NDArray.zeros([2, 3], 'float64');
    expect(() => matmul(a, NDArray.zeros([4, 2], 'float64'))).toThrow(/matmul: shapes \[2, 3\] and \[4, 2\] cannot be multiplied/);
    expect(() => matmul(a, NDArray.scalar(1, 'float64'))).toThrow(/matmul: both arguments need at least 1 dimension/);
  });
});
