// nn.utils.clipGradNorm_ and clipGradValue_ against PyTorch 1.13's clip_grad_norm_ and
// clip_grad_value_ (cases of test/fixtures/optim.json, written by make_optim_fixtures.py): returned
// total norm and clipped gradients in float64, float32 and mixed dtypes, p = 0.5, 1, 2, 3.5 and
// Infinity, non-finite gradients; plus in-place writes, version bumps and errors.
import { describe, expect, it } from 'vitest';
import { Tensor, nn, tensor, zeros, type DType } from '../../src/index.js';
import { compareArrays, decodeValues, fixtureTensor, loadFixtures, type FixtureTensor } from '../helpers/fixtures.js';

interface ClipResult {
  total?: number | string;
  totalDtype?: DType;
  grads: (FixtureTensor | null)[];
}

interface ClipCase {
  name: string;
  kind: string;
  function: 'norm' | 'value';
  options: { maxNorm?: number; normType?: number | 'Infinity'; clipValue?: number };
  grads: (FixtureTensor | null)[];
  float64: ClipResult;
  float32: ClipResult;
  mixed: ClipResult;
}

const fixtures = loadFixtures<ClipCase>('../fixtures/optim.json', import.meta.url);
const cases = fixtures.cases.filter((c) => c.kind === 'clip');
const VARIANTS: [keyof Pick<ClipCase, 'float64' | 'float32' | 'mixed'>, DType[], { rtol: number; atol: number }][] = [
  ['float64', ['float64', 'float64', 'float64'], { rtol: 1e-10, atol: 1e-300 }],
  // PyTorch reduces float32 in float32; tsgrad accumulates in double and rounds once.
  ['float32', ['float32', 'float32', 'float32'], { rtol: 1e-6, atol: 1e-30 }],
  ['mixed', ['float32', 'float64', 'float64'], { rtol: 1e-6, atol: 1e-30 }],
];

function makeParams(c: ClipCase, dtypes: DType[]): Tensor[] {
  return c.grads.map((g, i) => {
    const p = zeros(g === null ? [1] : g.shape, { dtype: dtypes[i]!, requiresGrad: true });
    p.grad = g === null ? null : fixtureTensor(g, dtypes[i]!);
    return p;
  });
}

function expectValues(label: string, actual: ArrayLike<number>, expected: FixtureTensor | (number | string)[], tol: { rtol: number; atol: number }): void {
  const values = decodeValues(Array.isArray(expected) ? expected : expected.values);
  const report = compareArrays(label, actual, values, tol);
  if (report !== null) throw new Error(report);
}

describe(`clipGradNorm_ and clipGradValue_ match PyTorch ${fixtures.torch}`, () => {
  expect(cases.length).toBeGreaterThanOrEqual(14);
  for (const c of cases) {
    for (const [variant, dtypes, tol] of VARIANTS) {
      it(`${c.name} ${JSON.stringify(c.options)} (${variant})`, () => {
        const expected = c[variant];
        const params = makeParams(c, dtypes);
        if (c.function === 'norm') {
          const normType = c.options.normType === 'Infinity' ? Infinity : c.options.normType;
          const total = nn.utils.clipGradNorm_(params, c.options.maxNorm!, normType);
          expect(total.shape).toEqual([]);
          expect(total.dtype).toBe(expected.totalDtype);
          expectValues(`${c.name} total`, [total.item()], [expected.total!], tol);
        } else {
          expect(nn.utils.clipGradValue_(params, c.options.clipValue!)).toBeUndefined();
        }
        params.forEach((p, i) => {
          const g = expected.grads[i]!;
          if (g === null) {
            expect(p.grad).toBeNull();
            return;
          }
          expect(p.grad!.dtype).toBe(dtypes[i]);
          expectValues(`${c.name} grad ${i}`, p.grad!.toArray(), g, tol);
        });
      });
    }
  }
});

