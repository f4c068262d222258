// The fixture helpers must catch what they are for: a wrong value, a wrong shape, a NaN where a
// number is expected, and say where.
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/index.js';
import { assertClose, compareArrays, decodeValues, fixtureTensor, indexString } from './fixtures.js';

const tol = { rtol: 1e-6, atol: 1e-9 };

describe('fixture helpers', () => {
  it('decodes the non-finite markers and rejects anything else', () => {
    const v = decodeValues([1.5, 'NaN', 'Infinity', '-Infinity']);
    expect(v[0]).toBe(1.5);
    expect(Number.isNaN(v[1])).toBe(true);
    expect(v[2]).toBe(Infinity);
    expect(v[3]).toBe(-Infinity);
    expect(() => decodeValues(['nan'])).toThrow(/unexpected value "nan" at index 0/);
  });

  it('builds a tensor of the requested dtype and shape, 0-d included', () => {
    const t = fixtureTensor({ shape: [2, 1], values: [0.1, -2] }, 'float32', true);
    expect(t.dtype).toBe('float32');
    expect(t.shape).toEqual([2, 1]);
    expect(t.requiresGrad).toBe(true);
    expect(t.toArray()[0]).toBe(Math.fround(0.1));
    expect(fixtureTensor({ shape: [], values: [3] }, 'float64').item()).toBe(3);
  });

  it('names the multi-index of a flat position', () => {
    expect(indexString([2, 3, 4], 23)).toBe('[1, 2, 3]');
    expect(indexString([], 0)).toBe('[]');
  });

  it('accepts values within atol + rtol·|expected|, and reports the worst ones beyond it', () => {
    expect(compareArrays('ok', [1 + 5e-7, 1e-10], [1, 0], tol)).toBeNull();
    const report = compareArrays('case x', [1, 2.1, 3, 4.5], [1, 2, 3, 4], tol, [2, 2]);
    expect(report).toMatch(/^case x: 2 of 4 elements differ/);
    // The worst (index 3, |Δ| 0.5) is listed first, with its multi-index and both values.
    expect(report).toMatch(/index 3 \[1, 1\]: expected 4, actual 4.5[^\n]*\n {2}index 1 \[0, 1\]: expected 2, actual 2.1/);
  });

  it('treats NaN and infinities as equal only to themselves', () => {
    expect(compareArrays('n', [NaN, Infinity], [NaN, Infinity], tol)).toBeNull();
    expect(compareArrays('n', [0], [NaN], tol)).toMatch(/expected NaN, actual 0/);
    expect(compareArrays('n', [NaN], [0], tol)).toMatch(/expected 0, actual NaN/);
    expect(compareArrays('n', [-Infinity], [Infinity], tol)).not.toBeNull();
    expect(compareArrays('n', [1, 2], [1], tol)).toMatch(/2 elements, expected 1/);
  });

  it('assertClose checks a tensor’s shape as well as its values', () => {
    const t = tensor([[1, 2, 3]], { dtype: 'float64' });
    expect(() => assertClose('t', t, { shape: [1, 3], values: [1, 2, 3] }, tol)).not.toThrow();
    expect(() => assertClose('t', t, { shape: [3], values: [1, 2, 3] }, tol)).toThrow(/t: shape \[1, 3\], expected \[3\]/);
    expect(() => assertClose('t', t, { shape: [1, 3], values: [1, 2, 4] }, tol)).toThrow(/index 2 \[0, 2\]: expected 4, actual 3/);
  });
});
