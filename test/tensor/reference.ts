/**
 * Independent reference code for the forward tests: index iteration, broadcasting and views done
 * by brute force on multi-indices (never through strides), plus fast-check arbitraries for shapes
 * and for random views (permuted / expanded / narrowed, nested, at a storage offset).
 *
 * A `Ref` answers "what is the element at this multi-index" by mapping the index back through the
 * view steps to the base values — so comparing an NDArray view with its Ref checks the view's
 * strides/offset and whatever kernel read it.
 */
import * as fc from 'fast-check';
import { allocate, type DType } from '../../src/tensor/dtype.js';
import { NDArray } from '../../src/tensor/ndarray.js';

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Every multi-index of `shape` in row-major order (one empty index for a 0-d shape). */
export function indices(shape: readonly number[]): number[][] {
  const out: number[][] = [];
  const walk = (prefix: number[]): void => {
    if (prefix.length === shape.length) {
      out.push(prefix);
      return;
    }
    for (let i = 0; i < shape[prefix.length]!; i++) walk([...prefix, i]);
  };
  walk([]);
  return out;
}

/** The position of a multi-index in a row-major array of `shape`. */
export function rowMajor(shape: readonly number[], index: readonly number[]): number {
  let pos = 0;
  for (let d = 0; d < shape.length; d++) pos = pos * shape[d]! + index[d]!;
  return pos;
}

/** The index an element of a broadcast result reads in an operand of `shape` (aligned right; size-1 dims read 0). */
export function broadcastIndex(index: readonly number[], shape: readonly number[]): number[] {
  const lead = index.length - shape.length;
  return shape.map((d, i) => (d === 1 ? 0 : index[i + lead]!));
}

/** NumPy's broadcasting rule, written out: align right, sizes equal or 1. Null if incompatible. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)]!;
    const db = i < n - b.length ? 1 : b[i - (n - b.length)]!;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** A logical array: a shape and an element lookup. */
export interface Ref {
  shape: number[];
  at(index: readonly number[]): number;
}

export function refOf(shape: readonly number[], values: readonly number[]): Ref {
  return { shape: [...shape], at: (index) => values[rowMajor(shape, index)]! };
}

/** The elements of a Ref in row-major order. */
export function listOf(ref: Ref): number[] {
  return indices(ref.shape).map((i) => ref.at(i));
}

/** The elements of an NDArray in row-major order, read through its strides one by one (`get`). */
export function listArray(a: NDArray): number[] {
  return indices(a.shape).map((i) => a.get(i));
}

// ---- shape arbitraries --------------------------------------------------------------------------

export function shapeArb(minDims = 0, maxDims = 3, maxSize = 3): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 1, max: maxSize }), { minLength: minDims, maxLength: maxDims });
}

/** A shape that broadcasts to `out`: some leading dims dropped, some dims replaced by 1. */
export function broadcastsTo(out: readonly number[]): fc.Arbitrary<number[]> {
  const drop = fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, { arbitrary: fc.integer({ min: 0, max: out.length }), weight: 1 });
  const ones = fc.array(fc.constantFrom(false, false, true), { minLength: out.length, maxLength: out.length });
  return fc.tuple(drop, ones).map(([d, one]) => out.map((s, i) => (one[i] ? 1 : s)).slice(d));
}

/** A sorted subset of the dims 0 … ndim−1 (possibly empty). */
export function dimSubset(ndim: number): fc.Arbitrary<number[]> {
  return fc.subarray(Array.from({ length: ndim }, (_, i) => i));
}

/** A permutation of 0 … n−1. */
export function permutationOf(n: number): fc.Arbitrary<number[]> {
  return fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n });
}

// ---- random views -------------------------------------------------------------------------------

/** How a view is made: from a base array (at a storage offset) by nested view steps. */
export type Recipe =
  | { kind: 'base'; shape: number[]; values: number[]; offset: number }
  | { kind: 'permute'; dims: number[]; of: Recipe }
  | { kind: 'expand'; shape: number[]; of: Recipe }
  | { kind: 'narrow'; dim: number; start: number; length: number; of: Recipe };

const defaultValues = fc.double({ min: -10, max: 10, noNaN: true });

