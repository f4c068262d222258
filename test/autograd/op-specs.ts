/**
 * One spec per differentiable Tensor op: how to draw its input shapes and values and how to call it.
 * `op-properties.test.ts` turns every spec into a fast-check property that runs `gradcheck`.
 *
 * Shapes are small (sizes 1–3, at most 3 dims) so full Jacobians stay cheap; draws include 0-d
 * tensors, size-1 dims, broadcasting pairs, negative dims, dim lists and keepdim both ways. Values
 * stay away from kinks: relu/abs inputs and div denominators away from 0, log/sqrt/pow bases
 * positive, max inputs without ties (distinct multiples of 0.01, far above gradcheck's eps 1e-6).
 * Each spec lists the features (`covers`) its drawn cases must hit; the driver checks that they did.
 */
import * as fc from 'fast-check';
import { tensor } from '../../src/autograd/creation.js';
import { cat } from '../../src/nn/functional/join.js';
import type { GradcheckOptions } from '../../src/autograd/gradcheck.js';
import type { Tensor } from '../../src/autograd/tensor.js';
import { where } from '../../src/autograd/where.js';
import { broadcastsTo, shapeArb, sizeOf } from '../tensor/reference.js';

/** One drawn input: a float64 leaf of this shape and these row-major values. */
export interface Drawn {
  shape: number[];
  values: number[];
  requiresGrad: boolean;
}

/** One drawn case of an op: its tensor inputs and the op's other arguments. */
export interface OpCase<P> {
  inputs: Drawn[];
  params: P;
}

/** What one spec says about an op. `P` holds the non-tensor arguments (dims, flags, a number operand). */
export interface OpSpec<P> {
  name: string;
  draw: fc.Arbitrary<OpCase<P>>;
  run: (params: P, ...inputs: Tensor[]) => Tensor;
  /** Op-specific features of a case (shape features like '0-d' are added by `defineSpec`). */
  tags?: (c: OpCase<P>) => string[];
  /** Features the drawn cases must include. */
  covers: readonly string[];
  gradcheck?: GradcheckOptions;
}

/** A case with its function bound, as the driver sees it. */
export interface BoundCase {
  inputs: Drawn[];
  params: unknown;
  tags: string[];
  run: (...inputs: Tensor[]) => Tensor;
}

/** A spec with its parameter type erased, so specs of different ops fit in one table. */
export interface Spec {
  name: string;
  cases: fc.Arbitrary<BoundCase>;
  covers: readonly string[];
  gradcheck: GradcheckOptions;
}

function defineSpec<P>(spec: OpSpec<P>): Spec {
  return {
    name: spec.name,
    covers: spec.covers,
    gradcheck: spec.gradcheck ?? {},
    cases: spec.draw.map((c) => ({
      inputs: c.inputs,
      params: c.params,
      tags: [...shapeTags(c.inputs), ...(spec.tags?.(c) ?? [])],
      run: (...xs: Tensor[]) => spec.run(c.params, ...xs),
    })),
  };
}

function shapeTags(inputs: readonly Drawn[]): string[] {
  const tags: string[] = [];
  if (inputs.some((d) => d.shape.length === 0)) tags.push('0-d');
  if (inputs.some((d) => d.shape.includes(1))) tags.push('size-1 dim');
  if (inputs.length > 1 && inputs.some((d) => d.shape.join() !== inputs[0]!.shape.join())) tags.push('broadcast');
  if (inputs.some((d) => !d.requiresGrad)) tags.push('input without grad');
  return tags;
}

// ---- value and shape arbitraries ----------------------------------------------------------------

const real = (min: number, max: number): fc.Arbitrary<number> => fc.double({ min, max, noNaN: true });

/** Value distributions, each away from the kinks of the ops that use it. */
export const values = {
  any: real(-2, 2),
  smooth: real(-3, 3),
  positive: real(0.5, 2),
  awayFromZero: fc.tuple(fc.boolean(), real(0.2, 2)).map(([negative, v]) => (negative ? -v : v)),
};

const size = fc.integer({ min: 1, max: 3 });

/** An input of this shape with values from `valueArb`. */
function drawn(shape: number[], valueArb: fc.Arbitrary<number>, requiresGrad = true): fc.Arbitrary<Drawn> {
  const n = sizeOf(shape);
  return fc.array(valueArb, { minLength: n, maxLength: n }).map((v) => ({ shape, values: v, requiresGrad }));
}

/** An input of this shape whose values are pairwise distinct by at least 0.01 (no ties for max). */
function distinctDrawn(shape: number[]): fc.Arbitrary<Drawn> {
  const n = sizeOf(shape);
  return fc
    .uniqueArray(fc.integer({ min: -300, max: 300 }), { minLength: n, maxLength: n })
    .map((ints) => ({ shape, values: ints.map((i) => i / 100), requiresGrad: true }));
}

/** Two shapes that broadcast together. */
const broadcastPair: fc.Arbitrary<[number[], number[]]> = shapeArb().chain((out) => fc.tuple(broadcastsTo(out), broadcastsTo(out)));

/** Which of two inputs require grad (at least one does). */
const gradFlags = fc.constantFrom<[boolean, boolean]>([true, true], [true, true], [true, false], [false, true]);

/** A dim in range for `ndim` dims, possibly negative (0-d tensors accept 0 and −1, as in PyTorch). */
function dimIn(ndim: number): fc.Arbitrary<number> {
  const bound = Math.max(ndim, 1);
  return fc.integer({ min: -bound, max: bound - 1 });
}

/** A permutation of 0 … n−1, each entry possibly written negatively. */
function permutation(n: number): fc.Arbitrary<number[]> {
  const dims = Array.from({ length: n }, (_, i) => i);
  return fc
    .tuple(fc.shuffledSubarray(dims, { minLength: n, maxLength: n }), fc.array(fc.boolean(), { minLength: n, maxLength: n }))
    .map(([perm, negate]) => perm.map((d, i) => (negate[i] ? d - n : d)));
}

type DimArg = number | number[] | undefined;

/** The `dim` argument of a reduction: omitted (all dims), one dim, or a non-empty list (negatives allowed). */
function dimArg(ndim: number): fc.Arbitrary<DimArg> {
  const list = ndim === 0 ? fc.constantFrom<number[]>([0], [-1]) : permutation(ndim).chain((perm) => fc.integer({ min: 1, max: ndim }).map((k) => perm.slice(0, k)));
  return fc.oneof(fc.constant(undefined), dimIn(ndim), list);
}

function dimTags(dim: DimArg, keepdim: boolean | undefined): string[] {
  const tags = [keepdim === true ? 'keepdim' : 'no keepdim'];
  if (dim === undefined) tags.push('all dims');
  else if (typeof dim === 'number') tags.push('one dim');
  else tags.push('dim list');
  if ((typeof dim === 'number' && dim < 0) || (Array.isArray(dim) && dim.some((d) => d < 0))) tags.push('negative dim');
  return tags;
}

