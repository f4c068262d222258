/**
 * The view differential suite (issue 11, item 1): every op gives bitwise the same output and
 * gradients on *views* of larger tensors as on fresh contiguous copies of them — at 1, 2 and 4
 * threads.
 *
 * Why: a kernel that reads a view's storage from the wrong place (offset dropped, strides assumed
 * contiguous) gives a silent wrong answer only for some layouts and only on some paths — conv2d on
 * 2+ threads read a `narrow`ed batch from offset 0 because the parallel path dropped the offset of
 * operands already in shared memory, while 1 thread was right and 2 and 4 threads agreed with each
 * other. So every operand here (inputs, weights, biases, running statistics and the incoming
 * gradient given to `backward`) is a view of a larger tensor, of one of these kinds:
 *   offset      a contiguous block inside a bigger flat tensor (`narrow`, then `view`): a batch cut;
 *   padded      rows narrowed out of wider rows (`narrow` on the last dim): a slice of a wider weight;
 *   stepped     every other element (strides doubled, set explicitly like PyTorch's `x[..., ::2]`);
 *   transposed  all dims reversed (`permute`) — 1-d and 0-d operands, which have none, use `stepped`;
 *   expanded    a size-1 dim broadcast by `expand` (stride 0; which dim varies with the drawn offset)
 *               — 0-d uses `stepped`.
 * Each view also starts at a storage offset ≥ 1, and the storage around and between the view's
 * elements holds NaN, so a kernel that reads outside the view poisons its result. The copies are
 * `tensor(view.toArray(), { shape })`.
 *
 * Three parts:
 * 1. Every op with a parallel path (conv2d forward and both gradients plus the bias gradient,
 *    matmul and linear, maxPool2d, relu, the per-channel sums of `sum`/`mean` and of the
 *    normalizations: batchNorm in training and eval, groupNorm, layerNorm, instanceNorm, and
 *    Batch Kalman Normalization's fused moments and normalize-with-statistics), sized
 *    above the pool's thresholds (PARALLEL_MIN_ELEMENTS, the conv and GEMM multiply-add
 *    thresholds), with every base tensor at least PARALLEL_MIN_ELEMENTS long so that on 2+ threads
 *    it lives in shared memory (the path of the conv bug). The kinds rotate over five turns so
 *    that every operand and the incoming gradient are each kind once; offsets, values, dtype and
 *    sizes are drawn by fast-check. On 2+ threads each case must have run a task on the pool and
 *    have its operands in shared memory (so the parallel path is what was compared), and every
 *    task the pool has (parallel/tasks.ts) must have run: a new parallel kernel needs a case here.
 * 2. Every op of the gradient spec table (test/autograd/op-specs.ts), on its own drawn cases, with
 *    each input and the incoming gradient a view, the kinds in rotation (small sizes: these ops
 *    are checked for how they read views, not for the pool).
 * 3. Every function of `F` (activations, losses, pooling, padding, joins, dropout, conv2d with
 *    groups and dilation, the normalizations) on small views, the same way; the table must list
 *    every function `F` exports.
 * Fixed seeds; a failure names the op, the kinds and the first differing value, and fast-check
 * prints the counterexample.
 */
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F, Generator, full, ones, setNumThreads, tensor, zeros, type Tensor } from '../../src/index.js';
import { Tensor as TensorClass } from '../../src/autograd/tensor.js';
import { normMomentsFused, normalizeWithFused, type NormLayout } from '../../src/norm/index.js';
import { CONV_PARALLEL_MIN_MACS } from '../../src/tensor/kernels/conv-parallel.js';
import { GEMM_PARALLEL_MIN_MACS } from '../../src/tensor/kernels/gemm-parallel.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { PARALLEL_MIN_ELEMENTS, isShared, poolInfo, warmUpPool } from '../../src/tensor/parallel/pool.js';
import { TASKS } from '../../src/tensor/parallel/tasks.js';
import { opSpecs } from '../autograd/op-specs.js';
import { expectBitwise, uniformValues } from '../helpers/random.js';
import { sizeOf } from './reference.js';

afterAll(() => setNumThreads(1));

const THREAD_COUNTS = [1, 2, 4] as const;
const SEED = 20_261_204;

const VIEW_KINDS = ['offset', 'padded', 'stepped', 'transposed', 'expanded'] as const;
type ViewKind = (typeof VIEW_KINDS)[number];
type DType = 'float32' | 'float64';

/** Where the view starts in its base: never 0, and not a multiple of anything in particular. */
const preArb = fc.integer({ min: 1, max: 61 });

