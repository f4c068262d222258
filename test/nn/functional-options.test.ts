// The options objects of the F functions are checked: an unknown key (a typo, PyTorch's
// snake_case keyword) or a string or array where the options go is an error naming the function,
// not an option silently ignored and a different result.
import { describe, expect, it } from 'vitest';
import { F, ones, tensor, type Tensor } from '../../src/index.js';
import { eluAlpha, hardtanhBounds, softplusParams } from '../../src/nn/functional/activation-more.js';
import { errorOf } from '../helpers/expect-error.js';


interface Case {
  /** The function's name, as its errors start. */
  name: string;
  /** Calls it on tiny valid inputs with `options` where its options go. */
  call: (options: unknown) => unknown;
  /** The accepted keys, in the order the message lists them. */
  keys: string;
  /** PyTorch's snake_case keyword and the camelCase option it names, where the function has one. */
  snake?: [string, string];
  /** Valid options and a check that they took effect. */
  valid: [object, (result: unknown) => void];
  /** Where a string is taken for another form (a kernel size, a fill value): that form's own error. */
  stringError?: string;
}

const shapeOf = (shape: number[]) => (result: unknown): void => expect((result as Tensor).shape).toEqual(shape);
const valuesOf = (values: number[]) => (result: unknown): void => {
  const got = Array.from((result as Tensor).toArray());
  expect(got.length).toBe(values.length);
  got.forEach((v, i) => expect(v).toBeCloseTo(values[i]!, 4));
};
const o = (options: unknown): never => options as never;

