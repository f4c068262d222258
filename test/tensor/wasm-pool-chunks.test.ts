/**
 * The pool's chunks of the normalization passes on the wasm backend: channelSum, channelSums and
 * channelGradSums (kernels/channel-reduce.ts) and affineRuns and gradientRuns
 * (kernels/affine-runs.ts) over shared float32 arrays big enough to split, on 2 and 4 threads with a
 * worker taking part, bitwise what the JS reference gives on one thread. The chunks run the
 * emitted kernels there (a worker adopts the task's backend); they must give the reference's bits,
 * like the calling thread's. No timing is asserted.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { getBackend, setBackend, setNumThreads } from '../../src/index.js';
import { affineRuns, gradientRuns } from '../../src/tensor/kernels/affine-runs.js';
import { channelGradSums, channelSum, channelSums } from '../../src/tensor/kernels/channel-reduce.js';
import { PARALLEL_MIN_ELEMENTS, allocateShared, poolInfo, setParallelMinElements, warmUpPool } from '../../src/tensor/parallel/pool.js';
import { untilWorkerTakesPart } from '../helpers/pool-participation.js';
import { expectBitwise, makeRandom } from '../helpers/random.js';

const savedBackend = getBackend();
afterAll(() => {
  setBackend(savedBackend);
  setNumThreads(1);
  setParallelMinElements(null);
});

const shape = [8, 16, 30, 41]; // 157 440 elements, planes of 1 230 (not a multiple of 4)
const size = shape.reduce((a, b) => a * b, 1);
const channels = shape[1]!;
const runs = shape[0]! * channels;
const length = size / runs;

/** A shared float32 array of seeded values (shared: the pool reads it in place). */
function sharedValues(seed: number): Float32Array {
  const rnd = makeRandom(seed);
  const a = allocateShared('float32', size) as Float32Array;
  for (let i = 0; i < size; i++) a[i] = rnd() * 4 - 1;
  return a;
}

const x = sharedValues(41);
const g = sharedValues(42);
const rnd = makeRandom(43);
const perChannel = (): Float64Array => Float64Array.from({ length: channels }, () => rnd() * 2 - 1);
const perRun = (): Float64Array => Float64Array.from({ length: runs }, () => rnd() * 2 - 1);
const [shift, m, a, b, c] = [perChannel(), perRun(), perRun(), perRun(), perRun()];

/** Every result of the five passes, as arrays. */
function passes(): ArrayLike<number>[] {
  const sums = channelSums(x, 0, shape, shift);
  const grads = channelGradSums(g, 0, x, 0, shape, shift);
  const affine = allocateShared('float32', size);
  affineRuns(x, 0, affine, 0, runs, length, m, a, b);
  const gradient = allocateShared('float32', size);
  gradientRuns(g, 0, x, 0, gradient, 0, runs, length, m, a, b, c);
  return [channelSum(x, 0, shape), sums.sum, sums.sumSq, grads.sumG, grads.sumGX, affine, gradient];
}

describe('the norms\' pool chunks on the wasm backend', () => {
  it('are bitwise the JS reference on 1 thread, on 2 and 4 threads with a worker taking part', async () => {
    setParallelMinElements(PARALLEL_MIN_ELEMENTS);
    expect(size).toBeGreaterThanOrEqual(PARALLEL_MIN_ELEMENTS);
    setNumThreads(1);
    setBackend('js');
    const reference = passes();
    setBackend('wasm');
    for (const threads of [2, 4]) {
      setNumThreads(threads);
      await warmUpPool();
      const before = poolInfo().tasksRun;
      const tookPart = await untilWorkerTakesPart((attempt) => {
        passes().forEach((result, k) => expectBitwise(result, reference[k]!, `${threads} threads, pass ${k}, run ${attempt}`));
      });
      expect(poolInfo().tasksRun - before, 'the passes went through the pool').toBeGreaterThanOrEqual(5);
      expect(tookPart, 'a worker computed chunks').toBe(true);
    }
  });
});
