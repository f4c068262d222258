/**
 * slice (with a step), flip, roll, repeat and tile against brute-force references, on random strided
 * views (permuted, expanded, narrowed, nested, at a storage offset; test/tensor/reference.ts), at 1,
 * 2 and 4 threads. Each op is a gather, out[i] = x[source(i)], so the reference is that map written
 * on multi-indices (never through strides): the forward reads the source element, and the gradient
 * of sum(out · G) adds G[i] onto source(i). Bitwise equality (nothing is computed, only moved;
 * gradients of repeat/tile add the same numbers in a fixed order, compared to 1e-12).
 */
import * as fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { setNumThreads, tensor, Tensor } from '../../src/index.js';
import { uniformValues } from '../helpers/random.js';
import { build, describeRecipe, indices, rowMajor, shapeArb, sizeOf, viewOf, type Recipe } from './reference.js';

afterAll(() => setNumThreads(1));

/** An op under test: the tsgrad call and, for the reference, the output shape and the source map. */
interface Gather {
  label: string;
  run: (x: Tensor) => Tensor;
  shape: number[];
  source: (out: readonly number[]) => number[];
}

/** Python's x[start:end:step] along one dim, by listing the kept indices (Array.slice is Python's slice for step 1). */
function kept(size: number, start: number, end: number | undefined, step: number): number[] {
  return Array.from({ length: size }, (_, k) => k).slice(start, end).filter((_, i) => i % step === 0);
}

const mod = (a: number, n: number): number => ((a % n) + n) % n;

function gatherSlice(shape: readonly number[], dim: number, start: number, end: number | undefined, step: number): Gather {
  const d = dim < 0 ? dim + shape.length : dim;
  const picks = kept(shape[d]!, start, end, step);
  const out = [...shape];
  out[d] = picks.length;
  return {
    label: `slice(${dim}, ${start}, ${end}, ${step})`,
    run: (x) => x.slice(dim, start, end, step),
    shape: out,
    source: (i) => i.map((v, k) => (k === d ? picks[v]! : v)),
  };
}

function gatherFlip(shape: readonly number[], dims: readonly number[]): Gather {
  const resolved = dims.map((d) => (d < 0 ? d + shape.length : d));
  return {
    label: `flip([${dims.join(', ')}])`,
    run: (x) => x.flip(dims),
    shape: [...shape],
    source: (i) => i.map((v, k) => (resolved.includes(k) ? shape[k]! - 1 - v : v)),
  };
}

function gatherRoll(shape: readonly number[], shifts: readonly number[], dims: readonly number[] | undefined): Gather {
  if (dims === undefined) {
    const n = sizeOf(shape);
    const s = shifts[0]!;
    // As if flattened: the element at flat position p came from position p − s.
    return { label: `roll(${s})`, run: (x) => x.roll(s), shape: [...shape], source: (i) => indices(shape)[mod(rowMajor(shape, i) - s, n)]! };
  }
  return {
    label: `roll([${shifts.join(', ')}], [${dims.join(', ')}])`,
    run: (x) => x.roll(shifts, dims),
    shape: [...shape],
    source: (i) => i.map((v, k) => (dims.includes(k) ? mod(v - shifts[dims.indexOf(k)]!, shape[k]!) : v)),
  };
}

/** repeat (sizes ≥ dims) or tile (any number of sizes): out[i] reads x[i mod shape], leading dims dropped. */
function gatherRepeat(name: 'repeat' | 'tile', shape: readonly number[], sizes: readonly number[]): Gather {
  const reps = [...new Array<number>(Math.max(0, shape.length - sizes.length)).fill(1), ...sizes];
  const full = [...new Array<number>(reps.length - shape.length).fill(1), ...shape];
  const lead = reps.length - shape.length;
  return {
    label: `${name}(${sizes.join(', ')})`,
    run: (x) => x[name]([...sizes]),
    shape: full.map((s, k) => s * reps[k]!),
    source: (i) => i.slice(lead).map((v, k) => v % shape[k]!),
  };
}

/** The draws: the op's arguments for a view's shape. */
type OpDraw = (shape: number[]) => fc.Arbitrary<Gather>;

const dimsOf = (shape: readonly number[]): fc.Arbitrary<number[]> =>
  fc.subarray(Array.from({ length: shape.length }, (_, i) => i), { minLength: 1 }).chain((dims) =>
    fc.array(fc.boolean(), { minLength: dims.length, maxLength: dims.length }).map((neg) => dims.map((d, i) => (neg[i] ? d - shape.length : d))),
  );

const sliceDraw: OpDraw = (shape) =>
  fc
    .record({ d: fc.integer({ min: -shape.length, max: shape.length - 1 }), start: fc.integer({ min: -6, max: 6 }), end: fc.option(fc.integer({ min: -6, max: 6 }), { nil: undefined }), step: fc.integer({ min: 1, max: 4 }) })
    .map(({ d, start, end, step }) => gatherSlice(shape, d, start, end, step));

const flipDraw: OpDraw = (shape) => dimsOf(shape).map((dims) => gatherFlip(shape, dims));

const rollDraw: OpDraw = (shape) =>
  fc.oneof(
    fc.integer({ min: -9, max: 9 }).map((s) => gatherRoll(shape, [s], undefined)),
    dimsOf(shape).chain((dims) =>
      fc.array(fc.integer({ min: -9, max: 9 }), { minLength: dims.length, maxLength: dims.length }).map((shifts) => gatherRoll(shape, shifts, dims.map((d) => (d < 0 ? d + shape.length : d)))),
    ),
  );

