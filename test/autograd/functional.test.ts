// autograd.functional against derivatives worked out by hand (in the comments), and the
// structure of its results (PyTorch's tuple rules: a Tensor where one Tensor went in).
import { describe, expect, it } from 'vitest';
import { autograd, customOp, NDArray, tensor, type Tensor } from '../../src/index.js';

const f64 = { dtype: 'float64' as const };
const v = (t: Tensor): number[] => Array.from(t.toArray());

describe('autograd.functional', () => {
  // f(x, y) = [x0²·y, x1·y]  (x: [2], y: [] )
  const f = (x: Tensor, y: Tensor): Tensor => x.mul(x.mul(tensor([1, 0], f64)).add(tensor([0, 1], f64))).mul(y);

  it('jacobian of one input and one output is a tensor of shape [...out, ...in]', () => {
    const J = autograd.functional.jacobian((x) => x.mul(x).mul(2), tensor([1, 3], f64));
    expect(J.shape).toEqual([2, 2]);
    expect(v(J)).toEqual([4, 0, 0, 12]); // diag(4x)
  });

  it('jacobian with several inputs nests by input', () => {
    const [Jx, Jy] = autograd.functional.jacobian(f, [tensor([2, 5], f64), tensor(3, f64)]);
    // ∂f/∂x = [[2·x0·y, 0], [0, y]] = [[12, 0], [0, 3]];  ∂f/∂y = [x0², x1] = [4, 5]
    expect(v(Jx!)).toEqual([12, 0, 0, 3]);
    expect(Jy!.shape).toEqual([2]);
    expect(v(Jy!)).toEqual([4, 5]);
  });

  it('vjp and jvp agree with the Jacobian', () => {
    const x = tensor([2, 5], f64);
    const y = tensor(3, f64);
    const { output, vjp } = autograd.functional.vjp(f, [x, y], tensor([1, 2], f64));
    expect(v(output)).toEqual([12, 15]);
    expect(v(vjp[0]!)).toEqual([12, 6]); // [1, 2]·[[12, 0], [0, 3]]
    expect(v(vjp[1]!)).toEqual([14]);    // [1, 2]·[4, 5]
    const { jvp } = autograd.functional.jvp(f, [x, y], [tensor([1, 0], f64), tensor(1, f64)]);
    expect(v(jvp)).toEqual([16, 5]);      // Jx·[1, 0] + Jy·1 = [12, 0] + [4, 5]
  });

  it('hvp and hessian of f(x) = x0²·x1 + x1³', () => {
    const g = (x: Tensor): Tensor => x.narrow(0, 0, 1).pow(2).mul(x.narrow(0, 1, 1)).add(x.narrow(0, 1, 1).pow(3)).sum();
    const x = tensor([1, 2], f64);
    // H = [[2·x1, 2·x0], [2·x0, 6·x1]] = [[4, 2], [2, 12]]
    const H = autograd.functional.hessian(g, x);
    expect(H.shape).toEqual([2, 2]);
    expect(v(H)).toEqual([4, 2, 2, 12]);
    const { output, hvp } = autograd.functional.hvp(g, x, tensor([1, -1], f64));
    expect(output.item()).toBe(10);
    expect(v(hvp)).toEqual([2, -10]);
    const blocks = autograd.functional.hessian((a, b) => a.mul(b).sum().mul(a.sum()), [tensor([1], f64), tensor([2], f64)]);
    // f = a²b: ∂²/∂a² = 2b = 4, ∂²/∂a∂b = 2a = 2, ∂²/∂b² = 0
    expect(blocks.map((row) => row.map((t) => t.item()))).toEqual([[4, 2], [2, 0]]);
  });

  it('unused inputs give zeros, or an error with strict', () => {
    const { vjp } = autograd.functional.vjp((a, _b) => a.mul(2).sum(), [tensor([1], f64), tensor([1, 2], f64)]);
    expect(v(vjp[1]!)).toEqual([0, 0]);
    expect(() => autograd.functional.vjp((a, _b) => a.mul(2).sum(), [tensor([1], f64), tensor([1, 2], f64)], undefined, { strict: true })).toThrow(/strict/);
  });

  it('createGraph keeps the results differentiable; without it they are constants', () => {
    const x = tensor([1, 2], { ...f64, requiresGrad: true });
    const { vjp } = autograd.functional.vjp((t) => t.pow(3).sum(), x, undefined, { createGraph: true });
    expect(vjp.requiresGrad).toBe(true);
    const [h] = autograd.grad(vjp.sum(), x); // d/dx Σ 3x² = 6x
    expect(v(h!)).toEqual([6, 12]);
    expect(autograd.functional.vjp((t) => t.pow(3).sum(), x).vjp.requiresGrad).toBe(false);
  });

  it('bad input: vectorize: true, a non-scalar hvp function, a function returning no tensor', () => {
    const x = tensor([1, 2], f64);
    expect(() => autograd.functional.jacobian((t) => t, x, { vectorize: true as unknown as false })).toThrow(/vectorize: true is not implemented/);
    expect(() => autograd.functional.hvp((t) => t.mul(2), x, x)).toThrow(/hvp: the function must return a single one-element tensor/);
    expect(() => autograd.functional.vjp(() => 3 as unknown as Tensor, x)).toThrow(/must return a Tensor/);
  });
});

describe('customOp: clear errors for a wrong backward or forward', () => {
  const make = (grads: (g: NDArray) => unknown[]) => customOp<null>({
    name: 'myOp',
    forward: ([a]) => [a!.copy(), null],
    backward: (g) => grads(g) as (NDArray | null)[],
  });

  it('a backward returning fewer or more gradients than inputs throws, naming the op and the counts', () => {
    const a = tensor([1, 2], { ...f64, requiresGrad: true });
    const b = tensor([1, 2], { ...f64, requiresGrad: true });
    expect(() => make((g) => [g])(a, b).sum().backward()).toThrow(/customOp 'myOp': backward returned 1 gradients for 2 inputs/);
    expect(() => make((g) => [g, g, g])(a, b).sum().backward()).toThrow(/customOp 'myOp': backward returned 3 gradients for 2 inputs/);
    expect(() => make(() => [3, null])(a, b).sum().backward()).toThrow(/customOp 'myOp': backward returned number 3 as the gradient of input 0/);
  });

  it('a forward that does not return [NDArray, saved] throws, naming the op', () => {
    const bad = customOp<null>({ name: 'badForward', forward: () => [3 as unknown as NDArray, null], backward: () => [null] });
    expect(() => bad(tensor([1]))).toThrow(/customOp 'badForward': forward must return \[out, saved\] with out an NDArray; it returned number 3 as out/);
    const notArray = customOp<null>({ name: 'notArray', forward: () => ({}) as unknown as [NDArray, null], backward: () => [null] });
    expect(() => notArray(tensor([1]))).toThrow(/customOp 'notArray': forward must return \[out, saved\]/);
  });
});