/** A recipe for an array of exactly `shape`: contiguous, or up to `depth` nested view steps. */
export function viewOf(shape: readonly number[], depth = 2, valueArb: fc.Arbitrary<number> = defaultValues): fc.Arbitrary<Recipe> {
  const n = sizeOf(shape);
  const base: fc.Arbitrary<Recipe> = fc
    .record({ values: fc.array(valueArb, { minLength: n, maxLength: n }), offset: fc.integer({ min: 0, max: 3 }) })
    .map(({ values, offset }) => ({ kind: 'base', shape: [...shape], values, offset }));
  if (depth === 0) return base;
  const permuted: fc.Arbitrary<Recipe> = permutationOf(shape.length).chain((dims) => {
    // view = source.permute(dims) has view.shape[i] = source.shape[dims[i]].
    const source = new Array<number>(shape.length);
    dims.forEach((d, i) => (source[d] = shape[i]!));
    return viewOf(source, depth - 1, valueArb).map((of): Recipe => ({ kind: 'permute', dims, of }));
  });
  const expanded: fc.Arbitrary<Recipe> = broadcastsTo(shape).chain((source) =>
    viewOf(source, depth - 1, valueArb).map((of): Recipe => ({ kind: 'expand', shape: [...shape], of })),
  );
  const steps = [base, permuted, expanded];
  if (shape.length > 0) {
    const narrowed: fc.Arbitrary<Recipe> = fc
      .record({ dim: fc.integer({ min: 0, max: shape.length - 1 }), extra: fc.integer({ min: 0, max: 2 }) })
      .chain(({ dim, extra }) =>
        fc.integer({ min: 0, max: extra }).chain((start) => {
          const source = [...shape];
          source[dim] = shape[dim]! + extra;
          return viewOf(source, depth - 1, valueArb).map((of): Recipe => ({ kind: 'narrow', dim, start, length: shape[dim]!, of }));
        }),
      );
    steps.push(narrowed);
  }
  return fc.oneof(...steps);
}

/**
 * Builds the NDArray a recipe describes (with the code under test's view methods) and its Ref
 * (by index mapping only). Storage around the base values is NaN, so a read outside the view shows.
 */
export function build(recipe: Recipe, dtype: DType = 'float64'): { array: NDArray; ref: Ref } {
  switch (recipe.kind) {
    case 'base': {
      const n = sizeOf(recipe.shape);
      const data = allocate(dtype, recipe.offset + n + 2).fill(Number.NaN);
      recipe.values.forEach((v, i) => (data[recipe.offset + i] = v));
      // float32 storage rounds the values: the reference reads the rounded ones.
      const stored = Array.from(data.subarray(recipe.offset, recipe.offset + n));
      return { array: new NDArray(data, recipe.shape, undefined, recipe.offset), ref: refOf(recipe.shape, stored) };
    }
    case 'permute': {
      const { array, ref } = build(recipe.of, dtype);
      const shape = recipe.dims.map((d) => ref.shape[d]!);
      const at = (index: readonly number[]): number => {
        const source = new Array<number>(index.length);
        recipe.dims.forEach((d, i) => (source[d] = index[i]!));
        return ref.at(source);
      };
      return { array: array.permute(recipe.dims), ref: { shape, at } };
    }
    case 'expand': {
      const { array, ref } = build(recipe.of, dtype);
      return { array: array.expand(recipe.shape), ref: { shape: [...recipe.shape], at: (index) => ref.at(broadcastIndex(index, ref.shape)) } };
    }
    case 'narrow': {
      const { array, ref } = build(recipe.of, dtype);
      const shape = [...ref.shape];
      shape[recipe.dim] = recipe.length;
      const at = (index: readonly number[]): number => {
        const source = [...index];
        source[recipe.dim] = index[recipe.dim]! + recipe.start;
        return ref.at(source);
      };
      return { array: array.narrow(recipe.dim, recipe.start, recipe.length), ref: { shape, at } };
    }
  }
}

/** A short description of a recipe for failure messages. */
export function describeRecipe(recipe: Recipe): string {
  switch (recipe.kind) {
    case 'base':
      return `base[${recipe.shape.join(', ')}]@${recipe.offset}`;
    case 'permute':
      return `${describeRecipe(recipe.of)}.permute(${recipe.dims.join(', ')})`;
    case 'expand':
      return `${describeRecipe(recipe.of)}.expand(${recipe.shape.join(', ')})`;
    case 'narrow':
      return `${describeRecipe(recipe.of)}.narrow(${recipe.dim}, ${recipe.start}, ${recipe.length})`;
  }
}

/** |a − b| ≤ tol·(1 + scale), elementwise, with a message naming the first bad position. */
export function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol: number, scale: readonly number[] = []): void {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (!(Math.abs(a - e) <= tol * (1 + (scale[i] ?? Math.abs(e))))) {
      throw new Error(`element ${i}: got ${a}, expected ${e} (tolerance ${tol})`);
    }
  }
}