// ---- views ----------------------------------------------------------------------------------------

/** Row-major strides of `shape`. */
function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return strides;
}

/** Writes `values` (row-major over the view's shape) through the view's offset and strides. */
function writeThrough(a: NDArray, values: ArrayLike<number>): void {
  const { shape, strides } = a;
  const index = new Array<number>(shape.length).fill(0);
  let pos = a.offset;
  for (let k = 0; k < a.size; k++) {
    a.data[pos] = values[k]!; // an expanded view writes some positions several times: the last wins
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d]!++;
      pos += strides[d]!;
      if (index[d]! < shape[d]!) break;
      pos -= index[d]! * strides[d]!;
      index[d] = 0;
    }
  }
}

/** The kind actually built for this shape (0-d and 1-d have no transpose, 0-d no expand). */
function effectiveKind(kind: ViewKind, shape: readonly number[]): ViewKind {
  if (kind === 'transposed' && shape.length < 2) return 'stepped';
  if (kind === 'expanded' && shape.length === 0) return 'stepped';
  return kind;
}

/**
 * A leaf tensor of `shape` that is a `kind` view of a larger tensor, holding `values` (row-major;
 * an expanded view repeats one entry along its broadcast dim). The base starts `pre`
 * elements before the view's block and is at least `minBase` elements long; everything in it that
 * the view does not cover is NaN.
 */
function viewOf(
  shape: readonly number[], kind: ViewKind, values: ArrayLike<number>, dtype: DType, pre: number, minBase: number,
  requiresGrad: boolean,
): Tensor {
  const k = effectiveKind(kind, shape);
  const n = sizeOf(shape);
  let block: number[]; // the contiguous shape the view is cut from
  let cut: (t: Tensor) => Tensor;
  // The expanded dim: one of size > 1 (any when there is none), varied with the drawn offset.
  const wide = shape.flatMap((d, i) => (d > 1 ? [i] : []));
  const broadcastDim = wide.length > 0 ? wide[pre % wide.length]! : pre % Math.max(1, shape.length);
  switch (k) {
    case 'offset':
      block = [...shape];
      cut = (t) => t;
      break;
    case 'padded': {
      const last = shape.length === 0 ? 1 : shape[shape.length - 1]!;
      block = shape.length === 0 ? [3] : [...shape.slice(0, -1), last + 3];
      cut = shape.length === 0 ? (t) => t.narrow(0, 1, 1).reshape([]) : (t) => t.narrow(-1, 1, last);
      break;
    }
    case 'stepped':
      block = [2 * n];
      cut = (t) => new TensorClass(new NDArray(t.array.data, [...shape], contiguousStrides(shape).map((s) => 2 * s), t.array.offset + 1));
      break;
    case 'transposed': {
      const reversed = shape.map((_, i) => shape.length - 1 - i);
      block = reversed.map((d) => shape[d]!);
      cut = (t) => t.permute(reversed);
      break;
    }
    case 'expanded':
      block = shape.map((d, i) => (i === broadcastDim ? 1 : d));
      cut = (t) => t.expand([...shape]);
      break;
  }
  const blockSize = sizeOf(block);
  const post = Math.max(3, minBase - pre - blockSize);
  const base = full([pre + blockSize + post], Number.NaN, { dtype });
  const view = cut(base.narrow(0, pre, blockSize).view(block)).detach();
  if (view.array.data !== base.array.data) throw new Error(`viewOf: the ${k} view of [${shape.join(', ')}] is a copy`);
  writeThrough(view.array, values);
  view.requiresGrad = requiresGrad;
  return view;
}

/** A fresh contiguous tensor with the view's values. */
function copyOf(view: Tensor, requiresGrad: boolean): Tensor {
  return tensor(view.toArray(), { shape: [...view.shape], dtype: view.dtype, requiresGrad });
}

// ---- the differential run ------------------------------------------------------------------------

interface Operand {
  shape: number[];
  values: ArrayLike<number>;
  requiresGrad: boolean;
  kind: ViewKind;
  pre: number;
}

interface DiffCase {
  label: string;
  dtype: DType;
  operands: Operand[];
  /** Kind and offset of the incoming gradient's view, and the seed of its values. */
  upstream: { kind: ViewKind; pre: number; seed: number };
  /** Base tensors are at least this long (PARALLEL_MIN_ELEMENTS: shared on 2+ threads). */
  minBase: number;
  /** The op; the first output is differentiated, all are compared (running statistics, say). */
  run: (...xs: Tensor[]) => Tensor | Tensor[];
}