const CASES: Case[] = [
  { name: 'conv2d', call: (opts) => F.conv2d(ones([1, 1, 4, 4]), ones([1, 1, 2, 2]), null, o(opts)), keys: 'stride, padding, dilation, groups', valid: [{ stride: 2 }, shapeOf([1, 1, 2, 2])] },
  {
    name: 'convTranspose2d', call: (opts) => F.convTranspose2d(ones([1, 1, 2, 2]), ones([1, 1, 2, 2]), null, o(opts)),
    keys: 'stride, padding, outputPadding, groups, dilation', snake: ['output_padding', 'outputPadding'], valid: [{ stride: 2, outputPadding: 1 }, shapeOf([1, 1, 5, 5])],
  },
  { name: 'conv1d', call: (opts) => F.conv1d(ones([1, 1, 5]), ones([1, 1, 2]), null, o(opts)), keys: 'stride, padding, dilation, groups', valid: [{ stride: 2 }, shapeOf([1, 1, 2])] },
  {
    name: 'maxPool2d', call: (opts) => F.maxPool2d(ones([1, 1, 4, 4]), o(opts)), keys: 'kernelSize, stride, padding, dilation, ceilMode',
    snake: ['kernel_size', 'kernelSize'], valid: [{ kernelSize: 2 }, shapeOf([1, 1, 2, 2])],
    stringError: 'maxPool2d: expected a kernel size (a number or [h, w]) or an options object with kernelSize, got string "sum"',
  },
  {
    name: 'avgPool2d', call: (opts) => F.avgPool2d(ones([1, 1, 4, 4]), o(opts)), keys: 'kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride',
    snake: ['count_include_pad', 'countIncludePad'], valid: [{ kernelSize: 2, stride: 1 }, shapeOf([1, 1, 3, 3])],
    stringError: 'avgPool2d: expected a kernel size (a number or [h, w]) or an options object with kernelSize, got string "sum"',
  },
  {
    name: 'maxPool1d', call: (opts) => F.maxPool1d(ones([1, 1, 4]), o(opts)), keys: 'kernelSize, stride, padding, dilation, ceilMode',
    snake: ['ceil_mode', 'ceilMode'], valid: [{ kernelSize: 2 }, shapeOf([1, 1, 2])],
    stringError: 'maxPool1d: expected a kernel size (a number) or an options object with a numeric kernelSize, got string "sum"',
  },
  {
    name: 'avgPool1d', call: (opts) => F.avgPool1d(ones([1, 1, 4]), o(opts)), keys: 'kernelSize, stride, padding, ceilMode, countIncludePad',
    snake: ['kernel_size', 'kernelSize'], valid: [{ kernelSize: 2, stride: 1 }, shapeOf([1, 1, 3])],
    stringError: 'avgPool1d: expected a kernel size (a number) or an options object with a numeric kernelSize, got string "sum"',
  },
  {
    name: 'interpolate', call: (opts) => F.interpolate(ones([1, 1, 2, 2]), o(opts)), keys: 'size, scaleFactor, mode, alignCorners',
    snake: ['scale_factor', 'scaleFactor'], valid: [{ scaleFactor: 2 }, shapeOf([1, 1, 4, 4])],
  },
  { name: 'gelu', call: (opts) => F.gelu(tensor([1], { dtype: 'float64' }), o(opts)), keys: 'approximate', valid: [{ approximate: 'tanh' }, valuesOf([0.8411920])] },
  { name: 'elu', call: (opts) => F.elu(tensor([-1]), o(opts)), keys: 'alpha', valid: [{ alpha: 0.5 }, valuesOf([-0.3160603])] },
  { name: 'softplus', call: (opts) => F.softplus(tensor([1]), o(opts)), keys: 'beta, threshold', valid: [{ beta: 2 }, valuesOf([1.0634860])] },
  {
    name: 'hardtanh', call: (opts) => F.hardtanh(tensor([-2, 3]), o(opts)), keys: 'minVal, maxVal',
    snake: ['min_val', 'minVal'], valid: [{ minVal: 0, maxVal: 2 }, valuesOf([0, 2])],
  },
  {
    name: 'nllLoss', call: (opts) => F.nllLoss(tensor([[-1, -2], [-3, -4]]), [0, 1], o(opts)), keys: 'reduction, ignoreIndex, weight',
    snake: ['ignore_index', 'ignoreIndex'], valid: [{ reduction: 'sum' }, valuesOf([5])],
  },
  {
    name: 'crossEntropy', call: (opts) => F.crossEntropy(tensor([[0, 0], [0, 0]]), [0, 1], o(opts)), keys: 'reduction, ignoreIndex, weight, labelSmoothing',
    snake: ['label_smoothing', 'labelSmoothing'], valid: [{ reduction: 'none' }, shapeOf([2])],
  },
  { name: 'mseLoss', call: (opts) => F.mseLoss(tensor([1, 2]), tensor([0, 0]), o(opts)), keys: 'reduction', valid: [{ reduction: 'sum' }, valuesOf([5])] },
  { name: 'l1Loss', call: (opts) => F.l1Loss(tensor([1, 2]), tensor([0, 0]), o(opts)), keys: 'reduction', valid: [{ reduction: 'sum' }, valuesOf([3])] },
  { name: 'smoothL1Loss', call: (opts) => F.smoothL1Loss(tensor([0, 0]), tensor([0.5, 3]), o(opts)), keys: 'reduction, beta', valid: [{ reduction: 'sum' }, valuesOf([2.625])] },
  { name: 'huberLoss', call: (opts) => F.huberLoss(tensor([0, 0]), tensor([0.5, 3]), o(opts)), keys: 'reduction, delta', valid: [{ delta: 2, reduction: 'sum' }, valuesOf([4.125])] },
  {
    name: 'binaryCrossEntropy', call: (opts) => F.binaryCrossEntropy(tensor([0.5, 0.5]), tensor([1, 0]), o(opts)), keys: 'weight, reduction',
    valid: [{ reduction: 'none' }, shapeOf([2])],
  },
  {
    name: 'binaryCrossEntropyWithLogits', call: (opts) => F.binaryCrossEntropyWithLogits(tensor([0, 0]), tensor([1, 0]), o(opts)), keys: 'weight, reduction, posWeight',
    snake: ['pos_weight', 'posWeight'], valid: [{ reduction: 'none' }, shapeOf([2])],
  },
  {
    name: 'klDiv', call: (opts) => F.klDiv(tensor([[-1, -1]]), tensor([[0.5, 0.5]]), o(opts)), keys: 'reduction, logTarget',
    snake: ['log_target', 'logTarget'], valid: [{ reduction: 'none' }, shapeOf([1, 2])],
  },
  { name: 'cosineSimilarity', call: (opts) => F.cosineSimilarity(tensor([[1, 0]]), tensor([[1, 1]]), o(opts)), keys: 'dim, eps', valid: [{ dim: 0 }, shapeOf([2])] },
  { name: 'pairwiseDistance', call: (opts) => F.pairwiseDistance(tensor([[0, 0]]), tensor([[3, 4]]), o(opts)), keys: 'p, eps, keepdim', valid: [{ keepdim: true }, shapeOf([1, 1])] },
  {
    name: 'embedding', call: (opts) => F.embedding([0, 1], ones([2, 3]), o(opts)), keys: 'paddingIdx, maxNorm, normType',
    snake: ['padding_idx', 'paddingIdx'], valid: [{ paddingIdx: 0 }, shapeOf([2, 3])],
  },
  {
    name: 'pad', call: (opts) => F.pad(ones([1]), [1, 0], o(opts)), keys: 'mode, value', valid: [{ value: 7 }, valuesOf([7, 1])],
    stringError: 'pad: the third argument must be a number (the value) or { mode, value }, got string "sum"',
  },
  // The shared checks of the activation options, which nn.ELU, nn.Softplus and nn.Hardtanh call with their own names.
  { name: 'ELU', call: (opts) => eluAlpha(o(opts), 'ELU'), keys: 'alpha', valid: [{ alpha: 0.5 }, (alpha) => expect(alpha).toBe(0.5)] },
  { name: 'Softplus', call: (opts) => softplusParams(o(opts), 'Softplus'), keys: 'beta, threshold', valid: [{ beta: 2 }, (p) => expect(p).toEqual({ beta: 2, threshold: 20 })] },
  {
    name: 'Hardtanh', call: (opts) => hardtanhBounds(o(opts), 'Hardtanh'), keys: 'minVal, maxVal',
    snake: ['max_val', 'maxVal'], valid: [{ maxVal: 2 }, (b) => expect(b).toEqual({ minVal: -1, maxVal: 2 })],
  },
];

