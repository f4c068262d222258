/**
 * NDArray views share storage and copies do not; broadcasting follows NumPy's rule; dtype helpers
 * promote as PyTorch does.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { promoteTypes } from '../../src/tensor/dtype.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { broadcastShapes } from '../../src/tensor/shape.js';
import { broadcastShape, shapeArb } from './reference.js';

const SEED = 99;

function arange(shape: number[]): NDArray {
  const size = shape.reduce((p, d) => p * d, 1);
  return new NDArray(Float64Array.from({ length: size }, (_, i) => i), shape);
}

describe('views share storage', () => {
  it('reshape of a contiguous array is a view: same storage, writes show through', () => {
    const a = arange([2, 3]);
    const b = a.reshape([3, 2]);
    expect(b.data).toBe(a.data);
    a.data[5] = 50;
    expect(b.get([2, 1])).toBe(50);
  });

  it('permute and transpose are views with permuted strides', () => {
    const a = arange([2, 3, 4]);
    const p = a.permute([2, 0, 1]);
    expect(p.data).toBe(a.data);
    expect(p.shape).toEqual([4, 2, 3]);
    expect(p.strides).toEqual([1, 12, 4]);
    expect(p.isContiguous()).toBe(false);
    const t = a.transpose(0, -1);
    expect(t.data).toBe(a.data);
    expect(t.strides).toEqual([1, 4, 12]);
    expect(t.get([3, 1, 2])).toBe(a.get([2, 1, 3]));
  });

  it('expand is a view with stride 0 in the broadcast dims', () => {
    const a = arange([3, 1]);
    const e = a.expand([2, 3, 4]);
    expect(e.data).toBe(a.data);
    expect(e.strides).toEqual([0, 1, 0]);
    expect(e.get([1, 2, 3])).toBe(2);
    a.data[2] = 20;
    expect(e.get([0, 2, 0])).toBe(20);
  });

  it('narrow is a view at an offset', () => {
    const a = arange([4, 3]);
    const n = a.narrow(0, 1, 2);
    expect(n.data).toBe(a.data);
    expect(n.offset).toBe(3);
    expect(n.get([0, 0])).toBe(3);
    const c = a.narrow(1, 2, 1);
    expect(c.offset).toBe(2);
    expect(c.isContiguous()).toBe(false);
    expect(n.isContiguous()).toBe(true);
  });

  it('contiguous() copies a non-contiguous view and returns a contiguous array itself', () => {
    const a = arange([2, 3]);
    expect(a.contiguous()).toBe(a);
    const t = a.transpose(0, 1);
    const c = t.contiguous();
    expect(c.data).not.toBe(a.data);
    expect(Array.from(c.data)).toEqual([0, 3, 1, 4, 2, 5]);
    c.data[0] = 100;
    expect(a.data[0]).toBe(0);
  });

  it('copy() always copies, even a contiguous array', () => {
    const a = arange([2, 2]);
    const c = a.copy();
    expect(c.data).not.toBe(a.data);
    c.data[0] = 7;
    expect(a.data[0]).toBe(0);
  });

  it('reshape of a non-contiguous view copies, in row-major order of the view', () => {
    const a = arange([2, 3]);
    const r = a.transpose(0, 1).reshape([6]);
    expect(r.data).not.toBe(a.data);
    expect(Array.from(r.data)).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it('astype converts with a copy and keeps the array when the dtype is the same', () => {
    const a = arange([3]);
    expect(a.astype('float64')).toBe(a);
    const f = a.astype('float32');
    expect(f.dtype).toBe('float32');
    expect(f.data).toBeInstanceOf(Float32Array);
    expect(Array.from(f.data)).toEqual([0, 1, 2]);
  });
});

describe('broadcasting', () => {
  it('broadcastShapes agrees with the written-out NumPy rule on compatible and incompatible pairs', () => {
    fc.assert(
      fc.property(shapeArb(0, 4), shapeArb(0, 4), (a, b) => {
        const expected = broadcastShape(a, b);
        if (expected === null) {
          expect(() => broadcastShapes(a, b, 'op')).toThrow(/op: shapes .* cannot be broadcast together/);
        } else {
          expect(broadcastShapes(a, b, 'op')).toEqual(expected);
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('examples: trailing alignment, size-1 stretching, 0-d operands', () => {
    expect(broadcastShapes([3, 1], [4], 'add')).toEqual([3, 4]);
    expect(broadcastShapes([], [2, 3], 'add')).toEqual([2, 3]);
    expect(broadcastShapes([5, 1, 4], [3, 1], 'add')).toEqual([5, 3, 4]);
    expect(() => broadcastShapes([2, 3], [3, 2], 'add')).toThrow('add: shapes [2, 3] and [3, 2] cannot be broadcast together');
  });
});

describe('dtype promotion', () => {
  it('float32 with float64 gives float64, as in PyTorch', () => {
    expect(promoteTypes('float32', 'float64')).toBe('float64');
    expect(promoteTypes('float64', 'float32')).toBe('float64');
    expect(promoteTypes('float32', 'float32')).toBe('float32');
    expect(promoteTypes('float64', 'float64')).toBe('float64');
  });
});