function describeCase(c: DiffCase): string {
  const ops = c.operands.map((o, i) => `#${i} [${o.shape.join(', ')}] ${effectiveKind(o.kind, o.shape)}@${o.pre}${o.requiresGrad ? '' : ' (no grad)'}`);
  return `${c.label} ${c.dtype}: ${ops.join(', ')}; upstream ${c.upstream.kind}@${c.upstream.pre}`;
}

function outputsOf(r: Tensor | Tensor[]): Tensor[] {
  return Array.isArray(r) ? r : [r];
}

/**
 * Runs the op forward and backward on the views and on contiguous copies, and fails unless the
 * outputs and the gradients of every operand agree bit for bit. Returns how many pool tasks the
 * run on the views took and whether all its operands were in shared memory.
 */
function runDifferential(c: DiffCase): { tasks: number; allShared: boolean } {
  const label = describeCase(c);
  const views = c.operands.map((o) => viewOf(o.shape, o.kind, o.values, c.dtype, o.pre, c.minBase, o.requiresGrad));
  const copies = views.map((v, i) => copyOf(v, c.operands[i]!.requiresGrad));
  const before = poolInfo().tasksRun;
  const onViews = outputsOf(c.run(...views));
  const y = onViews[0]!;
  const upstream = y.requiresGrad
    ? viewOf(y.shape, c.upstream.kind, uniformValues(y.numel, c.upstream.seed), c.dtype, c.upstream.pre, c.minBase, false)
    : null;
  if (upstream !== null) y.backward(upstream);
  const tasks = poolInfo().tasksRun - before;
  const allShared = [...views, ...(upstream === null ? [] : [upstream])].every((v) => isShared(v.array.data));

  const onCopies = outputsOf(c.run(...copies));
  if (upstream !== null) onCopies[0]!.backward(copyOf(upstream, false));
  onViews.forEach((t, i) => expectBitwise(t.toArray(), onCopies[i]!.toArray(), `${label}: output ${i}`));
  views.forEach((v, i) => {
    if (!c.operands[i]!.requiresGrad || upstream === null) return;
    expect(v.grad, `${label}: operand ${i} got a gradient`).not.toBeNull();
    expectBitwise(v.grad!.toArray(), copies[i]!.grad!.toArray(), `${label}: gradient of operand ${i}`);
  });
  return { tasks, allShared };
}

// ---- part 1: the ops with a parallel path ----------------------------------------------------------

const dtypeArb = fc.constantFrom<DType>('float32', 'float64');
const seedArb = fc.integer({ min: 1, max: 1_000_000 });

/** An operand of this shape with a drawn offset and (uniform) values; its kind is set by {@link parallelCase}. */
function operandArb(shape: number[], requiresGrad = true, positive = false): fc.Arbitrary<Operand> {
  return fc.record({ pre: preArb, seed: seedArb }).map(({ pre, seed }) => ({
    shape, kind: 'offset' as ViewKind, pre, requiresGrad,
    values: positive ? uniformValues(sizeOf(shape), seed).map((v) => 0.5 + Math.abs(v)) : uniformValues(sizeOf(shape), seed),
  }));
}

/** The incoming gradient's offset and values (its kind rotates like the operands'). */
const upstreamArb = fc.record({ pre: preArb, seed: seedArb });

interface ParallelOp {
  name: string;
  /** The cases of rotation `turn` (see {@link parallelCase}). */
  cases: (turn: number) => fc.Arbitrary<DiffCase>;
}

/**
 * A case from drawn operands whose kinds rotate: in turn j, operand i is a view of kind j + i
 * and the incoming gradient of kind j, so over the five turns every operand and the gradient are
 * each kind once (and turn 0 has the input and the gradient both offset views: a cut batch).
 */
function parallelCase(
  label: string, turn: number, operands: fc.Arbitrary<Operand>[], run: DiffCase['run'], minBase = PARALLEL_MIN_ELEMENTS,
): fc.Arbitrary<DiffCase> {
  return fc.tuple(dtypeArb, upstreamArb, ...operands).map(([dtype, upstream, ...ops]) => ({
    label, dtype, minBase, run,
    upstream: { ...upstream, kind: VIEW_KINDS[turn % VIEW_KINDS.length]! },
    operands: ops.map((o, i) => ({ ...o, kind: VIEW_KINDS[(turn + i) % VIEW_KINDS.length]! })),
  }));
}

interface ConvGeometry {
  what: string;
  cIn: number; cOut: number; h: number; w: number; k: number; stride: number; padding: number; groups: number;
  /** Batch sizes: the input is ≥ PARALLEL_MIN_ELEMENTS and the conv ≥ CONV_PARALLEL_MIN_MACS. */
  n: [number, number];
}