/** Dims the reduction covers, resolved (for counting elements). */
function reducedCount(shape: readonly number[], dim: DimArg): number {
  if (dim === undefined) return sizeOf(shape);
  const list = typeof dim === 'number' ? [dim] : dim;
  const dims = new Set(list.map((d) => (d < 0 ? d + Math.max(shape.length, 1) : d)).filter((d) => d < shape.length));
  return [...dims].reduce((p, d) => p * shape[d]!, 1);
}

// ---- unary ops ----------------------------------------------------------------------------------

interface UnaryParams {
  /** Apply the op to a transposed (non-contiguous) view of the input. */
  transposed: boolean;
}

function unarySpec(name: string, valueArb: fc.Arbitrary<number>, op: (x: Tensor) => Tensor): Spec {
  return defineSpec<UnaryParams>({
    name,
    draw: shapeArb().chain((shape) =>
      fc.record({ x: drawn(shape, valueArb), transposed: fc.boolean() }).map(({ x, transposed }) => ({ inputs: [x], params: { transposed } })),
    ),
    run: ({ transposed }, x) => op(transposed && x.ndim >= 2 ? x.transpose(0, -1) : x),
    tags: (c) => (c.params.transposed && c.inputs[0]!.shape.length >= 2 ? ['non-contiguous input'] : []),
    covers: ['0-d', 'size-1 dim', 'non-contiguous input'],
  });
}

// ---- binary ops ---------------------------------------------------------------------------------

/** The second operand: a drawn tensor (an input), a JS number, or a float32 constant (promoted to the input's float64). */
type BinaryParams =
  | { kind: 'tensor' }
  | { kind: 'number'; value: number }
  | { kind: 'float32 constant'; shape: number[]; values: number[] };

function binarySpec(
  name: string,
  lhs: fc.Arbitrary<number>,
  rhs: fc.Arbitrary<number>,
  op: (a: Tensor, b: Tensor | number) => Tensor,
  rhsNumber: fc.Arbitrary<number> = rhs,
): Spec {
  const twoTensors = fc
    .tuple(broadcastPair, gradFlags)
    .chain(([[sa, sb], [ga, gb]]) => fc.tuple(drawn(sa, lhs, ga), drawn(sb, rhs, gb)))
    .map(([a, b]): OpCase<BinaryParams> => ({ inputs: [a, b], params: { kind: 'tensor' } }));
  const withNumber = shapeArb()
    .chain((shape) => fc.tuple(drawn(shape, lhs), rhsNumber))
    .map(([a, value]): OpCase<BinaryParams> => ({ inputs: [a], params: { kind: 'number', value } }));
  // A 0-d float64 input with a dimensioned float32 constant gives float32 (PyTorch's zero-dim rule,
  // tested in tensor-forward.test.ts): no float64 output for gradcheck, so not drawn here.
  const withFloat32 = broadcastPair
    .filter(([sa, sb]) => sa.length > 0 || sb.length === 0)
    .chain(([sa, sb]) => fc.tuple(drawn(sa, lhs), drawn(sb, rhs)))
    .map(([a, b]): OpCase<BinaryParams> => ({ inputs: [a], params: { kind: 'float32 constant', shape: b.shape, values: b.values } }));
  return defineSpec<BinaryParams>({
    name,
    draw: fc.oneof({ arbitrary: twoTensors, weight: 4 }, { arbitrary: withNumber, weight: 1 }, { arbitrary: withFloat32, weight: 1 }),
    run: (p, a, b) => {
      if (p.kind === 'tensor') return op(a, b!);
      if (p.kind === 'number') return op(a, p.value);
      return op(a, tensor(Float32Array.from(p.values), { shape: p.shape }));
    },
    tags: (c) => [c.params.kind === 'tensor' ? 'two tensors' : c.params.kind],
    covers: ['0-d', 'size-1 dim', 'broadcast', 'input without grad', 'two tensors', 'number', 'float32 constant'],
  });
}

// ---- reductions ---------------------------------------------------------------------------------

interface ReduceParams {
  dim: DimArg;
  keepdim: boolean | undefined;
}

function reduceSpec(name: string, input: (shape: number[]) => fc.Arbitrary<Drawn>, op: (x: Tensor, p: ReduceParams) => Tensor): Spec {
  return defineSpec<ReduceParams>({
    name,
    draw: shapeArb().chain((shape) =>
      fc
        .record({ x: input(shape), dim: dimArg(shape.length), keepdim: fc.constantFrom(undefined, true, false) })
        .map(({ x, dim, keepdim }) => ({ inputs: [x], params: { dim, keepdim } })),
    ),
    run: (p, x) => op(x, p),
    tags: (c) => dimTags(c.params.dim, c.params.keepdim),
    covers: ['0-d', 'size-1 dim', 'keepdim', 'no keepdim', 'all dims', 'one dim', 'dim list', 'negative dim'],
  });
}

/** Calls a reduction the way a user would: `x.sum()`, `x.sum(dim)` or `x.sum(dim, keepdim)`. */
function callReduction(x: Tensor, method: 'sum' | 'mean' | 'max' | 'min' | 'prod', { dim, keepdim }: ReduceParams): Tensor {
  if (dim === undefined && keepdim === undefined) return x[method]();
  if (keepdim === undefined) return x[method](dim);
  return x[method](dim, keepdim);
}

interface VarParams extends ReduceParams {
  unbiased: boolean | undefined;
}

/** var's cases, with values from `input` (std draws distinct values: a std of 0 is its kink). */
const varDraw = (input: (shape: number[]) => fc.Arbitrary<Drawn>): fc.Arbitrary<OpCase<VarParams>> => shapeArb().chain((shape) =>
  fc
    .record({
      x: input(shape),
      dim: dimArg(shape.length),
      keepdim: fc.constantFrom(undefined, true, false),
      unbiased: fc.constantFrom(undefined, true, false),
    })
    .map(({ x, dim, keepdim, unbiased }) => ({
      inputs: [x],
      // Bessel's correction divides by n − 1: with a single element that is 0/0, so use the biased form.
      params: { dim, keepdim, unbiased: reducedCount(shape, dim) < 2 ? false : unbiased },
    })),
);

const varSpec = defineSpec<VarParams>({
  name: 'var',
  draw: varDraw((shape) => drawn(shape, values.any)),
  run: ({ dim, keepdim, unbiased }, x) => {
    const options = { ...(unbiased === undefined ? {} : { unbiased }), ...(keepdim === undefined ? {} : { keepdim }) };
    return dim === undefined && Object.keys(options).length === 0 ? x.var() : x.var(dim, options);
  },
  tags: (c) => [...dimTags(c.params.dim, c.params.keepdim), c.params.unbiased === false ? 'biased' : 'unbiased'],
  covers: ['0-d', 'size-1 dim', 'keepdim', 'no keepdim', 'all dims', 'one dim', 'dim list', 'negative dim', 'biased', 'unbiased'],
});

