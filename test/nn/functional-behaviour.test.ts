// Behaviour of the F functions that the PyTorch fixtures cannot pin: dropout's randomness and
// seeding, the forms targets may take, dtype promotion, PyTorch's subgradient and tie conventions
// (expected values from PyTorch 1.13, noted beside each), and erf's identities.
import { describe, expect, it } from 'vitest';
import { F, Generator, manualSeed, ones, randn, tensor } from '../../src/index.js';
import { erf } from '../../src/tensor/kernels/special.js';

describe('dropout', () => {
  it('is the identity when not training or p = 0 (the same tensor, no copy)', () => {
    const x = randn([3, 4]);
    expect(F.dropout(x, 0.5, false)).toBe(x);
    expect(F.dropout(x, 0)).toBe(x);
  });

  it('zeroes a fraction p and scales the rest by 1/(1 − p)', () => {
    const n = 20_000;
    const p = 0.3;
    const x = randn([n], { dtype: 'float64', generator: new Generator(1) });
    const y = F.dropout(x, p, true, new Generator(2)).toArray();
    const xv = x.toArray();
    let zeros = 0;
    for (let i = 0; i < n; i++) {
      if (y[i] === 0) zeros++;
      else expect(y[i]).toBeCloseTo(xv[i]! / (1 - p), 12);
    }
    // Binomial(n, p): mean 6000, standard deviation ≈ 65; 5 standard deviations either way.
    expect(Math.abs(zeros - n * p)).toBeLessThan(5 * Math.sqrt(n * p * (1 - p)));
  });

  it('p = 1 gives zeros and a zero gradient', () => {
    const x = randn([5], { requiresGrad: true });
    const y = F.dropout(x, 1);
    // (−0 for negative inputs, as PyTorch's input · 0.)
    expect(Array.from(y.toArray()).every((v) => v === 0)).toBe(true);
    y.sum().backward();
    expect(Array.from(x.grad!.toArray()).every((v) => v === 0)).toBe(true);
  });

  it('repeats under manualSeed, and its gradient is the same mask', () => {
    manualSeed(7);
    const a = F.dropout(ones([50]), 0.5).toArray();
    manualSeed(7);
    const x = ones([50], { requiresGrad: true });
    const b = F.dropout(x, 0.5);
    expect(Array.from(b.toArray())).toEqual(Array.from(a));
    b.sum().backward();
    expect(Array.from(x.grad!.toArray())).toEqual(Array.from(a));
    expect(new Set(a)).toEqual(new Set([0, 2]));
  });
});

describe('loss targets and options', () => {
  const logits = tensor([[0, 1, 2], [3, 4, 5]], { dtype: 'float64' });

  it('take a number array, a float64 tensor or a float32 tensor alike', () => {
    const a = F.crossEntropy(logits, [1, 2], { reduction: 'none' }).toArray();
    const b = F.crossEntropy(logits, tensor([1, 2], { dtype: 'float64' }), { reduction: 'none' }).toArray();
    const c = F.crossEntropy(logits, tensor([1, 2]), { reduction: 'none' }).toArray();
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).toEqual(Array.from(a));
    // PyTorch 1.13: F.cross_entropy(z, tensor([1, 2]), reduction='none') = [1.4076, 0.4076].
    expect(a[0]).toBeCloseTo(1.40760596, 7);
    expect(a[1]).toBeCloseTo(0.40760596, 7);
  });

  it('an unbatched [C] input takes a single class as a number', () => {
    const row = tensor([3, 4, 5], { dtype: 'float64' });
    expect(F.crossEntropy(row, 2).item()).toBeCloseTo(0.40760596, 7);
    expect(F.nllLoss(F.logSoftmax(row, 0), 2).item()).toBeCloseTo(0.40760596, 7);
  });

  it('mean over only ignored targets is NaN (0/0), as in PyTorch', () => {
    expect(Number.isNaN(F.crossEntropy(logits, [-100, -100]).item())).toBe(true);
  });

  it('promote float32 with float64 to float64', () => {
    const x = randn([1, 2, 4, 4]);
    const w = randn([3, 2, 3, 3], { dtype: 'float64' });
    expect(F.conv2d(x, w).dtype).toBe('float64');
    expect(F.linear(randn([2, 3], { dtype: 'float64' }), randn([4, 3])).dtype).toBe('float64');
    expect(F.cat([randn([2]), randn([3], { dtype: 'float64' })]).dtype).toBe('float64');
    expect(F.mseLoss(randn([2]), randn([2], { dtype: 'float64' })).dtype).toBe('float64');
  });
});

