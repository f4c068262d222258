// tsgrad against PyTorch on the core ops of issue 2. test/fixtures/core.json is written by
// test/fixtures/make_core_fixtures.py (torch 1.13, float64, run by hand); each case gives the inputs,
// the output, an upstream gradient G and the gradients of sum(out · G). Every case runs twice: in
// float64 (compared at 1e-10 relative) and in float32 (a float32-appropriate tolerance).
import { describe, expect, it } from 'vitest';
import type { DType, Tensor } from '../src/index.js';
import { assertClose, fixtureTensor, loadFixtures, type OpCase, type Tolerance } from './helpers/fixtures.js';

type Params = Record<string, unknown>;
type OpFn = (t: readonly Tensor[], p: Params) => Tensor;

// ---- reading params (a wrong type in the JSON is a clear error, not a silent undefined) ----------

function num(p: Params, key: string): number {
  const v = p[key];
  if (typeof v !== 'number') throw new Error(`fixture param ${key}: expected a number, got ${JSON.stringify(v)}`);
  return v;
}

function ints(p: Params, key: string): number[] {
  const v = p[key];
  if (!Array.isArray(v) || !v.every((d) => typeof d === 'number')) {
    throw new Error(`fixture param ${key}: expected a list of numbers, got ${JSON.stringify(v)}`);
  }
  return v as number[];
}

/** The `dim` of a reduction: absent (all dims), a number or a list. */
function dim(p: Params): number | number[] | undefined {
  return p['dim'] === undefined ? undefined : typeof p['dim'] === 'number' ? p['dim'] : ints(p, 'dim');
}

function flag(p: Params, key: string, fallback: boolean): boolean {
  const v = p[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new Error(`fixture param ${key}: expected a boolean, got ${JSON.stringify(v)}`);
  return v;
}

// ---- the JSON op names → tsgrad calls (mirrors OPS in make_core_fixtures.py) --------------------

const OPS: Record<string, OpFn> = {
  // unary
  neg: ([x]) => x!.neg(),
  exp: ([x]) => x!.exp(),
  log: ([x]) => x!.log(),
  sqrt: ([x]) => x!.sqrt(),
  abs: ([x]) => x!.abs(),
  tanh: ([x]) => x!.tanh(),
  sigmoid: ([x]) => x!.sigmoid(),
  relu: ([x]) => x!.relu(),
  square: ([x]) => x!.square(),
  // binary, tensor ∘ tensor (broadcasting)
  add: ([a, b]) => a!.add(b!),
  sub: ([a, b]) => a!.sub(b!),
  mul: ([a, b]) => a!.mul(b!),
  div: ([a, b]) => a!.div(b!),
  pow: ([a, b]) => a!.pow(b!),
  // binary, tensor ∘ number
  add_scalar: ([x], p) => x!.add(num(p, 'other')),
  sub_scalar: ([x], p) => x!.sub(num(p, 'other')),
  mul_scalar: ([x], p) => x!.mul(num(p, 'other')),
  div_scalar: ([x], p) => x!.div(num(p, 'other')),
  pow_scalar: ([x], p) => x!.pow(num(p, 'exponent')),
  mul_self: ([x]) => x!.mul(x!),
  // linear algebra
  matmul: ([a, b]) => a!.matmul(b!),
  // reductions
  sum: ([x], p) => x!.sum(dim(p), flag(p, 'keepdim', false)),
  mean: ([x], p) => x!.mean(dim(p), flag(p, 'keepdim', false)),
  max: ([x], p) => x!.max(dim(p), flag(p, 'keepdim', false)),
  var: ([x], p) => x!.var(dim(p), { unbiased: flag(p, 'unbiased', true), keepdim: flag(p, 'keepdim', false) }),
  // movement
  reshape: ([x], p) => x!.reshape(ints(p, 'shape')),
  view: ([x], p) => x!.view(ints(p, 'shape')),
  transpose: ([x], p) => x!.transpose(num(p, 'dim0'), num(p, 'dim1')),
  permute: ([x], p) => x!.permute(ints(p, 'dims')),
  expand: ([x], p) => x!.expand(ints(p, 'shape')),
  narrow: ([x], p) => x!.narrow(num(p, 'dim'), num(p, 'start'), num(p, 'length')),
  contiguous: ([x]) => x!.contiguous(),
  // movement chains through the non-contiguous paths
  transpose_reshape: ([x], p) => x!.transpose(num(p, 'dim0'), num(p, 'dim1')).reshape(ints(p, 'shape')),
  permute_contiguous_view: ([x], p) => x!.permute(ints(p, 'dims')).contiguous().view(ints(p, 'shape')),
  narrow_contiguous: ([x], p) => x!.narrow(num(p, 'dim'), num(p, 'start'), num(p, 'length')).contiguous(),
  expand_contiguous: ([x], p) => x!.expand(ints(p, 'shape')).contiguous(),
  transpose_exp: ([x], p) => x!.transpose(num(p, 'dim0'), num(p, 'dim1')).exp(),
  expand_mul: ([x, y], p) => x!.expand(ints(p, 'shape')).mul(y!),
};

// ---- tolerances ---------------------------------------------------------------------------------

const TOLERANCE: Record<DType, Tolerance> = {
  // float64: 1e-10 relative, as the issue asks. The absolute floor is for entries near 0 that come
  // out of cancellation: every fixture value is O(1) (|inputs| ≤ 5, at most 24 elements summed), so
  // such an entry carries rounding error ≲ 24 · 5 · 2⁻⁵³ ≈ 1.3e-14 whatever its own size, in torch
  // and in tsgrad alike (summation order differs). 1e-12 is ~100× that and still 1e-10 of O(1e-2).
  float64: { rtol: 1e-10, atol: 1e-12 },
  // float32: the inputs and G are exactly float32 (the script rounds them), so the only difference
  // is float32 arithmetic: ε = 2⁻²⁴ ≈ 6e-8 per rounding, a handful of roundings per value for the
  // composites (var = sum((x − mean)²)/n, div = a·b⁻¹) and sums of ≤ 24 terms for the gradients
  // (tsgrad accumulates sums in float64). Measured over the ~4 100 compared values: worst relative
  // error 2.4e-6 (tanh′ = 1 − tanh², which cancels), worst absolute 1.6e-6 (on a value of 19.8), and
  // no value uses more than 8% of the allowance below (a 12× margin). atol covers entries that cancel
  // to near 0, whose error is relative to the O(1)…O(10) terms that cancelled, not to themselves.
  // (float64 for comparison: worst relative 4.6e-15, at most 3e-5 of its allowance.)
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