// ---- matmul -------------------------------------------------------------------------------------

interface MatmulParams {
  /** Pass this operand as a transposed view of the drawn input (non-contiguous). */
  transposeA: boolean;
  transposeB: boolean;
  kind: string;
}

const matmulSpec = defineSpec<MatmulParams>({
  name: 'matmul',
  draw: fc
    .record({
      m: size,
      k: size,
      n: size,
      batch: fc.array(size, { maxLength: 2 }).chain((out) => fc.tuple(broadcastsTo(out), broadcastsTo(out))),
      kind: fc.constantFrom('1-d · 1-d', '1-d · n-d', 'n-d · 1-d', 'n-d · n-d', 'n-d · n-d'),
      transposeA: fc.boolean(),
      transposeB: fc.boolean(),
      grads: gradFlags,
    })
    .chain(({ m, k, n, batch: [batchA, batchB], kind, transposeA, transposeB, grads }) => {
      const aIs1d = kind.startsWith('1-d');
      const bIs1d = kind.endsWith('1-d');
      const tA = transposeA && !aIs1d;
      const tB = transposeB && !bIs1d;
      const aShape = aIs1d ? [k] : [...batchA, ...(tA ? [k, m] : [m, k])];
      const bShape = bIs1d ? [k] : [...batchB, ...(tB ? [n, k] : [k, n])];
      return fc
        .tuple(drawn(aShape, values.any, grads[0]), drawn(bShape, values.any, grads[1]))
        .map(([a, b]) => ({ inputs: [a, b], params: { transposeA: tA, transposeB: tB, kind } }));
    }),
  run: ({ transposeA, transposeB }, a, b) => (transposeA ? a.transpose(-2, -1) : a).matmul(transposeB ? b!.transpose(-1, -2) : b!),
  tags: (c) => [c.params.kind, ...(c.params.transposeA || c.params.transposeB ? ['non-contiguous input'] : [])],
  covers: ['1-d · 1-d', '1-d · n-d', 'n-d · 1-d', 'n-d · n-d', 'broadcast', 'size-1 dim', 'input without grad', 'non-contiguous input'],
});

// ---- movement -----------------------------------------------------------------------------------

/** Shape arguments are accepted spread (`reshape(2, 3)`) or as one array (`reshape([2, 3])`). */
type ShapeForm = 'spread' | 'array';

function withShape(form: ShapeForm, shape: number[], call: (...s: number[] | [number[]]) => Tensor): Tensor {
  return form === 'spread' ? call(...shape) : call(shape);
}

/** A target shape with the same size: the dims shuffled, some 1s inserted, maybe one −1. */
function sameSizeShape(shape: readonly number[]): fc.Arbitrary<number[]> {
  const n = shape.length;
  return fc
    .tuple(
      fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n }),
      fc.array(fc.integer({ min: 0, max: n }), { maxLength: 2 }),
      fc.option(fc.nat(), { nil: undefined }),
    )
    .map(([perm, ones, inferAt]) => {
      const target = perm.map((i) => shape[i]!);
      for (const at of ones) target.splice(Math.min(at, target.length), 0, 1);
      if (inferAt !== undefined && target.length > 0) target[inferAt % target.length] = -1;
      return target;
    });
}

interface ReshapeParams {
  target: number[];
  form: ShapeForm;
  transposeFirst: boolean;
}

const reshapeSpec = defineSpec<ReshapeParams>({
  name: 'reshape',
  draw: shapeArb().chain((shape) =>
    fc
      .record({ x: drawn(shape, values.any), target: sameSizeShape(shape), form: fc.constantFrom<ShapeForm>('spread', 'array'), transposeFirst: fc.boolean() })
      .map(({ x, target, form, transposeFirst }) => ({ inputs: [x], params: { target, form, transposeFirst } })),
  ),
  run: ({ target, form, transposeFirst }, x) => {
    const source = transposeFirst && x.ndim >= 2 ? x.transpose(0, -1) : x;
    return withShape(form, target, (...s) => source.reshape(...s));
  },
  tags: (c) => [
    ...(c.params.target.includes(-1) ? ['-1 size'] : []),
    ...(c.params.transposeFirst && c.inputs[0]!.shape.length >= 2 ? ['non-contiguous input'] : []),
  ],
  covers: ['0-d', 'size-1 dim', '-1 size', 'non-contiguous input'],
});

const viewSpec = defineSpec<Omit<ReshapeParams, 'transposeFirst'>>({
  name: 'view',
  draw: shapeArb().chain((shape) =>
    fc
      .record({ x: drawn(shape, values.any), target: sameSizeShape(shape), form: fc.constantFrom<ShapeForm>('spread', 'array') })
      .map(({ x, target, form }) => ({ inputs: [x], params: { target, form } })),
  ),
  run: ({ target, form }, x) => withShape(form, target, (...s) => x.view(...s)),
  tags: (c) => (c.params.target.includes(-1) ? ['-1 size'] : []),
  covers: ['0-d', 'size-1 dim', '-1 size'],
});

const transposeSpec = defineSpec<{ dim0: number; dim1: number }>({
  name: 'transpose',
  draw: shapeArb().chain((shape) =>
    fc
      .record({ x: drawn(shape, values.any), dim0: dimIn(shape.length), dim1: dimIn(shape.length) })
      .map(({ x, dim0, dim1 }) => ({ inputs: [x], params: { dim0, dim1 } })),
  ),
  run: ({ dim0, dim1 }, x) => x.transpose(dim0, dim1),
  tags: (c) => (c.params.dim0 < 0 || c.params.dim1 < 0 ? ['negative dim'] : []),
  covers: ['0-d', 'size-1 dim', 'negative dim'],
});

const permuteSpec = defineSpec<{ dims: number[]; form: ShapeForm }>({
  name: 'permute',
  draw: shapeArb().chain((shape) =>
    fc
      .record({ x: drawn(shape, values.any), dims: permutation(shape.length), form: fc.constantFrom<ShapeForm>('spread', 'array') })
      .map(({ x, dims, form }) => ({ inputs: [x], params: { dims, form } })),
  ),
  run: ({ dims, form }, x) => withShape(form, dims, (...d) => x.permute(...d)),
  tags: (c) => (c.params.dims.some((d) => d < 0) ? ['negative dim'] : []),
  covers: ['0-d', 'size-1 dim', 'negative dim'],
});

