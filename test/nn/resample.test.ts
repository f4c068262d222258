// adaptiveMaxPool2d and interpolate: gradcheck and gradgradcheck on drawn sizes, the adjoint of
// interpolation, and clear errors. PyTorch's values are in functional.json (functional-fixtures).
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { F, Generator, gradcheck, gradgradcheck, nn, tensor, type Tensor } from '../../src/index.js';

function t(shape: readonly number[], values: (i: number) => number, requiresGrad = true): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return tensor(Float64Array.from({ length: n }, (_, i) => values(i)), { shape, requiresGrad });
}

const sizes = fc.record({
  h: fc.integer({ min: 1, max: 6 }),
  w: fc.integer({ min: 1, max: 6 }),
  outH: fc.integer({ min: 1, max: 7 }),
  outW: fc.integer({ min: 1, max: 7 }),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});

describe('adaptiveMaxPool2d', () => {
  it('passes gradcheck and gradgradcheck on drawn sizes (distinct values: no ties)', () => {
    fc.assert(
      fc.property(sizes, ({ h, w, outH, outW, seed }) => {
        const gen = new Generator(seed);
        const order = Array.from({ length: 2 * h * w }, (_, i) => i).sort(() => gen.uniform() - 0.5);
        const x = t([1, 2, h, w], (i) => order[i]! * 0.1);
        const fn = (a: Tensor): Tensor => F.adaptiveMaxPool2d(a, [outH, outW]).tanh();
        const r1 = gradcheck(fn, [x]);
        expect(r1.ok, r1.report).toBe(true);
        const r2 = gradgradcheck(fn, [x]);
        expect(r2.ok, r2.report).toBe(true);
      }),
      { seed: 31, numRuns: 25 },
    );
  });

  it('NaN wins its window, ties go to the first element (PyTorch), and the module works', () => {
    const y = F.adaptiveMaxPool2d(tensor([[[[1, NaN, 3, 3]]]]), [1, 2]);
    expect(Array.from(y.toArray())).toEqual([NaN, 3]);
    const x = tensor([[[[2, 2]]]], { dtype: 'float64', requiresGrad: true });
    F.adaptiveMaxPool2d(x, [1, 1]).sum().backward();
    expect(Array.from(x.grad!.toArray())).toEqual([1, 0]);
    expect(new nn.AdaptiveMaxPool2d(2).call(t([1, 1, 4, 4], (i) => i, false)).toArray()).toEqual(Float64Array.from([5, 7, 13, 15]));
  });
});

describe('interpolate', () => {
  it('passes gradcheck and gradgradcheck; ⟨interp(x), y⟩ = ⟨x, interpᵀ(y)⟩ (its gradient is its adjoint)', () => {
    fc.assert(
      fc.property(sizes, fc.constantFrom('nearest', 'bilinear'), fc.boolean(), ({ h, w, outH, outW, seed }, mode, alignCorners) => {
        const gen = new Generator(seed);
        const x = t([2, 1, h, w], () => gen.normal());
        const options = mode === 'bilinear' ? { size: [outH, outW] as [number, number], mode, alignCorners } : { size: [outH, outW] as [number, number], mode };
        const fn = (a: Tensor): Tensor => F.interpolate(a, options);
        const r1 = gradcheck(fn, [x]);
        expect(r1.ok, r1.report).toBe(true);
        const r2 = gradgradcheck((a) => fn(a).square(), [x]);
        expect(r2.ok, r2.report).toBe(true);
      }),
      { seed: 32, numRuns: 30 },
    );
  });

  it('bilinear with alignCorners maps corners onto corners; nearest copies pixels', () => {
    const x = t([1, 1, 2, 2], (i) => [0, 1, 2, 3][i]!, false);
    const y = F.interpolate(x, { size: [3, 3], mode: 'bilinear', alignCorners: true });
    expect(Array.from(y.toArray())).toEqual([0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3]);
    expect(Array.from(F.interpolate(x, { scaleFactor: 2 }).toArray())).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
    expect(new nn.Upsample({ size: 4 }).call(x).shape).toEqual([1, 1, 4, 4]);
  });

  it('bad input: both or neither of size and scaleFactor, a bad mode, alignCorners with nearest', () => {
    const x = t([1, 1, 2, 2], (i) => i, false);
    expect(() => F.interpolate(x, { size: 4, scaleFactor: 2 })).toThrow(/interpolate: give exactly one of size and scaleFactor, got both/);
    expect(() => F.interpolate(x, {})).toThrow(/got neither/);
    expect(() => F.interpolate(x, { size: 4, mode: 'bicubic' as 'nearest' })).toThrow(/mode must be 'nearest' or 'bilinear', got "bicubic"/);
    expect(() => F.interpolate(x, { size: 4, alignCorners: true })).toThrow(/alignCorners only has an effect with mode 'bilinear'/);
    expect(() => F.interpolate(x, { scaleFactor: 0.1 })).toThrow(/makes the \[1, 1, 2, 2\] input empty/);
    expect(() => F.interpolate(x, { size: [0, 2] })).toThrow(/size must be positive integers/);
  });
});

describe('pad modes (reflect, replicate, circular)', () => {
  it('pass gradcheck and gradgradcheck; unbatched 2-d padding works too (newer PyTorch allows it)', () => {
    const gen = new Generator(4);
    for (const mode of ['reflect', 'replicate', 'circular'] as const) {
      const x = t([2, 3, 4], () => gen.normal());
      const fn = (a: Tensor): Tensor => F.pad(a, [2, 1, 1, 2], { mode }).square();
      const r1 = gradcheck(fn, [x]);
      expect(r1.ok, `${mode}\n${r1.report}`).toBe(true);
      const r2 = gradgradcheck(fn, [x]);
      expect(r2.ok, `${mode}\n${r2.report}`).toBe(true);
    }
    expect(Array.from(F.pad(tensor([[1, 2, 3]]), [1, 2], { mode: 'circular' }).toArray())).toEqual([3, 1, 2, 3, 1, 2]);
    expect(Array.from(F.pad(tensor([[1, 2, 3]]), [2, 1], { mode: 'replicate' }).toArray())).toEqual([1, 1, 1, 2, 3, 3]);
  });

  it('bad input: reflect pads as large as the dim, negative pads, a value with a non-constant mode, 3 padded dims', () => {
    const x = t([1, 2, 3], (i) => i, false);
    expect(() => F.pad(x, [3, 0], { mode: 'reflect' })).toThrow(/'reflect' pads must be smaller than the padded dim \(3\)/);
    expect(() => F.pad(x, [4, 0], { mode: 'circular' })).toThrow(/'circular' pads must be at most the padded dim \(3\)/);
    expect(() => F.pad(x, [-1, 0], { mode: 'replicate' })).toThrow(/needs non-negative pads/);
    expect(() => F.pad(x, [1, 0], { mode: 'reflect', value: 2 })).toThrow(/value is only used by 'constant' mode/);
    expect(() => F.pad(t([1, 1, 2, 2, 2], (i) => i, false), [1, 1, 1, 1, 1, 1], { mode: 'replicate' })).toThrow(/pads the last 1 or 2 dims/);
    expect(() => F.pad(x, [1, 1], { mode: 'wrap' as 'reflect' })).toThrow(/mode must be 'constant', 'reflect', 'replicate' or 'circular', got string "wrap"/);
  });
});
