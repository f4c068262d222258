/**
 * Indexing ops against brute-force reference implementations written from PyTorch's definitions
 * (one element at a time through `NDArray.get`), on random strided views — narrowed, permuted and
 * expanded inputs *and* index tensors — at 1, 2 and 4 threads. Values are drawn by fast-check with
 * fixed seeds; duplicate indices are frequent on purpose (scatterAdd must sum them all, scatter
 * keeps the last write in row-major order of the index).
 */
import * as fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../src/index.js';
import { setNumThreads } from '../../src/tensor/parallel/pool.js';
import { indices, listArray, sizeOf } from './reference.js';

afterAll(() => setNumThreads(1));

/** How a drawn base tensor is turned into a strided view with the wanted logical shape. */
type ViewKind = 'contiguous' | 'narrowed' | 'permuted' | 'expanded';

/**
 * A tensor of `shape` holding `values` (row-major), built as a view of the given kind: narrowed
 * out of a larger tensor, permuted from the transposed layout, or expanded from size 1 (all equal
 * along dim 0 then — the values are repeated accordingly).
 */
function viewOf(shape: number[], values: number[], kind: ViewKind, dtype: 'float64' | 'int32'): Tensor {
  const n = shape.length;
  if (kind === 'narrowed' && n > 0) {
    // Embed at offset 1 along dim 0 of a tensor one bigger on both sides.
    const big = [shape[0]! + 2, ...shape.slice(1)];
    const inner = sizeOf(shape.slice(1));
    const data = new Array<number>(sizeOf(big)).fill(-99);
    values.forEach((v, i) => (data[inner + i] = v));
    return tensor(data, { dtype, shape: big }).narrow(0, 1, shape[0]!);
  }
  if (kind === 'permuted' && n > 1) {
    const reversed = [...shape].reverse();
    const data = indices(reversed).map((ix) => values[rowMajorOf(shape, [...ix].reverse())]!);
    return tensor(data, { dtype, shape: reversed }).permute([...Array(n).keys()].reverse());
  }
  if (kind === 'expanded' && n > 0) {
    const row = values.slice(0, sizeOf(shape.slice(1)));
    return tensor(row, { dtype, shape: [1, ...shape.slice(1)] }).expand(shape);
  }
  return tensor(values, { dtype, shape });
}

function rowMajorOf(shape: readonly number[], index: readonly number[]): number {
  let pos = 0;
  for (let d = 0; d < shape.length; d++) pos = pos * shape[d]! + index[d]!;
  return pos;
}

/** The logical values of a view (what `viewOf` was asked for, after expansion). */
function logical(t: Tensor): number[] {
  return listArray(t.array);
}

const kinds = fc.constantFrom<ViewKind>('contiguous', 'narrowed', 'permuted', 'expanded');

/** A gather/scatter layout: x shape, dim, index shape (fits x outside dim), index values, view kinds. */
const layout = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 })
  .chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      dim: fc.integer({ min: 0, max: shape.length - 1 }),
      sizes: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: shape.length, maxLength: shape.length }),
      xKind: kinds,
      indexKind: kinds,
      srcKind: kinds,
    }),
  )
  .chain((l) => {
    const indexShape = l.shape.map((n, k) => (k === l.dim ? l.sizes[k]! : Math.min(n, l.sizes[k]!)));
    const n = sizeOf(indexShape);
    return fc.record({
      ...Object.fromEntries(Object.entries(l).map(([k, v]) => [k, fc.constant(v)])),
      indexShape: fc.constant(indexShape),
      index: fc.array(fc.integer({ min: 0, max: l.shape[l.dim]! - 1 }), { minLength: n, maxLength: n }),
      x: fc.array(fc.integer({ min: -50, max: 50 }), { minLength: sizeOf(l.shape), maxLength: sizeOf(l.shape) }),
      src: fc.array(fc.integer({ min: -50, max: 50 }), { minLength: n, maxLength: n }),
    }) as fc.Arbitrary<typeof l & { indexShape: number[]; index: number[]; x: number[]; src: number[] }>;
  });

