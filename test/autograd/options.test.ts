// The options objects of the autograd surface (the Tensor constructor, var/std/sort/topk/backward,
// autograd.grad, autograd.functional, gradcheck/gradgradcheck): an unknown key, PyTorch's
// snake_case keyword or a string/array where the options go is an error naming the function the
// user called, before any work; valid options still take effect.
import { describe, expect, it } from 'vitest';
import { autograd, gradcheck, gradgradcheck, NDArray, Tensor, tensor } from '../../src/index.js';
import { testOptionsRows, type OptionsRow } from '../helpers/options-table.js';

const f64 = { dtype: 'float64' as const };
const leaf = (): Tensor => tensor([1, 2], { ...f64, requiresGrad: true });
const cube = (x: Tensor): Tensor => x.pow(3).sum();
const values = (t: Tensor | null | undefined): number[] => Array.from(t!.toArray());

const rows: OptionsRow[] = [
  {
    name: 'Tensor', call: (o) => new Tensor(NDArray.zeros([2], 'float32'), o as object), expected: 'requiresGrad, gradFn',
    typo: 'requireGrad', snake: ['requires_grad', 'requiresGrad'],
    works: () => expect(new Tensor(NDArray.zeros([2], 'float32'), { requiresGrad: true }).requiresGrad).toBe(true),
  },
  {
    name: 'var', call: (o) => tensor([1, 2, 3, 4]).var(undefined, o as object), expected: 'unbiased, keepdim', typo: 'unbias',
    works: () => expect(tensor([1, 2, 3, 4], f64).var(undefined, { unbiased: false }).item()).toBe(1.25),
  },
  {
    name: 'std', call: (o) => tensor([1, 2, 3, 4]).std(0, o as object), expected: 'unbiased, keepdim', typo: 'keepDim',
    works: () => expect(values(tensor([[1, 3], [5, 5]]).std(1, { unbiased: false, keepdim: true }))).toEqual([1, 0]),
  },
  {
    name: 'sort', call: (o) => tensor([3, 1, 2]).sort(-1, o as object), expected: 'descending', typo: 'descend',
    works: () => expect(values(tensor([3, 1, 2]).sort(-1, { descending: true }).values)).toEqual([3, 2, 1]),
  },
  {
    name: 'topk', call: (o) => tensor([1, 9, 4, 7]).topk(2, -1, o as object), expected: 'largest, sorted', typo: 'largets',
    works: () => expect(values(tensor([1, 9, 4, 7]).topk(2, -1, { largest: false }).values)).toEqual([1, 4]),
  },
  {
    name: 'backward', call: (o) => cube(leaf()).backward(undefined, o as object), expected: 'retainGraph, createGraph',
    typo: 'retainGraphs', snake: ['retain_graph', 'retainGraph'],
    works: () => {
      const x = leaf();
      cube(x).backward(undefined, { createGraph: true });
      expect(x.grad!.requiresGrad).toBe(true); // 3x², differentiable
    },
  },
  {
    name: 'autograd.grad', call: (o) => { const x = leaf(); return autograd.grad(cube(x), x, o as object); },
    expected: 'gradOutputs, retainGraph, createGraph, allowUnused', typo: 'allowUnsued', snake: ['allow_unused', 'allowUnused'],
    works: () => {
      const x = leaf();
      expect(autograd.grad(cube(x), [x, leaf()], { allowUnused: true })[1]).toBeNull();
    },
  },
  {
    name: 'vjp', call: (o) => autograd.functional.vjp(cube, leaf(), undefined, o as object), expected: 'createGraph, strict',
    typo: 'strictly', snake: ['create_graph', 'createGraph'],
    works: () => expect(autograd.functional.vjp(cube, leaf(), undefined, { createGraph: true }).vjp.requiresGrad).toBe(true),
  },
  {
    name: 'jvp', call: (o) => autograd.functional.jvp(cube, leaf(), tensor([1, 0], f64), o as object), expected: 'createGraph, strict',
    typo: 'strictly', snake: ['create_graph', 'createGraph'],
    works: () => expect(autograd.functional.jvp(cube, leaf(), tensor([1, 0], f64), { createGraph: true }).jvp.requiresGrad).toBe(true),
  },
  {
    name: 'hvp', call: (o) => autograd.functional.hvp(cube, leaf(), tensor([1, 0], f64), o as object), expected: 'createGraph, strict',
    typo: 'strictly', snake: ['create_graph', 'createGraph'],
    works: () => expect(autograd.functional.hvp(cube, leaf(), tensor([1, 0], f64), { createGraph: true }).hvp.requiresGrad).toBe(true),
  },
  {
    name: 'jacobian', call: (o) => autograd.functional.jacobian((x: Tensor) => x.mul(x), leaf(), o as object),
    expected: 'createGraph, strict, vectorize', typo: 'vectorise', snake: ['create_graph', 'createGraph'],
    works: () => expect(autograd.functional.jacobian((x: Tensor) => x.mul(x), leaf(), { createGraph: true }).requiresGrad).toBe(true),
  },
  {
    name: 'hessian', call: (o) => autograd.functional.hessian(cube, leaf(), o as object),
    expected: 'createGraph, strict, vectorize', typo: 'vectorise', snake: ['create_graph', 'createGraph'],
    works: () => expect(autograd.functional.hessian(cube, leaf(), { createGraph: true }).requiresGrad).toBe(true),
  },
  {
    name: 'gradcheck', call: (o) => gradcheck(cube, [leaf()], o as object),
    expected: 'eps, atol, rtol, fastMode, maxFullEntries, seed, reportRows', typo: 'epsilon', snake: ['fast_mode', 'fastMode'],
    // rtol and atol 0 would fail on the rounding of central differences: the tolerances are used.
    works: () => expect(gradcheck(cube, [leaf()], { atol: 0, rtol: 0 }).ok).toBe(false),
  },
  {
    name: 'gradgradcheck', call: (o) => gradgradcheck(cube, [leaf()], o as object),
    expected: 'eps, atol, rtol, fastMode, maxFullEntries, seed, reportRows, gradOutputs', typo: 'gradOutput', snake: ['grad_outputs', 'gradOutputs'],
    works: () => expect(gradgradcheck(cube, [leaf()], { gradOutputs: [tensor(2, f64)] }).ok).toBe(true),
  },
];

describe('autograd options: an unknown key or a non-object where the options go is an error naming the function', () => {
  testOptionsRows(rows);

  it('no options at all is fine', () => {
    for (const { call } of rows) expect(() => call(undefined as never)).not.toThrow();
  });
});
