// Gradients of gradients: autograd.grad, backward({ createGraph }), gradgradcheck's ability to
// fail, the exact zeros of piecewise-linear ops, and the clear errors of the second-order API.
// Expected values are worked out by hand in the comments (never computed by the code under test).
import { describe, expect, it, vi } from 'vitest';
import { ops } from '../../src/autograd/ops/index.js';
import { F, autograd, gradgradcheck, randn, tensor, manualSeed, customOp, NDArray, type Tensor } from '../../src/index.js';
import { GraphNode } from '../../src/autograd/node.js';
import { Tensor as TensorClass } from '../../src/autograd/tensor.js';

const f64 = { dtype: 'float64' as const };
const leaf = (values: number[], shape?: number[]): Tensor => tensor(values, { ...f64, requiresGrad: true, ...(shape ? { shape } : {}) });
const values = (t: Tensor | null): number[] => Array.from(t!.toArray());

describe('autograd.grad', () => {
  it('returns first and second derivatives of x³ without touching .grad', () => {
    const x = leaf([1, 2, -3]);
    const [g] = autograd.grad(x.pow(3).sum(), x, { createGraph: true });
    expect(values(g!)).toEqual([3, 12, 27]); // 3x²
    expect(x.grad).toBeNull();
    const [h] = autograd.grad(g!.sum(), x);
    expect(values(h!)).toEqual([6, 12, -18]); // 6x
  });

  it('takes gradOutputs for non-scalar outputs and sums over several outputs', () => {
    const x = leaf([1, 2]);
    const y1 = x.mul(x); // dy1/dx = 2x
    const y2 = x.mul(3); // dy2/dx = 3
    const [g] = autograd.grad([y1, y2], [x], { gradOutputs: [tensor([1, 10], f64), tensor([2, 2], f64)] });
    // 1·2·1 + 2·3 = 8;  10·2·2 + 2·3 = 46
    expect(values(g!)).toEqual([8, 46]);
  });

  it('gives gradients of non-leaf inputs', () => {
    const x = leaf([2]);
    const u = x.mul(x); // u = 4
    const y = u.mul(u).mul(u); // y = u³, dy/du = 3u² = 48
    const [gu, gx] = autograd.grad(y, [u, x]);
    expect(values(gu!)).toEqual([48]);
    expect(values(gx!)).toEqual([192]); // dy/dx = 6x⁵ = 192
  });

  it('runs only the backward of nodes that lead to the requested inputs', () => {
    const spy = vi.spyOn(ops.exp, 'backward');
    try {
      const a = leaf([1, 2]);
      const b = a.exp(); // upstream of b: its backward is not needed for ∂c/∂b
      const [g] = autograd.grad(b.mul(b).sum(), b);
      expect(values(g!)).toEqual([2 * Math.exp(1), 2 * Math.exp(2)]);
      expect(spy).not.toHaveBeenCalled();
      autograd.grad(b.exp().sum(), a);
      expect(spy).toHaveBeenCalledTimes(2); // b.exp() and a.exp() lead to a
    } finally {
      spy.mockRestore();
    }
  });

  it('differentiates a gradient penalty: d/dx ‖∇ₓ f‖² for f = Σ x²·w', () => {
    const x = leaf([1, 2]);
    const w = leaf([3, -1]);
    const [g] = autograd.grad(x.mul(x).mul(w).sum(), x, { createGraph: true }); // 2xw = [6, -4]
    const penalty = g!.mul(g!).sum(); // Σ 4x²w²
    const [dx, dw] = autograd.grad(penalty, [x, w]);
    expect(values(dx!)).toEqual([72, 16]); // 8xw²
    expect(values(dw!)).toEqual([24, -32]); // 8x²w
  });

  it('through relu, abs, max and maxPool2d the second derivative is exact zeros, not missing', () => {
    const x = leaf([0.5, -1, 2, 3]);
    const cases: [string, (t: Tensor) => Tensor][] = [
      ['relu', (t) => t.relu().mul(t.relu()).sum().add(t.relu().sum())],
      ['abs', (t) => t.abs().sum()],
      ['max', (t) => t.max()],
      ['leakyRelu', (t) => F.leakyRelu(t, 0.1).sum()],
      ['maxPool2d', (t) => F.maxPool2d(t.reshape([1, 1, 2, 2]), 2).sum()],
    ];
    for (const [name, fn] of cases) {
      const [g] = autograd.grad(fn(x), x, { createGraph: true });
      if (name === 'relu') {
        // d/dx (relu² + relu) = (2·relu + 1)·[x > 0]; d²/dx² = 2·[x > 0]
        const [h] = autograd.grad(g!.sum(), x);
        expect(values(h!), name).toEqual([2, 0, 2, 2]);
        continue;
      }
      const [h] = autograd.grad(g!.sum(), x);
      expect(h, name).not.toBeNull();
      expect(values(h!).every((v) => Object.is(v, 0)), `${name}: ${values(h!)}`).toBe(true);
    }
  });

  it('backward({ createGraph }) accumulates a differentiable .grad', () => {
    const x = leaf([3]);
    x.pow(3).sum().backward(undefined, { createGraph: true });
    const g = x.grad!;
    expect(g.requiresGrad).toBe(true);
    expect(g.item()).toBe(27); // 3x²
    x.grad = null;
    g.sum().backward();
    expect(x.grad!.item()).toBe(18); // 6x
  });

  it('bad input: clear errors naming the problem', () => {
    const x = leaf([1, 2]);
    const unused = leaf([1]);
    expect(() => autograd.grad(x.mul(2).sum(), [x, unused])).toThrow(/input 1 .* was not used to compute the outputs .*allowUnused/);
    expect(autograd.grad(x.mul(2).sum(), [x, unused], { allowUnused: true })[1]).toBeNull();
    expect(() => autograd.grad(x.mul(2), x)).toThrow(/grad can be implicitly created only for scalar outputs/);
    const noGraph = autograd.grad(x.mul(x).sum(), x)[0]!; // first order only
    expect(() => autograd.grad(noGraph.sum(), x)).toThrow(/does not require grad .*createGraph: true/);
    expect(() => autograd.grad(x.sum(), tensor([1], f64))).toThrow(/input 0 .* does not require grad/);
    const y = x.mul(x).sum();
    autograd.grad(y, x); // frees the graph (retainGraph defaults to createGraph = false)
    expect(() => autograd.grad(y, x)).toThrow(/backward through the graph a second time/);
    expect(() => autograd.grad(x.sum(), x, { gradOutputs: [tensor(1, f64), tensor(1, f64)] })).toThrow(/2 gradOutputs for 1 outputs/);
  });

  it('a custom op is once differentiable: its second derivative throws, naming the op', () => {
    const cube = customOp<NDArray>({
      name: 'cube',
      forward: ([a]) => [new NDArray(Float64Array.from(a!.flat(), (v) => v * v * v), [...a!.shape]), a!],
      backward: (g, a) => [new NDArray(Float64Array.from(a.flat(), (v, i) => 3 * v * v * g.flat()[i]!), [...a.shape])],
    });
    const x = leaf([2]);
    const [g] = autograd.grad(cube(x).sum(), x, { createGraph: true });
    expect(values(g!)).toEqual([12]);
    expect(() => autograd.grad(g!.sum(), x)).toThrow(/customOp 'cube'.*cannot be differentiated again/);
  });
});

