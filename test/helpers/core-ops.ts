// The op table of test/fixtures/core.json: each JSON op name → the tsgrad call (mirrors OPS in
// test/fixtures/make_core_fixtures.py). Shared by the first- and second-order fixture tests.
import { F, type Tensor } from '../../src/index.js';

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

/** A norm order: a number, or "Infinity" / "-Infinity" as the JSON writes them. */
function order(p: Params): number {
  const v = p['p'];
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return num(p, 'p');
}

/** A number or a list of numbers. */
function numOrInts(p: Params, key: string): number | number[] {
  return typeof p[key] === 'number' ? num(p, key) : ints(p, key);
}

/** split/chunk/unbind pieces weighted 1, 2, 3, … and joined again (mirrors weighted_cat). */
function weightedCat(pieces: readonly Tensor[], dim: number, stack = false): Tensor {
  const weighted = pieces.map((t, i) => t.mul(i + 1));
  return stack ? F.stack(weighted, dim) : F.cat(weighted, dim);
}

/** clamp with tensor bounds: the inputs after x are the bounds named in params.bounds. */
function clampTensor(t: readonly Tensor[], p: Params): Tensor {
  const names = p['bounds'] as string[];
  const lo = names.indexOf('min');
  const hi = names.indexOf('max');
  return t[0]!.clamp(lo < 0 ? null : t[1 + lo]!, hi < 0 ? null : t[1 + hi]!);
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
  // ---- issue 13 part A: elementwise
  sin: ([x]) => x!.sin(),
  cos: ([x]) => x!.cos(),
  reciprocal: ([x]) => x!.reciprocal(),
  rsqrt: ([x]) => x!.rsqrt(),
  log1p: ([x]) => x!.log1p(),
  expm1: ([x]) => x!.expm1(),
  log2: ([x]) => x!.log2(),
  exp2: ([x]) => x!.exp2(),
  sign: ([x]) => x!.sign(),
  floor: ([x]) => x!.floor(),
  ceil: ([x]) => x!.ceil(),
  round: ([x]) => x!.round(),
  maximum: ([a, b]) => a!.maximum(b!),
  minimum: ([a, b]) => a!.minimum(b!),
  atan2: ([a, b]) => a!.atan2(b!),
  clamp: ([x], p) => x!.clamp(p['min'] === undefined ? null : num(p, 'min'), p['max'] === undefined ? null : num(p, 'max')),
  clamp_tensor: clampTensor,
  // ---- issue 13 part A: reductions and scans
  min: ([x], p) => x!.min(dim(p), flag(p, 'keepdim', false)),
  logsumexp: ([x], p) => x!.logsumexp(numOrInts(p, 'dim'), flag(p, 'keepdim', false)),
  std: ([x], p) => x!.std(dim(p), { unbiased: flag(p, 'unbiased', true), keepdim: flag(p, 'keepdim', false) }),
  prod: ([x], p) => x!.prod(dim(p), flag(p, 'keepdim', false)),
  cumsum: ([x], p) => x!.cumsum(num(p, 'dim')),
  cumprod: ([x], p) => x!.cumprod(num(p, 'dim')),
  norm: ([x], p) => x!.norm(order(p), dim(p), flag(p, 'keepdim', false)),
  // ---- issue 13 part A: slicing and shape
  slice: ([x], p) => x!.slice(num(p, 'dim'), num(p, 'start'), p['end'] === undefined ? undefined : num(p, 'end'), p['step'] === undefined ? 1 : num(p, 'step')),
  flip: ([x], p) => x!.flip(ints(p, 'dims')),
  roll: ([x], p) => (p['dims'] === undefined ? x!.roll(numOrInts(p, 'shifts')) : x!.roll(numOrInts(p, 'shifts'), numOrInts(p, 'dims'))),
  repeat: ([x], p) => x!.repeat(ints(p, 'sizes')),
  tile: ([x], p) => x!.tile(ints(p, 'sizes')),
  split: ([x], p) => weightedCat(x!.split(numOrInts(p, 'split'), num(p, 'dim')), num(p, 'dim')),
  chunk: ([x], p) => weightedCat(x!.chunk(num(p, 'chunks'), num(p, 'dim')), num(p, 'dim')),
  unbind: ([x], p) => weightedCat(x!.unbind(num(p, 'dim')), num(p, 'dim'), true),
};
