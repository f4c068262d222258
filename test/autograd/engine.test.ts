/**
 * Engine regressions, kept forever: reuse accumulates, deep graphs do not overflow the stack, a
 * freed graph refuses a second backward, noGrad/detach/requiresGrad behave as in PyTorch, and the
 * engine undoes broadcasting once and names the op when a gradient does not fit its input.
 */
import { describe, expect, it, vi } from 'vitest';
import { ones, tensor } from '../../src/autograd/creation.js';
import { enableGrad, isGradEnabled, noGrad } from '../../src/autograd/grad-mode.js';
import { GraphNode } from '../../src/autograd/node.js';
import { ops } from '../../src/autograd/ops/index.js';
import { F } from '../../src/index.js';
import { Tensor } from '../../src/autograd/tensor.js';
import { NDArray } from '../../src/tensor/ndarray.js';

const f64 = { dtype: 'float64' as const };
const leaf = (values: number[]): Tensor => tensor(values, { dtype: 'float64', requiresGrad: true });
const gradOf = (t: Tensor): number[] => Array.from(t.grad!.toArray());

describe('accumulation', () => {
  it('b = a + a; c = b + b gives a.grad = 4 (a reused input accumulates)', () => {
    const a = leaf([1, -2, 3]);
    const b = a.add(a);
    const c = b.add(b);
    c.sum().backward();
    expect(gradOf(a)).toEqual([4, 4, 4]);
  });

  it('the same for a 0-d tensor and backward() on c itself', () => {
    const a = tensor(2, { dtype: 'float64', requiresGrad: true });
    const b = a.add(a);
    b.add(b).backward();
    expect(a.grad!.item()).toBe(4);
  });

  it('a diamond: y = eᵃ, z = y·y + y gives dz/da = 2e²ᵃ + eᵃ', () => {
    const a = leaf([0.5, -1]);
    const y = a.exp();
    y.mul(y).add(y).sum().backward();
    const expected = [0.5, -1].map((v) => 2 * Math.exp(2 * v) + Math.exp(v));
    gradOf(a).forEach((g, i) => expect(g).toBeCloseTo(expected[i]!, 14));
  });

  it('leaf .grad accumulates over two backward calls', () => {
    const x = leaf([1, 2]);
    x.mul(3).sum().backward();
    expect(gradOf(x)).toEqual([3, 3]);
    x.mul(x).sum().backward();
    expect(gradOf(x)).toEqual([3 + 2, 3 + 4]);
  });

  it('a leaf .grad is a fresh contiguous tensor that requires no grad', () => {
    const x = leaf([1, 2, 3]);
    const y = x.unsqueeze(0).expand(4, 3);
    y.sum().backward();
    expect(x.grad!.array.isContiguous()).toBe(true);
    expect(x.grad!.requiresGrad).toBe(false);
    expect(x.grad!.array.data).not.toBe(x.array.data);
    expect(gradOf(x)).toEqual([4, 4, 4]);
  });

  it('a leaf .grad never shares storage with the seed, another leaf, an input or a saved array', () => {
    // add passes g through (copied for each leaf); reshape returns a view of g (copied); relu and
    // mul return fresh arrays (taken as they are, since nothing else holds them).
    const a = leaf([1, -2, 3]);
    const b = leaf([4, 5, -6]);
    const seed = tensor([1, 2, 3], f64);
    a.add(b).backward(seed);
    const storages = [seed.array.data, a.array.data, b.array.data, a.grad!.array.data, b.grad!.array.data];
    expect(new Set(storages).size).toBe(storages.length);
    const c = leaf([1, -2, 3, 4]);
    const seed2 = tensor([[1, 2], [3, 4]], f64);
    c.reshape(2, 2).backward(seed2);
    expect(c.grad!.array.data).not.toBe(seed2.array.data);
    seed2.array.data[0] = 100; // the caller reusing its seed must not change c.grad
    expect(gradOf(c)).toEqual([1, 2, 3, 4]);
    const d = leaf([1, -2, 3]);
    const e = leaf([2, 2, 2]);
    const y = d.relu().mul(e);
    y.backward(seed);
    expect(gradOf(d)).toEqual([2, 0, 6]);
    expect(gradOf(e)).toEqual([1, 0, 9]);
    expect(d.grad!.array.data).not.toBe(e.grad!.array.data);
    // accumulating into an existing .grad makes a new array; the previous one is not written
    const before = d.grad!;
    d.relu().backward(tensor([1, 1, 1], f64));
    expect(gradOf(d)).toEqual([3, 0, 7]);
    expect(Array.from(before.toArray())).toEqual([2, 0, 6]);
  });

  it('x·Wᵀ gives W the same gradient, bitwise, as x·B with B a contiguous copy of Wᵀ', () => {
    // matmul's backward computes the gradient of a transposed operand transposed (so F.linear's
    // weight gradient needs no transposing copy): the same sums in the same order.
    const values = Array.from({ length: 7 * 5 }, (_, i) => Math.sin(i) * 3);
    const x = tensor(Array.from({ length: 4 * 5 }, (_, i) => Math.cos(i)), { dtype: 'float32', shape: [4, 5] });
    const w = tensor(values, { dtype: 'float32', shape: [7, 5], requiresGrad: true });
    const b = tensor(values, { dtype: 'float32', shape: [7, 5] }).transpose(0, 1).contiguous();
    b.requiresGrad = true;
    const seed = tensor(Array.from({ length: 4 * 7 }, (_, i) => (i % 5) - 2), { dtype: 'float32', shape: [4, 7] });
    x.matmul(w.transpose(0, 1)).backward(seed);
    x.matmul(b).backward(seed);
    expect(Array.from(w.grad!.toArray())).toEqual(Array.from(b.grad!.transpose(0, 1).toArray()));
    expect(w.grad!.array.isContiguous()).toBe(true);
  });

  it('backward() on a leaf gives it a gradient of ones', () => {
    const x = tensor(3, { dtype: 'float64', requiresGrad: true });
    x.backward();
    expect(x.grad!.item()).toBe(1);
  });
});

