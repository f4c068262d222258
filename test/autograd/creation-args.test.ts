// Every creation function against every kind of bad argument: sizes that are not non-negative
// integers (non-finite, negative, fractional, strings, null, booleans), fill values and ranges
// that are not numbers or not finite, and storage too big to allocate. Each must be an error that
// names the function and shows the argument as given (a string with its quotes) — never a tensor of
// shape [NaN] or a fill of NaN. Expected behaviours are PyTorch 1.13's: `torch.full([2], 'a')` is a
// TypeError, `torch.arange(0, nan)` "unsupported range", `torch.arange(5, 0)` "upper bound and
// larger bound inconsistent with step sign", `torch.arange(0, 0)` empty, `torch.full([2], nan)` NaNs.
import { describe, expect, it } from 'vitest';
import { arange, eye, full, ones, onesLike, rand, randint, randn, randperm, setNumThreads, Tensor, tensor, zeros, zerosLike, getNumThreads } from '../../src/index.js';
import { errorOf } from '../helpers/expect-error.js';


/** Every creation function that takes a shape, called with `shape`. */
const shapeTakers: [string, (shape: number[]) => unknown][] = [
  ['zeros', (s) => zeros(s)],
  ['ones', (s) => ones(s)],
  ['full', (s) => full(s, 3)],
  ['rand', (s) => rand(s)],
  ['randn', (s) => randn(s)],
  ['tensor', (s) => tensor(new Float32Array(4), { shape: s })],
];

/** Sizes that are not non-negative integers, and how the message must show them. */
const badSizes: [unknown, string][] = [
  [Number.NaN, 'NaN'],
  [Number.POSITIVE_INFINITY, 'Infinity'],
  [Number.NEGATIVE_INFINITY, '-Infinity'],
  [-1, '-1'],
  [2.5, '2.5'],
  ['2', '"2"'],
  [null, 'null'],
  [undefined, 'undefined'],
  [true, 'true'],
  [2n, '2n'],
];

describe('creation functions: every bad size is an error naming the function and showing the size', () => {
  for (const [name, create] of shapeTakers) {
    for (const [size, shown] of badSizes) {
      it(`${name} with size ${shown}`, () => {
        const message = errorOf(() => create([2, size as number]));
        expect(message).toBe(`${name}: sizes must be non-negative integers, got [2, ${shown}]`);
      });
    }
  }

  it('eye with a bad n or m', () => {
    expect(errorOf(() => eye(Number.NaN))).toBe('eye: sizes must be non-negative integers, got [NaN, NaN]');
    expect(errorOf(() => eye(2, '3' as unknown as number))).toBe('eye: sizes must be non-negative integers, got [2, "3"]');
    expect(errorOf(() => eye(-1, 2))).toBe('eye: sizes must be non-negative integers, got [-1, 2]');
  });

  it('a shape that is not an array', () => {
    expect(errorOf(() => zeros(3 as unknown as number[]))).toBe('zeros: shape must be an array of sizes, got 3 (the sizes as one array: zeros([3, …]))');
    // PyTorch's zeros(2, 3): the error is about the shape, not about 3 where the options go.
    expect(errorOf(() => (zeros as (...args: unknown[]) => unknown)(2, 3))).toBe('zeros: shape must be an array of sizes, got 2 (the sizes as one array: zeros([2, …]))');
    expect(errorOf(() => (ones as (...args: unknown[]) => unknown)(2, 3))).toBe('ones: shape must be an array of sizes, got 2 (the sizes as one array: ones([2, …]))');
    expect(errorOf(() => (randn as (...args: unknown[]) => unknown)(2, 3))).toBe('randn: shape must be an array of sizes, got 2 (the sizes as one array: randn([2, …]))');
    expect(errorOf(() => rand('2,3' as unknown as number[]))).toBe('rand: shape must be an array of sizes, got "2,3"');
  });

  it('size 0 is allowed everywhere (an empty tensor)', () => {
    for (const [, create] of shapeTakers.slice(0, 5)) expect((create([2, 0]) as { shape: number[] }).shape).toEqual([2, 0]);
    expect(eye(0).shape).toEqual([0, 0]);
  });
});

describe('full: the fill value', () => {
  it.each([
    ['a', 'string "a"'],
    [null, 'object null'],
    [undefined, 'undefined undefined'],
    [true, 'boolean true'],
    [[1], 'object [1]'],
    [1n, 'bigint 1n'],
  ])('%s is an error', (value, shown) => {
    expect(errorOf(() => full([2], value as unknown as number))).toBe(`full: the fill value must be a number, got ${shown}`);
  });

  it('NaN and ±Infinity fill, as torch.full', () => {
    expect(Array.from(full([2], Number.NaN).toArray()).every(Number.isNaN)).toBe(true);
    expect(Array.from(full([2], Number.NEGATIVE_INFINITY, { dtype: 'float64' }).toArray())).toEqual([-Infinity, -Infinity]);
  });
});

