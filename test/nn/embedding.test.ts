// F.oneHot, F.embedding, nn.Embedding and F.crossEntropy with probability targets: gradcheck and
// gradgradcheck on drawn cases (embedding with respect to the weight, with repeated indices and a
// padding row), the in-place maxNorm renormalization and its version bump, PyTorch's init and
// state-dict key, and the errors for bad indices and targets. Values against PyTorch are in
// functional-fixtures.test.ts (test/fixtures/functional.json).
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { F, Generator, gradcheck, gradgradcheck, manualSeed, nn, noGrad, randn, tensor, zeros, type Tensor } from '../../src/index.js';
import { expectError } from '../helpers/expect-error.js';

const SEED = 20_261_214;

/** A float64 leaf of `shape` with N(0, scale²) values from a seeded generator. */
function randomLeaf(shape: readonly number[], seed: number, scale = 1): Tensor {
  const gen = new Generator(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  return tensor(Float64Array.from({ length: n }, () => gen.normal() * scale), { shape, requiresGrad: true });
}

function checkBoth(label: string, fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  const first = gradcheck(fn, inputs);
  if (!first.ok) throw new Error(`${label}\n${first.report}`);
  const second = gradgradcheck(fn, inputs);
  if (!second.ok) throw new Error(`${label} (second derivatives)\n${second.report}`);
}

describe('F.embedding', () => {
  // NOTE: no paddingIdx here: its zero gradient is a rule, not the derivative (finite differences see
  // the row's value move the output), so gradcheck would rightly flag it; the next test pins it.
  it('passes gradcheck and gradgradcheck w.r.t. the weight on drawn index shapes (repeated indices)', () => {
    let repeats = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 2 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (rows, dim, indexShape, seed) => {
          const gen = new Generator(seed);
          const count = indexShape.reduce((p, d) => p * d, 1);
          const flat = Array.from({ length: count }, () => gen.int(rows));
          if (new Set(flat).size < flat.length) repeats++;
          const indices = tensor(Int32Array.from(flat), { shape: indexShape });
          const weight = randomLeaf([rows, dim], seed + 1);
          checkBoth(`embedding rows ${rows} dim ${dim} indices [${flat}] shape [${indexShape}]`, (w) => F.embedding(indices, w!), [weight]);
        },
      ),
      { seed: SEED, numRuns: 30 },
    );
    expect(repeats, 'cases with repeated indices').toBeGreaterThan(3);
  });

  it('adds the gradients of repeated indices and sends none to the padding row', () => {
    const weight = tensor([[1, 2], [3, 4], [5, 6]], { requiresGrad: true });
    const out = F.embedding([[2, 0, 2], [1, 2, 1]], weight, { paddingIdx: 1 });
    expect(out.toNested()).toEqual([[[5, 6], [1, 2], [5, 6]], [[3, 4], [5, 6], [3, 4]]]);
    out.sum().backward();
    expect(weight.grad!.toNested()).toEqual([[1, 1], [0, 0], [3, 3]]);
  });

  it('maxNorm rescales only the rows used whose norm exceeds it, in place, and bumps the version', () => {
    const weight = tensor([[3, 4], [0.3, 0.4], [6, 8], [0, 10]], { dtype: 'float64' });
    const before = weight.version;
    const out = F.embedding([0, 1, 0, 2], weight, { maxNorm: 2 });
    const s = (norm: number): number => 2 / (norm + 1e-7); // PyTorch's factor
    expect(weight.toNested()).toEqual([[3 * s(5), 4 * s(5)], [0.3, 0.4], [6 * s(10), 8 * s(10)], [0, 10]]);
    expect(out.toNested()).toEqual([[3 * s(5), 4 * s(5)], [0.3, 0.4], [3 * s(5), 4 * s(5)], [6 * s(10), 8 * s(10)]]);
    expect(weight.version).toBe(before + 1);
    // Nothing over the norm: no write, no version bump.
    F.embedding([1], weight, { maxNorm: 2 });
    expect(weight.version).toBe(before + 1);
  });

  it('maxNorm on a parameter under grad mode works (the renorm runs under noGrad) and a stale backward throws', () => {
    const weight = new nn.Parameter(tensor([[3, 4], [1, 0]], { dtype: 'float64' }));
    const first = weight.mul(weight).sum(); // saves the weight at version v
    const out = F.embedding([0], weight, { maxNorm: 1 });
    out.sum().backward();
    expect(weight.grad!.toNested()).toEqual([[1, 1], [0, 0]]);
    expectError(() => first.backward(), /version/);
  });

  it('rejects bad indices and weights with errors naming them', () => {
    const w = zeros([4, 2]);
    expectError(() => F.embedding([0, 4], w), /embedding: index 4 at \[1\] of the indices \(shape \[2\]\) is out of range for a weight of 4 rows/);
    expectError(() => F.embedding([[0, 1], [2, -1]], w), /index -1 at \[1, 1\]/);
    expectError(() => F.embedding([0.5], w), /indices must be integers, got 0.5/);
    expectError(() => F.embedding(tensor([1, 2]), w), /int32 tensor .* got a float32 tensor/);
    expectError(() => F.embedding([0], zeros([4])), /weight must be 2-d/);
    expectError(() => F.embedding([0], w, { paddingIdx: 4 }), /paddingIdx must be an integer within the 4 rows/);
    expectError(() => F.embedding([0], w, { maxNorm: -1 }), /maxNorm must be a number ≥ 0/);
  });
});

