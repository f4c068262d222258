/**
 * Forward values of the Tensor methods against reference code (Math.* per element, brute-force
 * reductions and index mapping), on random shapes and non-contiguous inputs; dtype promotion at the
 * Tensor level; which Tensor methods share storage and which copy.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ones, tensor, zeros } from '../../src/autograd/creation.js';
import { Tensor } from '../../src/autograd/tensor.js';
import { where } from '../../src/autograd/where.js';
import { getDefaultDtype, setDefaultDtype, type DType } from '../../src/tensor/dtype.js';
import {
  broadcastIndex, broadcastShape, broadcastsTo, build, describeRecipe, expectClose, indices, listOf, permutationOf, rowMajor,
  shapeArb, sizeOf, viewOf, type Recipe, type Ref,
} from '../tensor/reference.js';

const SEED = 31337;
const RUNS = 50;
const dtypeArb = fc.constantFrom<DType>('float32', 'float64');
const tolerance = (dtype: DType): number => (dtype === 'float32' ? 3e-7 : 1e-15);

/** A random view (non-contiguous, offset, expanded…) wrapped in a Tensor, with its reference. */
function viewTensor(recipe: Recipe, dtype: DType): { t: Tensor; ref: Ref } {
  const { array, ref } = build(recipe, dtype);
  return { t: new Tensor(array), ref };
}

