/**
 * Boolean flags and dims take only what they mean. A flag written positionally (sum's keepdim,
 * train's mode, dropout's training) once took any truthy value as true: `x.sum(1, { keepdim: false })`
 * — PyTorch's keyword written as an object, the likeliest slip — kept the dim, and
 * `model.train('eval')` trained. A dim that was not a number or an array failed inside the code
 * ("list.map is not a function"). Each is now an error naming the function and the argument, as
 * PyTorch's TypeError/ValueError; true, false and leaving the flag out still work.
 */
import { describe, expect, it } from 'vitest';
import { F, nn, optim, tensor, type Tensor } from '../../src/index.js';
import { errorOf } from '../helpers/expect-error.js';

const x = (): Tensor => tensor([[1, 2, 3], [4, 5, 6]]);

/** Every flag: its name in errors, the call with `flag`, and the result's shape with true and with false. */
const flags: { where: string; name: string; call: (flag: unknown) => unknown; shapes?: [number[], number[]] }[] = [
  ...(['sum', 'mean', 'max', 'min', 'prod', 'logsumexp', 'all', 'any'] as const).map((op) => ({
    where: op, name: 'keepdim', call: (k: unknown) => (x()[op] as (dim: number, keepdim: unknown) => Tensor)(1, k), shapes: [[2, 1], [2]] as [number[], number[]],
  })),
  ...(['argmax', 'argmin'] as const).map((op) => ({
    where: op, name: 'keepdim', call: (k: unknown) => (x()[op] as (dim: number, keepdim: unknown) => Tensor)(1, k), shapes: [[2, 1], [2]] as [number[], number[]],
  })),
  { where: 'norm', name: 'keepdim', call: (k) => x().norm(2, 1, k as boolean), shapes: [[2, 1], [2]] },
  { where: 'var', name: 'keepdim', call: (k) => x().var(1, { keepdim: k as boolean }), shapes: [[2, 1], [2]] },
  { where: 'var', name: 'unbiased', call: (u) => x().var(1, { unbiased: u as boolean }), shapes: [[2], [2]] },
  { where: 'std', name: 'keepdim', call: (k) => x().std(1, { keepdim: k as boolean }), shapes: [[2, 1], [2]] },
  { where: 'std', name: 'unbiased', call: (u) => x().std(1, { unbiased: u as boolean }), shapes: [[2], [2]] },
  { where: 'sort', name: 'descending', call: (d) => x().sort(1, { descending: d as boolean }).values, shapes: [[2, 3], [2, 3]] },
  { where: 'topk', name: 'largest', call: (l) => x().topk(2, 1, { largest: l as boolean }).values, shapes: [[2, 2], [2, 2]] },
  { where: 'topk', name: 'sorted', call: (s) => x().topk(2, 1, { sorted: s as boolean }).values, shapes: [[2, 2], [2, 2]] },
  { where: 'dropout', name: 'training', call: (t) => F.dropout(x(), 0.5, t as boolean), shapes: [[2, 3], [2, 3]] },
  { where: 'dropout2d', name: 'training', call: (t) => F.dropout2d(tensor([[[[1]]]]), 0.5, t as boolean), shapes: [[1, 1, 1, 1], [1, 1, 1, 1]] },
  {
    where: 'batchNorm', name: 'training',
    call: (t) => F.batchNorm(x(), tensor([0, 0, 0]), tensor([1, 1, 1]), { training: t as boolean }), shapes: [[2, 3], [2, 3]],
  },
  { where: 'Linear.train', name: 'mode', call: (m) => new nn.Linear(2, 2).train(m as boolean) },
  { where: 'Parameter', name: 'requiresGrad', call: (r) => new nn.Parameter(x(), r as boolean) },
  { where: 'requiresGrad', name: 'requiresGrad', call: (r) => { x().requiresGrad = r as boolean; } },
  { where: 'SGD.zeroGrad', name: 'setToNone', call: (s) => new optim.SGD([tensor([1], { requiresGrad: true })], { lr: 0.1 }).zeroGrad(s as boolean) },
];

