// tsgrad against PyTorch on the core ops of issue 2. test/fixtures/core.json is written by
// test/fixtures/make_core_fixtures.py (torch 1.13, float64, run by hand); each case gives the inputs,
// the output, an upstream gradient G and the gradients of sum(out · G). Every case runs twice: in
// float64 (compared at 1e-10 relative) and in float32 (a float32-appropriate tolerance).
import { describe, expect, it } from 'vitest';
import type { FloatDType as DType } from '../src/index.js';
import { assertClose, fixtureTensor, loadFixtures, type OpCase, type Tolerance } from './helpers/fixtures.js';
import { CORE_OPS as OPS, type Params } from './helpers/core-ops.js';

// ---- tolerances ---------------------------------------------------------------------------------

const TOLERANCE: Record<DType, Tolerance> = {
  // float64: 1e-10 relative, as the issue asks. The absolute floor is for entries near 0 that come
  // out of cancellation: every fixture value is O(1) (|inputs| ≤ 5 but for one logsumexp row at
  // ±1000, at most 24 elements summed), so such an entry carries rounding error ≲ 24 · 5 · 2⁻⁵³ ≈
  // 1.3e-14 whatever its own size, in torch and in tsgrad alike (summation order differs). 1e-12
  // is ~100× that and still 1e-10 of O(1e-2).
  float64: { rtol: 1e-10, atol: 1e-12 },
  // float32: the inputs and G are exactly float32 (the script rounds them), so the only difference
  // is float32 arithmetic: ε = 2⁻²⁴ ≈ 6e-8 per rounding, a handful of roundings per value for the
  // composites (var = sum((x − mean)²)/n, div = a·b⁻¹) and sums of ≤ 24 terms for the gradients
  // (tsgrad accumulates sums in float64). Measured (Node 20, x86-64, 2026-12-04, with the cases of
  // issue 13 part A) over the ~9 300 compared values: worst relative error 6.0e-6 among values of
  // magnitude > 1e-3, worst absolute 2.9e-5, and no value uses more than 7.5% of the allowance below
  // (a 13× margin; the worst is cumprod's gradient, sums of products of float32 roundings). atol
  // covers entries that cancel to near 0, whose error is relative to the O(1)…O(10) terms that
  // cancelled, not to themselves. (float64 for comparison: worst relative 5.5e-14, at most 5e-4 of
  // its allowance, in logsumexp's gradient beside ±∞ rows.)
  float32: { rtol: 1e-5, atol: 1e-6 },
};

const fixtures = loadFixtures<OpCase<Params>>('./fixtures/core.json', import.meta.url);

/** Runs one case in `dtype` and throws a readable Error at the first mismatch. */
function runCase(c: OpCase<Params>, dtype: DType): void {
  const fn = OPS[c.op];
  if (fn === undefined) throw new Error(`${c.name}: no tsgrad mapping for op ${JSON.stringify(c.op)}`);
  const tol = TOLERANCE[dtype];
  const inputs = c.inputs.map((t) => fixtureTensor(t, dtype, t.requiresGrad));
  const out = fn(inputs, c.params);
  expect(out.dtype).toBe(dtype);
  assertClose(`${c.name} (${dtype}) output`, out, c.output, tol);
  out.backward(fixtureTensor(c.gradOutput, dtype));
  c.grads.forEach((expected, i) => {
    const grad = inputs[i]!.grad;
    if (expected === null) {
      if (grad !== null) throw new Error(`${c.name} (${dtype}): input ${i} does not require grad but got one`);
      return;
    }
    if (grad === null) throw new Error(`${c.name} (${dtype}): input ${i} got no gradient`);
    expect(grad.dtype).toBe(dtype);
    assertClose(`${c.name} (${dtype}) grad of input ${i}`, grad, expected, tol);
  });
}

describe('PyTorch fixtures: core ops (test/fixtures/core.json)', () => {
  it('covers every op in the table, and the table covers every op in the file', () => {
    const inFile = new Set(fixtures.cases.map((c) => c.op));
    expect([...inFile].sort()).toEqual(Object.keys(OPS).sort());
    expect(fixtures.dtype).toBe('float64');
    expect(fixtures.cases.length).toBeGreaterThanOrEqual(200);
  });

  for (const dtype of ['float64', 'float32'] as const) {
    describe(dtype, () => {
      it.each(fixtures.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
        runCase(c, dtype);
      });
    });
  }
});