describe('elementwise ops match Math.* on every element of any view', () => {
  const positive = fc.double({ min: 0.01, max: 10, noNaN: true });
  const unary: [string, (t: Tensor) => Tensor, (v: number) => number, boolean][] = [
    ['neg', (t) => t.neg(), (v) => -v, false],
    ['exp', (t) => t.exp(), Math.exp, false],
    ['log', (t) => t.log(), Math.log, true],
    ['sqrt', (t) => t.sqrt(), Math.sqrt, true],
    ['abs', (t) => t.abs(), Math.abs, false],
    ['tanh', (t) => t.tanh(), Math.tanh, false],
    ['sigmoid', (t) => t.sigmoid(), (v) => 1 / (1 + Math.exp(-v)), false],
    ['relu', (t) => t.relu(), (v) => (v > 0 ? v : 0), false],
    ['square', (t) => t.square(), (v) => v * v, false],
  ];
  for (const [name, op, f, needsPositive] of unary) {
    it(name, () => {
      const cases = shapeArb().chain((s) => fc.tuple(needsPositive ? viewOf(s, 2, positive) : viewOf(s), dtypeArb));
      fc.assert(
        fc.property(cases, ([recipe, dtype]) => {
          const { t, ref } = viewTensor(recipe, dtype);
          const out = op(t);
          expect(out.dtype).toBe(dtype);
          expect(out.shape).toEqual(ref.shape);
          expectClose(out.toArray(), listOf(ref).map(f), tolerance(dtype));
        }),
        { seed: SEED, numRuns: RUNS },
      );
    });
  }

  it('sigmoid does not overflow for large |x|', () => {
    const y = tensor([-1000, -50, 0, 50, 1000], { dtype: 'float64' }).sigmoid().toArray();
    expect(Array.from(y).every(Number.isFinite)).toBe(true);
    expectClose(y, [0, 1 / (1 + Math.exp(50)), 0.5, 1 / (1 + Math.exp(-50)), 1], 1e-15);
  });

  const binary: [string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => number][] = [
    ['add', (a, b) => a.add(b), (x, y) => x + y],
    ['sub', (a, b) => a.sub(b), (x, y) => x - y],
    ['mul', (a, b) => a.mul(b), (x, y) => x * y],
    ['div', (a, b) => a.div(b), (x, y) => x / y],
    ['pow', (a, b) => a.abs().pow(b), (x, y) => Math.pow(Math.abs(x), y)],
  ];
  for (const [name, op, f] of binary) {
    it(`${name} broadcasts two views (and promotes float32 with float64)`, () => {
      const cases = shapeArb()
        .chain((out) => fc.tuple(broadcastsTo(out), broadcastsTo(out)))
        .chain(([sa, sb]) => fc.tuple(viewOf(sa), viewOf(sb, 2, fc.double({ min: 0.5, max: 3, noNaN: true })), dtypeArb, dtypeArb));
      fc.assert(
        fc.property(cases, ([ra, rb, da, db]) => {
          const a = viewTensor(ra, da);
          const b = viewTensor(rb, db);
          const shape = broadcastShape(a.ref.shape, b.ref.shape)!;
          const out = op(a.t, b.t);
          // PyTorch's rule: a zero-dim tensor does not promote a dimensioned one of its category.
          const zeroA = a.ref.shape.length === 0;
          const zeroB = b.ref.shape.length === 0;
          const dtype = zeroA !== zeroB ? (zeroA ? db : da) : da === 'float64' || db === 'float64' ? 'float64' : 'float32';
          expect(out.dtype).toBe(dtype);
          expect(out.shape).toEqual(shape);
          const expected = indices(shape).map((i) => f(a.ref.at(broadcastIndex(i, a.ref.shape)), b.ref.at(broadcastIndex(i, b.ref.shape))));
          expectClose(out.toArray(), expected, 4 * tolerance(dtype));
        }),
        { seed: SEED, numRuns: RUNS },
      );
    });
  }

  it("a zero-dim tensor promotes a dimensioned one only from a lower category (PyTorch's rule; torch 1.13's dtypes)", () => {
    const f32 = tensor([1, 2]);
    const f64 = tensor([1, 2], { dtype: 'float64' });
    const i32 = tensor([1, 2], { dtype: 'int32' });
    const bool = tensor([1, 0], { dtype: 'bool' });
    const zero64 = tensor(0.5, { dtype: 'float64' });
    const zero32 = tensor(0.5);
    const zeroInt = tensor(2, { dtype: 'int32' });
    const cases: [Tensor, string][] = [
      [f32.add(zero64), 'float32'], [zero64.mul(f32), 'float32'], [f64.add(zero32), 'float64'],
      [i32.add(zero64), 'float64'], [i32.mul(zeroInt), 'int32'], [bool.add(zeroInt), 'int32'],
      [zero32.add(zero64), 'float64'], [f32.add(f64), 'float64'],
      [where(tensor([1, 0], { dtype: 'bool' }), f32, zero64), 'float32'], [where(tensor([1, 0], { dtype: 'bool' }), i32, zero64), 'float64'],
      [f32.clamp(zero64), 'float32'],
    ];
    for (const [out, dtype] of cases) expect(out.dtype).toBe(dtype);
    expect(Array.from(f32.add(zero64).toArray())).toEqual([1.5, 2.5]);
    // Gradients keep each operand's dtype: the 0-d float64 gets a float64 gradient (3 = 1 + 2).
    const a = tensor([1, 2], { requiresGrad: true });
    const z = tensor(0.5, { dtype: 'float64', requiresGrad: true });
    a.mul(z).sum().backward();
    expect(a.grad!.dtype).toBe('float32');
    expect(z.grad!.dtype).toBe('float64');
    expect(z.grad!.item()).toBe(3);
  });

  it('a number operand takes the tensor dtype (float32 stays float32, as in PyTorch)', () => {
    const x32 = tensor([1, 2, 3]);
    const x64 = tensor([1, 2, 3], { dtype: 'float64' });
    for (const out of [x32.add(0.1), x32.sub(0.1), x32.mul(0.1), x32.div(0.1), x32.pow(0.5)]) expect(out.dtype).toBe('float32');
    for (const out of [x64.add(0.1), x64.mul(0.1), x64.pow(2)]) expect(out.dtype).toBe('float64');
    expect(Array.from(x32.add(0.1).toArray())).toEqual([1.1, 2.1, 3.1].map(Math.fround));
    expect(Array.from(x64.add(0.1).toArray())).toEqual([1 + 0.1, 2 + 0.1, 3 + 0.1]);
    expect(Array.from(x64.sub(0.5).toArray())).toEqual([0.5, 1.5, 2.5]);
  });
});

