// tsgrad against PyTorch on the dtype, selection and indexing ops of issue 13 (part B).
// test/fixtures/index.json is written by test/fixtures/make_index_fixtures.py (torch 1.13, run by
// hand). Differentiable cases compare the output and the gradients of sum(out · G) in float64 at
// 1e-10 relative; exact cases (integer/bool results, promotion) must agree element for element and
// in dtype (torch's int64 results are int32 in tsgrad).
import { describe, expect, it } from 'vitest';
import { tensor, where, type DType, type Tensor } from '../src/index.js';
import { assertClose, decodeValues, fixtureTensor, loadFixtures, type OpCase, type Tolerance } from './helpers/fixtures.js';

const TOLERANCE: Tolerance = { rtol: 1e-10, atol: 1e-12 };

type Params = Record<string, unknown>;
interface TypedTensor {
  shape: number[];
  dtype: DType;
  values: (number | string)[];
}
interface ExactCase {
  name: string;
  op: string;
  params: Params;
  exact: true;
  inputs: TypedTensor[];
  output: TypedTensor;
}

const file = loadFixtures<OpCase<Params> | ExactCase>('./fixtures/index.json', import.meta.url);
const isExact = (c: OpCase<Params> | ExactCase): c is ExactCase => (c as ExactCase).exact === true;
const differentiable = file.cases.filter((c): c is OpCase<Params> => !isExact(c));
const exact = file.cases.filter(isExact);

const num = (p: Params, k: string): number => p[k] as number;
const int32 = (values: number[], shape: number[]): Tensor => tensor(values, { dtype: 'int32', shape });
const maskOf = (p: Params): Tensor => tensor((p.mask as boolean[]).map(Number), { dtype: 'bool', shape: p.maskShape as number[] });
const indexOf = (p: Params): Tensor => int32(p.index as number[], p.indexShape as number[]);

const DIFFERENTIABLE: Record<string, (t: Tensor[], p: Params) => Tensor> = {
  gather: ([x], p) => x!.gather(num(p, 'dim'), indexOf(p)),
  scatter: ([x, src], p) => x!.scatter(num(p, 'dim'), indexOf(p), src!),
  scatter_value: ([x], p) => x!.scatter(num(p, 'dim'), indexOf(p), num(p, 'value')),
  scatterAdd: ([x, src], p) => x!.scatterAdd(num(p, 'dim'), indexOf(p), src!),
  indexSelect: ([x], p) => x!.indexSelect(num(p, 'dim'), p.index as number[]),
  maskedSelect: ([x], p) => x!.maskedSelect(maskOf(p)),
  maskedFill: ([x], p) => x!.maskedFill(maskOf(p), num(p, 'value')),
  where: ([a, b], p) => where(maskOf(p), a!, b!),
  sort: ([x], p) => x!.sort(num(p, 'dim'), { descending: p.descending as boolean }).values,
  topk: ([x], p) => x!.topk(num(p, 'k'), num(p, 'dim'), { largest: p.largest as boolean }).values,
};

