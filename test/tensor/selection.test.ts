/**
 * Comparisons, logic, arg-reductions, all/any, sort and topk (issue 13): brute-force references on
 * drawn values (with many ties: small integers), the tie rules pinned, and the clear errors of the
 * selection and indexing ops.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor, zeros, type Tensor } from '../../src/index.js';
import { indices } from './reference.js';

const values = (t: Tensor): number[] => Array.from(t.toArray());

/** The fibers along `dim`: for each position of the other dims, the multi-indices along dim. */
function fibers(shape: readonly number[], dim: number): number[][][] {
  const outer = shape.map((s, d) => (d === dim ? 1 : s));
  return indices(outer).map((ix) => Array.from({ length: shape[dim]! }, (_, j) => ix.map((v, d) => (d === dim ? j : v))));
}

const drawnCase = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 })
  .chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      dim: fc.integer({ min: 0, max: shape.length - 1 }),
      data: fc.array(fc.integer({ min: -3, max: 3 }), { minLength: shape.reduce((p, d) => p * d, 1), maxLength: shape.reduce((p, d) => p * d, 1) }),
    }),
  );

describe('arg-reductions, sort and topk against brute force (ties everywhere: values in −3 … 3)', () => {
  it('argmax/argmin take the first extreme; sort is stable both ways; topk takes sort order', () => {
    fc.assert(
      fc.property(drawnCase, fc.boolean(), ({ shape, dim, data }, descending) => {
        const x = tensor(data, { dtype: 'float64', shape });
        const groups = fibers(shape, dim).map((f) => f.map((ix) => x.array.get(ix)));
        const firstExtreme = (g: number[], largest: boolean): number => g.indexOf(largest ? Math.max(...g) : Math.min(...g));
        expect(values(x.argmax(dim))).toEqual(groups.map((g) => firstExtreme(g, true)));
        expect(values(x.argmin(dim))).toEqual(groups.map((g) => firstExtreme(g, false)));
        // Stable sort, written as insertion by (value, original position).
        const order = groups.map((g) => g.map((v, j) => ({ v, j })).sort((a, b) => (descending ? b.v - a.v : a.v - b.v) || a.j - b.j));
        const { values: sv, indices: si } = x.sort(dim, { descending });
        const gotV = fibers(shape, dim).map((f) => f.map((ix) => sv.array.get(ix)));
        const gotI = fibers(shape, dim).map((f) => f.map((ix) => si.array.get(ix)));
        expect(gotV).toEqual(order.map((o) => o.map((e) => e.v)));
        expect(gotI).toEqual(order.map((o) => o.map((e) => e.j)));
        const k = Math.min(2, shape[dim]!);
        const top = x.topk(k, dim, { largest: descending });
        expect(fibers(top.indices.shape, dim).map((f) => f.map((ix) => top.indices.array.get(ix)))).toEqual(order.map((o) => o.slice(0, k).map((e) => e.j)));
        // all/any along dim.
        expect(values(x.all(dim))).toEqual(groups.map((g) => (g.every((v) => v !== 0) ? 1 : 0)));
        expect(values(x.any(dim))).toEqual(groups.map((g) => (g.some((v) => v !== 0) ? 1 : 0)));
      }),
      { seed: 1313, numRuns: 200 },
    );
  });

  it('NaN: argmax/argmin pick the first NaN, sort puts NaN last ascending and first descending (as torch)', () => {
    const x = tensor([1, NaN, 3, NaN], { dtype: 'float64' });
    expect(x.argmax().item()).toBe(1);
    expect(x.argmin().item()).toBe(1);
    expect(values(x.sort().indices)).toEqual([0, 2, 1, 3]);
    expect(values(x.sort(-1, { descending: true }).indices)).toEqual([1, 3, 2, 0]);
  });

  it('pinned against torch 1.13: sort(stable=True) of [3, 1, 2, 1] both ways; argmax without dim, keepdim', () => {
    const x = tensor([3, 1, 2, 1]);
    expect(values(x.sort().indices)).toEqual([1, 3, 2, 0]);
    expect(values(x.sort(0, { descending: true }).indices)).toEqual([0, 2, 1, 3]);
    const m = tensor([[1, 3], [3, 2]]);
    expect(m.argmax().item()).toBe(1);
    expect(m.argmax(undefined, true).shape).toEqual([1, 1]);
    expect(tensor([], { dtype: 'bool' }).all().item()).toBe(1);
    expect(tensor([]).any().item()).toBe(0);
  });

  it('0-d tensors: gather/scatter with a 0-d index 0, sort, topk, argmax (as torch)', () => {
    const s = tensor(5);
    expect(s.gather(0, tensor(0, { dtype: 'int32' })).item()).toBe(5);
    expect(() => s.gather(0, tensor(1, { dtype: 'int32' }))).toThrow(/^gather: index 1 .* out of range for dim 0 of size 1/);
    expect(s.scatter(-1, tensor(0, { dtype: 'int32' }), 2).item()).toBe(2);
    expect(s.sort().values.shape).toEqual([]);
    expect(s.topk(1).indices.item()).toBe(0);
    expect(s.argmax(0).item()).toBe(0);
  });

  it('comparisons broadcast and promote; numbers accepted; logic on any dtype', () => {
    const a = tensor([[1, 2, 3]], { dtype: 'int32' });
    const b = tensor([[2], [2.5]]);
    expect(a.lt(b).shape).toEqual([2, 3]);
    expect(values(a.lt(b))).toEqual([1, 0, 0, 1, 1, 0]);
    expect(values(a.le(2))).toEqual([1, 1, 0]);
    expect(values(a.eq(2.5))).toEqual([0, 0, 0]);
    expect(values(a.ne(2))).toEqual([1, 0, 1]);
    expect(values(a.ge(tensor([3, 2, 1])))).toEqual([0, 1, 1]);
    expect(values(a.gt(1))).toEqual([0, 1, 1]);
    expect(values(tensor([NaN, 1]).ne(tensor([NaN, 1])))).toEqual([1, 0]);
    expect(values(tensor([0, 2]).logicalOr(0))).toEqual([0, 1]);
    expect(values(tensor([NaN, 0, Infinity]).isfinite())).toEqual([0, 1, 0]);
    expect(values(tensor([NaN, 0, Infinity]).isnan())).toEqual([1, 0, 0]);
    expect(a.eq(a).requiresGrad).toBe(false);
  });
});

