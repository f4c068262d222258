/**
 * Issue 13 part A beyond the spec table and the fixtures: bad input names the op; the rules the
 * fixtures cannot show (NaN propagation, exact-zero second derivatives of the piecewise-constant
 * ops, gradients with zeros to second order, the version check of the ops that save tensors, views
 * from split/chunk).
 */
import { describe, expect, it } from 'vitest';
import { arange, autograd, gradcheck, gradgradcheck, noGrad, tensor, zeros, type Tensor } from '../../src/index.js';
import { expectError } from '../helpers/expect-error.js';

const f64 = (values: number[], shape?: number[], requiresGrad = false): Tensor =>
  tensor(Float64Array.from(values), { shape: shape ?? [values.length], requiresGrad });

describe('bad input names the op', () => {
  const x = zeros([3, 4]);
  it.each([
    ['slice with step 0', () => x.slice(1, 0, 4, 0), /^slice: step must be a positive integer, got 0/],
    ['slice with a negative step', () => x.slice(1, 3, 0, -1), /^slice: step must be a positive integer, got -1 .*flip/],
    ['slice with a fractional start', () => x.slice(0, 0.5), /^slice: start must be an integer, got 0.5/],
    ['slice of a 0-d tensor', () => zeros([]).slice(0, 0), /^slice: a 0-d tensor cannot be sliced/],
    ['slice with a dim out of range', () => x.slice(2, 0), /^slice: dim 2 is out of range for a tensor with 2 dimension/],
    ['split sizes that do not add up', () => x.split([1, 1], 1), /^split: sizes \[1, 1\] add up to 2, but dim 1 has size 4 \(shape \[3, 4\]\)/],
    ['split size 0', () => x.split(0), /^split: the split size must be a positive integer, got 0/],
    ['split with a negative size in the list', () => x.split([5, -1], 1), /^split: sizes must be non-negative integers/],
    ['chunk into 0 pieces', () => x.chunk(0), /^chunk: the number of chunks must be a positive integer, got 0/],
    ['unbind a 0-d tensor', () => zeros([]).unbind(), /^unbind: a 0-d tensor cannot be unbound/],
    ['repeat with fewer sizes than dims', () => x.repeat(2), /^repeat: 1 sizes \[2\] are fewer than the 2 dims of shape \[3, 4\]/],
    ['repeat with a negative size', () => x.repeat(2, -1), /^repeat: sizes must be non-negative integers/],
    ['tile with a fractional size', () => x.tile(1.5), /^tile: sizes must be non-negative integers/],
    ['roll with shifts and dims of different lengths', () => x.roll([1, 2], 0), /^roll: shifts \[1, 2\] and dims 0 must have the same length/],
    ['roll with several shifts and no dims', () => x.roll([1, 2]), /^roll: without dims, shifts must be one number/],
    ['roll with a fractional shift', () => x.roll(0.5, 0), /^roll: shifts must be integers, got 0.5/],
    ['flip naming a dim twice', () => x.flip([1, -1]), /^flip: dims \[1, -1\] name a dimension twice/],
    ['flip with a dim out of range', () => x.flip(3), /^flip: dim 3 is out of range/],
    ['clamp without bounds', () => x.clamp(), /^clamp: at least one of min and max must be given/],
    ['clamp with a string bound', () => x.clamp('1' as unknown as number), /^clamp: min must be a number or a Tensor, got 1/],
    ['clamp with bounds that do not broadcast', () => x.clamp(zeros([2])), /^clamp: shapes \[3, 4\] and \[2\] cannot be broadcast together/],
    ['logsumexp without dim', () => (x.logsumexp as (d?: number) => Tensor)(), /^logsumexp: dim is required/],
    ['min over an empty dim', () => zeros([2, 0]).min(1), /^min: cannot reduce over an empty dimension of shape \[2, 0\]/],
    ['norm with p NaN', () => x.norm(Number.NaN), /^norm: p must be a number or ±Infinity, got NaN/],
    ['cumsum with a dim out of range', () => x.cumsum(-3), /^cumsum: dim -3 is out of range/],
    ['cumprod with a dim out of range', () => x.cumprod(2), /^cumprod: dim 2 is out of range/],
    ['maximum of shapes that do not broadcast', () => x.maximum(zeros([2])), /^maximum: shapes \[3, 4\] and \[2\] cannot be broadcast together/],
    ['atan2 of shapes that do not broadcast', () => x.atan2(zeros([5])), /^atan2: shapes \[3, 4\] and \[5\] cannot be broadcast together/],
  ])('%s', (_name, fn, pattern) => expectError(fn, pattern));
});