const convGeometries: ConvGeometry[] = [
  { what: 'col2im input gradient', cIn: 1, cOut: 8, h: 28, w: 28, k: 3, stride: 1, padding: 1, groups: 1, n: [84, 90] },
  { what: 'transposed input gradient', cIn: 8, cOut: 16, h: 14, w: 14, k: 3, stride: 1, padding: 1, groups: 1, n: [42, 46] },
  { what: 'stride 2, groups 2', cIn: 4, cOut: 16, h: 32, w: 31, k: 3, stride: 2, padding: 1, groups: 2, n: [17, 20] },
];

const parallelOps: ParallelOp[] = [
  {
    name: 'conv2d (output, input, weight and bias gradients)',
    cases: (turn) => fc.constantFrom(...convGeometries).chain((g) => fc.integer({ min: g.n[0], max: g.n[1] }).chain((n) => {
      const outH = Math.floor((g.h + 2 * g.padding - g.k) / g.stride) + 1;
      const outW = Math.floor((g.w + 2 * g.padding - g.k) / g.stride) + 1;
      if (n * g.cIn * g.h * g.w < PARALLEL_MIN_ELEMENTS || n * g.cOut * (g.cIn / g.groups) * g.k * g.k * outH * outW < CONV_PARALLEL_MIN_MACS) {
        throw new Error(`conv case ${g.what} with n = ${n} is below the parallel thresholds`);
      }
      return parallelCase(
        `conv2d ${g.what}, n ${n}`, turn,
        [
          operandArb([n, g.cIn, g.h, g.w]),
          operandArb([g.cOut, g.cIn / g.groups, g.k, g.k]),
          operandArb([g.cOut]),
        ],
        (x, w, b) => F.conv2d(x!, w!, b, { stride: g.stride, padding: g.padding, groups: g.groups }),
      );
    })),
  },
  {
    name: 'matmul (2-d, and batched with a broadcast right operand)',
    cases: (turn) => fc.record({
      m: fc.integer({ min: 104, max: 136 }), k: fc.integer({ min: 104, max: 136 }), n: fc.integer({ min: 104, max: 136 }),
      batch: fc.constantFrom(0, 2),
    }).chain(({ m, k, n, batch }) => {
      if (m * k * n < GEMM_PARALLEL_MIN_MACS) throw new Error('matmul case below the GEMM threshold');
      return parallelCase(
        `matmul [${batch > 0 ? `${batch}, ` : ''}${m}, ${k}] · [${k}, ${n}]`, turn,
        [operandArb(batch > 0 ? [batch, m, k] : [m, k]), operandArb([k, n])],
        (a, b) => a!.matmul(b!),
      );
    }),
  },
  {
    name: 'linear',
    cases: (turn) => fc.record({
      rows: fc.integer({ min: 64, max: 80 }), inF: fc.integer({ min: 144, max: 176 }), outF: fc.integer({ min: 144, max: 176 }),
    }).chain(({ rows, inF, outF }) => parallelCase(
      `linear [${rows}, ${inF}] → ${outF}`, turn,
      [operandArb([rows, inF]), operandArb([outF, inF]), operandArb([outF])],
      (x, w, b) => F.linear(x!, w!, b),
    )),
  },
  {
    name: 'maxPool2d (output and gradient)',
    cases: (turn) => fc.record({
      n: fc.integer({ min: 8, max: 10 }), w: fc.integer({ min: 30, max: 33 }), overlapping: fc.boolean(),
    }).chain(({ n, w, overlapping }) => parallelCase(
      `maxPool2d ${overlapping ? '3×3 stride 2 pad 1' : '2×2'} on [${n}, 16, 32, ${w}]`, turn,
      [operandArb([n, 16, 32, w])],
      (x) => F.maxPool2d(x!, overlapping ? { kernelSize: 3, stride: 2, padding: 1 } : 2),
    )),
  },
  {
    name: 'relu',
    cases: (turn) => fc.record({ rows: fc.integer({ min: 220, max: 260 }), cols: fc.integer({ min: 300, max: 340 }) })
      .chain(({ rows, cols }) => parallelCase(`relu [${rows}, ${cols}]`, turn, [operandArb([rows, cols])], (x) => F.relu(x!))),
  },
  {
    name: 'sum and mean over N, H, W (per-channel sums)',
    cases: (turn) => fc.record({ n: fc.integer({ min: 18, max: 22 }), c: fc.integer({ min: 8, max: 12 }), mean: fc.boolean() })
      .chain(({ n, c, mean }) => parallelCase(
        `${mean ? 'mean' : 'sum'}([0, 2, 3]) of [${n}, ${c}, 20, 24]`, turn, [operandArb([n, c, 20, 24])],
        (x) => (mean ? x!.mean([0, 2, 3]) : x!.sum([0, 2, 3])),
      )),
  },
  ...normOps(),
];