const EXACT: Record<string, (t: Tensor[], p: Params) => Tensor> = {
  eq: ([a, b]) => a!.eq(b!),
  ne: ([a, b]) => a!.ne(b!),
  lt: ([a, b]) => a!.lt(b!),
  le: ([a, b]) => a!.le(b!),
  gt: ([a, b]) => a!.gt(b!),
  ge: ([a, b]) => a!.ge(b!),
  eq_scalar: ([a], p) => a!.eq(num(p, 'other')),
  ne_scalar: ([a], p) => a!.ne(num(p, 'other')),
  lt_scalar: ([a], p) => a!.lt(num(p, 'other')),
  le_scalar: ([a], p) => a!.le(num(p, 'other')),
  gt_scalar: ([a], p) => a!.gt(num(p, 'other')),
  ge_scalar: ([a], p) => a!.ge(num(p, 'other')),
  logicalAnd: ([a, b]) => a!.logicalAnd(b!),
  logicalOr: ([a, b]) => a!.logicalOr(b!),
  logicalNot: ([a]) => a!.logicalNot(),
  isnan: ([a]) => a!.isnan(),
  isfinite: ([a]) => a!.isfinite(),
  argmax: ([a], p) => a!.argmax(p.dim as number | undefined, (p.keepdim as boolean | undefined) ?? false),
  argmin: ([a], p) => a!.argmin(p.dim as number | undefined),
  all: ([a], p) => a!.all(p.dim as number | undefined),
  any: ([a], p) => a!.any(p.dim as number | undefined),
  sortIndices: ([a], p) => a!.sort(num(p, 'dim'), { descending: p.descending as boolean }).indices,
  topkIndices: ([a], p) => a!.topk(num(p, 'k'), num(p, 'dim'), { largest: p.largest as boolean }).indices,
  gather: ([a], p) => a!.gather(num(p, 'dim'), indexOf(p)),
  maskedSelect: ([a], p) => a!.maskedSelect(maskOf(p)),
  add: ([a, b]) => a!.add(b!),
  add_scalar: ([a], p) => a!.add(num(p, 'other')),
  mul: ([a, b]) => a!.mul(b!),
  sub: ([a, b]) => a!.sub(b!),
  div: ([a, b]) => a!.div(b!),
  sum: ([a], p) => a!.sum(p.dim as number | undefined),
  exp: ([a]) => a!.exp(),
  to_int32: ([a]) => a!.to('int32'),
  to_bool: ([a]) => a!.to('bool'),
  maskedFill: ([a], p) => a!.maskedFill(maskOf(p), num(p, 'value')),
};

function typed(t: TypedTensor): Tensor {
  return tensor(Array.from(decodeValues(t.values)), { dtype: t.dtype, shape: t.shape });
}

describe('PyTorch fixtures: dtypes, selection and indexing (test/fixtures/index.json)', () => {
  it('the tables cover every op in the file and the reverse; the counts', () => {
    expect([...new Set(differentiable.map((c) => c.op))].sort()).toEqual(Object.keys(DIFFERENTIABLE).sort());
    expect([...new Set(exact.map((c) => c.op))].sort()).toEqual(Object.keys(EXACT).sort());
    expect(differentiable.length).toBe(39);
    expect(exact.length).toBe(69);
  });

  it.each(differentiable.map((c) => [c.name, c] as const))('%s (float64, 1e-10)', (_name, c) => {
    const inputs = c.inputs.map((t) => fixtureTensor(t, 'float64', t.requiresGrad));
    const out = DIFFERENTIABLE[c.op]!(inputs, c.params);
    assertClose(`${c.name} output`, out, c.output, TOLERANCE);
    out.backward(fixtureTensor(c.gradOutput, 'float64'));
    c.grads.forEach((expected, i) => {
      const grad = inputs[i]!.grad;
      if (expected === null) {
        expect(grad, `${c.name}: input ${i} needs no gradient`).toBe(null);
        return;
      }
      if (grad === null) throw new Error(`${c.name}: input ${i} got no gradient`);
      assertClose(`${c.name} grad of input ${i}`, grad, expected, TOLERANCE);
    });
  });

  it.each(exact.map((c) => [c.name, c] as const))('%s (exact dtype; exact int/bool values)', (_name, c) => {
    const out = EXACT[c.op]!(c.inputs.map(typed), c.params);
    expect(out.dtype).toBe(c.output.dtype);
    expect(out.shape).toEqual(c.output.shape);
    if (c.output.dtype === 'float32') {
      // A float32 result of an int input (true division, exp): torch's float32 kernels and tsgrad's
      // (a·b⁻¹; Math.exp rounded) differ in the last bit, so 1 ulp-scale tolerance.
      assertClose(c.name, out, c.output, { rtol: 2.5e-7, atol: 0 });
      return;
    }
    expect(Array.from(out.toArray())).toEqual(Array.from(decodeValues(c.output.values)));
  });
});