describe('clipping writes the gradients in place', () => {
  it('keeps the grad tensors (and views of them) and bumps their versions', () => {
    const w = tensor([[3, 4], [0, 0]], { dtype: 'float64', requiresGrad: true });
    w.grad = tensor([[3, 4], [0, 0]], { dtype: 'float64' });
    const grad = w.grad;
    const row = grad.narrow(0, 0, 1);
    const before = grad.version;
    nn.utils.clipGradNorm_(w, 1); // a single tensor is accepted, as in PyTorch
    expect(w.grad).toBe(grad);
    expect(grad.version).toBe(before + 1);
    // c = 1/(5 + 1e-6), computed as PyTorch does: reciprocal(total + 1e-6)·maxNorm.
    const c = (1 / (5 + 1e-6)) * 1;
    expect([...row.toArray()]).toEqual([3 * c, 4 * c]);
    nn.utils.clipGradValue_([w], 0.1);
    expect(grad.version).toBe(before + 2);
    expect([...grad.toArray()]).toEqual([0.1, 0.1, 0, 0]);
  });

  it('scales a non-contiguous gradient element by element', () => {
    const w = zeros([2, 3], { dtype: 'float64', requiresGrad: true });
    w.grad = tensor([[1, 2], [3, 4], [5, 6]], { dtype: 'float64' }).transpose(0, 1); // [[1,3,5],[2,4,6]]
    nn.utils.clipGradValue_([w], 3.5);
    expect(w.grad.toNested()).toEqual([[1, 3, 3.5], [2, 3.5, 3.5]]);
  });

  it('returns a float32 zero and changes nothing when no parameter has a gradient', () => {
    const w = zeros([2], { requiresGrad: true });
    const total = nn.utils.clipGradNorm_([w], 1);
    expect([total.item(), total.dtype, w.grad]).toEqual([0, 'float32', null]);
  });

  it('works with a module\'s parameters()', () => {
    const model = new nn.Linear(3, 2);
    model.call(tensor([[1, 2, 3]])).sum().mul(100).backward();
    const total = nn.utils.clipGradNorm_(model.parameters(), 0.5).item();
    expect(total).toBeGreaterThan(0.5);
    const after = Math.sqrt(model.parameters().reduce((s, p) => s + [...p.grad!.toArray()].reduce((a, x) => a + x * x, 0), 0));
    expect(after).toBeCloseTo(0.5, 5);
  });
});

describe('clipping errors', () => {
  const withGrad = (values: number[]): Tensor => {
    const p = zeros([values.length], { dtype: 'float64', requiresGrad: true });
    p.grad = tensor(values, { dtype: 'float64' });
    return p;
  };

  it('errorIfNonfinite throws on a NaN or infinite total and leaves the gradients alone', () => {
    const p = withGrad([1, Infinity]);
    expect(() => nn.utils.clipGradNorm_([p], 1, 2, { errorIfNonfinite: true })).toThrow(/clipGradNorm_: the total norm of order 2 of the gradients is Infinity, so it cannot be clipped; pass \{ errorIfNonfinite: false \}/);
    expect([...p.grad!.toArray()]).toEqual([1, Infinity]);
    expect(() => nn.utils.clipGradNorm_([withGrad([Number.NaN])], 1, Infinity, { errorIfNonfinite: true })).toThrow(/order Infinity of the gradients is NaN/);
  });

  it('bad maxNorm, normType, clipValue and params', () => {
    const p = withGrad([1, 2]);
    expect(() => nn.utils.clipGradNorm_([p], -1)).toThrow(/clipGradNorm_: maxNorm must be a number >= 0, got -1/);
    expect(() => nn.utils.clipGradNorm_([p], Number.NaN)).toThrow(/maxNorm must be a number >= 0, got NaN/);
    expect(() => nn.utils.clipGradNorm_([p], 1, 0)).toThrow(/clipGradNorm_: normType must be a number > 0 or Infinity, got 0/);
    expect(() => nn.utils.clipGradNorm_([p], 1, -Infinity)).toThrow(/normType must be a number > 0 or Infinity, got -Infinity/);
    expect(() => nn.utils.clipGradValue_([p], -0.5)).toThrow(/clipGradValue_: clipValue must be a number >= 0, got -0.5/);
    expect(() => nn.utils.clipGradNorm_([p, 3 as never], 1)).toThrow(/clipGradNorm_: params\[1\] is not a Tensor \(number\)/);
    expect(() => nn.utils.clipGradValue_(null as never, 1)).toThrow(/clipGradValue_: params must be a Tensor or an iterable of Tensors/);
    expect([...p.grad!.toArray()]).toEqual([1, 2]);
  });
});