/** An input shape that expands to `out`, and the expand target (−1 where a dim keeps its size). */
function expandCase(out: number[]): fc.Arbitrary<{ x: Drawn; target: number[] }> {
  return broadcastsTo(out).chain((inShape) => {
    const lead = out.length - inShape.length;
    return fc
      .tuple(drawn(inShape, values.any), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
      .map(([x, keep]) => ({ x, target: out.map((d, i) => (i >= lead && keep[i] && inShape[i - lead] === d ? -1 : d)) }));
  });
}

const expandSpec = defineSpec<{ target: number[]; form: ShapeForm }>({
  name: 'expand',
  draw: shapeArb().chain((out) =>
    fc
      .record({ c: expandCase(out), form: fc.constantFrom<ShapeForm>('spread', 'array') })
      .map(({ c, form }) => ({ inputs: [c.x], params: { target: c.target, form } })),
  ),
  run: ({ target, form }, x) => withShape(form, target, (...s) => x.expand(...s)),
  tags: (c) => {
    const inShape = c.inputs[0]!.shape;
    const target = c.params.target;
    const lead = target.length - inShape.length;
    const tags: string[] = [];
    if (lead > 0) tags.push('new leading dims');
    if (target.includes(-1)) tags.push('-1 size');
    if (inShape.some((d, i) => d === 1 && target[i + lead]! > 1)) tags.push('size-1 dim expanded');
    return tags;
  },
  covers: ['0-d', 'new leading dims', '-1 size', 'size-1 dim expanded'],
});

const narrowSpec = defineSpec<{ dim: number; start: number; length: number }>({
  name: 'narrow',
  draw: shapeArb(1, 3, 4).chain((shape) =>
    fc
      .record({ x: drawn(shape, values.any), d: fc.integer({ min: 0, max: shape.length - 1 }), negative: fc.boolean() })
      .chain(({ x, d, negative }) =>
        fc
          .integer({ min: 0, max: shape[d]! - 1 })
          .chain((start) => fc.integer({ min: 1, max: shape[d]! - start }).map((length) => ({ start, length })))
          .map(({ start, length }) => ({ inputs: [x], params: { dim: negative ? d - shape.length : d, start, length } })),
      ),
  ),
  run: ({ dim, start, length }, x) => x.narrow(dim, start, length),
  tags: (c) => [...(c.params.dim < 0 ? ['negative dim'] : []), ...(c.params.start > 0 ? ['start > 0'] : [])],
  covers: ['size-1 dim', 'negative dim', 'start > 0'],
});

type ContiguousParams = { kind: 'permuted'; dims: number[] } | { kind: 'expanded'; target: number[] };

const contiguousSpec = defineSpec<ContiguousParams>({
  name: 'contiguous',
  draw: fc.oneof(
    shapeArb().chain((shape) =>
      fc
        .tuple(drawn(shape, values.any), permutation(shape.length))
        .map(([x, dims]): OpCase<ContiguousParams> => ({ inputs: [x], params: { kind: 'permuted', dims } })),
    ),
    shapeArb().chain((out) => expandCase(out).map(({ x, target }): OpCase<ContiguousParams> => ({ inputs: [x], params: { kind: 'expanded', target } }))),
  ),
  run: (p, x) => (p.kind === 'permuted' ? x.permute(p.dims) : x.expand(p.target)).contiguous(),
  tags: (c) => [c.params.kind],
  covers: ['0-d', 'size-1 dim', 'permuted', 'expanded'],
});

const unsqueezeSpec = defineSpec<{ dim: number }>({
  name: 'unsqueeze',
  draw: shapeArb().chain((shape) =>
    fc
      .record({ x: drawn(shape, values.any), dim: fc.integer({ min: -shape.length - 1, max: shape.length }) })
      .map(({ x, dim }) => ({ inputs: [x], params: { dim } })),
  ),
  run: ({ dim }, x) => x.unsqueeze(dim),
  tags: (c) => (c.params.dim < 0 ? ['negative dim'] : []),
  covers: ['0-d', 'size-1 dim', 'negative dim'],
});

const squeezeSpec = defineSpec<{ dim: number | undefined }>({
  name: 'squeeze',
  draw: fc.array(fc.constantFrom(1, 1, 2, 3), { maxLength: 3 }).chain((shape) =>
    fc
      .record({ x: drawn(shape, values.any), dim: fc.option(dimIn(shape.length), { nil: undefined }) })
      .map(({ x, dim }) => ({ inputs: [x], params: { dim } })),
  ),
  run: ({ dim }, x) => (dim === undefined ? x.squeeze() : x.squeeze(dim)),
  tags: (c) => [c.params.dim === undefined ? 'all size-1 dims' : c.params.dim < 0 ? 'negative dim' : 'one dim'],
  covers: ['0-d', 'size-1 dim', 'all size-1 dims', 'one dim', 'negative dim'],
});

const flattenSpec = defineSpec<{ startDim: number | undefined; endDim: number | undefined }>({
  name: 'flatten',
  draw: shapeArb(0, 4, 2).chain((shape) => {
    const n = shape.length;
    const ordered = fc
      .tuple(dimIn(n), dimIn(n))
      .filter(([s, e]) => n === 0 || (s < 0 ? s + n : s) <= (e < 0 ? e + n : e));
    return fc
      .record({ x: drawn(shape, values.any), dims: fc.option(ordered, { nil: undefined }) })
      .map(({ x, dims }) => ({ inputs: [x], params: { startDim: dims?.[0], endDim: dims?.[1] } }));
  }),
  run: ({ startDim, endDim }, x) => (startDim === undefined || endDim === undefined ? x.flatten() : x.flatten(startDim, endDim)),
  tags: (c) => [...((c.params.startDim ?? 0) < 0 || (c.params.endDim ?? 0) < 0 ? ['negative dim'] : []), ...(c.params.startDim === undefined ? ['all dims'] : [])],
  covers: ['0-d', 'size-1 dim', 'negative dim', 'all dims'],
});

// ---- dtype conversion ---------------------------------------------------------------------------

type ToParams = 'same dtype' | 'round trip through float32' | 'square in float32';

const toSpec = defineSpec<ToParams>({
  name: 'to',
  draw: shapeArb().chain((shape) =>
    fc
      .tuple(drawn(shape, values.any), fc.constantFrom<ToParams>('same dtype', 'round trip through float32', 'square in float32'))
      .map(([x, params]) => ({ inputs: [x], params })),
  ),
  run: (p, x) => {
    if (p === 'same dtype') return x.to('float64');
    const x32 = x.to('float32');
    return (p === 'square in float32' ? x32.mul(x32) : x32).to('float64');
  },
  tags: (c) => [c.params],
  covers: ['0-d', 'same dtype', 'round trip through float32', 'square in float32'],
  // float32 rounding (≤ 1.2e-7 here) divided by 2·eps must stay under atol: eps 1e-2 keeps it near 1e-5,
  // with gradcheck's default tolerances. (x² has no truncation error in a central difference, so a
  // large eps costs nothing.)
  gradcheck: { eps: 1e-2, atol: 1e-5, rtol: 1e-3 },
});

// ---- issue 13 part A: float math, reductions and scans, slicing ------------------------------------

/** Values k/2 + f with f in [0.05, 0.45]: never within 0.05 of an integer or a half (floor, ceil, round jumps). */
const awayFromHalves = fc.tuple(fc.integer({ min: -4, max: 4 }), real(0.05, 0.45)).map(([k, f]) => k / 2 + f);
/** Multiples of 0.01, and the same shifted by 0.005: a value of one never ties with one of the other. */
const onGrid = fc.integer({ min: -200, max: 200 }).map((i) => i / 100);
const offGrid = onGrid.map((v) => v + 0.005);

/** An input whose absolute values are pairwise distinct and ≥ 0.2 (random signs): no ties for max |x|. */
function distinctMagnitudes(shape: number[]): fc.Arbitrary<Drawn> {
  const n = sizeOf(shape);
  return fc
    .tuple(fc.uniqueArray(fc.integer({ min: 20, max: 300 }), { minLength: n, maxLength: n }), fc.array(fc.boolean(), { minLength: n, maxLength: n }))
    .map(([ints, negative]) => ({ shape, values: ints.map((v, i) => (negative[i] ? -v : v) / 100), requiresGrad: true }));
}

type ClampParams = { kind: 'numbers' | 'min only' | 'max only' | 'min > max'; lo: number; hi: number } | { kind: 'tensor bounds'; lo: boolean; hi: boolean };

const clampSpec = defineSpec<ClampParams>({
  name: 'clamp',
  draw: fc.oneof(
    shapeArb().chain((shape) =>
      fc
        .record({ x: drawn(shape, onGrid), a: offGrid, b: offGrid, kind: fc.constantFrom('numbers' as const, 'min only' as const, 'max only' as const, 'min > max' as const) })
        .map(({ x, a, b, kind }): OpCase<ClampParams> => {
          const [lo, hi] = a <= b === (kind !== 'min > max') ? [a, b] : [b, a];
          return { inputs: [x], params: { kind, lo, hi } };
        }),
    ),
    broadcastPair.chain(([sx, sb]) =>
      fc
        .record({ x: drawn(sx, onGrid), lo: drawn(sb, offGrid.map((v) => v - 1)), hi: drawn(sb, offGrid.map((v) => v + 1)), which: fc.constantFrom([true, true], [true, false], [false, true]) })
        .map(({ x, lo, hi, which }): OpCase<ClampParams> => ({
          inputs: [x, ...(which[0] ? [lo] : []), ...(which[1] ? [hi] : [])],
          params: { kind: 'tensor bounds', lo: which[0]!, hi: which[1]! },
        })),
    ),
  ),
  run: (p, x, ...bounds) => {
    if (p.kind === 'tensor bounds') return x.clamp(p.lo ? bounds[0] : null, p.hi ? bounds[p.lo ? 1 : 0] : undefined);
    if (p.kind === 'min only') return x.clamp(p.lo);
    if (p.kind === 'max only') return x.clamp(undefined, p.hi);
    return x.clamp(p.lo, p.hi);
  },
  tags: (c) => [c.params.kind],
  covers: ['0-d', 'broadcast', 'numbers', 'min only', 'max only', 'min > max', 'tensor bounds'],
});

/** A reduction whose dim is required (logsumexp): one dim or a list. */
function requiredDimArg(ndim: number): fc.Arbitrary<number | number[]> {
  return dimArg(ndim).map((d) => d ?? Array.from({ length: ndim }, (_, i) => i)).map((d) => (Array.isArray(d) && d.length === 0 ? 0 : d));
}

const logsumexpSpec = defineSpec<{ dim: number | number[]; keepdim: boolean | undefined }>({
  name: 'logsumexp',
  draw: shapeArb().chain((shape) =>
    fc
      .record({ x: drawn(shape, values.smooth), dim: requiredDimArg(shape.length), keepdim: fc.constantFrom(undefined, true, false) })
      .map(({ x, dim, keepdim }) => ({ inputs: [x], params: { dim, keepdim } })),
  ),
  run: ({ dim, keepdim }, x) => (keepdim === undefined ? x.logsumexp(dim) : x.logsumexp(dim, keepdim)),
  tags: (c) => dimTags(c.params.dim, c.params.keepdim),
  covers: ['0-d', 'size-1 dim', 'keepdim', 'no keepdim', 'one dim', 'dim list', 'negative dim'],
});

const stdSpec = defineSpec<VarParams>({
  name: 'std',
  draw: varDraw(distinctDrawn),
  run: ({ dim, keepdim, unbiased }, x) => {
    const options = { ...(unbiased === undefined ? {} : { unbiased }), ...(keepdim === undefined ? {} : { keepdim }) };
    return dim === undefined && Object.keys(options).length === 0 ? x.std() : x.std(dim, options);
  },
  tags: (c) => [...dimTags(c.params.dim, c.params.keepdim), c.params.unbiased === false ? 'biased' : 'unbiased'],
  covers: ['0-d', 'size-1 dim', 'keepdim', 'no keepdim', 'all dims', 'one dim', 'dim list', 'negative dim', 'biased', 'unbiased'],
});

function scanSpec(name: 'cumsum' | 'cumprod', valueArb: fc.Arbitrary<number>): Spec {
  return defineSpec<{ dim: number; transposed: boolean }>({
    name,
    draw: shapeArb().chain((shape) =>
      fc
        .record({ x: drawn(shape, valueArb), dim: dimIn(shape.length), transposed: fc.boolean() })
        .map(({ x, dim, transposed }) => ({ inputs: [x], params: { dim, transposed } })),
    ),
    run: ({ dim, transposed }, x) => (transposed && x.ndim >= 2 ? x.transpose(0, -1) : x)[name](dim),
    tags: (c) => [...(c.params.dim < 0 ? ['negative dim'] : []), ...(c.params.transposed && c.inputs[0]!.shape.length >= 2 ? ['non-contiguous input'] : [])],
    covers: ['0-d', 'size-1 dim', 'negative dim', 'non-contiguous input'],
  });
}

const normSpec = defineSpec<ReduceParams & { p: number }>({
  name: 'norm',
  draw: shapeArb().chain((shape) =>
    fc
      .record({ x: distinctMagnitudes(shape), dim: dimArg(shape.length), keepdim: fc.constantFrom(undefined, true, false), p: fc.constantFrom(2, 1, 3, 1.5, 0.5, Infinity, -Infinity, 0) })
      .map(({ x, dim, keepdim, p }) => ({ inputs: [x], params: { dim, keepdim, p } })),
  ),
  run: ({ dim, keepdim, p }, x) => {
    if (dim === undefined && keepdim === undefined) return p === 2 ? x.norm() : x.norm(p);
    return keepdim === undefined ? x.norm(p, dim) : x.norm(p, dim, keepdim);
  },
  tags: (c) => [...dimTags(c.params.dim, c.params.keepdim), `p=${c.params.p}`],
  covers: ['0-d', 'keepdim', 'no keepdim', 'all dims', 'one dim', 'dim list', 'negative dim', 'p=2', 'p=1', 'p=3', 'p=Infinity', 'p=-Infinity', 'p=0', 'p=0.5'],
});

interface SliceParams {
  dim: number;
  start: number;
  end: number | undefined;
  step: number | undefined;
  transposed: boolean;
}

const sliceSpec = defineSpec<SliceParams>({
  name: 'slice',
  draw: shapeArb(1, 3, 5).chain((shape) =>
    fc
      .record({
        x: drawn(shape, values.any),
        dim: dimIn(shape.length),
        start: fc.integer({ min: -6, max: 6 }),
        end: fc.option(fc.integer({ min: -6, max: 6 }), { nil: undefined }),
        step: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        transposed: fc.boolean(),
      })
      .map(({ x, ...params }) => ({ inputs: [x], params })),
  ),
  run: ({ dim, start, end, step, transposed }, x) => {
    const source = transposed && x.ndim >= 2 ? x.transpose(0, -1) : x;
    return step === undefined ? source.slice(dim, start, end) : source.slice(dim, start, end, step);
  },
  tags: (c) => [
    ...(c.params.start < 0 || (c.params.end ?? 0) < 0 ? ['negative start/end'] : []),
    ...((c.params.step ?? 1) > 1 ? ['step > 1'] : []),
    ...(c.params.end === undefined ? ['no end'] : []),
    ...(c.params.transposed && c.inputs[0]!.shape.length >= 2 ? ['non-contiguous input'] : []),
  ],
  covers: ['size-1 dim', 'negative start/end', 'step > 1', 'no end', 'non-contiguous input'],
});

const flipSpec = defineSpec<{ dims: number[]; spread: boolean }>({
  name: 'flip',
  draw: shapeArb().chain((shape) =>
    fc
      .record({ x: drawn(shape, values.any), perm: permutation(shape.length), k: fc.nat(), spread: fc.boolean() })
      .map(({ x, perm, k, spread }) => ({ inputs: [x], params: { dims: perm.slice(0, shape.length === 0 ? 0 : 1 + (k % shape.length)), spread } })),
  ),
  run: ({ dims, spread }, x) => (spread ? x.flip(...dims) : x.flip(dims)),
  tags: (c) => [...(c.params.dims.some((d) => d < 0) ? ['negative dim'] : []), ...(c.params.dims.length > 1 ? ['several dims'] : [])],
  covers: ['0-d', 'size-1 dim', 'negative dim', 'several dims'],
});

const rollSpec = defineSpec<{ shifts: number[]; dims: number[] | undefined }>({
  name: 'roll',
  draw: shapeArb().chain((shape) =>
    fc
      .record({ x: drawn(shape, values.any), perm: permutation(shape.length), shifts: fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 3, maxLength: 3 }), flat: fc.boolean() })
      .map(({ x, perm, shifts, flat }) => {
        const k = Math.max(1, perm.length - 1);
        return { inputs: [x], params: flat || shape.length === 0 ? { shifts: shifts.slice(0, 1), dims: undefined } : { shifts: shifts.slice(0, k), dims: perm.slice(0, k) } };
      }),
  ),
  run: ({ shifts, dims }, x) => (dims === undefined ? x.roll(shifts[0]!) : dims.length === 1 ? x.roll(shifts[0]!, dims[0]) : x.roll(shifts, dims)),
  tags: (c) => [c.params.dims === undefined ? 'flattened' : c.params.dims.length > 1 ? 'several dims' : 'one dim', ...(c.params.shifts.some((s) => s < 0) ? ['negative shift'] : [])],
  covers: ['0-d', 'flattened', 'one dim', 'several dims', 'negative shift'],
});