describe('F.oneHot', () => {
  it('gives int32 one-hot rows of [...shape, numClasses], inferring numClasses as max + 1', () => {
    const out = F.oneHot(tensor([[1, 3], [0, 0]], { dtype: 'int32' }));
    expect(out.dtype).toBe('int32');
    expect(out.shape).toEqual([2, 2, 4]);
    expect(out.toNested()).toEqual([[[0, 1, 0, 0], [0, 0, 0, 1]], [[1, 0, 0, 0], [1, 0, 0, 0]]]);
    expect(F.oneHot([], 3).shape).toEqual([0, 3]);
  });

  it('rejects out-of-range classes and empty indices without numClasses', () => {
    expectError(() => F.oneHot([1, 5], 3), /oneHot: index 5 at \[1\] of the indices \(shape \[2\]\) is out of range for 3 classes/);
    expectError(() => F.oneHot([0, -2], 3), /index -2 at \[1\]/);
    expectError(() => F.oneHot([]), /cannot infer numClasses from empty indices/);
    expectError(() => F.oneHot([1], -2), /numClasses must be -1/);
  });
});

describe('nn.Embedding', () => {
  it('initialises as PyTorch: N(0, 1) draws, the padding row zero; state-dict key `weight`', () => {
    manualSeed(3);
    const e = new nn.Embedding(2000, 5, { paddingIdx: -1 });
    expect(e.paddingIdx).toBe(1999);
    expect([...e.stateDict().keys()]).toEqual(['weight']);
    const v = e.weight.toArray();
    expect(Array.from(v.slice(1999 * 5))).toEqual([0, 0, 0, 0, 0]);
    const body = Array.from(v.slice(0, 1999 * 5));
    const mean = body.reduce((a, b) => a + b, 0) / body.length;
    const variance = body.reduce((a, b) => a + (b - mean) ** 2, 0) / body.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });

  it('looks up int32 tensors and arrays, and trains: the padding row stays zero', () => {
    manualSeed(4);
    const e = new nn.Embedding(6, 3, { paddingIdx: 0 });
    const tokens = tensor([[1, 2, 0], [3, 0, 0]], { dtype: 'int32' });
    expect(e.call(tokens).shape).toEqual([2, 3, 3]);
    expect(e.forward([4, 5]).shape).toEqual([2, 3]);
    e.call(tokens).pow(2).sum().backward();
    expect(Array.from(e.weight.grad!.toArray().slice(0, 3))).toEqual([0, 0, 0]);
    noGrad(() => e.weight.sub_(e.weight.grad!.mul(0.1)));
    expect(Array.from(e.weight.toArray().slice(0, 3))).toEqual([0, 0, 0]);
  });

  it('fromPretrained copies the table, frozen unless freeze is false, padding row kept as given', () => {
    const table = tensor([[1, 2], [3, 4], [5, 6]], { dtype: 'float64' });
    const frozen = nn.Embedding.fromPretrained(table, { paddingIdx: 0 });
    expect(frozen.weight.requiresGrad).toBe(false);
    expect(frozen.weight.dtype).toBe('float64');
    expect(frozen.forward([0, 2]).toNested()).toEqual([[1, 2], [5, 6]]);
    noGrad(() => table.fill_(0));
    expect(frozen.forward([1]).toNested()).toEqual([[3, 4]]); // a copy, not the caller's tensor
    const trainable = nn.Embedding.fromPretrained(tensor([[1, 2], [3, 4]]), { freeze: false, paddingIdx: 0 });
    expect(trainable.parameters()).toHaveLength(1);
    trainable.forward([0, 1]).sum().backward();
    expect(trainable.weight.grad!.toNested()).toEqual([[0, 0], [1, 1]]);
    expectError(() => nn.Embedding.fromPretrained(tensor([1, 2])), /embeddings must be 2-d/);
    // No draw from the global generator (PyTorch's _weight path): the next random numbers are unchanged.
    manualSeed(9);
    const expected = randn([3]).toArray();
    manualSeed(9);
    nn.Embedding.fromPretrained(tensor([[1, 2]]));
    expect(randn([3]).toArray()).toEqual(expected);
  });

  it('rejects bad sizes', () => {
    expectError(() => new nn.Embedding(0, 3), /Embedding: numEmbeddings must be a positive integer/);
    expectError(() => new nn.Embedding(3, 2, { paddingIdx: 3 }), /paddingIdx must be an integer within the 3 rows/);
  });
});

