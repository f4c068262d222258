// The op table of test/fixtures/core.json: each JSON op name → the tsgrad call (mirrors OPS in
// test/fixtures/make_core_fixtures.py). Shared by the first- and second-order fixture tests.
import type { Tensor } from '../../src/index.js';

export type Params = Record<string, unknown>;
export type OpFn = (t: readonly Tensor[], p: Params) => Tensor;

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

export const CORE_OPS: Record<string, OpFn> = {
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