function repeatLikeSpec(name: 'repeat' | 'tile'): Spec {
  return defineSpec<{ sizes: number[]; spread: boolean }>({
    name,
    draw: shapeArb().chain((shape) =>
      fc
        .record({
          x: drawn(shape, values.any),
          sizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: name === 'repeat' ? shape.length : 0, maxLength: shape.length + 1 }),
          spread: fc.boolean(),
        })
        .map(({ x, sizes, spread }) => ({ inputs: [x], params: { sizes, spread } })),
    ),
    run: ({ sizes, spread }, x) => (spread ? x[name](...sizes) : x[name](sizes)),
    tags: (c) => {
      const n = c.inputs[0]!.shape.length;
      return [c.params.sizes.length > n ? 'new leading dims' : c.params.sizes.length < n ? 'fewer sizes' : 'as many sizes'];
    },
    covers: name === 'repeat' ? ['0-d', 'new leading dims', 'as many sizes'] : ['0-d', 'new leading dims', 'as many sizes', 'fewer sizes'],
  });
}

/** The pieces of split/chunk/unbind, weighted 1, 2, 3, … and joined again, so every piece's gradient is distinct. */
function rejoin(pieces: readonly Tensor[], dim: number, stackThem: boolean): Tensor {
  const weighted = pieces.map((p, i) => p.mul(i + 1));
  return stackThem ? cat(weighted.map((p) => p.unsqueeze(dim)), dim) : cat(weighted, dim);
}

