/**
 * Bad input gives a clear Error that names the op (and the shapes, for shape mismatches):
 * mismatched shapes, non-integer or negative sizes, out-of-range dims, item() on many elements,
 * ragged nested arrays.
 */
import { describe, expect, it } from 'vitest';
import { full, ones, rand, randn, tensor, zeros } from '../../src/autograd/creation.js';
import type { DType } from '../../src/tensor/dtype.js';
import { expectError } from '../helpers/expect-error.js';

describe('mismatched shapes name the op and both shapes', () => {
  const a = zeros([2, 3]);
  const b = zeros([4]);

  it.each([
    ['add', () => a.add(b), /^add: shapes \[2, 3\] and \[4\] cannot be broadcast together/],
    ['sub', () => a.sub(b), /^sub: shapes \[2, 3\] and \[4\] cannot be broadcast together/],
    ['mul', () => a.mul(b), /^mul: shapes \[2, 3\] and \[4\] cannot be broadcast together/],
    ['div', () => a.div(b), /^div: shapes \[2, 3\] and \[4\] cannot be broadcast together/],
    ['pow', () => a.pow(b), /^pow: shapes \[2, 3\] and \[4\] cannot be broadcast together/],
  ])('%s', (_name, fn, pattern) => expectError(fn, pattern));

  it('matmul with mismatched inner sizes', () => {
    expectError(() => zeros([2, 3]).matmul(zeros([4, 5])), /^matmul: shapes \[2, 3\] and \[4, 5\] cannot be multiplied \(3 != 4\)/);
    expectError(() => zeros([3]).matmul(zeros([4])), /^matmul: shapes \[3\] and \[4\] cannot be multiplied/);
  });

  it('matmul with batch dims that do not broadcast names both full shapes', () => {
    expectError(() => zeros([2, 4, 5]).matmul(zeros([3, 5, 6])), /^matmul.*\[2, 4, 5\].*\[3, 5, 6\]/);
  });

  it('matmul with a 0-d operand', () => {
    expectError(() => zeros([]).matmul(zeros([3])), /^matmul: both arguments need at least 1 dimension, got shapes \[\] and \[3\]/);
  });

  it('reshape / view to a shape of another size', () => {
    expectError(() => zeros([2, 3]).reshape(4), /^reshape: .*\[4\].*\[2, 3\]/);
    expectError(() => zeros([2, 3]).view(4, -1), /^reshape: .*\[4, -1\].*\[2, 3\]/);
    expectError(() => zeros([2, 3]).reshape(-1, -1), /^reshape: only one dimension can be -1/);
  });

  it('expand to an incompatible shape', () => {
    expectError(() => zeros([2, 3]).expand(2, 4), /^expand: the size 3 at dim 1 of \[2, 3\] must be 1 to expand to \[2, 4\]/);
    expectError(() => zeros([2, 3]).expand(3), /^expand: cannot expand shape \[2, 3\] to fewer dims \[3\]/);
  });

  it('backward with a gradient of another shape', () => {
    const x = ones([3], { requiresGrad: true });
    expectError(() => x.mul(2).backward(ones([3, 1])), /^backward: the gradient has shape \[3, 1\], but the tensor has shape \[3\]/);
  });

  it('tensor() with data that does not fill the shape', () => {
    expectError(() => tensor([1, 2, 3], { shape: [2, 2] }), /^tensor: 3 values cannot fill shape \[2, 2\] \(4 elements\)/);
  });
});

describe('non-integer or negative sizes', () => {
  it.each([
    ['zeros non-integer', () => zeros([2, 1.5]), /^zeros: sizes must be non-negative integers, got \[2, 1.5\]/],
    ['zeros negative', () => zeros([-1, 2]), /^zeros: sizes must be non-negative integers, got \[-1, 2\]/],
    ['ones NaN', () => ones([Number.NaN]), /^ones: sizes must be non-negative integers/],
    ['full negative', () => full([-3], 1), /^full: sizes must be non-negative integers/],
    ['rand non-integer', () => rand([0.5]), /^rand: sizes must be non-negative integers/],
    ['randn negative', () => randn([2, -2]), /^randn: sizes must be non-negative integers/],
    ['tensor shape option', () => tensor([1, 2], { shape: [2.5] }), /^tensor: sizes must be non-negative integers/],
    ['reshape non-integer', () => zeros([6]).reshape(2.5, 2), /^reshape: sizes must be non-negative integers or -1, got \[2.5, 2\]/],
    ['reshape negative', () => zeros([6]).reshape(-2, -3), /^reshape: sizes must be non-negative integers or -1, got \[-2, -3\]/],
    ['expand negative', () => zeros([2, 1]).expand(2, -3), /^expand: .*-3/],
    ['expand non-integer', () => zeros([1]).expand(2.5), /^expand: .*2\.5/],
    ['expand negative new dim', () => zeros([1]).expand(-2, 1), /^expand: invalid size -2/],
  ])('%s', (_name, fn, pattern) => expectError(fn, pattern));
});

