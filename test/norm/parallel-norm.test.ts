/**
 * The normalization layers in training on the worker pool: BatchNorm2d, BatchRenorm2d, GroupNorm
 * and BatchKalmanNorm2d (a first layer and a chained one), forward and backward on inputs big
 * enough to split — outputs, input gradients, γ/β gradients and running statistics bitwise the same
 * on 1, 2 and 4 threads, with their per-channel reductions going through the pool (the inputs are
 * tensors computed in the step, which live in shared memory). No timing is asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualSeed, nn, randn, setNumThreads, type Tensor } from '../../src/index.js';
import { PARALLEL_MIN_ELEMENTS, poolInfo, setParallelMinElements, warmUpPool } from '../../src/tensor/parallel/pool.js';

// The pool's path on both backends: the wasm backend's own threshold (PARALLEL_MIN_ELEMENTS_WASM)
// would keep these inputs on the calling thread.
beforeAll(() => setParallelMinElements(PARALLEL_MIN_ELEMENTS));
afterAll(() => {
  setNumThreads(1);
  setParallelMinElements(null);
});

const shape = [4, 16, 48, 48]; // 147 456 elements: above PARALLEL_MIN_ELEMENTS

function append(values: number[], a: ArrayLike<number>): void {
  for (let i = 0; i < a.length; i++) values.push(a[i]!);
}

/** Builds the layer (seeded), runs two training steps' forward and backward; returns every number. */
function run(make: () => nn.Module[]): number[] {
  manualSeed(7);
  const layers = make();
  const values: number[] = [];
  for (let step = 0; step < 2; step++) {
    const x = randn(shape, { requiresGrad: true });
    // x·1.5 + 0.5: the layer's input is computed in the step, as in training.
    let h: Tensor = x.mul(1.5).add(0.5);
    for (const layer of layers) h = layer.call(h);
    const g = randn(shape);
    h.backward(g);
    append(values, h.toArray());
    append(values, x.grad!.toArray());
    for (const layer of layers) {
      for (const p of layer.parameters()) append(values, p.grad!.toArray());
      for (const b of layer.buffers()) append(values, b.toArray());
    }
  }
  return values;
}

const layers: [string, () => nn.Module[]][] = [
  ['BatchNorm2d', () => [new nn.BatchNorm2d(16)]],
  ['BatchRenorm2d', () => [new nn.BatchRenorm2d(16)]],
  ['GroupNorm (4 groups)', () => [new nn.GroupNorm(4, 16)]],
  ['BatchKalmanNorm2d, two chained layers', () => {
    const first = new nn.BatchKalmanNorm2d(16);
    return [first, new nn.BatchKalmanNorm2d(16, { prev: first, between: [] })];
  }],
];

describe('normalization layers are bitwise the same on 1, 2 and 4 threads, reductions on the pool', () => {
  it.each(layers)('%s', async (_name, make) => {
    expect(shape.reduce((p, d) => p * d, 1)).toBeGreaterThanOrEqual(PARALLEL_MIN_ELEMENTS);
    setNumThreads(1);
    const one = run(make);
    for (const threads of [2, 4]) {
      setNumThreads(threads);
      await warmUpPool();
      const before = poolInfo().tasksRun;
      const many = run(make);
      expect(poolInfo().tasksRun - before, `${threads} threads: reductions went through the pool`).toBeGreaterThanOrEqual(4);
      expect(many.length).toBe(one.length);
      for (let i = 0; i < one.length; i++) {
        if (!Object.is(many[i], one[i])) throw new Error(`${threads} threads: value ${i} is ${many[i]}, 1 thread gives ${one[i]}`);
      }
    }
  });
});