type PiecesParams = { kind: 'split size'; size: number; dim: number } | { kind: 'split sizes'; sizes: number[]; dim: number } | { kind: 'chunk'; chunks: number; dim: number } | { kind: 'unbind'; dim: number };

const piecesSpec = defineSpec<PiecesParams>({
  name: 'split/chunk/unbind',
  draw: shapeArb(1, 3, 4).chain((shape) =>
    fc.record({ x: drawn(shape, values.any), dim: dimIn(shape.length), size: fc.integer({ min: 1, max: 4 }), cuts: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), kind: fc.constantFrom('split size', 'split sizes', 'chunk', 'unbind') }).map(({ x, dim, size, cuts, kind }): OpCase<PiecesParams> => {
      const n = shape[dim < 0 ? dim + shape.length : dim]!;
      if (kind === 'split size') return { inputs: [x], params: { kind, size, dim } };
      if (kind === 'chunk') return { inputs: [x], params: { kind, chunks: size, dim } };
      if (kind === 'unbind') return { inputs: [x], params: { kind, dim } };
      const sizes: number[] = [];
      let run = 0;
      for (let i = 0; i < n; i++) {
        run++;
        if (i === n - 1 || cuts[i]) {
          sizes.push(run);
          run = 0;
        }
      }
      return { inputs: [x], params: { kind, sizes, dim } };
    }),
  ),
  run: (p, x) => {
    const d = p.dim < 0 ? p.dim + x.ndim : p.dim;
    if (p.kind === 'split size') return rejoin(x.split(p.size, p.dim), d, false);
    if (p.kind === 'split sizes') return rejoin(x.split(p.sizes, p.dim), d, false);
    if (p.kind === 'chunk') return rejoin(x.chunk(p.chunks, p.dim), d, false);
    return rejoin(x.unbind(p.dim), d, true);
  },
  tags: (c) => [c.params.kind, ...(c.params.dim < 0 ? ['negative dim'] : [])],
  covers: ['size-1 dim', 'split size', 'split sizes', 'chunk', 'unbind', 'negative dim'],
});