describe('arange: bounds and step', () => {
  it.each([
    ['end NaN', () => arange(0, Number.NaN), 'arange: unsupported range 0 → NaN (start and end must be finite)'],
    ['one bound NaN', () => arange(Number.NaN), 'arange: unsupported range 0 → NaN (start and end must be finite)'],
    ['end Infinity', () => arange(0, Number.POSITIVE_INFINITY), 'arange: unsupported range 0 → Infinity (start and end must be finite)'],
    ['start -Infinity', () => arange(Number.NEGATIVE_INFINITY, 0), 'arange: unsupported range -Infinity → 0 (start and end must be finite)'],
    ['step NaN', () => arange(0, 5, Number.NaN), 'arange: step must be a non-zero finite number, got NaN'],
    ['step 0', () => arange(0, 5, 0), 'arange: step must be a non-zero finite number, got 0'],
    ['step Infinity', () => arange(0, 5, Number.POSITIVE_INFINITY), 'arange: step must be a non-zero finite number, got Infinity'],
    ['end a string', () => arange(0, '5' as unknown as number), 'arange: end must be a number, got string "5"'],
    ['start null', () => arange(null as unknown as number, 5), 'arange: start must be a number, got object null'],
    ['step a string', () => arange(0, 5, '1' as unknown as number), 'arange: step must be a number, got string "1"'],
    ['start a string, one argument', () => arange('5' as unknown as number), 'arange: end must be a number, got string "5"'],
    ['step pointing away from end', () => arange(5, 0), 'arange: the step 1 points away from end: start 5 → end 0 has the other sign (as PyTorch, this is an error, not an empty tensor)'],
    ['negative step pointing away', () => arange(0, 5, -1), 'arange: the step -1 points away from end: start 0 → end 5 has the other sign (as PyTorch, this is an error, not an empty tensor)'],
  ])('%s', (_name, create, message) => {
    expect(errorOf(create)).toBe(message);
  });

  it('valid ranges, including empty and negative steps, as torch.arange', () => {
    expect(arange(0, 0).shape).toEqual([0]);
    expect(arange(3, 3, -1).shape).toEqual([0]);
    expect(Array.from(arange(5, 0, -2).toArray())).toEqual([5, 3, 1]);
    expect(Array.from(arange(0.5, 2, 0.5, { dtype: 'float64' }).toArray())).toEqual([0.5, 1, 1.5]);
  });
});

describe('other arguments', () => {
  it('zerosLike / onesLike of something that is not a Tensor', () => {
    expect(errorOf(() => zerosLike([1, 2] as never))).toBe('zerosLike: expected a Tensor, got object [1, 2]');
    expect(errorOf(() => onesLike(null as never))).toBe('onesLike: expected a Tensor, got null null');
  });

  it('rand / randn with a generator that is not a Generator', () => {
    expect(errorOf(() => rand([2], { generator: 42 as never }))).toBe('rand: generator must be a Generator (new Generator(seed)), got number 42');
    expect(errorOf(() => randn([2], { generator: '7' as never }))).toBe('randn: generator must be a Generator (new Generator(seed)), got string "7"');
  });

  it('tensor() of something that is not numbers or arrays', () => {
    expect(errorOf(() => tensor('5' as never))).toBe('tensor: expected numbers or (nested) arrays of numbers, got string "5" at the top level');
    expect(errorOf(() => tensor(undefined as never))).toBe('tensor: expected numbers or (nested) arrays of numbers, got undefined undefined at the top level');
  });

  it('setNumThreads shows a string as a string', () => {
    const before = getNumThreads();
    expect(errorOf(() => setNumThreads('2' as unknown as number))).toBe('setNumThreads: expected a positive integer, got "2"');
    expect(errorOf(() => setNumThreads(1.5))).toBe('setNumThreads: expected a positive integer, got 1.5');
    expect(errorOf(() => setNumThreads(Number.NaN))).toBe('setNumThreads: expected a positive integer, got NaN');
    expect(getNumThreads()).toBe(before);
  });
});