const repeatDraw = (name: 'repeat' | 'tile'): OpDraw => (shape) =>
  fc.array(fc.integer({ min: 0, max: 3 }), { minLength: name === 'repeat' ? shape.length : 0, maxLength: shape.length + 2 }).map((sizes) => gatherRepeat(name, shape, sizes));

const OPS: [string, OpDraw][] = [
  ['slice with a step', sliceDraw],
  ['flip', flipDraw],
  ['roll', rollDraw],
  ['repeat', repeatDraw('repeat')],
  ['tile', repeatDraw('tile')],
];

/** Runs one op on one view and compares forward and gradient with the reference. */
function check(recipe: Recipe, op: Gather, gradSeed: number): void {
  const { array, ref } = build(recipe, 'float64');
  const x = new Tensor(array, { requiresGrad: true });
  const out = op.run(x);
  const where = `${op.label} on ${describeRecipe(recipe)}`;
  expect(out.shape, where).toEqual(op.shape);
  const expected = indices(op.shape).map((i) => ref.at(op.source(i)));
  expect(Array.from(out.toArray()), where).toEqual(expected);
  // Gradient of sum(out · G): G scattered (added) onto the source elements, in x's shape.
  const g = uniformValues(sizeOf(op.shape), gradSeed);
  out.backward(tensor(Float64Array.from(g), { shape: op.shape }));
  const grad = new Map<number, number>();
  indices(op.shape).forEach((i, k) => {
    const p = rowMajor(ref.shape, op.source(i));
    grad.set(p, (grad.get(p) ?? 0) + g[k]!);
  });
  const expectedGrad = indices(ref.shape).map((i) => grad.get(rowMajor(ref.shape, i)) ?? 0);
  const actualGrad = Array.from(x.grad!.toArray());
  expectedGrad.forEach((e, k) => {
    if (!(Math.abs(actualGrad[k]! - e) <= 1e-12 * (1 + Math.abs(e)))) throw new Error(`${where}: gradient ${k} is ${actualGrad[k]}, expected ${e}`);
  });
}

describe('slice, flip, roll, repeat and tile match brute-force references on random strided views', () => {
  for (const threads of [1, 2, 4]) {
    for (const [name, draw] of OPS) {
      it(`${name} (${threads} thread${threads > 1 ? 's' : ''})`, () => {
        setNumThreads(threads);
        const seen = { nonContiguous: 0 };
        fc.assert(
          fc.property(
            shapeArb(1, 3, 4).chain((shape) => fc.tuple(viewOf(shape), draw(shape), fc.nat())),
            ([recipe, op, g]) => {
              if (recipe.kind !== 'base') seen.nonContiguous++;
              check(recipe, op, g);
            },
          ),
          { seed: 1313 + threads, numRuns: 60 },
        );
        expect(seen.nonContiguous, 'strided views were drawn').toBeGreaterThan(10);
      });
    }
  }

  it('a slice is a view: it shares storage, and a write to the base shows through', () => {
    const x = tensor([0, 1, 2, 3, 4, 5, 6], { dtype: 'float64' });
    const s = x.slice(0, 1, undefined, 3);
    expect(s.array.data).toBe(x.array.data);
    expect(s.array.strides).toEqual([3]);
    expect(Array.from(s.toArray())).toEqual([1, 4]);
    x.array.data[4] = 40;
    expect(Array.from(s.toArray())).toEqual([1, 40]);
  });
});

// The references' own maps, checked against torch 1.13's answers on small cases, so a wrong
// reference cannot hide a bug in the op.
describe('the references themselves', () => {
  const x = [0, 1, 2, 3, 4, 5];
  const at = (op: Gather): number[] => indices(op.shape).map((i) => rowMajor([2, 3], op.source(i))).map((p) => x[p]!);
  it('give the PyTorch answers on small cases', () => {
    expect(kept(10, 1, -2, 3)).toEqual([1, 4, 7]); // list(range(10))[1:-2:3]
    expect(kept(5, -100, 100, 2)).toEqual([0, 2, 4]);
    expect(kept(5, 4, 2, 1)).toEqual([]);
    expect(at(gatherSlice([2, 3], -1, -2, undefined, 1))).toEqual([1, 2, 4, 5]); // x[:, -2:]
    expect(at(gatherFlip([2, 3], [0, -1]))).toEqual([5, 4, 3, 2, 1, 0]);
    expect(at(gatherRoll([2, 3], [1], undefined))).toEqual([5, 0, 1, 2, 3, 4]); // torch.arange(6.).reshape(2, 3).roll(1)
    expect(at(gatherRoll([2, 3], [1, -1], [0, 1]))).toEqual([4, 5, 3, 1, 2, 0]);
    const rep = gatherRepeat('repeat', [2, 3], [1, 2]);
    expect(rep.shape).toEqual([2, 6]);
    expect(at(rep)).toEqual([0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5]);
    expect(gatherRepeat('tile', [2, 3], [2]).shape).toEqual([2, 6]);
    expect(gatherRepeat('repeat', [2, 3], [2, 1, 1]).shape).toEqual([2, 2, 3]);
  });
});