/** One chunk of N samples, C channels and H·W positions. */
function batchLayoutOf(x: Tensor): NormLayout {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  return { chunks: 1, samples: n, channels: c, positions: h * w, affineSpan: 1 };
}

/** The normalizations over [N, 16, 16, 16] (per-channel sums and the affine passes). */
function normOps(): ParallelOp[] {
  const c = 16;
  const shapeArb = fc.integer({ min: 16, max: 20 }).map((n) => [n, c, 16, 16]);
  const make = (
    name: string, extra: (x: number[]) => fc.Arbitrary<Operand>[], run: DiffCase['run'],
  ): ParallelOp => ({
    name,
    cases: (turn) => shapeArb.chain((x) => parallelCase(`${name} on [${x.join(', ')}]`, turn, [operandArb(x), ...extra(x)], run)),
  });
  const affine = (): fc.Arbitrary<Operand>[] => [operandArb([c]), operandArb([c])];
  return [
    make('batchNorm (training, running statistics updated)', affine, (x, w, b) => {
      const runningMean = zeros([c], { dtype: x!.dtype });
      const runningVar = ones([c], { dtype: x!.dtype });
      const y = F.batchNorm(x!, runningMean, runningVar, { weight: w, bias: b, training: true });
      return [y, runningMean, runningVar];
    }),
    make('batchNorm (eval, running statistics as views)', () => [
      ...affine(), operandArb([c], false), operandArb([c], false, true),
    ], (x, w, b, mean, variance) => F.batchNorm(x!, mean!, variance!, { weight: w, bias: b })),
    make('groupNorm (4 groups)', affine, (x, w, b) => F.groupNorm(x!, 4, { weight: w, bias: b })),
    make('layerNorm over [16, 16]', () => [operandArb([16, 16]), operandArb([16, 16])], (x, w, b) => F.layerNorm(x!, [16, 16], { weight: w, bias: b })),
    make('instanceNorm', affine, (x, w, b) => F.instanceNorm(x!, { weight: w, bias: b })),
    // Batch Kalman Normalization's two fused ops: the moments, and normalization by given statistics.
    make('normMomentsFused (mean and variance joined by cat)', () => [], (x) => {
      const { mean, variance } = normMomentsFused(x!, batchLayoutOf(x!));
      return F.cat([mean, variance]);
    }),
    make('normalizeWithFused (gradients to the statistics)', () => [
      operandArb([1, c]), operandArb([1, c], true, true), ...affine(),
    ], (x, mean, variance, w, b) => normalizeWithFused(x!, mean!, variance!, batchLayoutOf(x!), 1e-5, w, b)),
  ];
}

/** fast-check runs per (op, rotation turn, thread count): 5 turns × 1 run × 3 thread counts per op. */
const RUNS_PER_KIND = 1;

describe.each(THREAD_COUNTS)('ops with a parallel path, on views above the parallel threshold, on %i thread(s)', (threads) => {
  let tasksBefore: Record<string, number> = {};
  beforeAll(async () => {
    setNumThreads(threads);
    if (threads > 1) await warmUpPool();
    tasksBefore = poolInfo().tasksRunByName;
  });

  parallelOps.forEach((op, i) => {
    it(`${op.name}: views give bitwise the results of contiguous copies`, () => {
      VIEW_KINDS.forEach((_, turn) => {
        fc.assert(
          fc.property(op.cases(turn), (c) => {
            const { tasks, allShared } = runDifferential(c);
            if (threads > 1) {
              // Else the parallel path (the one that dropped offsets) was not what was compared.
              expect(allShared, `${describeCase(c)}: operands in shared memory`).toBe(true);
              expect(tasks, `${describeCase(c)}: tasks run on the pool`).toBeGreaterThan(0);
            }
          }),
          { seed: SEED + 100 * i + turn, numRuns: RUNS_PER_KIND },
        );
      });
    });
  });

  // A kernel that gains a parallel task (parallel/tasks.ts) needs an op above that runs it.
  if (threads > 1) {
    it('every task of the pool ran on views', () => {
      const after = poolInfo().tasksRunByName;
      const idle = Object.keys(TASKS).filter((name) => name !== 'debug-fault' && (after[name] ?? 0) <= (tasksBefore[name] ?? 0));
      expect(idle, 'pool tasks that no op of this part ran').toEqual([]);
    });
  }
});