/** The specs of issue 13 part A, appended to the table. */
const partASpecs: readonly Spec[] = [
  unarySpec('sin', values.smooth, (x) => x.sin()),
  unarySpec('cos', values.smooth, (x) => x.cos()),
  unarySpec('reciprocal', values.awayFromZero, (x) => x.reciprocal()),
  unarySpec('rsqrt', values.positive, (x) => x.rsqrt()),
  unarySpec('log1p', real(-0.5, 2), (x) => x.log1p()),
  unarySpec('expm1', values.smooth, (x) => x.expm1()),
  unarySpec('log2', values.positive, (x) => x.log2()),
  unarySpec('exp2', values.smooth, (x) => x.exp2()),
  unarySpec('sign', values.awayFromZero, (x) => x.sign()),
  unarySpec('floor', awayFromHalves, (x) => x.floor()),
  unarySpec('ceil', awayFromHalves, (x) => x.ceil()),
  unarySpec('round', awayFromHalves, (x) => x.round()),
  binarySpec('maximum', onGrid, offGrid, (a, b) => a.maximum(b)),
  binarySpec('minimum', onGrid, offGrid, (a, b) => a.minimum(b)),
  // away from atan2's branch cut (a = 0, b < 0) and its pole at the origin
  binarySpec('atan2', values.awayFromZero, values.awayFromZero, (a, b) => a.atan2(b)),
  clampSpec,
  reduceSpec('min', distinctDrawn, (x, p) => callReduction(x, 'min', p)),
  logsumexpSpec,
  stdSpec,
  reduceSpec('prod', (s) => drawn(s, values.awayFromZero), (x, p) => callReduction(x, 'prod', p)),
  scanSpec('cumsum', values.any),
  scanSpec('cumprod', values.awayFromZero),
  normSpec,
  sliceSpec,
  flipSpec,
  rollSpec,
  repeatLikeSpec('repeat'),
  repeatLikeSpec('tile'),
  piecesSpec,
];

// ---- the table ----------------------------------------------------------------------------------

/** Every differentiable Tensor method, one spec each. */
// ---- issue 13 part B: selection and indexing ----------------------------------------------------
// Index arguments are drawn by fast-check like everything else (params), never as inputs: they have
// no gradient. sort/topk draw distinct values (no ties: their gradient follows the chosen index).

/** The multi-indices of `shape`, row-major. */
function multiIndices(shape: readonly number[]): number[][] {
  const out: number[][] = [[]];
  for (const s of shape) {
    const next: number[][] = [];
    for (const prefix of out) for (let i = 0; i < s; i++) next.push([...prefix, i]);
    out.splice(0, out.length, ...next);
  }
  return out;
}

function intsBelow(n: number, bound: number): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 0, max: bound - 1 }), { minLength: n, maxLength: n });
}

const int32 = (values: number[], shape: number[]): Tensor => tensor(values, { dtype: 'int32', shape });

interface IndexParams {
  dim: number;
  indexShape: number[];
  index: number[];
}

function indexTags(c: OpCase<IndexParams>): string[] {
  const tags = c.params.dim < 0 ? ['negative dim'] : [];
  if (new Set(c.params.index).size < c.params.index.length) tags.push('repeated index');
  return tags;
}

/** A tensor of 1–3 dims, a dim, and an index shape that fits the tensor outside that dim. */
const gatherLayout = shapeArb(1, 3).chain((shape) =>
  fc.record({
    shape: fc.constant(shape),
    d: fc.integer({ min: 0, max: shape.length - 1 }),
    negative: fc.boolean(),
    sizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: shape.length, maxLength: shape.length }),
  }).map(({ shape: s, d, negative, sizes }) => ({
    shape: s,
    d,
    dim: negative ? d - s.length : d,
    indexShape: s.map((n, k) => (k === d ? sizes[k]! : Math.min(n, sizes[k]!))),
  })),
);

const gatherSpec = defineSpec<IndexParams>({
  name: 'gather',
  draw: gatherLayout.chain(({ shape, d, dim, indexShape }) =>
    fc.tuple(drawn(shape, values.any), intsBelow(sizeOf(indexShape), shape[d]!)).map(([x, index]) => ({ inputs: [x], params: { dim, indexShape, index } })),
  ),
  run: ({ dim, indexShape, index }, x) => x.gather(dim, int32(index, indexShape)),
  tags: indexTags,
  covers: ['size-1 dim', 'negative dim', 'repeated index'],
});

const scatterAddSpec = defineSpec<IndexParams>({
  name: 'scatterAdd',
  draw: fc.tuple(gatherLayout, gradFlags).chain(([{ shape, d, dim, indexShape }, [gs, gsrc]]) =>
    fc
      .tuple(drawn(shape, values.any, gs), drawn(indexShape, values.any, gsrc), intsBelow(sizeOf(indexShape), shape[d]!))
      .map(([self, src, index]) => ({ inputs: [self, src], params: { dim, indexShape, index } })),
  ),
  run: ({ dim, indexShape, index }, self, src) => self.scatterAdd(dim, int32(index, indexShape), src!),
  tags: indexTags,
  covers: ['size-1 dim', 'negative dim', 'repeated index', 'input without grad'],
});

/**
 * scatter with an index that never repeats within a fiber along dim (at most the dim's size there,
 * shifted cyclically): with repeats only one src element is kept, and the gradient PyTorch defines
 * (a gather for every src element) is not the derivative, which gradcheck would rightly flag.
 */
const scatterSpec = defineSpec<IndexParams & { srcExtra: boolean }>({
  name: 'scatter',
  draw: fc.tuple(gatherLayout, gradFlags, fc.integer({ min: 0, max: 2 }), fc.boolean()).chain(([{ shape, d, dim, indexShape }, [gs, gsrc], shift, srcExtra]) => {
    const fitted = indexShape.map((n, k) => (k === d ? Math.min(n, shape[d]!) : n));
    const index = multiIndices(fitted).map((ix) => (ix[d]! + shift) % shape[d]!);
    const srcShape = srcExtra ? fitted.map((n) => n + 1) : fitted;
    return fc
      .tuple(drawn(shape, values.any, gs), drawn(srcShape, values.any, gsrc))
      .map(([self, src]) => ({ inputs: [self, src], params: { dim, indexShape: fitted, index, srcExtra } }));
  }),
  run: ({ dim, indexShape, index }, self, src) => self.scatter(dim, int32(index, indexShape), src!),
  tags: (c) => [...indexTags(c), ...(c.params.srcExtra ? ['src larger than the index'] : [])],
  covers: ['size-1 dim', 'negative dim', 'src larger than the index', 'input without grad'],
});