describe('F functions check their options object', () => {
  for (const c of CASES) {
    it(c.name, () => {
      expect(errorOf(() => c.call({ strid: 2 }))).toBe(`${c.name}: unknown option 'strid' (expected ${c.keys})`);
      if (c.snake) {
        const [snake, camel] = c.snake;
        expect(errorOf(() => c.call({ [snake]: 1 }))).toBe(`${c.name}: unknown option '${snake}' — did you mean '${camel}'? (expected ${c.keys})`);
      }
      // A string where the options go: the options error, or the error of the other form the argument takes.
      expect(errorOf(() => c.call('sum'))).toBe(c.stringError ?? `${c.name}: options must be an object with keys among ${c.keys}, got string "sum"`);
      const [options, check] = c.valid;
      check(c.call(options));
    });
  }

  it('an array where the options go is an error, except where it is a kernel size', () => {
    expect(errorOf(() => F.conv2d(ones([1, 1, 4, 4]), ones([1, 1, 2, 2]), null, o([2, 2])))).toBe(
      'conv2d: options must be an object with keys among stride, padding, dilation, groups, got an array [2, 2]',
    );
    // pad's third argument is a fill value or the options: an array was read as { } (a zero fill).
    expect(errorOf(() => F.pad(ones([1]), [1, 0], o([7])))).toBe('pad: options must be an object with keys among mode, value, got an array [7]');
    expect(errorOf(() => F.maxPool1d(ones([1, 1, 4]), o([2])))).toBe(
      'maxPool1d: options must be an object with keys among kernelSize, stride, padding, dilation, ceilMode, got an array [2]',
    );
    expect(F.maxPool2d(ones([1, 1, 4, 4]), [2, 2]).shape).toEqual([1, 1, 2, 2]);
  });

  it('the other forms of the argument still work: a kernel size, a fill value', () => {
    expect(F.avgPool2d(ones([1, 1, 4, 4]), 2).shape).toEqual([1, 1, 2, 2]);
    expect(F.avgPool1d(ones([1, 1, 4]), 2).shape).toEqual([1, 1, 2]);
    expect(Array.from(F.pad(ones([1]), [0, 1], 5).toArray())).toEqual([1, 5]);
  });
});