/** out[i] = x[i with dim replaced by index[i]] (torch.gather's definition). */
function gatherRef(x: Tensor, dim: number, index: Tensor): number[] {
  return indices(index.shape).map((ix) => {
    const at = [...ix];
    at[dim] = index.array.get(ix);
    return x.array.get(at);
  });
}

/** self copied, then for each index element in row-major order: out[ix with dim = index[ix]] (+)= src[ix]. */
function scatterRef(self: Tensor, dim: number, index: Tensor, src: Tensor, add: boolean): number[] {
  const out = logical(self);
  for (const ix of indices(index.shape)) {
    const at = [...ix];
    at[dim] = index.array.get(ix);
    const pos = rowMajorOf(self.shape, at);
    out[pos] = add ? out[pos]! + src.array.get(ix) : src.array.get(ix);
  }
  return out;
}

const THREADS = [1, 2, 4];

describe('indexing ops match brute-force references on strided views, at 1, 2 and 4 threads', () => {
  for (const threads of THREADS) {
    it(`gather, scatter and scatterAdd (${threads} thread${threads > 1 ? 's' : ''})`, () => {
      setNumThreads(threads);
      let repeated = 0;
      fc.assert(
        fc.property(layout, (c) => {
          const x = viewOf(c.shape, c.x, c.xKind, 'float64');
          const index = viewOf(c.indexShape, c.index, c.indexKind, 'int32');
          const src = viewOf(c.indexShape, c.src, c.srcKind, 'float64');
          if (new Set(logical(index)).size < index.numel) repeated++;
          expect(Array.from(x.gather(c.dim, index).toArray())).toEqual(gatherRef(x, c.dim, index));
          expect(Array.from(x.scatterAdd(c.dim, index, src).toArray())).toEqual(scatterRef(x, c.dim, index, src, true));
          expect(Array.from(x.scatter(c.dim, index, src).toArray())).toEqual(scatterRef(x, c.dim, index, src, false));
          // The same on int32 data (integer kernels share the code path).
          const xi = viewOf(c.shape, c.x, c.xKind, 'int32');
          expect(Array.from(xi.gather(c.dim, index).toArray())).toEqual(gatherRef(xi, c.dim, index));
        }),
        { seed: 1300 + threads, numRuns: 150 },
      );
      expect(repeated).toBeGreaterThan(20);
    });

    it(`indexSelect and maskedSelect (${threads} thread${threads > 1 ? 's' : ''})`, () => {
      setNumThreads(threads);
      fc.assert(
        fc.property(layout, fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }), (c, bits) => {
          const x = viewOf(c.shape, c.x, c.xKind, 'float64');
          // indexSelect: a 1-d index view of the flattened drawn index values.
          const flatIndex = viewOf([c.index.length], c.index, c.indexKind === 'permuted' ? 'contiguous' : c.indexKind, 'int32');
          const picked = logical(flatIndex);
          const outShape = [...c.shape];
          outShape[c.dim] = picked.length;
          const expected = indices(outShape).map((ix) => {
            const at = [...ix];
            at[c.dim] = picked[ix[c.dim]!]!;
            return x.array.get(at);
          });
          const selected = x.indexSelect(c.dim, flatIndex);
          expect(selected.shape).toEqual(outShape);
          expect(Array.from(selected.toArray())).toEqual(expected);
          // maskedSelect with a mask view (permuted from its transpose) of x's shape.
          const mask = viewOf(c.shape, bits.slice(0, sizeOf(c.shape)).map(Number).concat(Array(64).fill(0)).slice(0, sizeOf(c.shape)), c.srcKind, 'int32').ne(0);
          const want = indices(c.shape).filter((ix) => mask.array.get(ix) !== 0).map((ix) => x.array.get(ix));
          expect(Array.from(x.maskedSelect(mask).toArray())).toEqual(want);
        }),
        { seed: 1400 + threads, numRuns: 150 },
      );
    });
  }
});