const indexSelectSpec = defineSpec<{ dim: number; index: number[] }>({
  name: 'indexSelect',
  draw: shapeArb(1, 3).chain((shape) =>
    fc
      .record({ x: drawn(shape, values.any), d: fc.integer({ min: 0, max: shape.length - 1 }), negative: fc.boolean(), length: fc.integer({ min: 1, max: 4 }) })
      .chain(({ x, d, negative, length }) => intsBelow(length, shape[d]!).map((index) => ({ inputs: [x], params: { dim: negative ? d - shape.length : d, index } }))),
  ),
  run: ({ dim, index }, x) => x.indexSelect(dim, index),
  tags: (c) => [...(c.params.dim < 0 ? ['negative dim'] : []), ...(new Set(c.params.index).size < c.params.index.length ? ['repeated index'] : [])],
  covers: ['size-1 dim', 'negative dim', 'repeated index'],
});

const maskedSelectSpec = defineSpec<{ maskShape: number[]; mask: boolean[] }>({
  name: 'maskedSelect',
  draw: broadcastPair.chain(([sx, sm]) =>
    fc
      .tuple(drawn(sx, values.any), fc.array(fc.boolean(), { minLength: sizeOf(sm), maxLength: sizeOf(sm) }))
      .map(([x, mask]) => ({ inputs: [x], params: { maskShape: sm, mask } })),
  ),
  run: ({ maskShape, mask }, x) => x.maskedSelect(tensor(mask.map(Number), { dtype: 'bool', shape: maskShape })),
  tags: (c) => (c.params.maskShape.join() !== c.inputs[0]!.shape.join() ? ['mask broadcast'] : []),
  covers: ['0-d', 'size-1 dim', 'mask broadcast'],
});

const maskedFillSpec = defineSpec<{ maskShape: number[]; mask: boolean[]; value: number | 'tensor' }>({
  name: 'maskedFill',
  draw: shapeArb().chain((shape) =>
    fc
      .tuple(drawn(shape, values.any), broadcastsTo(shape), fc.oneof(values.any, fc.constant<'tensor'>('tensor')), drawn([], values.any))
      .chain(([x, maskShape, value, v]) =>
        fc.array(fc.boolean(), { minLength: sizeOf(maskShape), maxLength: sizeOf(maskShape) })
          .map((mask) => ({ inputs: value === 'tensor' ? [x, v] : [x], params: { maskShape, mask, value } })),
      ),
  ),
  run: ({ maskShape, mask, value }, x, v) => x.maskedFill(tensor(mask.map(Number), { dtype: 'bool', shape: maskShape }), value === 'tensor' ? v! : value),
  tags: (c) => (c.params.value === 'tensor' ? ['0-d tensor value'] : ['number value']),
  covers: ['0-d', 'size-1 dim', '0-d tensor value', 'number value'],
});

const whereSpec = defineSpec<{ condShape: number[]; cond: boolean[] }>({
  name: 'where',
  draw: fc.tuple(broadcastPair, gradFlags).chain(([[sa, sb], [ga, gb]]) =>
    fc
      .tuple(drawn(sa, values.any, ga), drawn(sb, values.any, gb), broadcastsTo(sa.length >= sb.length ? sa : sb))
      .chain(([a, b, condShape]) =>
        fc.array(fc.boolean(), { minLength: sizeOf(condShape), maxLength: sizeOf(condShape) }).map((cond) => ({ inputs: [a, b], params: { condShape, cond } })),
      ),
  ),
  run: ({ condShape, cond }, a, b) => where(tensor(cond.map(Number), { dtype: 'bool', shape: condShape }), a!, b!),
  covers: ['0-d', 'size-1 dim', 'broadcast', 'input without grad'],
});

const sortSpec = defineSpec<{ dim: number; descending: boolean }>({
  name: 'sort',
  draw: shapeArb(0, 3).chain((shape) =>
    fc.record({ x: distinctDrawn(shape), dim: dimIn(shape.length), descending: fc.boolean() }).map(({ x, dim, descending }) => ({ inputs: [x], params: { dim, descending } })),
  ),
  run: ({ dim, descending }, x) => x.sort(dim, { descending }).values,
  tags: (c) => [c.params.descending ? 'descending' : 'ascending', ...(c.params.dim < 0 ? ['negative dim'] : [])],
  covers: ['0-d', 'size-1 dim', 'negative dim', 'descending', 'ascending'],
});

const topkSpec = defineSpec<{ k: number; dim: number; largest: boolean }>({
  name: 'topk',
  draw: shapeArb(1, 3).chain((shape) =>
    fc
      .record({ x: distinctDrawn(shape), d: fc.integer({ min: 0, max: shape.length - 1 }), negative: fc.boolean(), largest: fc.boolean() })
      .chain(({ x, d, negative, largest }) =>
        fc.integer({ min: 0, max: shape[d]! }).map((k) => ({ inputs: [x], params: { k, dim: negative ? d - shape.length : d, largest } })),
      ),
  ),
  run: ({ k, dim, largest }, x) => x.topk(k, dim, { largest }).values,
  tags: (c) => [c.params.largest ? 'largest' : 'smallest', ...(c.params.k === 0 ? ['k = 0'] : [])],
  covers: ['size-1 dim', 'largest', 'smallest', 'k = 0'],
});

export const opSpecs: readonly Spec[] = [
  unarySpec('neg', values.any, (x) => x.neg()),
  unarySpec('exp', values.smooth, (x) => x.exp()),
  unarySpec('log', values.positive, (x) => x.log()),
  unarySpec('sqrt', values.positive, (x) => x.sqrt()),
  unarySpec('abs', values.awayFromZero, (x) => x.abs()),
  unarySpec('tanh', values.smooth, (x) => x.tanh()),
  unarySpec('sigmoid', values.smooth, (x) => x.sigmoid()),
  unarySpec('relu', values.awayFromZero, (x) => x.relu()),
  unarySpec('square', values.any, (x) => x.square()),
  binarySpec('add', values.any, values.any, (a, b) => a.add(b)),
  binarySpec('sub', values.any, values.any, (a, b) => a.sub(b)),
  binarySpec('mul', values.any, values.any, (a, b) => a.mul(b)),
  binarySpec('div', values.any, values.awayFromZero, (a, b) => a.div(b)),
  binarySpec('pow', values.positive, values.any, (a, b) => a.pow(b), fc.oneof(fc.constantFrom(0, 1, 2, 3, -1, 0.5), values.any)),
  matmulSpec,
  reduceSpec('sum', (s) => drawn(s, values.any), (x, p) => callReduction(x, 'sum', p)),
  reduceSpec('mean', (s) => drawn(s, values.any), (x, p) => callReduction(x, 'mean', p)),
  reduceSpec('max', distinctDrawn, (x, p) => callReduction(x, 'max', p)),
  varSpec,
  reshapeSpec,
  viewSpec,
  transposeSpec,
  permuteSpec,
  expandSpec,
  narrowSpec,
  contiguousSpec,
  unsqueezeSpec,
  squeezeSpec,
  flattenSpec,
  toSpec,
  ...partASpecs,
  gatherSpec,
  scatterSpec,
  scatterAddSpec,
  indexSelectSpec,
  maskedSelectSpec,
  maskedFillSpec,
  whereSpec,
  sortSpec,
  topkSpec,
];