type DimArg = number | number[] | undefined;

/** Resolves a dim argument the way PyTorch does (negative from the end; undefined = all). */
function resolveDims(dim: DimArg, ndim: number): number[] {
  if (dim === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof dim === 'number' ? [dim] : dim;
  return [...new Set(list.map((d) => (d < 0 ? d + Math.max(ndim, 1) : d)).filter((d) => d < ndim))];
}

/** Groups of a reduction: kept index → the reduced elements, in row-major order. */
function groups(ref: Ref, dims: readonly number[], keepdim: boolean): { shape: number[]; members: number[][] } {
  const kept = ref.shape.map((_, d) => d).filter((d) => !dims.includes(d));
  const keptShape = kept.map((d) => ref.shape[d]!);
  const members: number[][] = Array.from({ length: sizeOf(keptShape) }, () => []);
  for (const index of indices(ref.shape)) members[rowMajor(keptShape, kept.map((d) => index[d]!))]!.push(ref.at(index));
  return { shape: keepdim ? ref.shape.map((s, d) => (dims.includes(d) ? 1 : s)) : keptShape, members };
}

describe('reductions match brute force over any dims (negative, lists, keepdim both ways) on any view', () => {
  const dimArg = (ndim: number): fc.Arbitrary<DimArg> => {
    const bound = Math.max(ndim, 1);
    const one = fc.integer({ min: -bound, max: bound - 1 });
    const list = fc.uniqueArray(fc.integer({ min: 0, max: bound - 1 }), { minLength: 1, maxLength: bound }).chain((ds) =>
      fc.array(fc.boolean(), { minLength: ds.length, maxLength: ds.length }).map((neg) => ds.map((d, i) => (neg[i] ? d - bound : d))),
    );
    return fc.oneof(fc.constant(undefined), one, list);
  };
  const cases = shapeArb(0, 3, 4).chain((s) => fc.tuple(viewOf(s), dimArg(s.length), fc.boolean(), dtypeArb));

  const sum = (xs: number[]): number => xs.reduce((p, v) => p + v, 0);
  const reductions: [string, (t: Tensor, dim: DimArg, keepdim: boolean) => Tensor, (xs: number[]) => number][] = [
    ['sum', (t, d, k) => t.sum(d, k), sum],
    ['mean', (t, d, k) => t.mean(d, k), (xs) => sum(xs) / xs.length],
    ['max', (t, d, k) => t.max(d, k), (xs) => Math.max(...xs)],
    ['var (unbiased, the default)', (t, d, k) => t.var(d, { keepdim: k }), (xs) => variance(xs, 1)],
    ['var (biased)', (t, d, k) => t.var(d, { unbiased: false, keepdim: k }), (xs) => variance(xs, 0)],
  ];
  function variance(xs: number[], correction: number): number {
    const mean = sum(xs) / xs.length;
    return sum(xs.map((x) => (x - mean) ** 2)) / (xs.length - correction);
  }

  for (const [name, op, f] of reductions) {
    it(name, () => {
      fc.assert(
        fc.property(cases, ([recipe, dim, keepdim, dtype]) => {
          const { t, ref } = viewTensor(recipe, dtype);
          const { shape, members } = groups(ref, resolveDims(dim, ref.shape.length), keepdim);
          const out = op(t, dim, keepdim);
          expect(out.shape, `${describeRecipe(recipe)} dim ${JSON.stringify(dim)}`).toEqual(shape);
          expect(out.dtype).toBe(dtype);
          const scale = members.map((xs) => sum(xs.map((x) => x * x)) + sum(xs.map(Math.abs)));
          expectClose(out.toArray(), members.map(f), dtype === 'float32' ? 1e-6 : 1e-13, scale);
        }),
        { seed: SEED, numRuns: RUNS },
      );
    });
  }

  it('an empty dim list reduces over every dim, as PyTorch does (not over none, as NumPy)', () => {
    const x = tensor([[1, 2, 3], [4, 5, 7]], { dtype: 'float64' });
    expect(x.sum([]).item()).toBe(22);
    expect(x.sum([], true).shape).toEqual([1, 1]);
    expect(x.mean([]).item()).toBeCloseTo(22 / 6, 14);
    expect(x.max([]).item()).toBe(7);
    expect(x.var([], { unbiased: false }).item()).toBeCloseTo(x.var(undefined, { unbiased: false }).item(), 14);
  });

  it('var of one element is NaN unbiased (0/0, as PyTorch) and 0 biased', () => {
    const x = tensor([[1], [2]], { dtype: 'float64' });
    expect(Array.from(x.var(1).toArray())).toEqual([Number.NaN, Number.NaN]);
    expect(Array.from(x.var(1, { unbiased: false }).toArray())).toEqual([0, 0]);
  });
});

describe('movement ops place every element where index arithmetic says', () => {
  const cases = shapeArb(0, 3, 4).chain((s) => fc.tuple(viewOf(s), dtypeArb));

  it('transpose(d0, d1) with negative dims', () => {
    fc.assert(
      fc.property(cases, fc.integer({ min: -3, max: 2 }), fc.integer({ min: -3, max: 2 }), ([recipe, dtype], d0, d1) => {
        const { t, ref } = viewTensor(recipe, dtype);
        const n = ref.shape.length;
        fc.pre(n > 0 && d0 >= -n && d0 < n && d1 >= -n && d1 < n);
        const a = d0 < 0 ? d0 + n : d0;
        const b = d1 < 0 ? d1 + n : d1;
        const out = t.transpose(d0, d1);
        const swap = (i: readonly number[]): number[] => {
          const j = [...i];
          j[a] = i[b]!;
          j[b] = i[a]!;
          return j;
        };
        expect(out.shape).toEqual(swap(ref.shape));
        expect(Array.from(out.toArray())).toEqual(indices(out.shape).map((i) => ref.at(swap(i))));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('narrow(dim, start, length) with negative dims and negative starts (from the end, as PyTorch)', () => {
    const narrowCases = shapeArb(1, 3, 4).chain((s) =>
      fc.tuple(viewOf(s), fc.integer({ min: 0, max: s.length - 1 }), fc.boolean(), fc.boolean()).chain(([recipe, d, negative, fromEnd]) =>
        fc.integer({ min: 0, max: s[d]! }).chain((start) =>
          fc.integer({ min: 0, max: s[d]! - start }).map((length) => ({
            recipe, d, dim: negative ? d - s.length : d, start, length,
            // start − size names the same element when start < size (PyTorch's negative start).
            given: fromEnd && start < s[d]! ? start - s[d]! : start,
          })),
        ),
      ),
    );
    fc.assert(
      fc.property(narrowCases, ({ recipe, d, dim, start, length, given }) => {
        const { t, ref } = viewTensor(recipe, 'float64');
        const out = t.narrow(dim, given, length);
        const shape = [...ref.shape];
        shape[d] = length;
        expect(out.shape).toEqual(shape);
        expect(Array.from(out.toArray())).toEqual(indices(shape).map((i) => ref.at(i.map((v, k) => (k === d ? v + start : v)))));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('expand(shape) reads the size-1 dims again (and -1 keeps a size)', () => {
    const expandCases = shapeArb().chain((out) => broadcastsTo(out).chain((s) => fc.tuple(fc.constant(out), viewOf(s))));
    fc.assert(
      fc.property(expandCases, ([out, recipe]) => {
        const { t, ref } = viewTensor(recipe, 'float64');
        const lead = out.length - ref.shape.length;
        const target = out.map((d, i) => (i >= lead && ref.shape[i - lead] === d ? -1 : d));
        const e = t.expand(target);
        expect(e.shape).toEqual(out);
        expect(Array.from(e.toArray())).toEqual(indices(out).map((i) => ref.at(broadcastIndex(i, ref.shape))));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('reshape, view, flatten, unsqueeze and squeeze keep the row-major order and compute the shape', () => {
    fc.assert(
      fc.property(cases, ([recipe, dtype]) => {
        const { t, ref } = viewTensor(recipe, dtype);
        const values = listOf(ref);
        const n = ref.shape.length;
        expect(t.reshape(-1).shape).toEqual([sizeOf(ref.shape)]);
        expect(Array.from(t.reshape([-1]).toArray())).toEqual(values);
        expect(Array.from(t.contiguous().view(sizeOf(ref.shape)).toArray())).toEqual(values);
        expect(t.flatten().shape).toEqual([sizeOf(ref.shape)]);
        expect(Array.from(t.flatten().toArray())).toEqual(values);
        for (let d = -n - 1; d <= n; d++) {
          const shape = [...ref.shape];
          shape.splice(d < 0 ? d + n + 1 : d, 0, 1);
          expect(t.unsqueeze(d).shape).toEqual(shape);
          expect(Array.from(t.unsqueeze(d).toArray())).toEqual(values);
        }
        expect(t.squeeze().shape).toEqual(ref.shape.filter((s) => s !== 1));
        expect(Array.from(t.squeeze().toArray())).toEqual(values);
        if (n >= 2) {
          expect(t.flatten(1).shape).toEqual([ref.shape[0], sizeOf(ref.shape.slice(1))]);
          expect(t.flatten(0, -2).shape).toEqual([sizeOf(ref.shape.slice(0, -1)), ref.shape[n - 1]]);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('squeeze(dim) removes only that dim, and only if it has size 1', () => {
    const t = zeros([1, 3, 1]);
    expect(t.squeeze(0).shape).toEqual([3, 1]);
    expect(t.squeeze(-1).shape).toEqual([1, 3]);
    expect(t.squeeze(1).shape).toEqual([1, 3, 1]);
  });

  it('permute(dims) with negative dims, spread or as an array', () => {
    const permCases = shapeArb(0, 3, 4).chain((s) => {
      const n = s.length;
      return fc
        .tuple(viewOf(s), dtypeArb, permutationOf(n), fc.array(fc.boolean(), { minLength: n, maxLength: n }))
        .map(([recipe, dtype, perm, neg]) => ({ recipe, dtype, perm, written: perm.map((d, i) => (neg[i] ? d - n : d)) }));
    });
    fc.assert(
      fc.property(permCases, ({ recipe, dtype, perm, written }) => {
        const { t, ref } = viewTensor(recipe, dtype);
        const out = t.permute(written);
        expect(t.permute(...written).shape).toEqual(out.shape);
        expect(out.shape).toEqual(perm.map((d) => ref.shape[d]));
        const source = (i: readonly number[]): number[] => {
          const j = new Array<number>(i.length);
          perm.forEach((d, k) => (j[d] = i[k]!));
          return j;
        };
        expect(Array.from(out.toArray())).toEqual(indices(out.shape).map((i) => ref.at(source(i))));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('dtype promotion at the Tensor level', () => {
  it('float32 op float64 gives float64 whichever side the float64 is on', () => {
    const a = tensor([0.1, 0.2], { dtype: 'float32' });
    const b = tensor([0.3, 0.4], { dtype: 'float64' });
    for (const out of [a.add(b), b.add(a), a.mul(b), a.sub(b), a.div(b), a.pow(b), b.pow(a)]) expect(out.dtype).toBe('float64');
    // the float32 operand is converted exactly, then the op runs in float64
    expect(Array.from(a.add(b).toArray())).toEqual([Math.fround(0.1) + 0.3, Math.fround(0.2) + 0.4]);
    expect(a.add(a).dtype).toBe('float32');
  });

  it('matmul promotes too', () => {
    const a = ones([2, 3], { dtype: 'float32' });
    const b = ones([3, 2], { dtype: 'float64' });
    expect(a.matmul(b).dtype).toBe('float64');
    expect(b.transpose(0, 1).matmul(a.transpose(0, 1)).dtype).toBe('float64');
    expect(a.matmul(a.transpose(0, 1)).dtype).toBe('float32');
  });

  it('gradients come back in each input\'s own dtype', () => {
    const x = tensor([1, 2], { dtype: 'float32', requiresGrad: true });
    const y = tensor([3, 4], { dtype: 'float64', requiresGrad: true });
    x.mul(y).sum().backward();
    expect(x.grad!.dtype).toBe('float32');
    expect(y.grad!.dtype).toBe('float64');
    expect(Array.from(x.grad!.toArray())).toEqual([3, 4]);
    expect(Array.from(y.grad!.toArray())).toEqual([1, 2]);
  });

  it('to() converts (differentiably) and is the identity for the same dtype', () => {
    const x = tensor([0.1, 0.2], { dtype: 'float64', requiresGrad: true });
    expect(x.to('float64')).toBe(x);
    const f = x.to('float32');
    expect(f.dtype).toBe('float32');
    expect(Array.from(f.toArray())).toEqual([Math.fround(0.1), Math.fround(0.2)]);
    f.mul(2).sum().backward();
    expect(x.grad!.dtype).toBe('float64');
    expect(Array.from(x.grad!.toArray())).toEqual([2, 2]);
  });

  it('setDefaultDtype changes what creation functions make', () => {
    const previous = getDefaultDtype();
    try {
      expect(zeros([1]).dtype).toBe('float32');
      setDefaultDtype('float64');
      expect(zeros([1]).dtype).toBe('float64');
      expect(tensor([1]).dtype).toBe('float64');
    } finally {
      setDefaultDtype(previous);
    }
  });
});

describe('which Tensor methods share storage', () => {
  const base = (): Tensor => tensor([[0, 1, 2], [3, 4, 5]], { dtype: 'float64' });

  it('reshape/view/flatten/unsqueeze/squeeze of a contiguous tensor, transpose, permute, expand, narrow and detach share it', () => {
    const x = base();
    const shared: [string, Tensor][] = [
      ['reshape', x.reshape(3, 2)],
      ['view', x.view(-1)],
      ['flatten', x.flatten()],
      ['unsqueeze', x.unsqueeze(0)],
      ['squeeze', x.unsqueeze(1).squeeze()],
      ['transpose', x.transpose(0, 1)],
      ['permute', x.permute(1, 0)],
      ['expand', x.unsqueeze(0).expand(4, 2, 3)],
      ['narrow', x.narrow(1, 1, 2)],
      ['detach', x.detach()],
    ];
    for (const [name, t] of shared) expect(t.array.data, name).toBe(x.array.data);
    x.array.data[4] = 40;
    expect(x.transpose(0, 1).toNested()).toEqual([[0, 3], [1, 40], [2, 5]]);
    expect(x.narrow(1, 1, 2).toNested()).toEqual([[1, 2], [40, 5]]);
    expect(x.unsqueeze(0).expand(2, 2, 3).array.strides).toEqual([0, 3, 1]);
  });

  it('contiguous() of a non-contiguous tensor copies; of a contiguous one returns the same tensor', () => {
    const x = base();
    expect(x.contiguous()).toBe(x);
    const t = x.transpose(0, 1);
    const c = t.contiguous();
    expect(c.array.data).not.toBe(x.array.data);
    expect(c.array.isContiguous()).toBe(true);
    expect(c.toNested()).toEqual([[0, 3], [1, 4], [2, 5]]);
  });

  it('reshape of a non-contiguous tensor copies; view refuses', () => {
    const t = base().transpose(0, 1);
    const r = t.reshape(6);
    expect(r.array.data).not.toBe(t.array.data);
    expect(Array.from(r.toArray())).toEqual([0, 3, 1, 4, 2, 5]);
    expect(() => t.view(6)).toThrow(/view: the tensor of shape \[3, 2\] is not contiguous; use reshape\(\)/);
  });

  it('toArray() returns a copy', () => {
    const x = base();
    const a = x.toArray();
    a[0] = 99;
    expect(x.toArray()[0]).toBe(0);
  });
});