describe('storage too big to allocate: the error names the function, the shape, the dtype and the bytes', () => {
  // 2^40 elements is beyond any typed array V8 makes, on any machine: the allocation always fails.
  const huge = 2 ** 40;

  it.each([
    ['zeros', () => zeros([2 ** 20, 2 ** 20]), 'zeros: cannot allocate a float32 tensor of shape [1048576, 1048576] (1099511627776 elements): 4398046511104 bytes (4.0 TiB): '],
    ['full', () => full([huge], 1, { dtype: 'float64' }), 'full: cannot allocate a float64 tensor of shape [1099511627776] (1099511627776 elements): 8796093022208 bytes (8.0 TiB): '],
    ['rand', () => rand([huge]), 'rand: cannot allocate 1099511627776 float32 elements: 4398046511104 bytes (4.0 TiB): '],
    ['randn', () => randn([huge]), 'randn: cannot allocate 1099511627776 float32 elements: 4398046511104 bytes (4.0 TiB): '],
    ['eye', () => eye(2 ** 20), 'eye: cannot allocate a float32 tensor of shape [1048576, 1048576] (1099511627776 elements): 4398046511104 bytes (4.0 TiB): '],
    ['arange', () => arange(0, huge), 'arange: cannot allocate a float32 tensor of shape [1099511627776] (1099511627776 elements): 4398046511104 bytes (4.0 TiB): '],
  ])('%s', (_name, create, prefix) => {
    let error: unknown = null;
    try {
      create();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message.startsWith(prefix), (error as Error).message).toBe(true);
  });

  it('inside an op, the op, the shape and the bytes', () => {
    const big = zeros([2 ** 20, 1]).expand(2 ** 20, 2 ** 20);
    expect(errorOf(() => big.contiguous())).toMatch(/^contiguous: cannot allocate a float32 tensor of shape \[1048576, 1048576\] \(1099511627776 elements\): 4398046511104 bytes \(4\.0 TiB\): /);
    expect(errorOf(() => zeros([2 ** 20, 1]).mul(zeros([1, 2 ** 20])))).toMatch(/^mul: cannot allocate 1099511627776 float32 elements: 4398046511104 bytes \(4\.0 TiB\): /);
  });
});

describe('the options object: an unknown key or something else where the options go is an error naming the function', () => {
  // Each creation function, called with `options` where its options go; the accepted keys as the message lists them.
  const takers: [string, (options: unknown) => unknown, string][] = [
    ['tensor', (o) => tensor([1, 2, 3, 4], o as object), 'dtype, requiresGrad, shape'],
    ['zeros', (o) => zeros([2], o as object), 'dtype, requiresGrad'],
    ['ones', (o) => ones([2], o as object), 'dtype, requiresGrad'],
    ['full', (o) => full([2], 1, o as object), 'dtype, requiresGrad'],
    ['zerosLike', (o) => zerosLike(zeros([2]), o as object), 'dtype, requiresGrad'],
    ['onesLike', (o) => onesLike(zeros([2]), o as object), 'dtype, requiresGrad'],
    ['arange', (o) => arange(0, 4, 1, o as object), 'dtype, requiresGrad'],
    ['eye', (o) => eye(2, 2, o as object), 'dtype, requiresGrad'],
    ['rand', (o) => rand([2], o as object), 'dtype, requiresGrad, generator'],
    ['randn', (o) => randn([2], o as object), 'dtype, requiresGrad, generator'],
    ['randint', (o) => randint(0, 5, [2], o as object), 'dtype, generator'],
    ['randperm', (o) => randperm(4, o as object), 'dtype, generator'],
  ];
  for (const [name, create, expected] of takers) {
    it(name, () => {
      expect(errorOf(() => create({ dtpye: 'float64' }))).toBe(`${name}: unknown option 'dtpye' (expected ${expected})`);
      expect(errorOf(() => create({ requires_grad: true }))).toBe(
        expected.includes('requiresGrad')
          ? `${name}: unknown option 'requires_grad' — did you mean 'requiresGrad'? (expected ${expected})`
          : `${name}: unknown option 'requires_grad' (expected ${expected})`,
      );
      expect(errorOf(() => create('float64'))).toBe(`${name}: options must be an object with keys among ${expected}, got string "float64"`);
      // The accepted keys still work, and no options at all is fine.
      expect((create({ dtype: 'float64' }) as Tensor).dtype).toBe('float64');
      expect(create(undefined)).toBeInstanceOf(Tensor);
    });
  }

  it('tensor(data, [2, 2]): the shape where the options go is an error with the fix, not a 1-d tensor', () => {
    expect(errorOf(() => tensor([1, 2, 3, 4], [2, 2] as object))).toBe(
      'tensor: options must be an object with keys among dtype, requiresGrad, shape, got an array [2, 2] — did you mean { shape: [2, 2] }?',
    );
    expect(tensor([1, 2, 3, 4], { shape: [2, 2] }).shape).toEqual([2, 2]);
  });
});