describe("PyTorch's conventions at kinks and ties", () => {
  it('relu has gradient 0 at 0; leakyRelu has its slope there', () => {
    // PyTorch 1.13: relu'([0, −1, 2]) = [0, 0, 1], leaky_relu'([0, −1, 2], 0.1) = [0.1, 0.1, 1].
    const x = tensor([0, -1, 2], { dtype: 'float64', requiresGrad: true });
    F.relu(x).sum().backward();
    expect(Array.from(x.grad!.toArray())).toEqual([0, 0, 1]);
    const z = tensor([0, -1, 2], { dtype: 'float64', requiresGrad: true });
    F.leakyRelu(z, 0.1).sum().backward();
    expect(Array.from(z.grad!.toArray())).toEqual([0.1, 0.1, 1]);
  });

  it('maxPool2d sends a tie’s gradient to the first maximum in the window', () => {
    // PyTorch 1.13, max_pool2d(kernel 2, stride 1) of this 3×3 input: out [[1, 2], [2, 2]],
    // input gradient of out.sum() [[1, 0, 0], [0, 0, 2], [1, 0, 0]].
    const x = tensor([[[[1, 1, 0], [1, 0, 2], [2, 2, -1]]]], { dtype: 'float64', requiresGrad: true });
    const y = F.maxPool2d(x, { kernelSize: 2, stride: 1 });
    expect(Array.from(y.toArray())).toEqual([1, 2, 2, 2]);
    y.sum().backward();
    expect(Array.from(x.grad!.toArray())).toEqual([1, 0, 0, 0, 0, 2, 1, 0, 0]);
  });
});

describe('erf', () => {
  it('is odd, 0 at 0, ±1 at ±∞, NaN at NaN, and monotone across the series/fraction switch at 3', () => {
    for (const x of [0.1, 0.5, 1, 2.5, 2.999, 3, 3.5, 5]) expect(erf(-x)).toBe(-erf(x));
    expect(erf(0)).toBe(0);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(Number.isNaN(erf(NaN))).toBe(true);
    const around = [2.9999999, 2.99999999, 3, 3.00000001, 3.0000001].map(erf);
    for (let i = 1; i < around.length; i++) expect(around[i]).toBeGreaterThanOrEqual(around[i - 1]!);
  });
});

describe('no NaN gradient from a branch that where discards (issue 14 activations and losses)', () => {
  // Each composite selects between two formulas; the discarded one must not overflow (e^x = ∞ there
  // would make its zero gradient 0·∞ = NaN). Inputs far into both tails, float32 (e^89 = ∞) and float64.
  const cases: [string, (x: ReturnType<typeof tensor>) => ReturnType<typeof tensor>][] = [
    ['elu', (x) => F.elu(x, { alpha: 0.5 })],
    ['selu', (x) => F.selu(x)],
    ['softplus', (x) => F.softplus(x)],
    ['mish', (x) => F.mish(x)],
    ['logSigmoid', (x) => F.logSigmoid(x)],
    ['binaryCrossEntropyWithLogits', (x) => F.binaryCrossEntropyWithLogits(x, x.detach().gt(0).to(x.dtype), { reduction: 'sum' })],
  ];
  for (const dtype of ['float32', 'float64'] as const) {
    it.each(cases)(`%s (${dtype})`, (_name, fn) => {
      const x = tensor([-1000, -100, 0, 100, 1000], { dtype, requiresGrad: true });
      const out = fn(x);
      out.sum().backward();
      const grad = Array.from(x.grad!.toArray());
      expect(grad.every(Number.isFinite), `gradient ${grad}`).toBe(true);
      expect(Array.from(out.toArray()).every(Number.isFinite)).toBe(true);
    });
  }

  it('binaryCrossEntropy at inputs 0 and 1: the loss is 100 per clamped term and the gradient finite', () => {
    const x = tensor([0, 1], { dtype: 'float64', requiresGrad: true });
    const y = tensor([0.25, 0.75], { dtype: 'float64', requiresGrad: true });
    const loss = F.binaryCrossEntropy(x, y, { reduction: 'none' });
    // torch 1.13: [25, 25] (0.25·100 and 0.25·100).
    expect(Array.from(loss.toArray())).toEqual([25, 25]);
    loss.sum().backward();
    expect([...x.grad!.toArray(), ...y.grad!.toArray()].every(Number.isFinite)).toBe(true);
  });
});
