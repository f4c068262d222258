// Every reduction over empty tensors, and the composites built on them, with PyTorch 1.13's values:
// sum → 0 (its identity), mean → NaN (0/0), var → NaN whenever the count does not exceed the
// correction, max over an empty dim → an error (no identity), a reduction over a non-empty dim of
// a tensor that is empty elsewhere → an empty result; softmax/logSoftmax over an empty dim → an
// empty tensor; losses over an empty batch: 'mean' → NaN, 'sum' → 0. Gradients of the empty
// results flow back as empty (or zero) gradients.
import { describe, expect, it } from 'vitest';
import { F, zeros, type Tensor } from '../../src/index.js';

/** Shapes with at least one empty dim, and every dim subset worth reducing over. */
const cases: { shape: number[]; dims: (number | number[] | undefined)[] }[] = [
  { shape: [0], dims: [undefined, 0, -1] },
  { shape: [2, 0], dims: [undefined, 0, 1, [0, 1]] },
  { shape: [0, 3], dims: [undefined, 0, 1] },
  { shape: [2, 0, 3], dims: [undefined, 0, 1, 2, [0, 2], [1, 2]] },
];

/** The shape left after reducing `dims` (all when undefined). */
function reduced(shape: number[], dims: number | number[] | undefined, keepdim: boolean): number[] {
  const list = dims === undefined ? shape.map((_, i) => i) : (Array.isArray(dims) ? dims : [dims]).map((d) => (d < 0 ? d + shape.length : d));
  return keepdim ? shape.map((s, i) => (list.includes(i) ? 1 : s)) : shape.filter((_, i) => !list.includes(i));
}

/** How many elements each output of the reduction sums over. */
function countOf(shape: number[], dims: number | number[] | undefined): number {
  const list = dims === undefined ? shape.map((_, i) => i) : (Array.isArray(dims) ? dims : [dims]).map((d) => (d < 0 ? d + shape.length : d));
  return list.reduce((p, d) => p * shape[d]!, 1);
}

function values(t: Tensor): number[] {
  return Array.from(t.toArray());
}

describe('reductions over empty tensors, as PyTorch', () => {
  for (const { shape, dims } of cases) {
    for (const dim of dims) {
      for (const keepdim of [false, true]) {
        const label = `shape [${shape.join(', ')}], dim ${JSON.stringify(dim)}, keepdim ${keepdim}`;
        const outShape = reduced(shape, dim, keepdim);
        const count = countOf(shape, dim);

        it(`sum: zeros of the reduced shape (${label}), and an empty gradient`, () => {
          const x = zeros(shape, { requiresGrad: true });
          const y = x.sum(dim, keepdim);
          expect(y.shape).toEqual(outShape);
          expect(values(y).every((v) => Object.is(v, 0))).toBe(true);
          y.sum().backward();
          expect(x.grad!.shape).toEqual(shape);
        });

        it(`mean: NaN where the count is 0 (${label})`, () => {
          const y = zeros(shape).mean(dim, keepdim);
          expect(y.shape).toEqual(outShape);
          expect(values(y).every((v) => (count === 0 ? Number.isNaN(v) : v === 0))).toBe(true);
        });

        it(`var (biased): NaN where the count is 0 (${label})`, () => {
          const y = zeros(shape).var(dim, { unbiased: false, keepdim });
          expect(y.shape).toEqual(outShape);
          expect(values(y).every((v) => (count === 0 ? Number.isNaN(v) : v === 0))).toBe(true);
        });

        it(`var (unbiased): NaN where the count does not exceed 1 (${label})`, () => {
          const y = zeros(shape).var(dim, { keepdim });
          expect(values(y).every((v) => (count <= 1 ? Number.isNaN(v) : v === 0))).toBe(true);
        });

        it(`max: an error naming max over an empty dim, else an empty result (${label})`, () => {
          if (count === 0) {
            expect(() => zeros(shape).max(dim, keepdim)).toThrow(/^max: cannot reduce over an empty dimension/);
          } else {
            const y = zeros(shape).max(dim, keepdim);
            expect(y.shape).toEqual(outShape);
            expect(y.numel).toBe(0);
          }
        });
      }
    }
  }

  it('var (unbiased) of one element is NaN (n − 1 = 0), as PyTorch', () => {
    expect(Number.isNaN(zeros([1]).var().item())).toBe(true);
    expect(values(zeros([3, 1]).var(1)).every(Number.isNaN)).toBe(true);
  });
});

describe('softmax-family composites and losses on empty tensors', () => {
  it.each([[[2, 0], 1], [[2, 0], -1], [[0, 3], 1], [[0, 3], 0], [[2, 0, 3], 1]] as [number[], number][])(
    'softmax and logSoftmax of shape %j over dim %i give an empty tensor of that shape',
    (shape, dim) => {
      for (const fn of [F.softmax, F.logSoftmax]) {
        const x = zeros(shape, { requiresGrad: true });
        const y = fn(x, dim);
        expect(y.shape).toEqual(shape);
        y.sum().backward();
        expect(x.grad!.shape).toEqual(shape);
      }
    },
  );

  it('crossEntropy, nllLoss and mseLoss over an empty batch: mean NaN, sum 0, none empty', () => {
    const logits = zeros([0, 3]);
    expect(Number.isNaN(F.crossEntropy(logits, []).item())).toBe(true);
    expect(Number.isNaN(F.crossEntropy(logits, [], { labelSmoothing: 0.1 }).item())).toBe(true);
    expect(F.crossEntropy(logits, [], { reduction: 'sum' }).item()).toBe(0);
    expect(F.crossEntropy(logits, [], { reduction: 'none' }).shape).toEqual([0]);
    expect(Number.isNaN(F.nllLoss(logits, []).item())).toBe(true);
    expect(F.nllLoss(logits, [], { reduction: 'sum' }).item()).toBe(0);
    expect(Number.isNaN(F.mseLoss(zeros([0]), zeros([0])).item())).toBe(true);
    expect(F.mseLoss(zeros([0, 2]), zeros([0, 2]), { reduction: 'sum' }).item()).toBe(0);
  });
});