describe('deep graphs', () => {
  it('a chain of 100 000 ops runs backward without overflowing the stack', () => {
    const x = leaf([3]);
    let y = x;
    // ×2 then ×0.5, 50 000 times: the value and the gradient are exactly 3 and 1, and a skipped or
    // repeated node would show as a power of 2.
    for (let i = 0; i < 100_000; i++) y = i % 2 === 0 ? y.mul(2) : y.mul(0.5);
    expect(y.item()).toBe(3);
    y.sum().backward();
    expect(gradOf(x)).toEqual([1]);
  });
});

describe('freeing the graph', () => {
  it('backward twice through a freed graph throws a clear error', () => {
    const x = leaf([1, 2]);
    const y = x.mul(x).sum();
    y.backward();
    expect(() => y.backward()).toThrow(/trying to backward through the graph a second time.*\{ retainGraph: true \}/s);
  });

  it('so does a new graph built on a freed intermediate', () => {
    const x = leaf([1, 2]);
    const z = x.exp();
    z.sum().backward();
    expect(() => z.mul(2).sum().backward()).toThrow(/second time \(op 'exp'\)/);
  });

  it('options passed where the gradient goes get a clear error, not a crash', () => {
    const x = leaf([1, 2]);
    const y = x.mul(x).sum();
    const options = { retainGraph: true } as unknown as Tensor;
    expect(() => y.backward(options)).toThrow(/backward: the gradient must be a Tensor \(options go second/);
  });

  it('with retainGraph: true the second backward works and accumulates', () => {
    const x = leaf([1, 2]);
    const y = x.mul(x).sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(gradOf(x)).toEqual([4, 8]);
  });

  it('after backward every node of the graph is freed and drops its inputs', () => {
    const x = leaf([1, 2]);
    const h = x.mul(2);
    const y = h.exp().sum();
    const nodes = [h.gradFn!, y.gradFn!];
    y.backward();
    for (const node of nodes) {
      expect(node.freed).toBe(true);
      expect(node.inputs).toHaveLength(0);
    }
  });

  it('retainGraph keeps nodes and inputs', () => {
    const x = leaf([1, 2]);
    const h = x.mul(2);
    const y = h.sum();
    y.backward(undefined, { retainGraph: true });
    expect(h.gradFn!.freed).toBe(false);
    expect(h.gradFn!.inputs[0]).toBe(x);
    expect(y.gradFn!.inputs[0]).toBe(h);
  });
});

describe('grad mode, detach and requiresGrad', () => {
  it('noGrad builds no graph', () => {
    const x = leaf([1, 2]);
    const y = noGrad(() => x.mul(2).exp().sum());
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(y.isLeaf).toBe(true);
    expect(() => y.backward()).toThrow(/does not require grad/);
  });

  it('noGrad restores grad mode, also when its function throws; enableGrad turns it back on inside', () => {
    expect(isGradEnabled()).toBe(true);
    expect(() =>
      noGrad(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
    const x = leaf([1]);
    const inner = noGrad(() => enableGrad(() => x.mul(2)));
    expect(inner.requiresGrad).toBe(true);
    expect(inner.gradFn).not.toBeNull();
  });

  it('detach cuts the graph and shares storage', () => {
    const x = leaf([1, 2]);
    const h = x.mul(2);
    const d = h.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.gradFn).toBeNull();
    expect(d.array.data).toBe(h.array.data);
    // z = d·x: with d constant, dz/dx = d = 2x (not 4x, which the path through h would add)
    d.mul(x).sum().backward();
    expect(gradOf(x)).toEqual([2, 4]);
  });

  it('requiresGrad propagates: an op needs one input that requires grad', () => {
    const a = leaf([1, 2]);
    const b = tensor([3, 4], f64);
    const ab = a.mul(b);
    expect(ab.requiresGrad).toBe(true);
    expect(ab.isLeaf).toBe(false);
    expect(b.mul(b).requiresGrad).toBe(false);
    expect(b.mul(b).gradFn).toBeNull();
    expect(b.add(1).requiresGrad).toBe(false);
    expect(a.add(1).requiresGrad).toBe(true);
    ab.sum().backward();
    expect(b.grad).toBeNull();
    expect(gradOf(a)).toEqual([3, 4]);
  });

  it('requiresGrad can be set on a leaf, and not turned off on a non-leaf', () => {
    const x = tensor([1], f64);
    x.requiresGrad = true;
    const y = x.mul(2);
    expect(y.requiresGrad).toBe(true);
    expect(() => {
      y.requiresGrad = false;
    }).toThrow(/cannot turn off gradients of a non-leaf tensor; use detach\(\)/);
  });

  it('backward tells each op which inputs need a gradient, and the op skips the others', () => {
    const spy = vi.spyOn(ops.mul, 'backward');
    try {
      const a = leaf([1, 2]);
      const b = tensor([3, 4], f64);
      a.mul(b).sum().backward();
      expect(spy).toHaveBeenCalledTimes(1);
      expect(spy.mock.calls[0]![1].needsGrad).toEqual([true, false]);
      expect(spy.mock.results[0]!.value[1]).toBeNull();
    } finally {
      spy.mockRestore();
    }
  });
});

describe('backward arguments', () => {
  it('backward() on a non-scalar without a gradient throws a clear error', () => {
    const y = leaf([1, 2, 3, 4, 5, 6]).reshape(2, 3).mul(2);
    expect(() => y.backward()).toThrow(/grad can be implicitly created only for scalar outputs; this tensor has shape \[2, 3\]/);
  });

  it('with an explicit gradient of the right shape it works', () => {
    const x = leaf([1, 2, 3]);
    x.mul(3).backward(tensor([1, 10, 100], f64));
    expect(gradOf(x)).toEqual([3, 30, 300]);
  });

  it('a gradient of the wrong shape is refused', () => {
    const y = leaf([1, 2, 3]).mul(2);
    expect(() => y.backward(ones([2], f64))).toThrow(/backward: the gradient has shape \[2\], but the tensor has shape \[3\]/);
  });

  it('a one-element tensor of any rank needs no explicit gradient', () => {
    const x = leaf([2]);
    x.reshape(1, 1).mul(5).backward();
    expect(gradOf(x)).toEqual([5]);
  });
});

describe('the engine undoes broadcasting once and checks what it gets', () => {
  it('broadcast inputs get gradients summed back to their own shapes', () => {
    const a = tensor([[1], [2], [3]], { dtype: 'float64', requiresGrad: true });
    const b = tensor([1, 2, 3, 4], { dtype: 'float64', requiresGrad: true });
    const s = tensor(2, { dtype: 'float64', requiresGrad: true });
    a.add(b).mul(s).sum().backward();
    expect(a.grad!.shape).toEqual([3, 1]);
    expect(gradOf(a)).toEqual([8, 8, 8]);
    expect(b.grad!.shape).toEqual([4]);
    expect(gradOf(b)).toEqual([6, 6, 6, 6]);
    expect(s.grad!.shape).toEqual([]);
    expect(s.grad!.item()).toBe(3 * 10 + 4 * 6);
  });

  /** A tensor made by a hand-built node whose backward returns `grad` for its one input. */
  function handMade(x: Tensor, opName: string, grad: NDArray): Tensor {
    const node = new GraphNode(opName, [x], [true], () => [new Tensor(grad)]);
    return new Tensor(x.array.copy(), { requiresGrad: true, gradFn: node });
  }

  it('a gradient of the wrong shape names the op, the input and both shapes', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64', requiresGrad: true });
    const y = handMade(x, 'badShape', NDArray.zeros([5], 'float64'));
    expect(() => y.sum().backward()).toThrow(
      "backward of 'badShape': the gradient of input 0 has shape [5], which does not match the input's shape [2, 3]",
    );
  });

  it('a gradient of the wrong dtype names the op and both dtypes', () => {
    const x = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const y = handMade(x, 'badDtype', NDArray.zeros([2], 'float32'));
    expect(() => y.sum().backward()).toThrow("backward of 'badDtype': the gradient of input 0 has dtype float32, but the input is float64");
  });
});

describe('gradient ownership', () => {
  it("Linear's weight gradient reaches .grad without a copy (ownership passes through the transpose's backward)", () => {
    const spy = vi.spyOn(ops.clone, 'forward');
    try {
      const w = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64', requiresGrad: true });
      const x = tensor([[1, 0, 2], [0, 1, 1]], { dtype: 'float64' });
      F.linear(x, w).sum().backward();
      expect(Array.from(w.grad!.toArray())).toEqual([1, 1, 3, 1, 1, 3]);
      expect(spy).not.toHaveBeenCalled();
      // A gradient that is the user's own seed (not made by this backward) is still copied.
      const v = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
      const seed = tensor([5, 6], { dtype: 'float64' });
      v.reshape([2, 1]).backward(seed.reshape([2, 1]));
      expect(spy).toHaveBeenCalledTimes(1);
      expect(v.grad!.array.data).not.toBe(seed.array.data);
    } finally {
      spy.mockRestore();
    }
  });
});