describe('F.crossEntropy with class-probability targets', () => {
  it('passes gradcheck and gradgradcheck in the logits and the targets (weights, smoothing, reductions)', () => {
    const weight = tensor([0.5, 1, 2], { dtype: 'float64' });
    const cases: [string, number[], Parameters<typeof F.crossEntropy>[2]][] = [
      ['mean', [4, 3], {}],
      ['sum, weight, smoothing', [4, 3], { reduction: 'sum', weight, labelSmoothing: 0.2 }],
      ['none, [N,C,L]', [2, 3, 2], { reduction: 'none' }],
      ['unbatched', [3], { labelSmoothing: 0.1 }],
    ];
    cases.forEach(([label, shape, options], i) => {
      const x = randomLeaf(shape, SEED + 10 + i);
      const t = F.softmax(randomLeaf(shape, SEED + 20 + i), shape.length === 1 ? 0 : 1).detach();
      t.requiresGrad = true;
      checkBoth(`crossEntropy probabilities ${label}`, (a, b) => F.crossEntropy(a!, b!, options), [x, t]);
    });
  });

  it('equals the class-index loss for one-hot targets, with weights and label smoothing', () => {
    const logits = randomLeaf([5, 4], SEED + 30);
    const labels = [0, 3, 1, 1, 2];
    const weight = tensor([0.5, 1, 2, 1.5], { dtype: 'float64' });
    for (const reduction of ['sum', 'none'] as const) {
      const soft = F.crossEntropy(logits, F.oneHot(labels, 4).to('float64'), { reduction, weight, labelSmoothing: 0.1 });
      const hard = F.crossEntropy(logits, labels, { reduction, weight, labelSmoothing: 0.1 });
      const [a, b] = [soft.toArray(), hard.toArray()];
      a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 12));
    }
    // 'mean' differs on purpose when weighted (PyTorch divides by N, not Σ w[y]): unweighted they agree.
    expect(F.crossEntropy(logits, F.oneHot(labels, 4).to('float64')).item()).toBeCloseTo(F.crossEntropy(logits, labels).item(), 12);
  });

  it('nn.CrossEntropyLoss passes probability targets through', () => {
    const logits = randomLeaf([3, 4], SEED + 50);
    const probs = F.softmax(randomLeaf([3, 4], SEED + 51), 1).detach();
    const options = { labelSmoothing: 0.1, reduction: 'sum' as const };
    expect(new nn.CrossEntropyLoss(options).call(logits, probs).item()).toBe(F.crossEntropy(logits, probs, options).item());
  });

  it('does not check that targets sum to 1 (as PyTorch): twice the one-hot gives twice the loss', () => {
    const logits = randomLeaf([3, 4], SEED + 40);
    const once = F.crossEntropy(logits, F.oneHot([1, 2, 3], 4).to('float64')).item();
    const twice = F.crossEntropy(logits, F.oneHot([1, 2, 3], 4).to('float64').mul(2)).item();
    expect(twice).toBeCloseTo(2 * once, 12);
  });

  it('a −∞ logit gives NaN even under a zero target (−∞·0), as PyTorch 1.13 (tensor(nan))', () => {
    expect(F.crossEntropy(tensor([[0, -Infinity, 1]]), tensor([[1, 0, 0]])).item()).toBeNaN();
  });

  it('rejects ignoreIndex, int targets of the input shape, and a weight of the wrong size', () => {
    const x = zeros([2, 3]);
    const t = zeros([2, 3]);
    expectError(() => F.crossEntropy(x, t, { ignoreIndex: 1 }), /ignoreIndex \(1\) is not supported for class-probability targets/);
    expectError(() => F.crossEntropy(x, t.to('int32')), /class-probability targets of the input's shape must be float32 or float64, got int32/);
    expectError(() => F.crossEntropy(x, zeros([2, 3]), { weight: zeros([2]) }), /weight must have shape \[3\]/);
    expectError(() => F.crossEntropy(x, zeros([3, 3])), /or class probabilities of the input's shape \[2, 3\]/);
  });
});