describe('gradgradcheck', () => {
  it('passes for smooth compositions and reports the inputs and upstream gradients by name', () => {
    manualSeed(3);
    const a = randn([2, 3], { ...f64, requiresGrad: true });
    const b = randn([3, 2], { ...f64, requiresGrad: true });
    const result = gradgradcheck((p, q) => p.matmul(q).tanh().mul(p.sum()), [a, b]);
    expect(result.ok, result.report).toBe(true);
    expect(result.report).toMatch(/^gradgradcheck passed/);
  });

  it('fails on an op whose first derivative is right but whose recorded backward is not', () => {
    // square(x) with backward 2·x·g where x is taken as a constant (detached): first derivatives
    // are right, the second derivative misses the 2·g term.
    const square = (x: Tensor): Tensor => {
      const node = new GraphNode('detachedSquare', [x], [true], (g) => [g.mul(x.detach()).mul(2)]);
      return new TensorClass(x.array.copy(), { requiresGrad: true, gradFn: node }).mul(x.detach());
    };
    const x = leaf([0.5, -1.5]);
    const result = gradgradcheck((t) => square(t).sum().mul(t.sum()), [x]);
    expect(result.ok).toBe(false);
    expect(result.report).toMatch(/^gradgradcheck failed/);
    expect(result.report).toMatch(/\| input/);
  });

  it('needs float64 inputs', () => {
    expect(() => gradgradcheck((t) => t.sum(), [randn([2], { requiresGrad: true })])).toThrow(/float64/);
  });
});