// ---- part 2: every op of the spec table ------------------------------------------------------------

const SPEC_RUNS = 15;

/**
 * Kinds an op accepts, where not all: `view` needs a contiguous input (an error otherwise, as its
 * TSDoc says), so only the offset view applies.
 */
const SPEC_KINDS: Readonly<Record<string, readonly ViewKind[]>> = { view: ['offset'] };

/** The view kinds (after falling back for 0-d and 1-d shapes) that the spec-table cases used. */
const specKindsSeen = new Set<ViewKind>();

describe.each(THREAD_COUNTS)('every op of the spec table, on views, on %i thread(s)', (threads) => {
  beforeAll(async () => {
    setNumThreads(threads);
    if (threads > 1) await warmUpPool();
  });

  opSpecs.forEach((spec, i) => {
    it(`${spec.name}: views give bitwise the results of contiguous copies (seed ${SEED + i})`, () => {
      const arb = fc.record({
        bound: spec.cases,
        dtype: dtypeArb,
        pres: fc.array(preArb, { minLength: 2, maxLength: 2 }),
        upstream: upstreamArb,
      });
      // Kinds in rotation (input k of run r: kind r + k), so each spec sees every kind it accepts.
      const kinds = SPEC_KINDS[spec.name] ?? VIEW_KINDS;
      let run = 0;
      fc.assert(
        fc.property(arb, ({ bound, dtype, pres, upstream }) => {
          const operands = bound.inputs.map((d, k) => ({
            kind: kinds[(run + k) % kinds.length]!, pre: pres[k % pres.length]!,
            shape: d.shape, values: d.values, requiresGrad: d.requiresGrad,
          }));
          const upstreamKind = VIEW_KINDS[run % VIEW_KINDS.length]!;
          run++;
          for (const o of operands) specKindsSeen.add(effectiveKind(o.kind, o.shape));
          runDifferential({ label: spec.name, dtype, operands, upstream: { ...upstream, kind: upstreamKind }, minBase: 0, run: bound.run });
        }),
        { seed: SEED + i, numRuns: SPEC_RUNS },
      );
    });
  });

  it('the spec-table cases used every view kind', () => {
    expect(VIEW_KINDS.filter((k) => !specKindsSeen.has(k))).toEqual([]);
  });
});

// ---- part 3: every F function ---------------------------------------------------------------------

/**
 * Every function of `F` on small view operands (the kernels without a parallel path read views
 * too: pooling windows, padding, joins, losses, softmax rows). Operand shapes, then the call.
 */
