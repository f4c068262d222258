/**
 * Max pooling (src/tensor/kernels/pool-parallel.ts, split by planes) and relu
 * (src/tensor/kernels/elementwise.ts, split by element ranges) over the worker pool: outputs and
 * gradients bitwise the same on 1, 2 and 4 threads — the 2×2 fast path and an overlapping 3×3
 * window with padding (whose backward adds several window gradients onto one input), float32 and
 * float64, NaN and −0 inputs for relu — with the workers taking part, and small inputs staying on
 * the calling thread. No timing is asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F, getBackend, setBackend, setNumThreads, tensor, type Tensor } from '../../src/index.js';
import {
  PARALLEL_MIN_ELEMENTS, PARALLEL_MIN_ELEMENTS_WASM, poolInfo, setParallelMinElements, warmUpPool,
} from '../../src/tensor/parallel/pool.js';
import { untilWorkerTakesPart } from '../helpers/pool-participation.js';
import { expectBitwise, makeRandom } from '../helpers/random.js';

// The pool's path on both backends: the wasm backend's own threshold (PARALLEL_MIN_ELEMENTS_WASM)
// would keep these inputs on the calling thread (tested last, with the defaults back).
beforeAll(() => setParallelMinElements(PARALLEL_MIN_ELEMENTS));
const backendBefore = getBackend();
afterAll(() => {
  setNumThreads(1);
  setParallelMinElements(null);
  setBackend(backendBefore);
});

/** Values in [-1, 1), with ties (rounded to 1/8), a NaN, −0 and −∞ sprinkled in. */
function values(size: number, seed: number): number[] {
  const rnd = makeRandom(seed);
  const out = Array.from({ length: size }, () => Math.round((rnd() * 2 - 1) * 8) / 8);
  out[size >> 1] = Number.NaN;
  out[3] = -0;
  out[size - 5] = -Infinity;
  return out;
}

interface Case {
  shape: [number, number, number, number];
  dtype: 'float32' | 'float64';
  forward: (x: Tensor) => Tensor;
}

const cases: [string, Case][] = [
  ['maxPool2d 2×2 on [32, 8, 28, 28] float32', { shape: [32, 8, 28, 28], dtype: 'float32', forward: (x) => F.maxPool2d(x, 2) }],
  ['maxPool2d 3×3 stride 1 pad 1 on [16, 12, 29, 25] float64', {
    shape: [16, 12, 29, 25], dtype: 'float64', forward: (x) => F.maxPool2d(x, { kernelSize: 3, stride: 1, padding: 1 }),
  }],
  ['relu on [32, 8, 28, 28] float32', { shape: [32, 8, 28, 28], dtype: 'float32', forward: (x) => F.relu(x) }],
  ['relu on [17, 8, 31, 33] float64', { shape: [17, 8, 31, 33], dtype: 'float64', forward: (x) => F.relu(x) }],
];

function run(c: Case): number[] {
  const size = c.shape.reduce((a, b) => a * b, 1);
  const x = tensor(values(size, 1), { shape: c.shape, dtype: c.dtype, requiresGrad: true });
  const y = c.forward(x);
  const upstream = tensor(values(y.shape.reduce((a, b) => a * b, 1), 2).map((v) => (Number.isFinite(v) ? v : 0.5)), {
    shape: [...y.shape], dtype: c.dtype,
  });
  y.backward(upstream);
  return [...y.toArray(), ...x.grad!.toArray()];
}

describe('max pooling and relu over the pool are bitwise the same on any thread count', () => {
  it.each(cases)('%s, on 1, 2 and 4 threads', async (_name, c) => {
    setNumThreads(1);
    const one = run(c);
    for (const threads of [2, 4]) {
      setNumThreads(threads);
      await warmUpPool();
      const before = poolInfo().tasksRun;
      const tookPart = await untilWorkerTakesPart((r) => expectBitwise(run(c), one, `${threads} threads, run ${r}`));
      expect(poolInfo().tasksRun - before, 'forward and backward went through the pool').toBeGreaterThanOrEqual(2);
      expect(tookPart, 'a worker computed chunks').toBe(true);
    }
  });

  it('small inputs stay on the calling thread', async () => {
    setNumThreads(2);
    await warmUpPool();
    const before = poolInfo().tasksRun;
    run({ shape: [2, 4, 8, 8], dtype: 'float32', forward: (x) => F.maxPool2d(F.relu(x), 2) });
    expect(poolInfo().tasksRun).toBe(before);
  });
});

describe('the pool threshold of each backend', () => {
  // [32, 8, 28, 28]: 200 704 elements, between the two thresholds (the MNIST CNN's first block).
  const between: Case = { shape: [32, 8, 28, 28], dtype: 'float32', forward: (x) => F.maxPool2d(F.relu(x), 2) };

  it('splits a pass of 200 K elements on the js backend but not on the wasm one, with the same bits', async () => {
    setParallelMinElements(null);
    expect(PARALLEL_MIN_ELEMENTS).toBeLessThan(200_704);
    expect(PARALLEL_MIN_ELEMENTS_WASM).toBeGreaterThan(200_704);
    const tasks: Record<string, number> = {};
    const results: Record<string, number[]> = {};
    for (const backend of ['js', 'wasm'] as const) {
      setBackend(backend);
      setNumThreads(1);
      const one = run(between);
      setNumThreads(2);
      await warmUpPool();
      const before = poolInfo().tasksRun;
      results[backend] = run(between);
      tasks[backend] = poolInfo().tasksRun - before;
      expectBitwise(results[backend]!, one, `${backend}: 2 threads against 1`);
    }
    expect(tasks['js'], 'js: relu and max pooling, forward and backward, over the pool').toBeGreaterThanOrEqual(4);
    expect(tasks['wasm'], 'wasm: everything on the calling thread').toBe(0);
    // The wasm kernels of these passes are bitwise the JS ones.
    expectBitwise(results['wasm']!, results['js']!, 'wasm against js');
  });
});
