// Hooks (Tensor.registerHook, retainGrad, module forward and forward-pre hooks), Module.apply,
// requiresGrad_, ModuleDict and ParameterList. Expected values are worked out by hand.
import { describe, expect, it } from 'vitest';
import { autograd, nn, ones, tensor, zeros, type Tensor } from '../../src/index.js';

const f64 = { dtype: 'float64' as const };
const v = (t: Tensor | null): number[] => Array.from(t!.toArray());

describe('Tensor.registerHook and retainGrad', () => {
  it('a hook sees the complete gradient and may replace it; remove() unregisters it', () => {
    const x = tensor([1, 2], { ...f64, requiresGrad: true });
    const y = x.mul(3);
    const seen: number[][] = [];
    const handle = y.registerHook((g) => {
      seen.push(v(g));
      return g.mul(10);
    });
    y.sum().add(y.mul(2).sum()).backward(); // dy = 1 + 2 = 3 (complete, both uses summed)
    expect(seen).toEqual([[3, 3]]);
    expect(v(x.grad)).toEqual([90, 90]); // 3 · 10 · 3
    handle.remove();
    x.grad = null;
    x.mul(3).sum().backward();
    expect(v(x.grad)).toEqual([3, 3]);
  });

  it('leaf hooks run before accumulation, and also in autograd.grad', () => {
    const x = tensor([1, 2], { ...f64, requiresGrad: true });
    x.registerHook((g) => g.add(1));
    x.mul(x).sum().backward(); // 2x + 1
    expect(v(x.grad)).toEqual([3, 5]);
    const [g] = autograd.grad(x.mul(4).sum(), x);
    expect(v(g!)).toEqual([5, 5]);
  });

  it('retainGrad keeps a non-leaf gradient, adding across backward calls', () => {
    const x = tensor([1, 2], { ...f64, requiresGrad: true });
    const y = x.mul(x);
    y.retainGrad();
    y.retainGrad(); // twice registers once
    const z = y.mul(tensor([5, 7], f64)).sum();
    z.backward(undefined, { retainGraph: true });
    expect(v(y.grad)).toEqual([5, 7]);
    z.backward();
    expect(v(y.grad)).toEqual([10, 14]);
  });

  it('bad input: a hook returning the wrong shape, a non-function, a tensor without grad', () => {
    const x = tensor([1, 2], { ...f64, requiresGrad: true });
    const y = x.mul(2);
    y.registerHook(() => zeros([3], f64));
    expect(() => y.sum().backward()).toThrow(/registerHook \(mul\): a hook returned a gradient of shape \[3\] and dtype float64; expected shape \[2\] and dtype float64/);
    expect(() => x.registerHook(3 as unknown as () => void)).toThrow(/registerHook: expected a function, got number/);
    expect(() => tensor([1]).registerHook(() => undefined)).toThrow(/does not require grad/);
    const w = tensor([1, 2], { ...f64, requiresGrad: true });
    w.registerHook(() => 'x' as unknown as Tensor);
    expect(() => w.sum().backward()).toThrow(/a hook returned string/);
  });
});

describe('module hooks, apply and requiresGrad_', () => {
  it('forward pre-hooks replace inputs, forward hooks replace outputs, in order; remove() works', () => {
    const layer = new nn.Linear(2, 1, { bias: false });
    nn.init.ones(layer.weight);
    const calls: string[] = [];
    const pre = layer.registerForwardPreHook((_m, [x]) => {
      calls.push('pre');
      return x!.mul(2);
    });
    const post = layer.registerForwardHook((_m, inputs, out) => {
      calls.push(`post sees input ${v(inputs[0]!)}`);
      return out.add(1);
    });
    expect(layer.call(ones([1, 2])).item()).toBe(5); // (2 + 2) + 1
    expect(calls).toEqual(['pre', 'post sees input 2,2']);
    pre.remove();
    post.remove();
    expect(layer.call(ones([1, 2])).item()).toBe(2);
  });

  it('a hook returning something else is a clear error naming the module', () => {
    const layer = new nn.Linear(2, 1);
    layer.registerForwardHook(() => 3 as unknown as Tensor);
    expect(() => layer.call(ones([1, 2]))).toThrow(/Linear: a forward hook returned number 3/);
    const other = new nn.Linear(2, 1);
    other.registerForwardPreHook(() => [3] as unknown as Tensor[]);
    expect(() => other.call(ones([1, 2]))).toThrow(/Linear: a forward pre-hook returned/);
  });

  it('apply visits children before the parent; requiresGrad_ freezes every parameter', () => {
    const inner = new nn.Sequential(new nn.Linear(2, 2));
    const model = new nn.Sequential(inner, new nn.ReLU());
    const order: nn.Module[] = [];
    model.apply((m) => order.push(m));
    expect(order).toEqual([inner.at(0), inner, model.at(1), model]);
    model.requiresGrad_(false);
    expect(model.parameters().every((p) => !p.requiresGrad)).toBe(true);
    model.requiresGrad_();
    expect(model.parameters().every((p) => p.requiresGrad)).toBe(true);
    expect(() => model.requiresGrad_('no' as unknown as boolean)).toThrow(/expected a boolean/);
  });
});

describe('ModuleDict and ParameterList', () => {
  it("ModuleDict registers children under its keys (PyTorch's state-dict names)", () => {
    const d = new nn.ModuleDict({ a: new nn.Linear(2, 3) });
    d.set('b', new nn.Linear(3, 1, { bias: false }));
    expect([...d.stateDict().keys()]).toEqual(['a.weight', 'a.bias', 'b.weight']);
    expect(d.keys()).toEqual(['a', 'b']);
    expect(d.size).toBe(2);
    expect(d.has('a')).toBe(true);
    expect(d.get('b').call(d.get('a').call(ones([1, 2]))).shape).toEqual([1, 1]);
    expect(() => d.get('c')).toThrow(/no module under 'c' \(keys: a, b\)/);
    expect(() => d.set('x.y', new nn.ReLU())).toThrow(/without '\.'/);
    expect(() => d.call(ones([1]))).toThrow(/ModuleDict is not callable/);
    expect(new nn.ModuleDict([['z', new nn.ReLU()]]).keys()).toEqual(['z']);
  });

  it('ParameterList registers parameters as 0, 1, … and the optimizer sees them', () => {
    const list = new nn.ParameterList([new nn.Parameter(zeros([2])), new nn.Parameter(ones([3]))]);
    expect([...list.stateDict().keys()]).toEqual(['0', '1']);
    expect(list.parameters()).toHaveLength(2);
    expect(list.at(-1).shape).toEqual([3]);
    expect([...list].map((p) => p.numel)).toEqual([2, 3]);
    expect(() => list.append(zeros([1]) as unknown as nn.Parameter)).toThrow(/not a Parameter/);
    expect(() => list.at(5)).toThrow(/out of range/);
  });
});