const fFunctions: [string, number[][], (...xs: Tensor[]) => Tensor][] = [
  ['relu', [[3, 5, 4]], (x) => F.relu(x!)],
  ['leakyRelu', [[3, 5, 4]], (x) => F.leakyRelu(x!, 0.1)],
  ['gelu', [[3, 5, 4]], (x) => F.gelu(x!)],
  ['gelu tanh', [[3, 5, 4]], (x) => F.gelu(x!, { approximate: 'tanh' })],
  ['sigmoid', [[3, 5, 4]], (x) => F.sigmoid(x!)],
  ['tanh', [[3, 5, 4]], (x) => F.tanh(x!)],
  ['softmax', [[3, 5, 4]], (x) => F.softmax(x!, 1)],
  ['logSoftmax', [[3, 5, 4]], (x) => F.logSoftmax(x!, -1)],
  ['linear', [[4, 6], [5, 6], [5]], (x, w, b) => F.linear(x!, w!, b)],
  ['conv2d stride 2, groups 2', [[2, 4, 7, 6], [6, 2, 3, 3], [6]], (x, w, b) => F.conv2d(x!, w!, b, { stride: 2, padding: 1, groups: 2 })],
  ['conv2d dilation 2', [[2, 3, 8, 7], [4, 3, 3, 2], [4]], (x, w, b) => F.conv2d(x!, w!, b, { dilation: 2, padding: [2, 1] })],
  ['dropout', [[3, 5, 4]], (x) => F.dropout(x!, 0.3, true, new Generator(7))],
  ['dropout2d', [[2, 5, 3, 4]], (x) => F.dropout2d(x!, 0.3, true, new Generator(7))],
  ['convTranspose2d stride 2, groups 2', [[2, 4, 4, 3], [4, 3, 3, 3], [6]], (x, w, b) => F.convTranspose2d(x!, w!, b, { stride: 2, padding: 1, outputPadding: 1, groups: 2 })],
  ['conv1d', [[2, 3, 9], [4, 3, 3], [4]], (x, w, b) => F.conv1d(x!, w!, b, { padding: 1, stride: 2 })],
  ['maxPool1d', [[2, 3, 9]], (x) => F.maxPool1d(x!, { kernelSize: 3, stride: 2, padding: 1 })],
  ['avgPool1d', [[2, 3, 9]], (x) => F.avgPool1d(x!, { kernelSize: 3, stride: 2 })],
  ['adaptiveMaxPool2d', [[2, 3, 7, 5]], (x) => F.adaptiveMaxPool2d(x!, [3, 2])],
  ['silu', [[3, 5, 4]], (x) => F.silu(x!)],
  ['softsign', [[3, 5, 4]], (x) => F.softsign(x!)],
  ['prelu', [[3, 5, 4], [5]], (x, w) => F.prelu(x!, w!)],
  ['glu', [[3, 5, 4]], (x) => F.glu(x!, -1)],
  ['l1Loss', [[3, 4], [3, 4]], (a, b) => F.l1Loss(a!, b!)],
  ['elu', [[3, 5, 4]], (x) => F.elu(x!, { alpha: 0.7 })],
  ['selu', [[3, 5, 4]], (x) => F.selu(x!)],
  ['softplus', [[3, 5, 4]], (x) => F.softplus(x!, { beta: 2, threshold: 1 })],
  ['mish', [[3, 5, 4]], (x) => F.mish(x!)],
  ['hardtanh', [[3, 5, 4]], (x) => F.hardtanh(x!, { minVal: -0.5, maxVal: 0.5 })],
  ['relu6', [[3, 5, 4]], (x) => F.relu6(x!.mul(4))],
  ['hardswish', [[3, 5, 4]], (x) => F.hardswish(x!.mul(4))],
  ['hardsigmoid', [[3, 5, 4]], (x) => F.hardsigmoid(x!.mul(4))],
  ['logSigmoid', [[3, 5, 4]], (x) => F.logSigmoid(x!)],
  ['smoothL1Loss', [[3, 4], [3, 4]], (a, b) => F.smoothL1Loss(a!, b!, { beta: 0.5 })],
  ['huberLoss', [[3, 4], [4]], (a, b) => F.huberLoss(a!, b!, { delta: 0.5, reduction: 'sum' })],
  ['binaryCrossEntropy', [[3, 4], [3, 4]], (a, b) => F.binaryCrossEntropy(a!.sigmoid(), b!.sigmoid())],
  ['binaryCrossEntropyWithLogits', [[3, 4], [3, 4]], (a, b) => F.binaryCrossEntropyWithLogits(a!, b!.sigmoid(), { posWeight: tensor([0.5, 1, 2, 3]) })],
  ['klDiv', [[3, 4], [3, 4]], (a, b) => F.klDiv(a!, b!, { reduction: 'batchmean', logTarget: true })],
  ['cosineSimilarity', [[3, 4], [3, 4]], (a, b) => F.cosineSimilarity(a!, b!)],
  ['pairwiseDistance', [[3, 4], [3, 4]], (a, b) => F.pairwiseDistance(a!, b!, { p: 3 })],
  ['interpolate bilinear', [[2, 3, 4, 5]], (x) => F.interpolate(x!, { size: [7, 3], mode: 'bilinear' })],
  ['pad', [[2, 3, 4]], (x) => F.pad(x!, [1, 2, 0, 1], 1.5)],
  ['cat', [[2, 3], [4, 3]], (a, b) => F.cat([a!, b!], 0)],
  ['stack', [[2, 3], [2, 3]], (a, b) => F.stack([a!, b!], 1)],
  ['nllLoss', [[4, 5]], (x) => F.nllLoss(x!, [0, 4, 2, 2])],
  ['crossEntropy', [[4, 5]], (x) => F.crossEntropy(x!, [1, 3, 0, 4], { reduction: 'sum' })],
  ['mseLoss', [[3, 4], [3, 4]], (a, b) => F.mseLoss(a!, b!)],
  ['maxPool2d', [[2, 3, 7, 6]], (x) => F.maxPool2d(x!, { kernelSize: 3, stride: 2, padding: 1 })],
  ['avgPool2d', [[2, 3, 7, 6]], (x) => F.avgPool2d(x!, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false })],
  ['adaptiveAvgPool2d', [[2, 3, 7, 6]], (x) => F.adaptiveAvgPool2d(x!, [3, 4])],
  ['batchNorm', [[4, 3, 2, 3], [3], [3]], (x, w, b) => F.batchNorm(x!, null, null, { weight: w, bias: b, training: true })],
  ['groupNorm', [[2, 4, 3, 3], [4], [4]], (x, w, b) => F.groupNorm(x!, 2, { weight: w, bias: b })],
  ['layerNorm', [[2, 3, 4], [3, 4], [3, 4]], (x, w, b) => F.layerNorm(x!, [3, 4], { weight: w, bias: b })],
  ['instanceNorm', [[2, 3, 4, 3], [3], [3]], (x, w, b) => F.instanceNorm(x!, { weight: w, bias: b })],
  ['embedding', [[6, 4]], (w) => F.embedding([[0, 5, 2], [2, 1, 0]], w!, { paddingIdx: 1 })],
  ['oneHot', [[3, 4]], (x) => x!.mul(F.oneHot([1, 0, 3], 4))],
  ['crossEntropy probability targets', [[4, 5], [4, 5]], (x, t) => F.crossEntropy(x!, t!, { labelSmoothing: 0.1 })],
];