describe("pooling in PyTorch's order: maxPool2d(x, 3, { stride: 2 }) as max_pool2d(x, 3, stride=2)", () => {
  // The third argument was undeclared, so JavaScript dropped it: the pool ran with stride = kernel size.
  const x = (): Tensor => tensor(Array.from({ length: 49 }, (_, i) => Math.sin(i)), { shape: [1, 1, 7, 7] });
  const x1 = (): Tensor => tensor(Array.from({ length: 9 }, (_, i) => Math.cos(i)), { shape: [1, 1, 9] });

  it('each pooling gives exactly what its options-object form gives', () => {
    const same = (a: Tensor, b: Tensor): void => {
      expect(a.shape).toEqual(b.shape);
      expect(Array.from(a.toArray())).toEqual(Array.from(b.toArray()));
    };
    same(F.maxPool2d(x(), 3, { stride: 2, padding: 1, ceilMode: true }), F.maxPool2d(x(), { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }));
    same(F.avgPool2d(x(), [3, 2], { stride: 2, countIncludePad: false }), F.avgPool2d(x(), { kernelSize: [3, 2], stride: 2, countIncludePad: false }));
    same(F.maxPool1d(x1(), 3, { stride: 2 }), F.maxPool1d(x1(), { kernelSize: 3, stride: 2 }));
    same(F.avgPool1d(x1(), 3, { stride: 1, padding: 1 }), F.avgPool1d(x1(), { kernelSize: 3, stride: 1, padding: 1 }));
    // And the stride is used: 7 → 3 with stride 2, not 2 as with the kernel size's stride.
    expect(F.maxPool2d(x(), 3, { stride: 2 }).shape).toEqual([1, 1, 3, 3]);
  });

  it('the third argument is checked like any options, and cannot repeat the kernel size or follow an options object', () => {
    expect(errorOf(() => F.avgPool2d(x(), 3, { strid: 2 } as never))).toBe(
      "avgPool2d: unknown option 'strid' (expected kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride)",
    );
    expect(errorOf(() => F.maxPool2d(x(), 3, 2 as never))).toBe(
      'maxPool2d: options must be an object with keys among kernelSize, stride, padding, dilation, ceilMode, got number 2',
    );
    expect(errorOf(() => F.maxPool2d(x(), 3, { kernelSize: 2 } as never))).toBe('maxPool2d: the kernel size is given twice (the second argument and kernelSize)');
    expect(errorOf(() => F.maxPool1d(x1(), { kernelSize: 3 }, { stride: 2 }))).toBe(
      'maxPool1d: the options are already in the second argument; give them in one object, not a third argument',
    );
    expect(errorOf(() => F.maxPool2d(x(), 3, { ceilMode: 'false' as never }))).toBe('maxPool2d: ceilMode must be true or false, got string "false"');
  });
});

describe("dropout's fourth argument is the generator (PyTorch's is inplace)", () => {
  it('a boolean or anything but a Generator is an error naming the function, before any mask is drawn', () => {
    for (const fn of ['dropout', 'dropout2d'] as const) {
      const x = ones([1, 2, 2, 2]);
      expect(errorOf(() => F[fn](x, 0.5, true, false as never))).toBe(
        `${fn}: generator must be a Generator (new Generator(seed)), got boolean false (PyTorch's inplace has no counterpart: tsgrad's ops return new tensors)`,
      );
      expect(errorOf(() => F[fn](x, 0.5, true, 7 as never))).toBe(`${fn}: generator must be a Generator (new Generator(seed)), got number 7`);
      expect(F[fn](x, 0.5, true).shape).toEqual([1, 2, 2, 2]);
    }
  });
});