describe('NaN and infinities', () => {
  it('NaN propagates through maximum, minimum, clamp, min, sign and round', () => {
    const withNan = f64([1, Number.NaN, -2]);
    expect(Array.from(withNan.maximum(f64([0, 0, 0])).toArray())).toEqual([1, Number.NaN, 0]);
    expect(Array.from(f64([0, 0, 0]).minimum(withNan).toArray())).toEqual([0, Number.NaN, -2]);
    expect(Array.from(withNan.clamp(-1, 0.5).toArray())).toEqual([0.5, Number.NaN, -1]);
    expect(Array.from(f64([1, 2]).clamp(f64([Number.NaN, 0])).toArray())).toEqual([Number.NaN, 2]);
    expect(withNan.min().item()).toBeNaN();
    expect(Array.from(withNan.sign().toArray())).toEqual([1, Number.NaN, -1]);
    expect(Array.from(withNan.round().toArray())).toEqual([1, Number.NaN, -2]);
  });

  it('round keeps the sign of a zero result, and halves go to even in float32 too', () => {
    const r = tensor([-0.5, -0.4, 0.5, 1.5, 2.5]).round().toArray();
    expect(Object.is(r[0], -0)).toBe(true);
    expect(Object.is(r[1], -0)).toBe(true);
    expect(Array.from(r.subarray(2))).toEqual([0, 2, 2]);
  });

  it('logsumexp stays finite for large inputs and gives ±∞ for ±∞ rows, −∞ for an empty reduction', () => {
    const x = f64([1000, 1000, -1000, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, Number.POSITIVE_INFINITY, 1], [3, 3]);
    const y = x.logsumexp(1).toArray();
    expect(y[0]).toBeCloseTo(1000 + Math.LN2, 10);
    expect(y[1]).toBe(Number.NEGATIVE_INFINITY);
    expect(y[2]).toBe(Number.POSITIVE_INFINITY);
    expect(Array.from(zeros([2, 0]).logsumexp(1).toArray())).toEqual([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  });
});

describe('piecewise-constant ops have exact zero derivatives of every order', () => {
  it.each([
    ['floor', (t: Tensor) => t.floor()],
    ['ceil', (t: Tensor) => t.ceil()],
    ['round', (t: Tensor) => t.round()],
    ['sign', (t: Tensor) => t.sign()],
  ])('%s: first and second derivatives are zeros (x stays in the graph)', (_name, op) => {
    const x = f64([-1.3, 0.2, 2.7], undefined, true);
    const [g] = autograd.grad(op(x).mul(x).sum(), [x], { createGraph: true });
    // d/dx (op(x)·x) = op(x): the op's own derivative contributes 0.
    expect(Array.from(g!.toArray())).toEqual(Array.from(op(x).toArray()));
    const [h] = autograd.grad(g!.sum(), [x]);
    expect(h).not.toBeNull();
    expect(Array.from(h!.toArray())).toEqual([0, 0, 0]);
  });
});

describe('gradients with zeros are exact to second order', () => {
  it.each([
    ['prod over a dim with one zero', (t: Tensor) => t.prod(1), [2, 0, 3, 1.5, -2, 0.5], [2, 3]],
    ['prod over a dim with two zeros', (t: Tensor) => t.prod(1), [0, 2, 0, 3, 1.5, -2], [2, 3]],
    ['prod of everything, one zero', (t: Tensor) => t.prod(), [2, 0, 3, 1.5], [4]],
    ['cumprod with a zero per row', (t: Tensor) => t.cumprod(1), [2, 0, 3, 0.5, 1.5, -2, 0, 2], [2, 4]],
    ['cumprod with two zeros in a row', (t: Tensor) => t.cumprod(0), [0.5, 0, 3, 0, 2], [5]],
  ])('%s: gradcheck and gradgradcheck', (_name, op, values, shape) => {
    const x = f64(values, shape, true);
    const first = gradcheck(op, [x], { atol: 1e-7, rtol: 1e-5 });
    expect(first.ok, first.report).toBe(true);
    const second = gradgradcheck(op, [x], { atol: 1e-7, rtol: 1e-5 });
    expect(second.ok, second.report).toBe(true);
  });

  it('prod of a row with one zero: the zero gets the product of the others, the others 0', () => {
    const x = f64([2, 0, 3], undefined, true);
    x.prod().backward();
    expect(Array.from(x.grad!.toArray())).toEqual([0, 6, 0]);
  });
});

describe('ops that read their inputs or output in backward declare it (the version check)', () => {
  it.each([
    ['sin', (t: Tensor) => t.sin()],
    ['cos', (t: Tensor) => t.cos()],
    ['log1p', (t: Tensor) => t.log1p()],
    ['log2', (t: Tensor) => t.log2()],
    ['floor', (t: Tensor) => t.floor()],
    ['maximum', (t: Tensor) => t.maximum(0.5)],
    ['atan2', (t: Tensor) => t.atan2(1)],
    ['clamp', (t: Tensor) => t.clamp(0.2, 0.8)],
    ['prod', (t: Tensor) => t.prod()],
    ['cumprod', (t: Tensor) => t.cumprod(0)],
  ])('%s: backward throws after the input was written in place', (_name, op) => {
    const x = f64([0.3, 0.6, 0.9], undefined, true);
    const y = op(x).sum();
    noGrad(() => x.detach().add_(1));
    expectError(() => y.backward(), /^backward of '[a-zA-Z0-9]+': one of the tensors it saved .* was modified by an in-place operation/);
  });
});

describe('split, chunk and unbind', () => {
  it('split and chunk return views of the input; unbind drops the dim', () => {
    const x = arange(10).reshape(2, 5);
    const parts = x.split([2, 3], 1);
    expect(parts.map((p) => p.shape)).toEqual([[2, 2], [2, 3]]);
    expect(parts.every((p) => p.array.data === x.array.data)).toBe(true);
    expect(x.chunk(2, -1).map((p) => Array.from(p.toArray()))).toEqual([[0, 1, 2, 5, 6, 7], [3, 4, 8, 9]]);
    expect(x.unbind(1).map((p) => p.shape)).toEqual([[2], [2], [2], [2], [2]]);
    expect(zeros([0, 3]).chunk(3).map((p) => p.shape)).toEqual([[0, 3], [0, 3], [0, 3]]);
    expect(zeros([0, 3]).split(2).map((p) => p.shape)).toEqual([[0, 3]]);
  });

  it('gradients flow back from every piece into one tensor', () => {
    const x = f64([1, 2, 3, 4, 5, 6], [3, 2], true);
    const [a, b, c] = x.unbind(0);
    a!.mul(1).add(b!.mul(2)).add(c!.mul(3)).sum().backward();
    expect(Array.from(x.grad!.toArray())).toEqual([1, 1, 2, 2, 3, 3]);
  });
});