describe.each(THREAD_COUNTS)('every F function, on small views, on %i thread(s)', (threads) => {
  beforeAll(async () => {
    setNumThreads(threads);
    if (threads > 1) await warmUpPool();
  });

  it('each gives bitwise the results of contiguous copies, every operand and the gradient each kind of view', () => {
    fFunctions.forEach(([name, shapes, run], i) => {
      VIEW_KINDS.forEach((_, turn) => {
        fc.assert(
          fc.property(parallelCase(name, turn, shapes.map((shape) => operandArb(shape)), run, 0), (c) => {
            runDifferential(c);
          }),
          { seed: SEED + 1000 + 10 * i + turn, numRuns: 1 },
        );
      });
    });
  });
});

it('the table of F functions holds every function of F', () => {
  const listed = new Set(fFunctions.map(([name]) => name.split(' ')[0]!));
  const functions = Object.entries(F).filter(([, v]) => typeof v === 'function').map(([k]) => k);
  expect(functions.filter((name) => !listed.has(name))).toEqual([]);
});

// ---- the repro of issue 11 -------------------------------------------------------------------------

describe('issue 11: conv2d on 2 threads reads a narrowed batch and sliced weights and gradients at their offsets', () => {
  it('conv of images 64…95 of a batch, two convs joined by cat (sliced incoming gradients), weights cut from one tensor', async () => {
    setNumThreads(2);
    await warmUpPool();
    const all = tensor(uniformValues(128 * 1 * 28 * 28, 11), { shape: [128, 1, 28, 28] });
    const weights = tensor(uniformValues(70_000, 12), { shape: [70_000] }); // shared: ≥ PARALLEL_MIN_ELEMENTS
    expect(isShared(all.array.data) && isShared(weights.array.data), 'the bases are in shared memory').toBe(true);
    const x1 = all.narrow(0, 64, 32).detach();
    const x2 = all.narrow(0, 16, 40).detach();
    const w1 = weights.narrow(0, 1000, 72).view([8, 1, 3, 3]).detach();
    const w2 = weights.narrow(0, 5001, 72).view([8, 1, 3, 3]).detach();
    const leaves = [x1, x2, w1, w2];
    const copies = leaves.map((t) => copyOf(t, true));
    for (const t of leaves) t.requiresGrad = true;
    const conv = (a: Tensor, w: Tensor): Tensor => F.conv2d(a, w, null, { padding: 1 });
    const upstream = tensor(uniformValues(72 * 8 * 28 * 28, 13), { shape: [72, 8, 28, 28] });
    // cat's backward hands each conv a narrowed slice of the incoming gradient (the second at an offset).
    const onViews = F.cat([conv(x1, w1), conv(x2, w2)]);
    onViews.backward(upstream);
    // The reference: each conv alone on copies, with a contiguous copy of its slice of the gradient.
    const y1 = conv(copies[0]!, copies[2]!);
    const y2 = conv(copies[1]!, copies[3]!);
    y1.backward(copyOf(upstream.narrow(0, 0, 32), false));
    y2.backward(copyOf(upstream.narrow(0, 32, 40), false));
    expectBitwise(onViews.toArray(), [...y1.toArray(), ...y2.toArray()], 'output');
    leaves.forEach((t, i) => expectBitwise(t.grad!.toArray(), copies[i]!.grad!.toArray(), `gradient of ${['x1', 'x2', 'w1', 'w2'][i]}`));
  });
});