describe('a flag that is not true or false is an error naming the function and the flag', () => {
  for (const { where, name, call, shapes } of flags) {
    it(`${where}: ${name}`, () => {
      expect(errorOf(() => call('false'))).toBe(`${where}: ${name} must be true or false, got string "false"`);
      expect(errorOf(() => call(1))).toBe(`${where}: ${name} must be true or false, got number 1`);
      expect(errorOf(() => call(null))).toBe(`${where}: ${name} must be true or false, got null`);
      expect(errorOf(() => call({ [name]: false }))).toBe(
        `${where}: ${name} must be true or false, got an object {"${name}":false} (${name} is given on its own here, as true or false, not as { ${name}: … })`,
      );
      if (shapes !== undefined) {
        expect((call(true) as Tensor).shape).toEqual(shapes[0]);
        expect((call(false) as Tensor).shape).toEqual(shapes[1]);
      } else {
        expect(() => call(true)).not.toThrow();
        expect(() => call(false)).not.toThrow();
      }
    });
  }

  it('x.sum(1, { keepdim: false }) — the repro: it kept the dim', () => {
    expect(errorOf(() => x().sum(1, { keepdim: false } as unknown as boolean))).toMatch(/^sum: keepdim must be true or false/);
    expect(x().sum(1, false).shape).toEqual([2]);
  });

  it("model.train('eval') is an error, not training mode", () => {
    const model = new nn.Sequential(new nn.Linear(2, 2), new nn.Dropout(0.5));
    expect(errorOf(() => model.train('eval' as unknown as boolean))).toBe('Sequential.train: mode must be true or false, got string "eval"');
    expect(model.train(false).training).toBe(false);
  });
});

describe('a dim that is not an integer or an array of them is an error naming the op', () => {
  for (const op of ['sum', 'mean', 'max', 'min', 'prod', 'all', 'any', 'var', 'std'] as const) {
    it(op, () => {
      const reduce = x()[op] as (dim: unknown) => Tensor;
      expect(errorOf(() => reduce.call(x(), '1'))).toBe(`${op}: dim must be an integer or an array of integers, got string "1"`);
      expect(errorOf(() => reduce.call(x(), true))).toBe(`${op}: dim must be an integer or an array of integers, got boolean true`);
      expect(reduce.call(x(), 1).shape).toEqual([2]);
      expect(reduce.call(x(), [0, 1]).shape).toEqual([]);
    });
  }
});

describe('a boolean option given something else is an error (checkOptions checks every option its names mark as a flag)', () => {
  // The compiler makes every boolean option of every options type a 'flag' (OptionNames); these
  // are the ones that silently changed a model or an update when given 'false' or 0.
  const cases: [string, () => unknown, string][] = [
    ['Linear bias', () => new nn.Linear(2, 2, { bias: 'false' as never }), 'Linear: bias must be true or false, got string "false"'],
    ['Conv2d bias', () => new nn.Conv2d(1, 1, 3, { bias: 0 as never }), 'Conv2d: bias must be true or false, got number 0'],
    ['BatchNorm2d affine', () => new nn.BatchNorm2d(2, { affine: 'false' as never }), 'BatchNorm2d: affine must be true or false, got string "false"'],
    ['SGD nesterov', () => new optim.SGD([tensor([1], { requiresGrad: true })], { lr: 0.1, momentum: 0.9, nesterov: 'false' as never }), 'SGD: nesterov must be true or false, got string "false"'],
    ['Adam amsgrad', () => new optim.Adam([tensor([1], { requiresGrad: true })], { amsgrad: 'no' as never }), 'Adam: amsgrad must be true or false, got string "no"'],
    ['interpolate alignCorners', () => F.interpolate(tensor([[[[1, 2], [3, 4]]]]), { scaleFactor: 2, mode: 'bilinear', alignCorners: 'false' as never }), 'interpolate: alignCorners must be true or false, got string "false"'],
    ['tensor requiresGrad', () => tensor([1], { requiresGrad: 1 as never }), 'tensor: requiresGrad must be true or false, got number 1'],
    ['backward retainGraph', () => tensor([1], { requiresGrad: true }).mul(2).sum().backward(undefined, { retainGraph: 'no' as never }), 'backward: retainGraph must be true or false, got string "no"'],
  ];
  for (const [name, call, message] of cases) {
    it(name, () => {
      expect(errorOf(call)).toBe(message);
    });
  }

  it('true and false still work', () => {
    expect(new nn.Linear(2, 2, { bias: false }).parameters()).toHaveLength(1);
    expect(new nn.BatchNorm2d(2, { affine: false }).parameters()).toHaveLength(0);
    expect(tensor([1], { requiresGrad: true }).requiresGrad).toBe(true);
  });
});