describe('clear errors of the selection and indexing ops', () => {
  const x = zeros([2, 3]);
  const cases: [string, () => unknown, RegExp][] = [
    ['gather: index out of range', () => x.gather(1, [[0, 3]]), /^gather: index 3 \(at \[0, 1\] of the index\) is out of range for dim 1 of size 3/],
    ['gather: negative index', () => x.gather(0, [[-1]]), /^gather: index -1 .* out of range for dim 0 of size 2/],
    ['gather: float index tensor', () => x.gather(1, tensor([[0]])), /^gather: the index must be an int32 tensor \(or an array of integers\), got a float32 tensor/],
    ['gather: non-integer index value', () => x.gather(1, [[0.5]]), /^gather: index values must be integers, got 0.5/],
    ['gather: index with other ndim', () => x.gather(1, [0, 1]), /^gather: the index has 1 dims \(shape \[2\]\), but the tensor has 2/],
    ['gather: index larger outside dim', () => x.gather(1, [[0], [0], [0]]), /^gather: the index of shape \[3, 1\] is larger than the tensor of shape \[2, 3\] at dim 0/],
    ['scatter: out of range', () => x.scatter(0, [[2]], 1), /^scatter: index 2 .* out of range for dim 0 of size 2/],
    ['scatter: dtype mismatch', () => x.scatter(0, [[1]], tensor([[1]], { dtype: 'float64' })), /^scatter: src is float64 but the tensor is float32/],
    ['scatterAdd: src smaller than the index', () => x.scatterAdd(1, [[0, 1]], zeros([1, 1])), /^scatterAdd: the index of shape \[1, 2\] is larger than src of shape \[1, 1\] at dim 1/],
    ['indexSelect: out of range', () => x.indexSelect(1, [0, 5]), /^indexSelect: index 5 \(at \[1\] of the index\) is out of range for dim 1 of size 3/],
    ['indexSelect: 2-d index', () => x.indexSelect(0, [[0]]), /^indexSelect: the index must be 1-d, got shape \[1, 1\]/],
    ['maskedSelect: float mask', () => x.maskedSelect(zeros([2, 3])), /^maskedSelect: the mask must be a bool tensor, got float32/],
    ['maskedSelect: mask of the wrong shape', () => x.maskedSelect(zeros([4], { dtype: 'bool' })), /^maskedSelect: shapes \[4\] and \[2, 3\] cannot be broadcast together/],
    ['maskedFill: mask broadcasting beyond the tensor', () => x.maskedFill(zeros([4, 2, 3], { dtype: 'bool' }), 1), /^maskedFill: the mask of shape \[4, 2, 3\] does not broadcast to the tensor's shape \[2, 3\]/],
    ['maskedFill: a non-0-d value tensor', () => x.maskedFill(zeros([3], { dtype: 'bool' }), zeros([2])), /^maskedFill: the value must be a number or a 0-d tensor, got shape \[2\]/],
    ['topk: k > size', () => x.topk(4), /^topk: k = 4 is out of range for dim -1 of size 3 \(shape \[2, 3\]\); expected an integer in \[0, 3\]/],
    ['argmax over an empty dim', () => zeros([2, 0]).argmax(1), /^argmax: cannot reduce over dim 1 of size 0/],
  ];
  for (const [name, run, pattern] of cases) {
    it(name, () => {
      expect(run).toThrow(pattern);
    });
  }

  it('a failed scatter leaves nothing half-written (indices are checked first)', () => {
    const self = zeros([3]);
    expect(() => self.scatter(0, [0, 1, 7], 5)).toThrow(/index 7/);
    expect(values(self)).toEqual([0, 0, 0]);
  });
});