describe('out-of-range dims', () => {
  const x = zeros([2, 3]);

  it.each([
    ['sum', () => x.sum(2), /^sum: dim 2 is out of range for a tensor with 2 dimension\(s\) \(expected an integer in \[-2, 1\]\)/],
    ['sum (negative)', () => x.sum(-3), /^sum: dim -3 is out of range/],
    ['sum (in a list)', () => x.sum([0, 5]), /^sum: dim 5 is out of range/],
    ['sum (a dim named twice)', () => x.sum([1, -1]), /^sum: dim \[1, -1\] names a dimension twice/],
    ['sum (non-integer)', () => x.sum(0.5), /^sum: dim 0.5 is out of range/],
    ['mean', () => x.mean(2), /^mean: dim 2 is out of range/],
    ['max', () => x.max(-5), /^max: dim -5 is out of range/],
    ['var', () => x.var(3), /^var: dim 3 is out of range/],
    ['transpose', () => x.transpose(0, 3), /^transpose: dim 3 is out of range for a tensor with 2 dimension\(s\)/],
    ['narrow (dim)', () => x.narrow(5, 0, 1), /^narrow: dim 5 is out of range/],
    ['narrow (start + length)', () => x.narrow(1, 2, 2), /^narrow: start 2 and length 2 are out of range for dim 1 of size 3/],
    ['narrow (start before the first element)', () => x.narrow(0, -3, 1), /^narrow: start -3 and length 1 are out of range/],
    ['narrow (negative start, too long)', () => x.narrow(1, -1, 2), /^narrow: start 2 and length 2 are out of range for dim 1 of size 3/],
    ['permute (not a permutation)', () => x.permute(0, 0), /^permute: dims \[0, 0\] are not a permutation of the 2 dims of shape \[2, 3\]/],
    ['permute (out of range)', () => x.permute(0, 2), /^permute: dim 2 is out of range/],
    ['unsqueeze', () => x.unsqueeze(4), /^unsqueeze: dim 4 is out of range/],
    ['squeeze', () => x.squeeze(2), /^squeeze: dim 2 is out of range/],
    ['flatten', () => x.flatten(0, 2), /^flatten: dim 2 is out of range/],
    ['flatten (start after end)', () => x.flatten(1, 0), /^flatten: startDim 1 comes after endDim 0/],
    ['size', () => x.size(2), /^size: dim 2 is out of range/],
  ])('%s', (_name, fn, pattern) => expectError(fn, pattern));
});

describe('other bad input', () => {
  it('item() on a tensor of many elements', () => {
    expectError(() => zeros([2, 2]).item(), /^item: a tensor with 4 elements \(shape \[2, 2\]\) cannot be converted to a number/);
    expectError(() => zeros([0]).item(), /^item: a tensor with 0 elements/);
    expect(zeros([1, 1]).item()).toBe(0);
  });

  it.each([
    // Each message names where the nesting breaks and what the first elements made it expect
    // (the old 'a row among numbers' message said "expected undefined").
    ['a short row', [[1, 2], [3]], /^tensor: ragged nested array: data\[1\] has length 1, but the first elements give shape \[2, 2\], so length 2 was expected there$/],
    ['a number among rows', [[1, 2], 3], /^tensor: ragged nested array: data\[1\] is a number, but the first elements give shape \[2, 2\], so an array of length 2 was expected there$/],
    ['a row among numbers', [1, [2]], /^tensor: ragged nested array: data\[1\] is an array of length 1, but the first elements give shape \[2\], so a number was expected there$/],
    ['a row among numbers, deeper', [[1, 2], [3, [4]]], /^tensor: ragged nested array: data\[1\]\[1\] is an array of length 1, but the first elements give shape \[2, 2\], so a number was expected there$/],
    ['a deeper short row', [[[1], [2]], [[3], []]], /^tensor: ragged nested array: data\[1\]\[1\] has length 0, but the first elements give shape \[2, 2, 1\], so length 1 was expected there$/],
    ['a string among numbers', [1, '2'], /^tensor: expected numbers or \(nested\) arrays of numbers, got string "2" at data\[1\]$/],
    ['null among rows', [[1], null], /^tensor: expected numbers or \(nested\) arrays of numbers, got null null at data\[1\]$/],
  ])('ragged nested arrays in tensor(): %s', (_name, data, pattern) => {
    expectError(() => tensor(data as number[][]), pattern);
  });

  it('an unsupported dtype', () => {
    expectError(() => zeros([1], { dtype: 'int64' as unknown as DType }), /unsupported dtype "int64"; expected 'float32', 'float64', 'int32' or 'bool'/);
    expectError(() => tensor([1], { dtype: 'float16' as unknown as DType }), /^tensor: unsupported dtype "float16"/);
  });

  it('view of a non-contiguous tensor', () => {
    expectError(() => zeros([2, 3]).transpose(0, 1).view(6), /^view: the tensor of shape \[3, 2\] is not contiguous/);
  });

  it('backward on a tensor that does not require grad', () => {
    expectError(() => zeros([1]).backward(), /^backward: this tensor does not require grad/);
  });
});
